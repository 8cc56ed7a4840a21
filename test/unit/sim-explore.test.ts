/**
 * The explorer on the built-in scenarios (verdicts with state counts in the output), deterministic replay,
 * reduction against full search on random scenarios (fast-check), and the language's diagnostics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BUILTINS } from '../../src/sim/builtins';
import { compileScenario } from '../../src/sim/lang/compile';
import { simulateProgram } from '../../src/sim/run';
import { explore } from '../../src/sim/explore';
import { replay, ReplayError } from '../../src/sim/trace';
import { simulateBuiltin } from '../../src/sim/simulate';
import type { Program } from '../../src/sim/program';

function compile(text: string, set?: Record<string, string>, kernel?: string): Program {
  const r = compileScenario(text, 'test.vfsrace', { set, kernel });
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return r.program!;
}

function builtin(name: string, set?: Record<string, string>, kernel?: string) {
  const o = simulateBuiltin(name, { set, kernel });
  assert.ok('result' in o, 'error' in o ? o.error : '');
  const r = o.result;
  console.log(
    `# ${name}${set ? ` ${JSON.stringify(set)}` : ''}${kernel ? ` kernel ${kernel}` : ''}: ${r.verdict}${r.invariant ? ` [${r.invariant}]` : ''}, ${r.states} states, ${r.transitions} transitions, ${r.ms.toFixed(1)} ms, reduction ${r.reduction}`,
  );
  return r;
}

test('(1) rename vs grant before 3.13: the explorer finds the grant between the break and the rename', () => {
  const r = builtin('rename-vs-grant-pre313');
  assert.equal(r.verdict, 'violation');
  assert.equal(r.invariant, 'deleg-change');
  const [grant, change] = r.conflict!;
  assert.equal(r.trace[grant].action, 'locks_insert_lease');
  assert.equal(r.trace[grant].threadName, 'nfs');
  assert.equal(r.trace[change].action, 'vfs_rename');
  assert.equal(r.trace[change].line, 14, 'the step links to its scenario line');
  assert.equal(r.trace[0].action, 'break_lease', 'the rename broke (nothing) first: the grant came after');
});

test('(2) rename vs grant in 3.13: proved safe, exhaustively', () => {
  const reduced = builtin('rename-vs-grant-313');
  assert.equal(reduced.verdict, 'safe');
  assert.equal(reduced.complete, true);
  assert.equal(reduced.reduction, 'por');
  const full = simulateBuiltin('rename-vs-grant-313', {}, { reduction: 'none' });
  assert.ok('result' in full);
  assert.equal(full.result.verdict, 'safe');
  assert.ok(
    reduced.states < full.result.states,
    `reduction should visit fewer states (${reduced.states} vs ${full.result.states})`,
  );
  assert.equal(reduced.traceKind, 'witness');
  assert.ok(
    reduced.trace.some((s) => s.action === 'DELEGRETURN' && /returned/.test(s.detail)),
    'the example run shows the recall being answered',
  );
});

test('(2) without the source lock (6cedba8962f4 reverted) the 3.13 grant trylock alone does not help', () => {
  const text = BUILTINS[1].text
    .replace('  lock f                      # lock_two_nondirectories(source, target)\n', '')
    .replace('  unlock f\n', '');
  const r = simulateProgram(compile(text));
  assert.equal(r.verdict, 'violation');
  assert.equal(r.invariant, 'deleg-change');
});

test('(3) unlink meets a delegation: EWOULDBLOCK, unlock, wait, retry is safe and terminates', () => {
  const r = builtin('unlink-recall-retry');
  assert.equal(r.verdict, 'safe');
  const actions = r.trace.map((s) => s.action);
  assert.ok(
    actions.includes('break_deleg_wait') && actions.filter((a) => a === 'try_break_deleg').length === 2,
    actions.join(' '),
  );
});

test('(4) a blocking break under the directory lock stalls the directory', () => {
  const r = builtin('blocking-break-stall');
  assert.equal(r.invariant, 'sleep-under-lock');
  assert.match(r.message!, /up to lease_break_time = 45 s holding dir->i_rwsem; create stalls behind it/);
  const longer = builtin('blocking-break-stall', { lease_break_time: '90' });
  assert.match(longer.message!, /90 s/);
});

test('(5) re-grant in the wait window: no progress; nfsd recall blocking restores it', () => {
  const r = builtin('regrant-window');
  assert.equal(r.invariant, 'progress');
  assert.ok(r.cycleStart !== undefined && r.cycleStart > 0 && r.cycleStart < r.trace.length);
  const cycle = r.trace.slice(r.cycleStart);
  assert.ok(
    cycle.some((s) => s.action === 'locks_insert_lease') &&
      cycle.some((s) => s.threadName === 'unlink' && s.action === 'try_break_deleg'),
  );
  const blocked = builtin('regrant-window', { recall_block: 'on' });
  assert.equal(blocked.verdict, 'safe');
});

test('progress without delegations: the message names the loop, not a grant that never happens', () => {
  // A thread that may retry a lock/unlock for ever on a free choice: no inode is ever leased or delegated.
  const spin = simulateProgram(
    compile(`scenario "spin"
lock m : mutex
inode f : file
thread t {
retry:
  lock m
  unlock m
  if ? {
    goto retry
  }
}
check progress
`),
  );
  assert.equal(spin.invariant, 'progress');
  assert.equal(
    spin.message,
    't can loop forever: the schedule from step 4 on repeats without end (the loop takes mutex_lock, mutex_unlock; nothing in it grants a delegation or lease)',
  );
  assert.doesNotMatch(spin.message!, /granted in every|delegation is granted/);
  // A non-blocking break retried while a lease holder keeps its lease: no new grant in the loop, and it says so.
  const lease = simulateProgram(
    compile(`scenario "lease again"
inode f : file
thread opener {
again:
  break_lease f nonblock
  if err {
    goto again
  }
}
client holder {
  loop {
    grant f lease read
    delegreturn f
  }
}
check progress
`),
  );
  assert.equal(lease.invariant, 'progress');
  assert.equal(
    lease.message,
    'opener can loop forever: the schedule from step 7 on repeats without end (the loop takes break_lease; a lease stays granted throughout, and nothing in the loop grants a new one)',
  );
  // The built-in with the unlock–wait–relock window keeps its wording.
  assert.match(
    builtin('regrant-window').message!,
    /\(a new delegation is granted in every unlock–wait–relock window\)$/,
  );
});

test('(6) open for write vs grant: a race on 3.13, closed by the re-check after insertion (4.x)', () => {
  const r = builtin('open-vs-grant');
  assert.equal(r.invariant, 'deleg-writer');
  const [open, grant] = r.conflict!;
  assert.equal(r.trace[open].action, 'get_write_access');
  assert.equal(r.trace[grant].action, 'locks_insert_lease');
  assert.equal(builtin('open-vs-grant', undefined, '4.19').verdict, 'safe');
});

test('(7) directory delegation vs create: the ->atomic_open branch changes a delegated directory', () => {
  const r = builtin('dir-deleg-create');
  assert.equal(r.invariant, 'deleg-change');
  assert.match(r.message!, /dir's entries change/);
  const onlyCreate = `kernel 6.19
inode dir : dir
inode x : file
thread creat {
retry:
  lock dir
  try_break_deleg dir -> di
  if !err {
    create dir/x as x
  }
  unlock dir
  if di {
    break_deleg_wait di
    goto retry
  }
}
client nfs {
  grant dir deleg read
  if !err {
    await_recall dir
    delegreturn dir
  }
}`;
  assert.equal(simulateProgram(compile(onlyCreate)).verdict, 'safe', 'the ->create path alone is safe');
  assert.equal(
    simulateProgram(compile(onlyCreate, undefined, '6.12')).verdict,
    'safe',
    'before 6.19 no directory delegation is granted',
  );
});

test('(8) the cost of a field: rows for +0, +8, +16 bytes', () => {
  const r = builtin('inode-field-cost', { files: '4000', accesses: '30000', budget_mib: '2' });
  assert.deepEqual(
    r.cache!.slice(0, 3).map((x) => x.extraBytes),
    [0, 8, 16],
  );
  assert.equal(r.verdict, 'safe');
});

test('traces replay deterministically, and a schedule the program cannot take is refused', () => {
  for (const b of BUILTINS.filter((x) => x.kind === 'race')) {
    const p = compile(b.text);
    const r = simulateProgram(p);
    const again = replay(p, r.schedule);
    assert.deepEqual(again.steps, r.trace, b.name);
    assert.deepEqual(replay(p, r.schedule).states, again.states);
    if (r.verdict === 'violation' && r.cycleStart === undefined) {
      const last = again.violations.at(-1)!.concat(again.final);
      assert.ok(
        last.some((v) => v.invariant === r.invariant),
        `${b.name}: the replayed trace ends in the violation`,
      );
    }
  }
  const p = compile(BUILTINS[0].text);
  assert.throws(() => replay(p, [{ thread: 0, choice: 5 }]), ReplayError);
});

test('counterexamples are shortest: no shorter schedule violates the same invariant', () => {
  const p = compile(BUILTINS[0].text);
  const r = simulateProgram(p);
  const dfsOnly = explore(p, { minimize: false });
  assert.ok(r.schedule.length <= dfsOnly.found[0].path.length);
});

test('deadlock: two threads taking two inode locks in opposite orders', () => {
  const p = compile(`
inode a : file
inode b : file
thread t1 {
  lock a
  lock b
  unlock b
  unlock a
}
thread t2 {
  lock b
  lock a
  unlock a
  unlock b
}`);
  const r = simulateProgram(p);
  assert.equal(r.invariant, 'deadlock');
  assert.match(r.message!, /t1 waits for a->i_rwsem held by t2|t1 waits for b->i_rwsem held by t2/);
});

test('leaked reference and unbalanced lock are reported at return', () => {
  const leak = simulateProgram(
    compile(`
kernel 3.13
inode f : file
thread t {
  lock f
  try_break_deleg f -> di
  unlock f
}
client nfs {
  grant f deleg read
}`),
  );
  assert.equal(leak.invariant, 'leaked-ref');
  assert.match(leak.message!, /returns with di = f/);
  const lock = simulateProgram(compile('inode f : file\nthread t {\n  lock f\n}'));
  assert.equal(lock.invariant, 'lock-balance');
});

test('a bounded inode cache must not evict an inode that is still locked', () => {
  const r = simulateProgram(
    compile(`
set cache_capacity 1
inode a : file
inode b : file
thread t {
  lock a
  iget b
  unlock a
  iput b
}`),
  );
  assert.equal(r.invariant, 'pinned-evicted');
  assert.match(r.message!, /a is evicted while a->i_rwsem is held/);
});

test('the preemption bound limits context switches (0 finds no interleaving race)', () => {
  const p = compile(BUILTINS[0].text);
  const bounded = explore(p, { preemptionBound: 0 });
  const unbounded = explore(p, { preemptionBound: 5 });
  assert.equal(unbounded.verdict, 'violation');
  assert.equal(bounded.verdict, 'safe');
  assert.equal(bounded.reduction, 'none');
});

test('language: syntax and reference errors carry line and column', () => {
  const r = compileScenario('inode f : file\nthread t {\n  lock g\n  frobnicate f\n  if err {\n', 'bad.vfsrace');
  assert.equal(r.program, null);
  const msgs = r.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`);
  assert.ok(msgs.includes("3:8 unknown lock 'g'"), msgs.join('\n'));
  assert.ok(msgs.includes("4:3 unknown statement 'frobnicate'"), msgs.join('\n'));
  assert.ok(
    msgs.some((m) => /never closed/.test(m)),
    msgs.join('\n'),
  );
  const era = compileScenario('kernel 3.12\ninode f : file\nthread t {\n  try_break_deleg f\n}', 'x');
  assert.match(era.diagnostics[0].message, /does not exist before Linux 3\.13/);
  const path = compileScenario('inode f : file at nowhere/a\nthread t {\n  return\n}', 'x');
  assert.match(path.diagnostics[0].message, /'nowhere' is not a declared directory inode/);
});

// ---------------------------------------------------------------- properties

const OPS = [
  'lock a',
  'lock b',
  'unlock a',
  'unlock b',
  'try_break_deleg a -> di',
  'setattr a',
  'setattr b',
  'rename d/x -> d/y',
  'open a write',
  'close a',
  'break_deleg_wait di',
  'if err {\n return\n}',
];

/** A random small scenario: two or three threads of 1–5 steps, an NFS client on a, kernel 3.12–6.19. */
const scenario = fc
  .record({
    kernel: fc.constantFrom('3.13', '4.19', '6.12'),
    threads: fc.array(fc.array(fc.constantFrom(...OPS), { minLength: 1, maxLength: 5 }), {
      minLength: 1,
      maxLength: 2,
    }),
    client: fc.boolean(),
  })
  .map(({ kernel, threads, client }) => {
    const body = threads.map((ops, i) => `thread t${i} {\n  ${ops.join('\n  ')}\n}`).join('\n');
    const nfs = client
      ? 'client nfs {\n  grant a deleg read\n  if !err {\n    await_recall a\n    delegreturn a\n  }\n}'
      : '';
    return `kernel ${kernel}\ninode d : dir\ninode a : file at d/x\ninode b : file\ncheck deleg-change, deleg-writer, deadlock, leaked-ref, lock-balance, sleep-under-lock\n${body}\n${nfs}`;
  });

