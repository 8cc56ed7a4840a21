/**
 * The `.vfsrace` parser and compiler on arbitrary text (fast-check): any string — full Unicode, lone surrogates, every
 * kind of line break, the language's own tokens in any order, random mutations (deletions, duplications, token swaps)
 * of the built-in scenarios' sources — parses and compiles without throwing and in bounded time, and every
 * diagnostic points at a 1-based line and column inside the text (lines as an editor counts them: \n, \r\n or \r).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BUILTINS } from '../../src/sim/builtins';
import { compileScenario, type CompileOverrides } from '../../src/sim/lang/compile';
import { parseScenario, type Diagnostic } from '../../src/sim/lang/parse';

/** Lines as VS Code counts them. */
function linesOf(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

function assertInside(text: string, diags: Diagnostic[]): void {
  const lines = linesOf(text);
  for (const d of diags) {
    const where = `${JSON.stringify(d)} in ${JSON.stringify(text.length > 400 ? text.slice(0, 400) + '…' : text)}`;
    assert.ok(Number.isInteger(d.line) && d.line >= 1 && d.line <= lines.length, `line out of range: ${where}`);
    assert.ok(
      Number.isInteger(d.column) && d.column >= 1 && d.column <= lines[d.line - 1].length + 1,
      `column out of range: ${where}`,
    );
    assert.ok(Number.isInteger(d.length) && d.length >= 0, `length: ${where}`);
    assert.ok(typeof d.message === 'string' && d.message.length > 0, `message: ${where}`);
    assert.ok(d.severity === 'error' || d.severity === 'warning', `severity: ${where}`);
  }
}

/** Parse and compile must both survive; the compile result is consistent with its diagnostics. */
function check(text: string, overrides: CompileOverrides = {}): void {
  const parsed = parseScenario(text);
  assertInside(text, parsed.diagnostics);
  const r = compileScenario(text, 'prop.vfsrace', overrides);
  assertInside(text, r.diagnostics);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(r.program === null, errors.length > 0, 'a program exactly when there is no error');
  if (r.program) {
    for (const t of r.program.threads) {
      for (const i of t.instrs)
        for (const n of i.next) assert.ok(n >= 0 && n <= t.instrs.length, `jump target ${n} of ${t.instrs.length}`);
    }
  }
}

const WORDS = [
  'scenario',
  'description',
  'kernel',
  'set',
  'inode',
  'lock',
  'check',
  'thread',
  'client',
  'actor',
  'if',
  'else',
  'loop',
  'choose',
  'or',
  'goto',
  'return',
  'unlock',
  'trylock',
  'grant',
  'setlease',
  'open',
  'close',
  'rename',
  'link',
  'unlink',
  'create',
  'mkdir',
  'rmdir',
  'break_lease',
  'break_deleg',
  'try_break_deleg',
  'break_deleg_wait',
  'wait',
  'await_recall',
  'delegreturn',
  'sleep',
  'change',
  'iget',
  'iput',
  'setattr',
  'dir',
  'file',
  'f',
  'dir/a',
  'dir/b',
  'at',
  'as',
  'ref',
  'err',
  'delegated_inode',
  'deleg',
  'read',
  'write',
  'nonblock',
  'shared',
  'mutex',
  'spin',
  'rwsem',
  'f.flc_lock',
  'rename_mutex',
  '3.12',
  '3.13',
  '6.19',
  '99.99',
  'x',
  '30ms',
  '45s',
  'lease_break_time',
  'cache_capacity',
  'deleg-change',
  'deadlock',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'prototype',
  'retry:',
  'NaN',
  '-1',
  '1e999',
];
const PUNCT = [
  '{',
  '}',
  ':',
  ',',
  '!',
  '?',
  ';',
  '=',
  '->',
  '-',
  '"',
  '"str"',
  '"\\',
  '#',
  '//',
  '/',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\r',
];
const ODD = ['\u0000', '\ufeff', '\u2028', '\u00e9', '\u{1F600}', '\ud800', '\udc00', '\ud83d', '\ufffd', '\u0085'];

const token = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 5, arbitrary: fc.constantFrom(...PUNCT) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 3 }) },
);

const kernels = fc.constantFrom<CompileOverrides>(
  {},
  { kernel: '3.12' },
  { kernel: '6.19' },
  { kernel: 'bogus' },
  { set: { lease_break_time: 'x', cache_capacity: '2' } },
);

test('arbitrary Unicode text: no throw, every diagnostic inside the text', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => check(text)),
    { numRuns: 500 },
  );
  // Lone surrogates and odd code units are UTF-16 strings an editor can hold too.
  fc.assert(
    fc.property(
      fc.string({
        unit: fc.oneof(fc.constantFrom(...ODD), fc.string({ unit: 'binary', maxLength: 1 })),
        maxLength: 200,
      }),
      (text) => check(text),
    ),
    { numRuns: 300 },
  );
});

