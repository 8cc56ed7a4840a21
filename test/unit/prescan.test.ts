/**
 * The token pre-scan (parse/prescan.ts) and the shortcut it allows: a one-shot check that parses only the functions
 * that can matter must report exactly what a check parsing every function reports. Lexer cases on our own snippets,
 * then a property test over random token soup and over random files of functions built from catalogued names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { prescan, signatureWords } from '../../src/core/parse/prescan';
import type { CheckOptions } from '../../src/core/engine';
import { bothWays } from '../helpers/prescan';
import { sharedAnalyzer } from '../helpers/corpus';

const names = (text: string) => prescan(text).functions.map((f) => f.name);

test('prescan: function extents, names and bodies', () => {
  const text = [
    '/* a comment with { and } */',
    'static const char *s = "}{";',
    "static char c = '{';",
    '#define X(a) { \\',
    '   }',
    'static int foo(struct inode *inode)',
    '{',
    '\t// a comment with } \\',
    '\t   still the comment }',
    '\treturn bar("{", \'}\');',
    '}',
    'struct ops o = { .f = foo, };',
    'SYSCALL_DEFINE3(renameat, int, a, const char __user *, b, int, c)',
    '{ return 0; }',
    'int (*getter(int x))(void) { return 0; }',
  ].join('\n');
  const s = prescan(text);
  assert.ok(s.ok);
  assert.deepEqual(
    s.functions.map((f) => f.name),
    ['foo', 'sys_renameat', 'getter'],
  );
  const foo = s.functions[0];
  assert.equal(text.slice(foo.start, foo.start + 10), 'static int');
  assert.equal(text[foo.end - 1], '}');
  assert.equal(text.slice(foo.nameStart, foo.nameEnd), 'foo');
  assert.equal(text[foo.bodyStart], '{');
  assert.ok(s.functions.every((f) => f.removable));
});

test('prescan: unsure of the structure, it says so', () => {
  assert.equal(prescan('int f(void) { /* never closed').ok, false);
  assert.equal(prescan('int f(void) { return "x\n"; }').ok, false);
  assert.equal(prescan('int f(void) { if (x) {\n#else\n if (y) {\n#endif\n}').ok, false);
  assert.equal(prescan('int f(void) { ( ] }').ok, false);
  assert.equal(prescan('}').ok, false);
});

test('prescan: items that cannot be cut out alone are marked', () => {
  const split = prescan('#ifdef A\nint f(void) {\n#else\nint f(int a) {\n#endif\n}\n}\n');
  assert.ok(!split.ok || split.functions.every((f) => !f.removable));
  const literal = prescan('static struct x y = (struct x) { 1 };\nint g(void) { return 0; }');
  assert.ok(literal.ok);
  assert.equal(literal.functions[0].removable, false);
  const cond = prescan('int h(void)\n#ifdef A\n{ return 1; }\n#else\n{ return 2; }\n#endif\n');
  assert.ok(!cond.ok || cond.functions.every((f) => !f.removable));
  assert.deepEqual(names('int a(void) { }\n#if X\nint b(void) { }\n#endif\n'), ['a', 'b']);
});

test('prescan: version signature words', () => {
  assert.deepEqual(signatureWords({ type: /struct delegated_inode\b/ }), ['struct', 'delegated_inode']);
  assert.deepEqual(signatureWords({ type: /struct inode \*\*/, name: /deleg/ }), ['struct', 'inode', 'deleg']);
  assert.equal(signatureWords({ type: /struct (a|b)/ }), null);
  assert.equal(signatureWords({ type: /\w+_idmap/ }), null);
});

const FN_OK = `
static int helper(struct inode *inode)
{
	return notify_change(NULL, inode->i_sb, NULL, NULL);
}

static int unrelated(int a)
{
	return a + 1;
}

int caller(struct inode *inode)
{
	int err;

	inode_lock(inode);
	err = helper(inode);
	inode_unlock(inode);
	return unrelated(err);
}
`;

test('prescan: a file with nothing catalogued is not parsed; one with something is parsed in part', async () => {
  const analyzer = await sharedAnalyzer();
  const none = bothWays(analyzer, 'plain.c', 'static int add(int a, int b)\n{\n\treturn a + b;\n}\n');
  assert.equal(none.mode, 'none');
  assert.deepEqual(none.pre, none.full);
  const some = bothWays(analyzer, 'some.c', FN_OK);
  assert.equal(some.mode, 'partial');
  assert.ok(some.full.length > 0, 'the snippet has a finding');
  assert.deepEqual(some.pre, some.full);
});

