/**
 * The corpus contract: ../shared/kernel-corpus/expectations.json says, per run of `vfslock check`, which findings
 * must appear (rule + function) and which functions must have no error/warning findings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusAvailable, corpusFile, expectations, sharedAnalyzer } from '../helpers/corpus';

const available = corpusAvailable();

test(
  'kernel corpus is present beside the project',
  { skip: !available && process.env.CI !== 'true' ? 'no ../shared/kernel-corpus' : false },
  () => {
    assert.ok(available, 'CI runs with ../shared beside the clone; the corpus must be there');
  },
);

/**
 * Warnings added after expectations.json was written (it is shared, read-only data): they do not break a function's
 * mustBeClean until the file itself names them. Where they fire in the corpus is pinned by new-rules.test.ts.
 */
const NEWER_RULES = ['deleg/dir-self-break', 'lease/otrunc-read-lease', 'lease/server-open-blocks'];

if (available) {
  const named = new Set(expectations().flatMap((r) => r.mustFlag.map(([rule]) => rule)));
  const tolerated = new Set(NEWER_RULES.filter((r) => !named.has(r)));
  for (const [i, run] of expectations().entries()) {
    const label = `run ${i + 1}: ${run.files.length === 1 ? run.files[0] : run.files[0] + ' +' + (run.files.length - 1)}${run.kernel ? ` (--kernel ${run.kernel})` : ''}`;
    test(label, async () => {
      const analyzer = await sharedAnalyzer();
      const findings = run.files.flatMap((f) =>
        analyzer.check(f, corpusFile(f), { kernel: run.kernel ?? 'auto' }).findings.map((x) => ({ ...x, file: f })),
      );
      for (const [rule, fns] of run.mustFlag) {
        const names = fns.split('|');
        const hit = findings.find((f) => f.ruleId === rule && names.includes(f.function));
        assert.ok(
          hit,
          `expected ${rule} in ${fns}; got ${JSON.stringify(findings.filter((f) => names.includes(f.function)).map((f) => f.ruleId))}`,
        );
      }
      const bad = findings.filter(
        (f) => run.mustBeClean.includes(f.function) && f.severity !== 'info' && !tolerated.has(f.ruleId),
      );
      assert.deepEqual(
        bad.map((f) => `${f.file}:${f.line} ${f.function} ${f.ruleId}: ${f.message.slice(0, 160)}`),
        [],
      );
    });
  }
}