test('property: exploration with and without reduction reaches the same verdicts', () => {
  let reducedStates = 0;
  let fullStates = 0;
  fc.assert(
    fc.property(scenario, (text) => {
      const p = compileScenario(text, 'prop.vfsrace').program;
      if (!p) return true;
      const kinds = (r: ReturnType<typeof explore>) => r.found.map((f) => f.violation.invariant).sort();
      const full = explore(p, { reduction: 'none', stopAtFirst: false, minimize: false });
      for (const reduction of ['sleep', 'por'] as const) {
        const reduced = explore(p, { reduction, stopAtFirst: false, minimize: false });
        assert.deepEqual(kinds(reduced), kinds(full), `${reduction} on\n${text}`);
        if (reduction === 'por') reducedStates += reduced.states;
      }
      fullStates += full.states;
      return true;
    }),
    { numRuns: 150, seed: 4242 },
  );
  console.log(`# property runs: ${reducedStates} states with reduction vs ${fullStates} without`);
});

test('property: every counterexample replays to its violation', () => {
  fc.assert(
    fc.property(scenario, (text) => {
      const p = compileScenario(text, 'prop.vfsrace').program;
      if (!p) return true;
      const r = simulateProgram(p);
      if (r.verdict === 'safe') return true;
      const rep = replay(p, r.schedule);
      const raised = [...rep.violations.flat(), ...rep.final].map((v) => v.invariant);
      assert.ok(raised.includes(r.invariant!), `${r.invariant} not raised replaying\n${text}`);
      return true;
    }),
    { numRuns: 100, seed: 7 },
  );
});