test('prescan: catalogued names only between functions, or a lock call without a mutex parameter, parse nothing', async () => {
  const analyzer = await sharedAnalyzer();
  // Together the file names `mutex` and a lock call, but no function does, and the text between functions (a
  // comment) names only the lock call: no function the parse could find can be analysed.
  const between = bothWays(
    analyzer,
    'between.c',
    '/* the caller holds mutex_lock() */\nstatic int add(int a, int b)\n{\n\tstruct mutex *m = NULL;\n\n\treturn a + b;\n}\n',
  );
  assert.equal(between.mode, 'none');
  assert.deepEqual(between.pre, between.full);
  // A struct mutex in a declaration and a lock call in a function that takes no `struct mutex *`: not analysed,
  // so not parsed either; with the mutex as a parameter (it may be &inode->i_mutex) it is.
  const lockOnly =
    'static struct mutex demo_lock;\nstatic void f(void)\n{\n\tmutex_lock(&demo_lock);\n\tmutex_unlock(&demo_lock);\n}\n';
  const noParam = bothWays(analyzer, 'mutex.c', lockOnly);
  assert.equal(noParam.mode, 'none');
  assert.deepEqual(noParam.pre, noParam.full);
  const param = bothWays(
    analyzer,
    'mutex-param.c',
    'static int add(int a, int b)\n{\n\treturn a + b;\n}\n\n' +
      'static void f(struct mutex *m)\n{\n\tmutex_lock(m);\n\tmutex_unlock(m);\n}\n',
  );
  assert.equal(param.mode, 'partial');
  assert.deepEqual(param.pre, param.full);
});

test('prescan: a name defined twice (one parsed, one left out) is not a helper known to do nothing', async () => {
  // Found by the property test below: f1 is defined twice; the parse kept one, so it looked defined once, and the
  // call of f1 under the lock was no longer one that may release it (a self-deadlock only with the pre-scan).
  const analyzer = await sharedAnalyzer();
  const text =
    'int f1(struct mnt_idmap *idmap, struct inode *inode)\n{\n\t\n}\n\nint f1(struct inode *inode)\n{\n\t\n}\n\n' +
    'int helper(struct inode *inode)\n{\n\tinode_lock(inode);\n\terr = f1(inode);\n\tinode_lock(inode);\n}\n';
  const r = bothWays(analyzer, 'twice.c', text);
  assert.deepEqual(r.pre, r.full);
});

test('prescan: the vocabulary names the code mentions, not its comments, literals or preprocessor lines', () => {
  const vocab = { names: new Set(['inode_lock', 'notify_change', 'break_lease']), maxLength: 13 };
  const quiet = prescan(
    '/* inode_lock */\n#define X notify_change(a)\nint f(void)\n{\n\treturn g("break_lease", \'b\');\n}\n',
    vocab,
  );
  assert.ok(quiet.ok);
  assert.deepEqual([...quiet.vocabulary], []);
  // In a header, in a body (a long name and a short one), between functions.
  const loud = prescan(
    'int f(struct inode *inode_lock)\n{\n\tnotify_change(a, b, c);\n}\nstatic int x = break_lease;\n',
    vocab,
  );
  assert.deepEqual([...loud.vocabulary].sort(), ['break_lease', 'inode_lock', 'notify_change']);
  // Without a vocabulary, none is gathered.
  assert.deepEqual([...prescan('int f(void) { notify_change(a); }').vocabulary], []);
});

test('prescan: a file with an untidy function is parsed whole', async () => {
  // Found by the property test below: the parser's error recovery in f1's first definition (no `;` before its `}`)
  // joins every item after it into one function, a reach that depended on which functions the parse left out.
  const analyzer = await sharedAnalyzer();
  const text =
    'int f1(struct inode *inode)\n{\n\tinode\n}\n\nEXPORT_SYMBOL(f1);\n\n' +
    'static long plain(int a)\n{\n\ta = b + 1;\n}\n\nstatic long plain(int a)\n{\n' +
    '\ta = b + 1;\n}\n\nint f1(struct inode *inode)\n{\n\tinode_lock(inode);\n' +
    '\terr = notify_change(idmap, dentry, attr, delegated_inode);\n' +
    '\terr = notify_change(idmap, dentry, attr, delegated_inode);\n' +
    '\tinode_lock(inode);\n\tinode_lock(inode);\n\tinode_lock(inode);\n' +
    '\tinode_lock(inode);\n\terr = f1(inode);\n}\n\nint f1(struct inode *inode)\n' +
    '{\n\terr = f1(inode);\n\tmutex_unlock(&inode->i_mutex);\n\terr = f1(inode);\n' +
    '\terr = break_lease(inode, O_WRONLY);\n}\n';
  assert.equal(prescan(text).functions[0].tidy, false, 'the first f1 is untidy');
  const r = bothWays(analyzer, 'untidy.c', text);
  assert.deepEqual(r.pre, r.full);
});

