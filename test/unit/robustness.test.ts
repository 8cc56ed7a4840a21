/**
 * The analyzer never throws and always terminates: arbitrary token soup, randomly mutated kernel files (in memory,
 * from ../shared/kernel-corpus), and pathological nesting all produce a result (possibly with an error entry or an
 * analysis/truncated note), never an exception. Huge functions and files end within the per-file analysis budget,
 * with what it left out named in an analysis/truncated note.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { corpusAvailable, corpusFile, sharedAnalyzer } from '../helpers/corpus';
import { longFunction } from '../helpers/generated';

const TOKENS = [
  '{',
  '}',
  '(',
  ')',
  ';',
  ',',
  '*',
  '&',
  '->',
  '.',
  '=',
  '==',
  '!',
  '&&',
  '||',
  'if',
  'else',
  'goto',
  'out',
  'out:',
  'return',
  'while',
  'for',
  'do',
  'switch',
  'case 1:',
  'default:',
  'break',
  'continue',
  'int',
  'struct inode',
  'inode',
  'dentry',
  'error',
  'NULL',
  '0',
  '1',
  'inode_lock',
  'inode_unlock',
  'try_break_deleg',
  'break_deleg_wait',
  'break_lease',
  'O_NONBLOCK',
  'vfs_unlink',
  'notify_change',
  '->i_op',
  '->unlink',
  '->setattr',
  'lock_two_nondirectories',
  'start_dirop',
  'end_dirop',
  'delegated_inode',
  '&delegated_inode',
  'is_delegated',
  'SYSCALL_DEFINE2',
  'list_for_each_entry',
  'scoped_guard',
  'guard',
  'spinlock',
  'ERR_PTR',
  'IS_ERR',
  'd_inode',
  'f',
  '#ifdef X',
  '#else',
  '#endif',
  '"str"',
  '/* c */',
  '\n',
  ' ',
];

test('token soup: check() returns a result for any token sequence', async () => {
  const analyzer = await sharedAnalyzer();
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 300 }), (toks) => {
      const text =
        'int f(struct inode *inode, struct dentry *dentry, struct inode **di)\n{\n' +
        toks.join(' ') +
        '\n}\n' +
        toks.slice(0, 40).join(' ');
      const r = analyzer.check('soup.c', text);
      assert.ok(Array.isArray(r.findings));
    }),
    { numRuns: 400 },
  );
});

test('randomly mutated kernel files: check() returns a result', { skip: !corpusAvailable() }, async () => {
  const analyzer = await sharedAnalyzer();
  const sources = ['v3.13/fs/namei.c', 'v6.19/fs/attr.c', 'v7.1.5/fs/locks.c', 'v6.12/fs/open.c'].map((f) =>
    corpusFile(f).split('\n'),
  );
  fc.assert(
    fc.property(
      fc.nat({ max: sources.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.nat({ max: 40 })), { minLength: 1, maxLength: 25 }),
      (which, ops) => {
        const lines = [...sources[which]];
        for (const [at, kind, n] of ops) {
          const i = at % lines.length;
          if (kind === 0) lines.splice(i, Math.min(n, 5));
          else if (kind === 1) lines.splice(i, 0, ...lines.slice((i + n) % lines.length, ((i + n) % lines.length) + 3));
          else if (kind === 2) lines[i] = lines[i].slice(0, n % (lines[i].length + 1));
          else lines.splice(i, 0, '}'.repeat(n % 3) + '{'.repeat((n >> 2) % 2));
        }
        const r = analyzer.check('mutated.c', lines.join('\n'));
        assert.ok(r.error === undefined || typeof r.error === 'string');
      },
    ),
    { numRuns: 25 },
  );
});

/** `n` small functions, each relevant to the analysis (an inode lock and an attribute change). */
function manyFunctions(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      `static int f${i}(struct dentry *dentry, struct iattr *attr)\n{\n\tstruct inode *inode = d_inode(dentry);\n\tint error;\n\tinode_lock(inode);\n` +
        `\tif (attr->ia_valid & ${i})\n\t\terror = notify_change(&nop_mnt_idmap, dentry, attr, NULL);\n\telse\n\t\terror = 0;\n\tinode_unlock(inode);\n\treturn error;\n}\n`,
    );
  }
  return out.join('\n');
}

const truncatedNotes = <T extends { ruleId: string }>(r: { findings: T[] }): T[] =>
  r.findings.filter((f) => f.ruleId === 'analysis/truncated');

test('a 100,000-line function is not started: an analysis/truncated note names it and its size', async () => {
  const analyzer = await sharedAnalyzer();
  const r = analyzer.check('long.c', longFunction(100000));
  assert.equal(r.error, undefined);
  assert.equal(r.analyzedFunctions, 0);
  const [note, ...more] = truncatedNotes(r);
  assert.deepEqual(more, []);
  assert.equal(note.function, 'big');
  assert.match(
    note.message,
    /^big: not analysed: with [\d,]+ statements it does not fit in what was left of the analysis budget \(5 s per file\)/,
  );
  assert.equal(r.functions.find((f) => f.name === 'big')?.analyzed, false);
});

test('the per-function size guard scales with the budget, and a budget of 0 means no limit', async () => {
  const analyzer = await sharedAnalyzer();
  const text = longFunction(1500);
  const small = analyzer.check('f.c', text, { analysisBudgetMs: 100 });
  assert.match(
    truncatedNotes(small)[0]?.message ?? '',
    /^big: not analysed: with [\d,]+ statements .*\(100 ms per file\)/,
  );
  const unlimited = analyzer.check('f.c', text, { analysisBudgetMs: 0 });
  assert.equal(unlimited.analyzedFunctions, 1);
  assert.deepEqual(truncatedNotes(unlimited), []);
  assert.deepEqual(
    unlimited.findings,
    analyzer.check('f.c', text).findings,
    'the default budget leaves a normal function alone',
  );
});

