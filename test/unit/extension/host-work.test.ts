/**
 * What Check Workspace leaves to the extension host's thread, and how its lag is measured: the worker decodes the
 * bytes and computes positions (service/session.ts), runs at a lower priority (service/thread-priority.ts, the built
 * dist/worker.js), and the lag sampler tells a busy thread from a descheduled one (pure/lag.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PROJECT_ROOT, sharedAnalyzer } from '../../helpers/corpus';
import { Session } from '../../../src/service/session';
import { dispatch } from '../../../src/service/protocol';
import { LineMap } from '../../../src/service/lines';
import { LagSampler } from '../../../src/extension/pure/lag';

test('check from bytes with positions: the same findings as from text, every offset the host needs positioned', async () => {
  const s = new Session(await sharedAnalyzer());
  // CRLF line ends, a UTF-8 multi-byte comment (é, 😀: the positions are UTF-16 columns) and a finding after them.
  const text =
    '// é 😀\r\n' + readFileSync(join(PROJECT_ROOT, 'examples', 'missing_break.c'), 'utf8').replace(/\n/g, '\r\n');
  const bytes = new TextEncoder().encode(text);
  const fromText = dispatch(s, 'check', { file: 'a.c', text, options: {}, catalogue: '' });
  const fromBytes = dispatch(s, 'check', { file: 'a.c', bytes, options: {}, catalogue: '', positions: true });
  assert.ok(fromText.findings.length > 0);
  assert.deepEqual(fromBytes.findings, fromText.findings);
  assert.equal(fromText.positions, undefined, 'positions only when asked for');
  const map = new LineMap(text);
  const at = new Map(fromBytes.positions!.map(([o, line, character]) => [o, { line, character }]));
  for (const f of fromBytes.findings) {
    for (const o of [f.start, f.end, ...f.relatedLocated.flatMap((r) => [r.start, r.end])])
      assert.deepEqual(at.get(o), map.positionAt(o), `offset ${o}`);
    assert.equal(at.get(f.start)!.line + 1, f.line);
  }
  const none = dispatch(s, 'check', {
    file: 'b.c',
    bytes: new TextEncoder().encode('int g(void) { return 0; }\n'),
    options: {},
    catalogue: '',
    positions: true,
  });
  assert.deepEqual(none.findings, []);
  s.dispose();
});

test('lag sampler: a descheduled thread (wall time, no CPU) is told from a busy one (CPU time)', () => {
  let wall = 0;
  let cpu = 0;
  const lag = new LagSampler(
    5,
    () => wall,
    () => cpu,
  );
  const tick = (dWall: number, dCpu: number) => {
    wall += dWall;
    cpu += dCpu;
    lag.tick();
  };
  tick(5, 0.1);
  tick(400, 3); // a 395 ms late tick while the thread computed 3 ms: other threads had the CPU
  tick(5, 0.2);
  tick(65, 60); // a 60 ms late tick, 60 ms of it computing
  tick(5, 4); // on time, though busy 4 ms (not lag)
  const r = lag.report();
  assert.equal(r.longestMs, 395);
  assert.equal(r.longestCpuMs, 3);
  assert.equal(r.longestBusyMs, 60);
  assert.equal(r.ticks, 5);
  // Without a thread CPU clock only the wall-clock figure is known.
  let w2 = 0;
  const blind = new LagSampler(5, () => w2);
  w2 += 100;
  blind.tick();
  assert.equal(blind.report().longestMs, 95);
  assert.ok(Number.isNaN(blind.report().longestBusyMs));
});

/** The nice value of every thread of this process (Linux /proc), by thread id. */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
    // Fields after the parenthesised name: state is field 3, nice is field 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(fields[16]));
  }
  return out;
}

test(
  "a background analysis worker lowers only its own thread's priority (Linux)",
  { skip: process.platform !== 'linux' && 'needs /proc' },
  async () => {
    const before = threadNices();
    const start = (data: object | undefined) =>
      new Promise<Worker>((resolve, reject) => {
        const w = new Worker(join(PROJECT_ROOT, 'dist', 'worker.js'), data ? { workerData: data } : {});
        w.once('message', (m: { ready: boolean; error?: string }) =>
          m.ready ? resolve(w) : reject(new Error(m.error)),
        );
        w.once('error', reject);
      });
    const bg = await start({ nice: 10 });
    const fg = await start(undefined);
    try {
      const after = threadNices();
      const added = [...after].filter(([tid]) => !before.has(tid));
      const base = before.get(process.pid)!;
      const want = Math.max(10, base);
      assert.ok(
        added.some(([, nice]) => nice === want),
        `a new thread at nice ${want}: ${JSON.stringify(added)}`,
      );
      assert.equal(after.get(process.pid), base, 'the main thread keeps its priority');
      if (base < 10)
        assert.equal(added.filter(([, nice]) => nice === want).length, 1, "only the background worker's thread");
    } finally {
      await bg.terminate();
      await fg.terminate();
    }
  },
);
