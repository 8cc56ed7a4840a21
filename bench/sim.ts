/**
 * Simulator benchmark: time and states/second for every built-in scenario (median of several runs), and a
 * 3-thread × 12-step scenario with and without reduction. Prints numbers; asserts nothing.
 * Targets (issue 4): rename-vs-grant-313 exhaustively in under 100 ms; 3 threads × 12 steps under 2 s with reduction.
 *   node out/bench/sim.js
 */
import { BUILTINS } from '../src/sim/builtins';
import { compileScenario } from '../src/sim/lang/compile';
import { explore, type Reduction } from '../src/sim/explore';
import { simulateFieldCost } from '../src/sim/run';
import type { Program } from '../src/sim/program';
import { median } from './stats';

const RUNS = Number(process.env.RUNS ?? 5);


function measure(p: Program, reduction: Reduction): { ms: number; states: number; transitions: number; verdict: string; used: string } {
  const times: number[] = [];
  let last = explore(p, { reduction, minimize: false });
  for (let i = 0; i < RUNS; i++) {
    last = explore(p, { reduction, minimize: false });
    times.push(last.ms);
  }
  return { ms: median(times), states: last.states, transitions: last.transitions, verdict: last.verdict, used: last.reduction };
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
console.log(`${'scenario'.padEnd(34)} ${'verdict'.padEnd(9)} ${'states'.padStart(7)} ${'trans.'.padStart(8)} ${'ms'.padStart(9)} ${'states/s'.padStart(10)}  reduction`);
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
console.log(`inode-field-cost: ${cost.cache!.length} cache configurations x 300000 accesses in ${(performance.now() - t0).toFixed(0)} ms`);