test('when the budget runs out between functions, the rest are skipped and named in one note', async () => {
  const analyzer = await sharedAnalyzer();
  const n = 400;
  const r = analyzer.check('many.c', manyFunctions(n), { analysisBudgetMs: 1 });
  const notes = truncatedNotes(r);
  assert.equal(notes.length, 1, JSON.stringify(notes.map((f) => f.message)));
  const skipped = r.functions.filter((f) => !f.analyzed);
  assert.ok(skipped.length > 0 && skipped.length <= n);
  assert.equal(r.analyzedFunctions + skipped.length, n);
  assert.match(
    notes[0].message,
    new RegExp(
      `^analysis stopped after .*, its budget for this file \\(1 ms\\): ${skipped.length.toLocaleString('en-US')} functions? not analysed \\(${skipped[0].name}[,)]`,
    ),
  );
  assert.equal(notes[0].function, skipped[0].name);
  // Every finding outside the note belongs to an analysed function.
  const analysed = new Set(r.functions.filter((f) => f.analyzed).map((f) => f.name));
  assert.ok(r.findings.every((f) => f === notes[0] || analysed.has(f.function)));
  // The default budget analyses them all.
  const full = analyzer.check('many.c', manyFunctions(n));
  assert.equal(full.analyzedFunctions, n);
  assert.deepEqual(truncatedNotes(full), []);
});

test('with little time left the fixpoint gets a smaller state cap, and the note says why', async () => {
  const analyzer = await sharedAnalyzer();
  // Ten independent conditional locks: ~2,600 abstract states, under the default cap.
  const k = 10;
  const idx = Array.from({ length: k }, (_, i) => i);
  const text =
    `int f(struct dentry *dentry, struct iattr *attr, ${idx.map((i) => `struct inode *i${i}, int a${i}`).join(', ')})\n{\n\tstruct inode *di = NULL;\n\tint error;\n` +
    idx.map((i) => `\tif (a${i}) inode_lock(i${i});\n`).join('') +
    '\terror = notify_change(&nop_mnt_idmap, dentry, attr, &di);\n' +
    idx.map((i) => `\tif (a${i}) inode_unlock(i${i});\n`).join('') +
    '\treturn error;\n}\n';
  assert.deepEqual(truncatedNotes(analyzer.check('paths.c', text)), []);
  const r = analyzer.check('paths.c', text, { analysisBudgetMs: 60 });
  const [note] = truncatedNotes(r);
  assert.ok(note, 'truncated');
  assert.match(note.message, /budget/);
});

test('the severity setting applies to the budget notes', async () => {
  const analyzer = await sharedAnalyzer();
  const text = longFunction(1500);
  assert.equal(
    truncatedNotes(
      analyzer.check('f.c', text, { analysisBudgetMs: 100, severity: { 'analysis/truncated': 'warning' } }),
    )[0]?.severity,
    'warning',
  );
  assert.deepEqual(
    truncatedNotes(analyzer.check('f.c', text, { analysisBudgetMs: 100, severity: { 'analysis/truncated': 'off' } })),
    [],
  );
});

test('an editor document fills in what a truncated analysis skipped as the user goes on typing', async () => {
  const analyzer = await sharedAnalyzer();
  const n = 60;
  const text = manyFunctions(n);
  const doc = analyzer.open('many.c', text, { analysisBudgetMs: 1 });
  try {
    let r = doc.result();
    const firstAnalysed = r.functions.filter((f) => f.analyzed).length;
    for (let edit = 0; edit < 200 && r.functions.some((f) => !f.analyzed); edit++) {
      // A one-character change inside the last function's body (and back), as typing does.
      const at = doc.source.lastIndexOf('return error;');
      doc.edit(at, at, ' ');
      doc.edit(at, at + 1, '');
      r = doc.result();
    }
    assert.ok(firstAnalysed < n, 'the first result was truncated');
    assert.equal(r.functions.filter((f) => f.analyzed).length, n);
    assert.deepEqual(truncatedNotes(r), []);
    assert.deepEqual(
      r.findings.map((f) => [f.ruleId, f.line]),
      analyzer.check('many.c', text).findings.map((f) => [f.ruleId, f.line]),
    );
  } finally {
    doc.dispose();
  }
});

test('the note says why a body could not be lowered: too long (flat) or nested too deeply', async () => {
  const analyzer = await sharedAnalyzer();
  const flat = `int flat(struct inode *inode)\n{\n\tinode_lock(inode);\n${'\tx = 1;\n'.repeat(21000)}\tinode_unlock(inode);\n\treturn 0;\n}\n`;
  const deep = `int deep(struct inode *inode)\n{\n\tinode_lock(inode);\n${'{ x = 1;\n'.repeat(500)}${'}\n'.repeat(500)}\tinode_unlock(inode);\n\treturn 0;\n}\n`;
  const [long] = truncatedNotes(analyzer.check('flat.c', flat, { analysisBudgetMs: 0 }));
  assert.match(long?.message ?? '', /^flat: .*its body is too long/);
  const [nested] = truncatedNotes(analyzer.check('deep.c', deep, { analysisBudgetMs: 0 }));
  assert.match(nested?.message ?? '', /^deep: .*nested too deeply/);
});
