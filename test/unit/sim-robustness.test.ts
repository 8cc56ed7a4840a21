/**
 * Explorer robustness (issue 11): deep inputs end with a result or a bound (no "Maximum call stack size
 * exceeded"), the state and memory budgets stop the search with a clear bound, the memory estimate holds
 * against the measured heap, exploration can be cancelled (directly, in slices, through the session and in the
 * worker thread while it keeps answering other requests), and `vfslock simulate --format svg` writes the
 * panel's SVG.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { Analyzer } from '../../src/core/engine';
import { nodeWasmSource } from '../../src/core/parse/node-wasm';
import { builtinNamed } from '../../src/sim/builtins';
import { compileScenario } from '../../src/sim/lang/compile';
import { explore, exploreAsync, exploreWork, hasCycle } from '../../src/sim/explore';
import { simulateProgram } from '../../src/sim/run';
import { simulateFunction, simulateRequest, simulateText } from '../../src/sim/simulate';
import { replay } from '../../src/sim/trace';
import { exportTrace } from '../../src/webview/export';
import { isSafeSvgExport } from '../../src/extension/pure/webview-messages';
import { Session } from '../../src/service/session';
import { main } from '../../src/cli/main';
import type { Program } from '../../src/sim/program';
import type { ResponseMessage } from '../../src/service/protocol';
import { PROJECT_ROOT } from '../helpers/corpus';
import {
  gotoLoopScenario,
  longStraightFunction,
  longThreadScenario,
  manyBranchesFunction,
  manyThreadsScenario,
} from '../helpers/deep-inputs';

let analyzer: Analyzer;
before(async () => {
  analyzer = await Analyzer.create(nodeWasmSource());
});

function compile(text: string): Program {
  const r = compileScenario(text, 'gen.vfsrace');
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return r.program!;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false });
  return { code, out, err };
}

// ---------------------------------------------------------------- deep inputs

test('5 threads x 3 steps in goto loops: explored to the end (the recursive search overflowed the stack)', () => {
  const o = simulateText(gotoLoopScenario(5), 'goto-loops.vfsrace');
  assert.ok('result' in o, 'error' in o ? o.error : '');
  const r = o.result;
  console.log(`# goto loops: ${r.verdict}, ${r.states} states, ${r.transitions} transitions, ${r.ms.toFixed(0)} ms`);
  assert.equal(r.verdict, 'safe');
  assert.equal(r.complete, true);
  assert.equal(r.bound, undefined);
  // Each actor's loop is 5 instructions (open is three: get_write_access, break_lease, do_dentry_open); the 5
  // loops are independent, and every combination of positions is reached: 5^5 states.
  assert.equal(r.states, 5 ** 5);
  const full = explore(compile(gotoLoopScenario(5)), { reduction: 'none' });
  assert.equal(full.verdict, 'safe');
  assert.equal(full.complete, true);
  assert.equal(full.states, 5 ** 5);
});

test('a C function with 500 guarded breaks: simulated to a verdict (the recursive search overflowed the stack)', () => {
  const o = simulateFunction(analyzer, 'many.c', manyBranchesFunction(500), 'many_branches', '6.12');
  assert.ok('result' in o, 'error' in o ? o.error : '');
  const r = o.result;
  console.log(`# 500 branches: ${r.verdict}, ${r.states} states, ${r.transitions} transitions, ${r.ms.toFixed(0)} ms`);
  assert.equal(r.verdict, 'safe', r.message);
  assert.equal(r.complete, true);
  assert.ok(r.program!.threads[0].instrs.length > 2000, `${r.program!.threads[0].instrs.length} instructions`);
  assert.ok(r.states > 1000);
});

test('the same function with its last break deleted: a violation whose trace reaches the ->setattr() line', () => {
  const text = manyBranchesFunction(500, 'many_branches', true);
  const finding = analyzer
    .check('many.c', text, { kernel: '6.12' })
    .findings.find((f) => f.ruleId === 'deleg/missing-break');
  assert.ok(finding, 'check flags the mutant');
  const o = simulateFunction(analyzer, 'many.c', text, 'many_branches', '6.12');
  assert.ok('result' in o, 'error' in o ? o.error : '');
  assert.equal(o.result.verdict, 'violation');
  assert.equal(o.result.invariant, 'deleg-change');
  assert.equal(o.result.trace[o.result.conflict![1]].line, finding.line);
});

test('9,000 statements without events between the lock and the break: bridged without deep recursion', () => {
  const o = simulateFunction(analyzer, 'long.c', longStraightFunction(9000), 'long_straight', '6.12');
  assert.ok('result' in o, 'error' in o ? o.error : '');
  assert.equal(o.result.verdict, 'safe', o.result.message);
  assert.equal(o.result.complete, true);
});

test('a thread of 40,000 steps: one path that deep is searched, replayed and has no cycle', () => {
  const p = compile(longThreadScenario(20000));
  assert.equal(hasCycle(p.threads[0].instrs), false);
  const r = simulateProgram(p);
  assert.equal(r.verdict, 'safe');
  assert.equal(r.states, 40002);
  const looped = p.threads[0].instrs.map((i, n) => (n === p.threads[0].instrs.length - 2 ? { ...i, next: [0] } : i));
  assert.equal(hasCycle(looped), true);
  assert.equal(replay(p, r.schedule).steps.length, r.schedule.length);
});

// ---------------------------------------------------------------- budgets

test('state budget: "bound reached" with the limit, the states explored and what they prove', () => {
  const p = compile(manyThreadsScenario(8));
  const r = simulateProgram(p, { maxStates: 500 });
  assert.equal(r.verdict, 'safe');
  assert.equal(r.complete, false);
  assert.equal(r.bound?.kind, 'states');
  assert.equal(r.bound?.limit, 500);
  assert.equal(r.states, 500);
  assert.match(
    r.bound!.message,
    /^State limit reached \(500 states\) after 500 states and \d+ transitions: no violation of deleg-change, deadlock, lock-balance in the part explored/,
  );
});

test('memory budget: the search stops at the estimate, and the estimate is not below the measured heap', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const p = compile(manyThreadsScenario(60));
  const budget = 16 * 1048576;
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  let yields = 0;
  const w = exploreWork(p, { maxBytes: budget, minimize: false });
  let next = w.next();
  for (; !next.done; next = w.next()) {
    if (++yields % 8 === 0) {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - base);
    }
  }
  const r = next.value;
  console.log(
    `# 60 threads, ${budget / 1048576} MiB budget: ${r.states} states, estimated peak ${(r.bytes / 1048576).toFixed(1)} MiB, measured ${(peak / 1048576).toFixed(1)} MiB`,
  );
  assert.equal(r.bound?.kind, 'memory');
  assert.match(r.bound!.message, /^Memory budget reached \(about 16 MiB estimated\) after \d+ states/);
  assert.ok(r.bytes > budget && r.bytes < budget * 1.1, `estimated peak ${r.bytes}`);
  assert.ok(r.states > 1000, `${r.states} states`);
  assert.ok(
    peak < budget * 1.25,
    `measured heap growth ${(peak / 1048576).toFixed(1)} MiB for a ${budget / 1048576} MiB budget`,
  );
});

test('depth bound: a loop growing a reference count forever stops at the longest schedule searched', () => {
  const text = 'kernel 6.12\ninode d : dir\ninode f : file at d/f\nactor grab {\n  top:\n  iget f\n  goto top\n}\n';
  const r = simulateProgram(compile(text), { maxDepth: 5000 });
  assert.equal(r.bound?.kind, 'depth');
  assert.match(r.bound!.message, /^Depth limit reached \(a schedule of 5000 steps\) after 500[01] states/);
  const byDefault = explore(compile(text), { maxStates: 200_000 });
  assert.equal(byDefault.bound?.kind, 'depth', 'the default depth limit (100,000 steps) comes before 200,000 states');
});

test('a violation found before a bound is still reported, with the bound noted', () => {
  const text = `kernel 6.12
inode d : dir
inode f : file at d/f
client nfs {
  grant f
  await_recall f
  delegreturn f
}
thread t {
  setattr f
}
`;
  const r = simulateProgram(compile(text), { maxStates: 1000, stopAtFirst: false, maxBytes: 1 << 30 });
  assert.equal(r.verdict, 'violation');
  const tiny = simulateProgram(compile(text), { maxStates: 2 });
  assert.equal(tiny.bound?.kind, 'states');
});

test('CLI: a bound reached exits 3 and says so first; --max-memory takes MiB', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vfslock-bound-'));
  const file = join(dir, 'threads.vfsrace');
  writeFileSync(file, manyThreadsScenario(8));
  const states = await cli(['simulate', file, '--max-states', '100']);
  assert.equal(states.code, 3, states.err);
  assert.match(states.out.split('\n')[1], /^BOUND REACHED: State limit reached \(100 states\)/);
  const memory = await cli(['simulate', file, '--max-memory', '1', '--format', 'json']);
  assert.equal(memory.code, 3, memory.err);
  const j = JSON.parse(memory.out);
  assert.equal(j.complete, false);
  assert.equal(j.bound.kind, 'memory');
  assert.equal(j.bound.limit, 1048576);
  assert.equal((await cli(['simulate', file, '--max-memory', 'lots'])).code, 2);
});

// ---------------------------------------------------------------- cancellation

test('cancellation: an aborted signal stops the search at the next chunk with a "cancelled" bound', async () => {
  const p = compile(manyThreadsScenario(12));
  const pre = explore(p, { signal: { aborted: true } });
  assert.equal(pre.bound?.kind, 'cancelled');
  assert.ok(pre.states <= 256, `${pre.states} states before the first poll`);
  assert.match(pre.bound!.message, /^Simulation cancelled after \d+ states/);
  const controller = new AbortController();
  const t0 = performance.now();
  setTimeout(() => controller.abort(), 100);
  const r = await exploreAsync(p, { signal: controller.signal });
  const ms = performance.now() - t0;
  assert.equal(r.bound?.kind, 'cancelled');
  assert.ok(ms < 3000, `stopped ${ms.toFixed(0)} ms after start (cancelled at 100 ms)`);
  assert.ok(r.states > 0);
});

test('cancellation through the session: simulate answers with the partial result', async () => {
  const session = new Session(analyzer);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const o = await session.simulate(
    { kind: 'scenario', text: manyThreadsScenario(12), source: 'many.vfsrace' },
    {},
    controller.signal,
  );
  assert.ok('result' in o);
  assert.equal(o.result.bound?.kind, 'cancelled');
  assert.equal(o.result.traceKind, 'none', 'no witness search after a cancellation');
  const done = await simulateRequest(() => analyzer, { kind: 'builtin', name: 'rename-vs-grant-pre313' });
  assert.ok('result' in done && done.result.verdict === 'violation');
});

const WORKER = join(PROJECT_ROOT, 'dist', 'worker.js');

test(
  'the worker thread answers other requests while it simulates, and stops on { cancel }',
  { skip: !existsSync(WORKER) && 'dist/worker.js not built' },
  async () => {
    const w = new Worker(WORKER);
    try {
      const replies = new Map<number, { at: number; msg: ResponseMessage }>();
      const t0 = performance.now();
      const ready = new Promise<void>((resolve) =>
        w.on('message', (m: { ready?: boolean } & ResponseMessage) => {
          if ('ready' in m) return resolve();
          replies.set(m.id, { at: performance.now() - t0, msg: m });
        }),
      );
      await ready;
      const waitFor = async (id: number) => {
        while (!replies.has(id)) await new Promise((r) => setTimeout(r, 5));
        return replies.get(id)!;
      };
      w.postMessage({
        id: 1,
        method: 'simulate',
        params: { request: { kind: 'scenario', text: manyThreadsScenario(12), source: 'many.vfsrace' } },
      });
      w.postMessage({
        id: 2,
        method: 'check',
        params: { file: 'a.c', text: 'int f(void) { return 0; }\n', options: {}, catalogue: '' },
      });
      const check = await waitFor(2);
      assert.equal(check.msg.ok, true);
      assert.equal(replies.has(1), false, 'the simulation is still running when the check is answered');
      w.postMessage({ cancel: 1 });
      const sim = await waitFor(1);
      assert.equal(sim.msg.ok, true);
      const outcome = (sim.msg as { result: { result: { bound?: { kind: string }; states: number } } }).result;
      assert.equal(outcome.result.bound?.kind, 'cancelled');
      console.log(
        `# worker: check answered at ${check.at.toFixed(0)} ms during the simulation; cancelled at ${sim.at.toFixed(0)} ms after ${outcome.result.states} states`,
      );
    } finally {
      await w.terminate();
    }
  },
);

// ---------------------------------------------------------------- SVG

test("CLI: --format svg writes the panel's SVG export, well formed, exit status as for text", async () => {
  const { code, out, err } = await cli(['simulate', 'builtin:rename-vs-grant-pre313', '--format', 'svg']);
  assert.equal(code, 1, err);
  assert.ok(isSafeSvgExport(out), "only the trace printer's elements, balanced and escaped");
  assert.match(out, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+"/);
  assert.match(out, /VIOLATION \[deleg-change\]/);
  assert.match(out, /locks_insert_lease/);
  assert.match(out, /<\/svg>\n$/);
  const o = simulateText(builtinNamed('rename-vs-grant-pre313')!.text, 'builtin:rename-vs-grant-pre313');
  assert.ok('result' in o);
  assert.equal(out, exportTrace(o.result, 'svg', false), "the same printer as the panel's Export SVG");
  const safe = await cli(['simulate', 'builtin:rename-vs-grant-313', '--format', 'svg']);
  assert.equal(safe.code, 0);
  assert.ok(isSafeSvgExport(safe.out));
  assert.match(safe.out, /— safe</);
  const cost = await cli(['simulate', 'builtin:inode-field-cost', '--format', 'svg']);
  assert.equal(cost.code, 2);
  assert.match(cost.err, /no trace to draw/);
});

test('SVG of a bounded search says no violation was found in the part explored, and why it stopped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vfslock-svg-'));
  const file = join(dir, 'threads.vfsrace');
  writeFileSync(file, manyThreadsScenario(6));
  const { code, out, err } = await cli(['simulate', file, '--format', 'svg', '--max-states', '50']);
  assert.equal(code, 3);
  assert.ok(isSafeSvgExport(out));
  assert.match(out, /no violation in the part explored \(bound reached\)/);
  assert.match(out, /State limit reached \(50 states\)/);
  assert.match(err, /State limit reached/);
});
