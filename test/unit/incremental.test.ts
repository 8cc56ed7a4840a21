/**
 * Incremental re-checking must give exactly what a fresh check of the same text gives, after any sequence of edits
 * (property test over random edits of a real kernel file and of a snippet, including non-ASCII text).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusAvailable, corpusFile, PROJECT_ROOT, sharedAnalyzer } from '../helpers/corpus';
import type { LocatedFinding } from '../../src/core/engine';
import { buggySetattr } from '../helpers/buggy';

const key = (f: LocatedFinding) =>
  `${f.ruleId}|${f.function}|${f.line}:${f.column}-${f.endLine}:${f.endColumn}|${f.inode}|${f.message}`;

const SNIPPET = `/* é – ü */\n${buggySetattr()}`;

const INSERTS = [
  '',
  ' ',
  '\n',
  '\r',
  '\r\n',
  'x',
  'é',
  '}',
  '{',
  ';',
  '(',
  ')',
  '*/',
  '//',
  'inode_unlock(inode);',
  'error = try_break_deleg(inode, NULL);',
  '/*',
  '*/',
  'if (error) return error;',
];

function editArb(len: number) {
  return fc.record({ at: fc.nat({ max: len }), del: fc.nat({ max: 12 }), ins: fc.constantFrom(...INSERTS) });
}

async function property(text: string, runs: number, maxEdits: number) {
  const analyzer = await sharedAnalyzer();
  await fc.assert(
    fc.asyncProperty(fc.array(editArb(text.length), { minLength: 1, maxLength: maxEdits }), async (edits) => {
      const doc = analyzer.open('t.c', text);
      try {
        doc.result();
        let cur = text;
        for (const e of edits) {
          const at = Math.min(e.at, cur.length);
          const end = Math.min(at + e.del, cur.length);
          doc.edit(at, end, e.ins);
          cur = cur.slice(0, at) + e.ins + cur.slice(end);
          doc.result();
        }
        assert.equal(doc.source, cur);
        const incremental = doc.result().findings.map(key);
        const fresh = analyzer.check('t.c', cur).findings.map(key);
        assert.deepEqual(incremental, fresh);
      } finally {
        doc.dispose();
      }
    }),
    { numRuns: runs },
  );
}

test('incremental equals full on a snippet with non-ASCII text, any edit sequence', async () => {
  await property(SNIPPET, 150, 8);
});

test('incremental equals full on a snippet with old Mac line ends (lone \\r), any edit sequence', async () => {
  await property(SNIPPET.split('\n').join('\r'), 150, 8);
});

test('incremental equals full on several functions that call each other (edits anywhere, comments turned into code)', async () => {
  const text = ['correct_unlink.c', 'no_retry.c', 'leaked_lock.c']
    .map((f) => readFileSync(join(PROJECT_ROOT, 'examples', f), 'utf8'))
    .join('');
  await property(text, 200, 6);
});

test('incremental equals full on fs/namei.c (v6.19), random edits', { skip: !corpusAvailable() }, async () => {
  await property(corpusFile('v6.19/fs/namei.c'), 12, 4);
});

test('an edit inside one function re-analyses only that function', { skip: !corpusAvailable() }, async () => {
  const analyzer = await sharedAnalyzer();
  const text = corpusFile('v7.1.5/fs/namei.c');
  const doc = analyzer.open('namei.c', text);
  try {
    const first = doc.result();
    assert.ok(first.analyzedFunctions > 20);
    const at = text.indexOf('{', text.indexOf('int vfs_unlink(')) + 1;
    doc.edit(at, at, ' ');
    const second = doc.result();
    assert.equal(second.analyzedFunctions, 1);
    assert.deepEqual(
      second.findings.map((f) => f.ruleId),
      first.findings.map((f) => f.ruleId),
    );
  } finally {
    doc.dispose();
  }
});

test(
  'a shift of the whole file (edit at the top) keeps deferred findings of static callees consistent',
  { skip: !corpusAvailable() },
  async () => {
    const analyzer = await sharedAnalyzer();
    for (const file of ['v3.10.99/fs/namei.c', 'v3.13/fs/namei.c']) {
      const text = corpusFile(file);
      const doc = analyzer.open(file, text);
      try {
        doc.result();
        doc.edit(0, 0, '\n');
        const incremental = doc.result().findings.map(key);
        assert.deepEqual(incremental, analyzer.check(file, '\n' + text).findings.map(key), file);
      } finally {
        doc.dispose();
      }
    }
  },
);
