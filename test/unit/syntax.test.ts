/** Position bookkeeping the editor relies on: line indexes updated by edits equal freshly built ones. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineIndex, type LineBreaks } from '../../src/core/text/lines';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, sharedAnalyzer } from '../helpers/corpus';

test('LineIndex.afterEdit equals a fresh index for any edit', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom('a', '\n', 'é', '\r') }),
      fc.nat(),
      fc.nat({ max: 6 }),
      fc.string({ unit: fc.constantFrom('b', '\n', '\r\n', '\r') }),
      (text, at, del, ins) => {
        const start = Math.min(at, text.length);
        const end = Math.min(start + del, text.length);
        const next = text.slice(0, start) + ins + text.slice(end);
        for (const breaks of ['any', 'lf'] as LineBreaks[]) {
          const updated = new LineIndex(text, breaks).afterEdit(start, end, ins, next);
          const fresh = new LineIndex(next, breaks);
          assert.equal(updated.lineCount, fresh.lineCount);
          for (let o = 0; o <= next.length; o++) assert.deepEqual(updated.positionAt(o), fresh.positionAt(o));
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('positions count UTF-16 code units like VS Code', () => {
  const li = new LineIndex('é\n𝄞x');
  assert.deepEqual(li.position(2), { line: 1, column: 0 });
  assert.deepEqual(li.position(4), { line: 1, column: 2 }, 'the surrogate pair counts as two');
});

test("lines end at \\n, \\r\\n and a lone \\r (editors, GCC); git's end at \\n only", () => {
  const text = 'a\rb\r\nc\nd';
  const any = new LineIndex(text);
  assert.equal(any.lineCount, 4);
  assert.deepEqual(
    [0, 2, 5, 7].map((o) => any.positionAt(o).line),
    [0, 1, 2, 3],
  );
  assert.deepEqual(any.positionAt(4), { line: 1, character: 1 }, 'inside \\r\\n: the end of the line');
  const lf = new LineIndex(text, 'lf');
  assert.equal(lf.lineCount, 3);
  assert.deepEqual(lf.positionAt(2), { line: 0, character: 2 });
});

test('a file with lone \\r line ends: findings name the line the editor shows', async () => {
  const lines = readFileSync(join(PROJECT_ROOT, 'examples', 'missing_break.c'), 'utf8').split('\n');
  const analyzer = await sharedAnalyzer();
  const lf = analyzer.check('lf.c', lines.join('\n'), { kernel: '6.12' });
  const cr = analyzer.check('cr.c', lines.join('\r'), { kernel: '6.12' });
  assert.ok(lf.findings.length > 0, 'the snippet has a finding');
  assert.deepEqual(
    cr.findings.map((f) => [f.ruleId, f.line, f.column]),
    lf.findings.map((f) => [f.ruleId, f.line, f.column]),
  );
  assert.ok(cr.findings.every((f) => f.line > 1));
});
