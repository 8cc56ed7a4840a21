/** Offsets ↔ positions and editor changes → core edits (src/service/lines.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyEdits, coreEditsFor, LineMap, mergeEdits, toCoreEdits } from '../../../src/service/lines';

test('positions with \\n, \\r\\n and a lone \\r, as VS Code counts lines', () => {
  const m = new LineMap('ab\ncd\r\nef\rgh');
  assert.equal(m.lineCount, 4);
  assert.deepEqual(m.positionAt(0), { line: 0, character: 0 });
  assert.deepEqual(m.positionAt(3), { line: 1, character: 0 });
  assert.deepEqual(m.positionAt(5), { line: 1, character: 2 });
  assert.deepEqual(m.positionAt(6), { line: 1, character: 2 }, 'inside \\r\\n: end of the line');
  assert.deepEqual(m.positionAt(7), { line: 2, character: 0 });
  assert.deepEqual(m.positionAt(10), { line: 3, character: 0 });
  assert.deepEqual(m.positionAt(99), { line: 3, character: 2 });
  assert.equal(m.offsetAt({ line: 2, character: 1 }), 8);
  assert.equal(m.offsetAt({ line: 1, character: 50 }), 5, 'clamped to the line');
});

test('columns are UTF-16 code units (é is one, 😀 is two), like VS Code and the analyzer', () => {
  const text = 'int é = 1; /* 😀 */ x\n';
  const m = new LineMap(text);
  assert.deepEqual(m.positionAt(text.indexOf('x')), { line: 0, character: 20 });
  assert.equal(m.offsetAt({ line: 0, character: 20 }), text.indexOf('x'));
});

test('offsetAt and positionAt are inverse on every offset', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('a', '\n', '\r', 'é', '\t') }), (s) => {
      const m = new LineMap(s);
      for (let o = 0; o <= s.length; o++) {
        if (s[o - 1] === '\r' && s[o] === '\n') continue; // between \r and \n: not a position of its own
        assert.equal(m.offsetAt(m.positionAt(o)), o);
      }
    }),
  );
});

test('a change event applies in order (multi-cursor edits come last-first)', () => {
  const before = 'abc\ndef\n';
  const changes = [
    { rangeOffset: 5, rangeLength: 1, text: 'X' },
    { rangeOffset: 1, rangeLength: 1, text: 'YY' },
  ];
  const after = 'aYYc\ndXf\n';
  assert.deepEqual(coreEditsFor(before, changes, after), toCoreEdits(changes));
  assert.equal(coreEditsFor(before, changes, 'something else'), null);
  assert.equal(coreEditsFor(before, [{ rangeOffset: 7, rangeLength: 5, text: '' }], before), null);
});

test('merged edits equal edits applied one by one', () => {
  fc.assert(
    fc.property(
      fc.string({ maxLength: 40 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.string({ maxLength: 4 })), { maxLength: 5 }),
      (text, raw) => {
        // Non-overlapping edits against `text`.
        const edits: { start: number; end: number; newText: string }[] = [];
        let at = 0;
        for (const [gap, len, newText] of raw) {
          const start = at + (gap % 5);
          const end = start + len;
          if (end > text.length) break;
          edits.push({ start, end, newText });
          at = end;
        }
        let oneByOne = text;
        for (const e of [...edits].reverse()) oneByOne = oneByOne.slice(0, e.start) + e.newText + oneByOne.slice(e.end);
        assert.equal(applyEdits(text, edits), oneByOne);
        const m = mergeEdits(text, edits);
        assert.equal(text.slice(0, m.start) + m.newText + text.slice(m.oldEnd), oneByOne);
      },
    ),
  );
});
