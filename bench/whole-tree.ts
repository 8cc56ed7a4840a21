/**
 * `npm run bench:whole-tree [-- TREE... ] [--dirs fs,security] [--jobs N] [--json OUT] [--index]`: the whole-tree triage run.
 *
 * Runs `vfslock check --jobs N --format json` (dist/cli.js, as a child process) over the given subdirectories (default
 * fs/) of each kernel tree: the arguments, else VFSLOCK_LINUX_SRC (':'-separated), else every extracted Debian
 * linux-source-* found as bench/linux-source.ts looks for them (/work/trees, /usr/src, the bench cache). For each tree it
 * prints wall and CPU time, counts by rule and severity, and every error/warning finding with the verdict recorded for
 * it by hand in bench/whole-tree-verdicts.json (real / false, with the class of a false one), then the precision over
 * the judged findings. Findings nobody has judged yet are marked `UNJUDGED`: read them in the kernel source and add a
 * verdict (docs/whole-tree.md explains each recorded one).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { PROJECT_ROOT } from '../test/helpers/corpus';
import { linuxTrees, type LinuxTree } from './linux-source';

const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');
const VERDICTS = join(PROJECT_ROOT, 'bench', 'whole-tree-verdicts.json');
const TIME = '/usr/bin/time';

interface Finding {
  ruleId: string;
  severity: string;
  file: string;
  line: number;
  function?: string;
  inode?: string;
  message: string;
}

interface Report {
  findings: Finding[];
  errors: unknown[];
  stats: { files: number; functions: number; ms: number };
}

export interface Verdict {
  /** Kernel release the verdict was made on (major.minor: "6.12"). */
  version: string;
  file: string;
  function: string;
  rule: string;
  line: number;
  verdict: 'real' | 'false';
  /** For a false finding: the class of analyzer behaviour (docs/whole-tree.md lists them with a snippet each). */
  class?: string;
  reason: string;
  /** Set when the finding was judged on a branch's output before its merge (e.g. a new rule). */
  seenBy?: string;
}

function loadVerdicts(): Verdict[] {
  return existsSync(VERDICTS) ? (JSON.parse(readFileSync(VERDICTS, 'utf8')).verdicts as Verdict[]) : [];
}

/**
 * The verdict for a finding: same release, file, function, rule and line; else, when every verdict recorded for that
 * file, function and rule agrees, that one (the analyzer may report the same defect on a neighbouring line).
 */
export function verdictFor(verdicts: Verdict[], version: string, file: string, f: Finding): Verdict | undefined {
  const same = verdicts.filter(
    (v) =>
      (version === v.version || version.startsWith(`${v.version}.`)) &&
      v.file === file &&
      v.function === f.function &&
      v.rule === f.ruleId,
  );
  const exact = same.find((v) => v.line === f.line);
  if (exact) return exact;
  return same.length && same.every((v) => v.verdict === same[0].verdict && v.class === same[0].class)
    ? same[0]
    : undefined;
}

