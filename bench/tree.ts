/**
 * `npm run bench:tree`: whole-tree scale. Runs `vfslock check --jobs N --format json` (dist/cli.js, as a child
 * process) over all of fs/ of Debian's linux-source-6.1 for N = 1 and 2, and prints wall time, CPU time (user + system,
 * worker threads included), files, functions, findings, files/second and the child's peak RSS (/usr/bin/time's
 * maximum resident set size, or the highest VmHWM polled from /proc when /usr/bin/time is absent).
 * Environment: VFSLOCK_BENCH_CLI another cli.js (e.g. a build of an older commit, for before/after figures),
 * VFSLOCK_BENCH_JOBS a comma-separated list of N (default 1,2), VFSLOCK_BENCH_ARGS extra check arguments
 * (e.g. --index), VFSLOCK_LINUX_DIR the tree (see linux-source.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../test/helpers/corpus';
import { linuxTree } from './linux-source';

const CLI = process.env.VFSLOCK_BENCH_CLI ?? join(PROJECT_ROOT, 'dist', 'cli.js');
const EXTRA = (process.env.VFSLOCK_BENCH_ARGS ?? '').split(/\s+/).filter(Boolean);
const JOBS = (process.env.VFSLOCK_BENCH_JOBS ?? '1,2')
  .split(',')
  .map(Number)
  .filter((n) => n >= 1);
const TIME = '/usr/bin/time';

interface Run {
  jobs: number;
  ms: number;
  /** User + system CPU seconds of the child (null without /usr/bin/time). */
  cpu: number | null;
  status: number | null;
  files: number;
  functions: number;
  findings: Record<string, number>;
  errors: number;
  peakKiB: number;
  peakFrom: string;
}

interface JsonReport {
  findings: { severity: string }[];
  errors: unknown[];
  stats: { files: number; functions: number; ms: number };
}

function vmHWM(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function run(dir: string, jobs: number): Promise<Run> {
  const args = [CLI, 'check', '--jobs', String(jobs), '--format', 'json', ...EXTRA, dir];
  const tmp = mkdtempSync(join(tmpdir(), 'vfslock-tree-'));
  const timeOut = join(tmp, 'maxrss');
  const useTime = existsSync(TIME);
  const t0 = performance.now();
  const child = useTime
    ? spawn(TIME, ['-f', '%M %U %S', '-o', timeOut, process.execPath, ...args])
    : spawn(process.execPath, args);
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.on('data', (c: Buffer) => process.stderr.write(c));
  let polled = 0;
  const poll = useTime ? null : setInterval(() => (polled = Math.max(polled, vmHWM(child.pid ?? 0))), 20);
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const ms = performance.now() - t0;
  if (poll) clearInterval(poll);
  const timed = useTime ? readFileSync(timeOut, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) : null;
  const peakKiB = timed ? timed[0] : polled;
  const cpu = timed ? timed[1] + timed[2] : null;
  rmSync(tmp, { recursive: true, force: true });
  const report = JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonReport;
  const findings: Record<string, number> = { error: 0, warning: 0, info: 0 };
  for (const f of report.findings) findings[f.severity] = (findings[f.severity] ?? 0) + 1;
  return {
    jobs,
    ms,
    cpu,
    status,
    files: report.stats.files,
    functions: report.stats.functions,
    findings,
    errors: report.errors.length,
    peakKiB,
    peakFrom: useTime ? '/usr/bin/time %M' : 'polled VmHWM',
  };
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} missing: run node scripts/build.mjs first`);
  const tree = linuxTree();
  if (!tree) {
    console.log('tree bench skipped: linux-source-6.1 not available (apt-get install linux-source-6.1)');
    return;
  }
  const dir = join(tree, 'fs');
  console.log(
    `vfslock check over ${dir} (child process, wall time includes start-up; ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(2)})`,
  );
  console.log(`cli ${CLI}${EXTRA.length ? ' ' + EXTRA.join(' ') : ''}`);
  console.log('jobs  wall s   CPU s   files  functions  findings (err/warn/info)  files/s  peak RSS MiB  exit');
  let peakFrom = '';
  for (const jobs of JOBS) {
    const r = await run(dir, jobs);
    peakFrom = r.peakFrom;
    const total = r.findings.error + r.findings.warning + r.findings.info;
    const split = `${total} (${r.findings.error}/${r.findings.warning}/${r.findings.info})`;
    console.log(
      `${String(r.jobs).padStart(4)} ${(r.ms / 1000).toFixed(1).padStart(7)} ${(r.cpu === null ? '-' : r.cpu.toFixed(1)).padStart(7)} ${String(r.files).padStart(7)} ${String(r.functions).padStart(10)}  ${split.padEnd(24)} ${(r.files / (r.ms / 1000)).toFixed(1).padStart(8)} ${(r.peakKiB / 1024).toFixed(0).padStart(13)} ${String(r.status).padStart(5)}${r.errors ? `  (${r.errors} unreadable)` : ''}`,
    );
  }
  console.log(`peak RSS: ${peakFrom}; exit 1 = error-severity findings present`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
