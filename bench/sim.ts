/**
 * Simulator benchmark: time and states/second for every built-in scenario (median of several runs), and a
 * 3-thread × 12-step scenario with and without reduction. Prints numbers; asserts nothing.
 * Targets (issue 4): rename-vs-grant-313 exhaustively in under 100 ms; 3 threads × 12 steps under 2 s with reduction.
 * Then the inputs that used to exhaust the stack or the memory (issue 11), each run as `vfslock simulate --format
 * json` in a child process: its result (verdict or bound message), wall time and peak RSS (/usr/bin/time's maximum
 * resident set size, or the highest VmHWM polled from /proc when /usr/bin/time is absent).
 *   node out/bench/sim.js
 */
import { BUILTINS } from '../src/sim/builtins';
import { compileScenario } from '../src/sim/lang/compile';
import { explore, type Reduction } from '../src/sim/explore';
import { simulateFieldCost } from '../src/sim/run';
import type { Program } from '../src/sim/program';
import { median } from './stats';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../test/helpers/corpus';
import { gotoLoopScenario, manyBranchesFunction, manyThreadsScenario } from '../test/helpers/deep-inputs';

const RUNS = Number(process.env.RUNS ?? 5);

function measure(
  p: Program,
  reduction: Reduction,
): { ms: number; states: number; transitions: number; verdict: string; used: string } {
  const times: number[] = [];
  let last = explore(p, { reduction, minimize: false });
  for (let i = 0; i < RUNS; i++) {
    last = explore(p, { reduction, minimize: false });
    times.push(last.ms);
  }
  return {
    ms: median(times),
    states: last.states,
    transitions: last.transitions,
    verdict: last.verdict,
    used: last.reduction,
  };
}

function row(name: string, m: ReturnType<typeof measure>): string {
  const rate = m.ms > 0 ? Math.round(m.states / (m.ms / 1000)) : 0;
  return `${name.padEnd(34)} ${m.verdict.padEnd(9)} ${String(m.states).padStart(7)} ${String(m.transitions).padStart(8)} ${m.ms.toFixed(2).padStart(9)} ${String(rate).padStart(10)}  ${m.used}`;
}

/** Three threads of twelve steps each over three inodes, locking in a consistent order (no deadlock). */
function threeByTwelve(): Program {
  const thread = (name: string, own: string) => `thread ${name} {
  lock d
  lock ${own}
  try_break_deleg ${own} -> di
  if !err {
    setattr ${own}
  }
  unlock ${own}
  unlock d
  lock ${own}
  setattr ${own}
  unlock ${own}
  lock d
  unlock d
}`;
  const text = `kernel 6.12
inode d : dir
inode a : file at d/a
inode b : file at d/b
inode c : file at d/c
check deleg-change, deadlock, lock-balance
${thread('t1', 'a')}
${thread('t2', 'b')}
${thread('t3', 'c')}
`;
  const r = compileScenario(text, 'bench:3x12');
  if (!r.program) throw new Error(JSON.stringify(r.diagnostics));
  return r.program;
}

console.log(`simulator benchmark (median of ${RUNS} runs; Node ${process.version})`);
console.log(
  `${'scenario'.padEnd(34)} ${'verdict'.padEnd(9)} ${'states'.padStart(7)} ${'trans.'.padStart(8)} ${'ms'.padStart(9)} ${'states/s'.padStart(10)}  reduction`,
);
for (const b of BUILTINS) {
  if (b.kind !== 'race') continue;
  const p = compileScenario(b.text, `builtin:${b.name}`).program!;
  console.log(row(b.name, measure(p, 'por')));
  console.log(row(`  (no reduction)`, measure(p, 'none')));
}
const big = threeByTwelve();
console.log(row('3 threads x 12 steps (por)', measure(big, 'por')));
console.log(row('3 threads x 12 steps (sleep)', measure(big, 'sleep')));
console.log(row('3 threads x 12 steps (none)', measure(big, 'none')));
const t0 = performance.now();
const cost = simulateFieldCost();
console.log(
  `inode-field-cost: ${cost.cache!.length} cache configurations x 300000 accesses in ${(performance.now() - t0).toFixed(0)} ms`,
);