async function check(
  dirs: string[],
  jobs: number,
  extra: string[],
): Promise<{ report: Report; wallMs: number; cpuS: number | null; status: number | null }> {
  const args = [CLI, 'check', '--jobs', String(jobs), '--format', 'json', ...extra, ...dirs];
  const tmp = mkdtempSync(join(tmpdir(), 'vfslock-whole-'));
  const timeOut = join(tmp, 'cpu');
  const useTime = existsSync(TIME);
  const t0 = performance.now();
  const child = useTime
    ? spawn(TIME, ['-f', '%U %S', '-o', timeOut, process.execPath, ...args])
    : spawn(process.execPath, args);
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.on('data', (c: Buffer) => process.stderr.write(c));
  const status = await new Promise<number | null>((r) => child.on('close', r));
  const wallMs = performance.now() - t0;
  let cpuS: number | null = null;
  if (useTime) {
    const [u, s] = readFileSync(timeOut, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    cpuS = u + s;
  }
  rmSync(tmp, { recursive: true, force: true });
  return { report: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Report, wallMs, cpuS, status };
}

function parseArgs(argv: string[]): {
  trees: string[];
  dirs: string[];
  jobs: number;
  json: string | null;
  extra: string[];
} {
  const trees: string[] = [];
  let dirs = ['fs'];
  let jobs = Math.min(2, cpus().length);
  let json: string | null = null;
  const extra: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dirs') dirs = argv[++i].split(',').filter(Boolean);
    else if (a === '--jobs') jobs = Number(argv[++i]);
    else if (a === '--json') json = argv[++i];
    else if (a === '--index' || a === '--no-index') extra.push(a);
    else trees.push(resolve(a));
  }
  return { trees, dirs, jobs, json, extra };
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} missing: run node scripts/build.mjs first`);
  const opts = parseArgs(process.argv.slice(2));
  let trees: LinuxTree[];
  if (opts.trees.length) {
    process.env.VFSLOCK_LINUX_SRC = opts.trees.join(':');
    trees = linuxTrees();
  } else trees = linuxTrees();
  if (!trees.length) {
    console.log(
      'no kernel tree found: pass one as an argument, set VFSLOCK_LINUX_SRC, or extract a Debian linux-source-* into /work/trees or /usr/src',
    );
    return;
  }
  const verdicts = loadVerdicts();
  const saved: Record<string, Report> = {};
  for (const tree of trees) {
    const dirs = opts.dirs.map((d) => join(tree.dir, d)).filter((d) => existsSync(d));
    const { report, wallMs, cpuS, status } = await check(dirs, opts.jobs, opts.extra);
    saved[tree.dir] = report;
    console.log(
      `\n== ${tree.dir} (${tree.version}): ${opts.dirs.join(', ')}${opts.extra.length ? ` (${opts.extra.join(' ')})` : ''}`,
    );
    console.log(
      `   ${report.stats.files} files, ${report.stats.functions} functions, wall ${(wallMs / 1000).toFixed(1)} s${cpuS !== null ? `, CPU ${cpuS.toFixed(1)} s` : ''} (--jobs ${opts.jobs}), exit ${status}${report.errors.length ? `, ${report.errors.length} unreadable` : ''}`,
    );
    const counts = new Map<string, number>();
    for (const f of report.findings)
      counts.set(`${f.ruleId} ${f.severity}`, (counts.get(`${f.ruleId} ${f.severity}`) ?? 0) + 1);
    for (const [k, n] of [...counts].sort()) console.log(`   ${String(n).padStart(5)}  ${k}`);
    const serious = report.findings.filter((f) => f.severity === 'error' || f.severity === 'warning');
    let real = 0;
    let falses = 0;
    const classes = new Map<string, number>();
    console.log(`   error/warning findings: ${serious.length}`);
    for (const f of serious) {
      const file = relative(tree.dir, f.file);
      const v = verdictFor(verdicts, tree.version, file, f);
      if (v?.verdict === 'real') real++;
      if (v?.verdict === 'false') {
        falses++;
        classes.set(v.class ?? '?', (classes.get(v.class ?? '?') ?? 0) + 1);
      }
      const tag = v ? (v.verdict === 'real' ? 'REAL ' : `FALSE[${v.class ?? '?'}]`) : 'UNJUDGED';
      console.log(
        `   ${tag.padEnd(14)} ${file}:${f.line} ${f.function ?? '?'} ${f.ruleId} (${f.severity}) ${f.message.split('. ')[0]}`,
      );
    }
    const judged = real + falses;
    console.log(
      `   judged ${judged} of ${serious.length}: real ${real}, false ${falses}${judged ? `, precision ${((100 * real) / judged).toFixed(0)} %` : ''}`,
    );
    if (classes.size) console.log(`   false by class: ${[...classes].map(([c, n]) => `${c} ${n}`).join(', ')}`);
    // Verdicts of this release that no longer match a finding (fixed false positives, or real ones lost).
    const gone = verdicts.filter(
      (v) =>
        (tree.version === v.version || tree.version.startsWith(`${v.version}.`)) &&
        opts.dirs.some((d) => v.file.startsWith(`${d}/`)) &&
        !serious.some((f) => relative(tree.dir, f.file) === v.file && f.function === v.function && f.ruleId === v.rule),
    );
    for (const v of gone) {
      const what = v.seenBy
        ? `not reported (judged on the ${v.seenBy})`
        : `no longer reported (${v.verdict === 'real' ? 'LOST real finding' : 'fixed false finding'})`;
      console.log(`   ${what}: ${v.file}:${v.line} ${v.function} ${v.rule}`);
    }
  }
  if (opts.json) writeFileSync(opts.json, JSON.stringify(saved, null, 1));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
