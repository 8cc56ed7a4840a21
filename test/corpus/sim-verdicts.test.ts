/**
 * The simulator's verdicts on real kernel functions (../shared/kernel-corpus, read in place): vfs_rename, vfs_link,
 * vfs_unlink and notify_change of 5.15.135 and 6.12 are SAFE against the NFS clients and the second rename; the same
 * functions with a try_break_deleg() deleted, or moved before the lock (mutated in memory at test time), give a
 * violation whose counterexample reaches the line `check` reports, and `check` and `simulate` agree on each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusAvailable, corpusFile, sharedAnalyzer } from '../helpers/corpus';
import { Mutator } from '../helpers/mutate';
import { simulateFunctionOf } from '../../src/sim/simulate';
import { compareFunction, modelledFindings } from '../../src/sim/agreement';
import type { Analyzer } from '../../src/core/engine';

const skip = !corpusAvailable() && 'kernel corpus not available';
const RELEASES = ['v5.15.135', 'v6.12'];
const FUNCTIONS: [string, string][] = [
  ['fs/namei.c', 'vfs_rename'],
  ['fs/namei.c', 'vfs_link'],
  ['fs/namei.c', 'vfs_unlink'],
  ['fs/attr.c', 'notify_change'],
];
/** The lock a break is moved before: the first of these the function calls (the one taken around its changes). */
const LOCKS = ['lock_two_nondirectories', 'lock_two_inodes', 'inode_lock'];

function run(analyzer: Analyzer, file: string, text: string, fn: string) {
  const doc = analyzer.open(file, text);
  try {
    const result = doc.result();
    const info = result.functions.find((f) => f.name === fn)!;
    const findings = result.findings.filter((f) => f.start >= info.start && f.end <= info.end);
    const outcome = simulateFunctionOf(doc, analyzer, fn);
    assert.ok(!('error' in outcome), 'error' in outcome ? outcome.error : '');
    return { findings: modelledFindings(findings), outcome, agreement: compareFunction(fn, findings, outcome)! };
  } finally {
    doc.dispose();
  }
}

for (const release of RELEASES) {
  for (const [path, fn] of FUNCTIONS) {
    const file = `${release}/${path}`;

    test(`${file}:${fn} is SAFE, and check agrees`, { skip }, async () => {
      const analyzer = await sharedAnalyzer();
      const r = run(analyzer, file, corpusFile(file), fn);
      if ('error' in r.outcome) return;
      const res = r.outcome.result;
      console.log(
        `# ${file}:${fn}: ${res.verdict}, ${res.states} states, ${res.ms.toFixed(0)} ms, kernel ${res.kernel}`,
      );
      assert.equal(res.verdict, 'safe', res.message);
      assert.equal(res.kernel, release === 'v6.12' ? '6.12' : '5.15', 'simulated as the kernel the file is');
      assert.deepEqual(r.findings, []);
      assert.ok(r.agreement.agree);
      // The caller's locks are steps of the function's thread, labelled as the caller's, taken and released.
      const program = res.program!;
      const own = program.threads[0].instrs;
      assert.ok(
        own.some((i) => i.op === 'lock' && i.action.startsWith('caller: ')),
        'the caller takes its locks',
      );
      assert.ok(
        own.some((i) => i.op === 'unlock' && i.action.startsWith('caller: ')),
        'and releases them',
      );
      assert.deepEqual(program.threads[0].entryLocks, []);
      for (const i of program.inodes) assert.doesNotMatch(i.name, /\.d_inode\.d_inode|^&/, 'clean names');
    });

    test(
      `${file}:${fn} with a break deleted or moved before the lock: violations reaching check's findings`,
      { skip },
      async (t) => {
        const analyzer = await sharedAnalyzer();
        const text = corpusFile(file);
        const probe = new Mutator(analyzer, text, fn);
        const mutants: [string, (m: Mutator) => void][] = [];
        const lock = LOCKS.map((l) => probe.calls(l)[0]).find((l) => l !== undefined);
        probe.calls('try_break_deleg').forEach((c, i) => {
          mutants.push([`try_break_deleg #${i} deleted`, (m) => m.replace(c.start, c.end, '0')]);
          if (lock && lock.start < c.start && i === 0) {
            mutants.push([
              `try_break_deleg #${i} moved before ${lock.text.slice(0, lock.text.indexOf('('))}`,
              (m) => m.insert(lock.stmtStart, `${c.text};\n\t`).replace(c.start, c.end, '0'),
            ]);
          }
        });
        assert.ok(mutants.length > 0);
        for (const [what, mutate] of mutants) {
          await t.test(what, () => {
            const m = new Mutator(analyzer, text, fn);
            mutate(m);
            const r = run(analyzer, file, m.result(), fn);
            if ('error' in r.outcome) return;
            const res = r.outcome.result;
            console.log(
              `# ${file}:${fn} with ${what}: ${res.verdict} [${res.invariant}] ${res.message}; check: ${r.findings.map((f) => `${f.ruleId}@${f.line}`).join(', ')}`,
            );
            assert.ok(
              r.findings.some((f) => f.severity === 'error'),
              'check reports the mutant',
            );
            assert.equal(res.verdict, 'violation');
            const lines = r.findings.map((f) => f.line);
            assert.ok(
              res.trace.some((s) => s.thread === 0 && lines.includes(s.line ?? -1)),
              `the trace reaches line ${lines.join(' or ')}`,
            );
            assert.ok(r.agreement.agree, r.agreement.why);
            // A break moved before the lock is reported where it now is, and the counterexample runs through it.
            const moved = r.findings.filter((f) => f.ruleId === 'deleg/break-unlocked').map((f) => f.line);
            if (what.includes('moved'))
              assert.ok(
                moved.length &&
                  res.trace.some(
                    (s) => s.thread === 0 && s.line === Math.min(...moved) && s.action === 'try_break_deleg',
                  ),
              );
          });
        }
      },
    );
  }
}