// ---------------------------------------------------------------- deep inputs, in a child process

const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');
const TIME = '/usr/bin/time';

function vmHWM(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

interface ChildRun {
  wallMs: number;
  peakKiB: number;
  status: number | null;
  json: {
    verdict: string;
    states: number;
    ms: number;
    invariant?: string;
    message?: string;
    bound?: { message: string };
  } | null;
  stderr: string;
}

async function child(args: string[], tmp: string): Promise<ChildRun> {
  const timeOut = join(tmp, `maxrss-${Math.random().toString(36).slice(2)}`);
  const useTime = existsSync(TIME);
  const argv = [CLI, 'simulate', ...args, '--format', 'json'];
  const t0 = performance.now();
  const c = useTime
    ? spawn(TIME, ['-f', '%M', '-o', timeOut, process.execPath, ...argv])
    : spawn(process.execPath, argv);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  c.stdout.on('data', (b: Buffer) => out.push(b));
  c.stderr.on('data', (b: Buffer) => err.push(b));
  let polled = 0;
  const poll = useTime ? null : setInterval(() => (polled = Math.max(polled, vmHWM(c.pid ?? 0))), 20);
  const status = await new Promise<number | null>((resolve) => c.on('close', resolve));
  const wallMs = performance.now() - t0;
  if (poll) clearInterval(poll);
  const peakKiB = useTime ? Number(readFileSync(timeOut, 'utf8').trim().split('\n').pop()) : polled;
  let json = null;
  try {
    json = JSON.parse(Buffer.concat(out).toString('utf8'));
  } catch {
    // status 2: no JSON (the error is on stderr)
  }
  return { wallMs, peakKiB, status, json, stderr: Buffer.concat(err).toString('utf8').trim() };
}

async function deepInputs(): Promise<void> {
  console.log('');
  if (!existsSync(CLI)) {
    console.log(`deep inputs skipped: ${CLI} missing (run node scripts/build.mjs first)`);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'vfslock-sim-bench-'));
  try {
    const goto = join(tmp, 'goto-loops.vfsrace');
    writeFileSync(goto, gotoLoopScenario(5));
    const branches = join(tmp, 'many_branches.c');
    writeFileSync(branches, manyBranchesFunction(500));
    const threads = join(tmp, 'sixty-threads.vfsrace');
    writeFileSync(threads, manyThreadsScenario(60));
    const cases: [string, string[]][] = [
      ['5 threads x 3 steps, goto loops', [goto]],
      ['C function, 500 guarded breaks', [`${branches}:many_branches`, '--kernel', '6.12']],
      ['60 threads, --max-states 50000', [threads, '--max-states', '50000']],
      ['60 threads, --max-memory 128', [threads, '--max-memory', '128']],
    ];
    console.log(
      `deep inputs: vfslock simulate in a child process (peak RSS: ${existsSync(TIME) ? '/usr/bin/time %M' : 'polled VmHWM'}; exit 0 safe, 1 violation, 3 bound)`,
    );
    console.log(
      `${'input'.padEnd(34)} ${'exit'.padStart(4)} ${'states'.padStart(7)} ${'explore s'.padStart(9)} ${'wall s'.padStart(7)} ${'peak RSS MiB'.padStart(12)}  result`,
    );
    for (const [name, args] of cases) {
      const r = await child(args, tmp);
      const j = r.json;
      const result = !j
        ? `error: ${r.stderr.split('\n').pop()}`
        : j.verdict === 'violation'
          ? `VIOLATION [${j.invariant}] ${j.message}`
          : j.bound
            ? `BOUND REACHED: ${j.bound.message}`
            : 'SAFE (exhaustive)';
      console.log(
        `${name.padEnd(34)} ${String(r.status).padStart(4)} ${String(j?.states ?? '-').padStart(7)} ${(j ? (j.ms / 1000).toFixed(2) : '-').padStart(9)} ${(r.wallMs / 1000).toFixed(1).padStart(7)} ${(r.peakKiB / 1024).toFixed(0).padStart(12)}  ${result}`,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

deepInputs().catch((e) => {
  console.error(e);
  process.exit(1);
});