test('token soup of the language: no throw, every diagnostic inside the text', () => {
  fc.assert(
    fc.property(fc.array(token, { maxLength: 300 }), kernels, (toks, o) => check(toks.join(' '), o)),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.array(token, { maxLength: 300 }), (toks) => check(toks.join(''))),
    { numRuns: 500 },
  );
});

/** The built-ins' sources cut into tokens with the whitespace between them kept (so joining gives the text back). */
const SOURCES = BUILTINS.map((b) => b.text.match(/\s+|"(?:[^"\\\n]|\\.)*"?|->|[{}:;,!?=#]|[^\s{}:;,!?=#"]+/g) ?? []);

type Mutation = [kind: number, at: number, n: number, other: number];

function mutate(toks: string[], ops: Mutation[]): string {
  const t = [...toks];
  for (const [kind, a, n, b] of ops) {
    if (!t.length) t.push('{');
    const i = a % t.length;
    const j = b % t.length;
    switch (kind) {
      case 0: // delete a run of tokens
        t.splice(i, 1 + (n % 8));
        break;
      case 1: // duplicate a run of tokens (blocks, lines, threads)
        t.splice(i, 0, ...t.slice(j, j + 1 + n * 3));
        break;
      case 2: // swap two tokens
        [t[i], t[j]] = [t[j], t[i]];
        break;
      case 3: // replace a token by one of the language's (or an odd one)
        t[i] = [...WORDS, ...PUNCT, ...ODD][n * 7 + (b % 97)] ?? '}';
        break;
      case 4: // cut a token in half (splits strings, arrows, words)
        t[i] = t[i].slice(0, Math.max(0, t[i].length >> 1));
        break;
      default: // drop every line break in a stretch (statements run together)
        for (let k = i; k < Math.min(t.length, i + 20); k++) t[k] = t[k].replace(/[\r\n]+/g, n % 2 ? ' ' : '\r');
    }
  }
  return t.join('');
}

test('the built-in scenarios compile cleanly (the mutation test starts from valid text)', () => {
  for (const [i, b] of BUILTINS.entries()) {
    assert.equal(SOURCES[i].join(''), b.text, `${b.name}: tokens join back to the source`);
    if (b.kind !== 'race') continue;
    const r = compileScenario(b.text, b.name);
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity === 'error'),
      [],
      b.name,
    );
  }
});

test('random mutations of the built-in scenarios: no throw, every diagnostic inside the text', () => {
  fc.assert(
    fc.property(
      fc.nat({ max: SOURCES.length - 1 }),
      fc.array(fc.tuple(fc.nat({ max: 5 }), fc.nat(), fc.nat({ max: 12 }), fc.nat()), { minLength: 1, maxLength: 12 }),
      kernels,
      (which, ops, o) => check(mutate(SOURCES[which], ops), o),
    ),
    { numRuns: Number(process.env.SIM_LANG_RUNS ?? 1500) },
  );
});

test('pathological shapes end with a diagnostic, not a stack overflow or a hang', () => {
  const deep = (open: string, n: number) =>
    `inode f : file\nthread a {\n${open.repeat(n)}\nlock f\n${'}\n'.repeat(n)}}\n`;
  for (const text of [
    deep('loop {\n', 100000),
    deep('if err {\n', 50000),
    deep('choose {\n', 50000),
    deep('if ? { } else ', 50000) + '{ }\n',
    `inode f : file\nthread a {\n${'if err { } else if err { }\n'.repeat(20000)}}\n`,
    `thread a {\n${'{'.repeat(200000)}`,
    '"'.repeat(300000),
    `thread a {\n${'lock f -> -> -> '.repeat(50000)}\n}`,
    `inode f : file at ${'dir/a, '.repeat(50000)}\n`,
    '\r'.repeat(100000) + 'thread',
  ]) {
    const t0 = Date.now();
    check(text);
    assert.ok(Date.now() - t0 < 60000, 'finished');
  }
  const r = compileScenario(deep('loop {\n', 100000), 'deep.vfsrace');
  assert.equal(r.program, null);
  assert.ok(
    r.diagnostics.some((d) => /nested more than \d+ deep/.test(d.message)),
    JSON.stringify(r.diagnostics.slice(0, 3)),
  );
});

test('a lone carriage return ends a line, as it does in the editor', () => {
  const r = compileScenario('inode f : file\rthread a {\r  lock f\r  bogus f\r  unlock f\r}\r', 'cr.vfsrace');
  assert.deepEqual(
    r.diagnostics.map((d) => [d.line, d.column, d.message]),
    [[4, 3, "unknown statement 'bogus'"]],
  );
});

test('statement keywords that are Object.prototype names are unknown statements, not crashes', () => {
  for (const kw of [
    'constructor',
    'toString',
    'hasOwnProperty',
    'valueOf',
    '__proto__',
    'isPrototypeOf',
    '__defineGetter__',
  ]) {
    const r = compileScenario(`inode f : file\nthread a {\n  ${kw} f\n}\n`, 'proto.vfsrace');
    assert.deepEqual(
      r.diagnostics.map((d) => [d.line, d.column, d.message]),
      [[3, 3, `unknown statement '${kw}'`]],
      kw,
    );
  }
});