test('prescan: stray text before a function header keeps its neighbour in the parse', async () => {
  // Found by the property test below: `> * inode` before f1's header is read by the parser's error recovery, which
  // joins it with the function before; leaving `plain` out of the parse changed what the parser made of f1.
  const analyzer = await sharedAnalyzer();
  const text =
    'static long plain(int a)\n{\n\ta = b + 1;\n}\n\n> * inode\nint f1(struct inode *inode)\n{\n' +
    '\terr = vfs_unlink(idmap, dir, dentry, NULL);\n}\n';
  const scan = prescan(text);
  assert.equal(scan.functions[1].tidy, false, 'f1 is untidy');
  const r = bothWays(analyzer, 'stray.c', text);
  assert.deepEqual(r.pre, r.full);
  // An annotation after the parameters (`__must_hold(&x->lock)`) is stray text to the parser too: kept whole, not cut.
  const held = prescan('static void g(struct x *x) __must_hold(&x->lock)\n{\n\tx->n++;\n}\n');
  assert.equal(held.functions[0].removable, false);
});

// ------------------------------------------------------------------ random token soup

const IDENTS = [
  'inode',
  'dir',
  'dentry',
  'err',
  'a',
  'f1',
  'f2',
  'f3',
  'helper',
  'NULL',
  'inode_lock',
  'inode_unlock',
  'try_break_deleg',
  'break_deleg_wait',
  'notify_change',
  'vfs_unlink',
  'vfs_rename',
  'mutex_lock',
  'mutex_unlock',
  'i_mutex',
  'i_rwsem',
  'mnt_idmap',
  'delegated_inode',
  'debugfs_create_file',
  'break_lease',
  'static',
  'int',
  'void',
  'struct',
  'return',
  'if',
  'else',
  'goto',
  'out',
  'SYSCALL_DEFINE2',
  'spin_lock',
  'file',
  'O_TRUNC',
  '__acquires',
  '__must_hold',
  'unsigned',
  'long',
];
const PUNCT = [
  '(',
  ')',
  '{',
  '}',
  ';',
  ',',
  '=',
  '*',
  '**',
  '&',
  '->',
  '.',
  '!',
  '?',
  ':',
  '[',
  ']',
  '0',
  '1',
  '0x1f',
  '1e+5',
  '-',
  '<',
  '>',
];
const LEXICAL = [
  '"a{"',
  "'}'",
  '"\\"}"',
  "'\\''",
  '/* { */',
  '/* } ; */',
  '// }\n',
  '// x \\\n } \n',
  '\n#if X\n',
  '\n#ifdef Y\n',
  '\n#else\n',
  '\n#endif\n',
  '\n#define F(x) { \\\n }\n',
  '\n#include "a.h"\n',
  '\\\n',
  '\n',
  '\r\n',
  '\r',
  ' ',
  '\t',
  '"unterminated',
  '/* open',
  "'",
  '#',
];

const token = fc.oneof(
  { arbitrary: fc.constantFrom(...IDENTS), weight: 5 },
  { arbitrary: fc.constantFrom(...PUNCT), weight: 5 },
  { arbitrary: fc.constantFrom(...LEXICAL), weight: 1 },
);
const soup = fc.array(token, { maxLength: 120 }).map((ts) => ts.join(' '));

const NAMES = ['f1', 'f2', 'f3', 'helper', 'do_it'];
/** Whole statements of both kinds of body. */
const STATEMENTS = [
  'inode_lock(inode);',
  'inode_unlock(inode);',
  'err = try_break_deleg(inode, delegated_inode);',
  'err = notify_change(idmap, dentry, attr, delegated_inode);',
  'err = vfs_unlink(idmap, dir, dentry, NULL);',
  'mutex_lock(&inode->i_mutex);',
  'mutex_unlock(&inode->i_mutex);',
  'break_deleg_wait(delegated_inode);',
  'spin_lock(&inode->i_lock);',
  'err = break_lease(inode, O_WRONLY);',
];
/** A body of `pieces` (weight 6), calls of the file's functions (2) and, with `soupToo`, random tokens (1). */
const bodyOf = (pieces: string[], soupToo: boolean, maxLength: number) =>
  fc
    .array(
      fc.oneof(
        { arbitrary: fc.constantFrom(...pieces), weight: 6 },
        { arbitrary: fc.constantFrom(...NAMES).map((n) => `err = ${n}(inode);`), weight: 2 },
        ...(soupToo ? [{ arbitrary: token, weight: 1 }] : []),
      ),
      { maxLength },
    )
    .map((ss) => ss.join('\n\t'));
