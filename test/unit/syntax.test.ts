/** Position bookkeeping the editor relies on: line indexes updated by edits equal freshly built ones. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineIndex } from '../../src/core/parse/syntax';

test('LineIndex.afterEdit equals a fresh index for any edit', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('a', '\n', 'é', '\r') }), fc.nat(), fc.nat({ max: 6 }), fc.string({ unit: fc.constantFrom('b', '\n', '\r\n') }),
      (text, at, del, ins) => {
        const start = Math.min(at, text.length);
        const end = Math.min(start + del, text.length);
        const next = text.slice(0, start) + ins + text.slice(end);
        const updated = new LineIndex(text).afterEdit(start, end, ins);
        const fresh = new LineIndex(next);
        for (let o = 0; o <= next.length; o++) assert.deepEqual(updated.position(o), fresh.position(o));
      }),
    { numRuns: 500 },
  );
});

test('positions count UTF-16 code units like VS Code', () => {
  const li = new LineIndex('é\n𝄞x');
  assert.deepEqual(li.position(2), { line: 1, column: 0 });
  assert.deepEqual(li.position(4), { line: 1, column: 2 }, 'the surrogate pair counts as two');
});