/** Bodies with statement pieces (`if (err)`, `out:`, lone braces) and tokens: often untidy. */
const body = bodyOf([...STATEMENTS, 'if (err)', 'goto out;', 'out:', 'return err;', '{', '}', 'a = b + 1;'], true, 14);
/**
 * Bodies the pre-scan finds tidy, as real kernel functions are (a file with an untidy item is parsed whole, so
 * without these the shortcut would rarely be taken).
 */
const tidyBody = bodyOf(
  [
    ...STATEMENTS,
    'if (err)\n\t\tgoto out;',
    'if (err) {\n\t\tinode_unlock(inode);\n\t\treturn err;\n\t}',
    'out:\n\treturn err;',
  ],
  false,
  12,
);
const header = fc
  .tuple(
    fc.boolean(),
    fc.constantFrom(...NAMES),
    fc.constantFrom(
      'struct inode *inode',
      'struct mnt_idmap *idmap, struct inode *inode',
      'struct inode *inode, struct inode **delegated_inode',
      'struct delegated_inode *delegated_inode, struct inode *inode',
      'void',
      'struct mutex *m',
    ),
  )
  .map(([st, n, p]) => `${st ? 'static ' : ''}int ${n}(${p})`);
const item = fc.oneof(
  { arbitrary: fc.tuple(header, body).map(([h, b]) => `${h}\n{\n\t${b}\n}\n`), weight: 3 },
  { arbitrary: fc.tuple(header, tidyBody).map(([h, b]) => `${h}\n{\n\t${b}\n}\n`), weight: 3 },
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom('plain', 'other', 'more'),
        fc.constantFrom('a = b + 1;', 'return 0;', 'x->y = "}";', 'if (a) { b(); }', '/* inode_lock */ c++;'),
      )
      .map(([n, b]) => `static long ${n}(int a)\n{\n\t${b}\n}\n`),
    weight: 5,
  },
  {
    arbitrary: fc.constantFrom(
      'struct file_operations ops = { .open = f1, };\n',
      '#ifdef CONFIG_X\n',
      '#endif\n',
      '/* f2() { */\n',
      'module_init(f3)\n',
      'static struct dentry *d;\n',
      'EXPORT_SYMBOL(f1);\n',
      'SYSCALL_DEFINE1(thing, int, fd)\n{\n\treturn f1(NULL);\n}\n',
    ),
    weight: 2,
  },
  { arbitrary: soup, weight: 1 },
);
const file = fc.array(item, { maxLength: 10 }).map((xs) => xs.join('\n'));

/** Runs the property; returns how often each parse mode was used with findings (so a pass is not vacuous). */
async function sameFindings(
  arb: fc.Arbitrary<string>,
  runs: number,
  options: CheckOptions = {},
): Promise<Map<string, number>> {
  const analyzer = await sharedAnalyzer();
  const seen = new Map<string, number>();
  fc.assert(
    fc.property(arb, (text) => {
      const { pre, full, mode } = bothWays(analyzer, 'soup.c', text, options);
      assert.deepEqual(pre, full);
      const k = `${mode}${full.length ? '+findings' : ''}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }),
    { numRuns: runs },
  );
  return seen;
}

test('prescan property: random token soup, same findings with and without the pre-scan', async () => {
  await sameFindings(soup, Number(process.env.PRESCAN_RUNS ?? 300));
});

test('prescan property: random files of kernel-style functions, same findings (version read from the code)', async () => {
  const seen = await sameFindings(file, Number(process.env.PRESCAN_RUNS ?? 300));
  // The shortcut was taken (functions left out) on files with findings, and files were skipped whole.
  assert.ok((seen.get('partial+findings') ?? 0) >= 10, JSON.stringify([...seen]));
  assert.ok((seen.get('none') ?? 0) >= 3, JSON.stringify([...seen]));
});

test('prescan property: random files of kernel-style functions, same findings (--kernel 6.19)', async () => {
  const seen = await sameFindings(file, 150, { kernel: '6.19' });
  assert.ok((seen.get('partial+findings') ?? 0) >= 5, JSON.stringify([...seen]));
});
