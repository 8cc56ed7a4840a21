/**
 * A token-level pre-scan of a C file: one linear pass of a small lexer (comments, string and character literals,
 * preprocessor lines and line continuations are skipped as the C grammar reads them) that splits the top level into
 * items and finds each function definition's extent (`...) {` at the top level up to its matching `}`).
 *
 * It decides nothing about findings: the engine uses it to leave out of the parse the functions that cannot matter
 * (engine.ts, `Document.prescanPlan`), and checks after the parse that what it parsed agrees with it, parsing the
 * whole file otherwise. When the lexer is not sure how the parser will read the file (unbalanced brackets, an
 * unterminated comment or literal, a closing bracket of the wrong kind), `ok` is false and the file is parsed whole.
 */
import { identifiersIn } from './units';

export interface ScanFunction {
  /** First token of the definition (after the previous item's `;` or `}`) to just after its closing `}`. */
  start: number;
  end: number;
  /** Offset of the body's opening brace. */
  bodyStart: number;
  /** The name the lexer reads (the identifier before the first top-level `(`; `sys_x` for SYSCALL_DEFINEn(x, ...)). */
  name: string;
  nameStart: number;
  nameEnd: number;
  /**
   * Every name the parser could give a function defined in this item: identifiers directly before a `(` in the
   * header (C keywords aside), and the syscall names. The engine checks the parsed names against it.
   */
  names: Set<string>;
  /**
   * Whether it can be left out of the parse whole: its #if/#ifdef/#ifndef ... #endif lines pair up inside it, what
   * follows its `}` starts a new item, and it is tidy at the token level (every `}` of a block follows `;`, `{` or
   * `}`; no `;` inside parentheses but `for (;;)`; nothing braced before its body), so that the parser's error
   * recovery in it, if any, cannot reach beyond it.
   */
  removable: boolean;
  /** Tidy at the token level (see `removable`): an untidy function is always parsed. */
  tidy: boolean;
}

export interface Prescan {
  /** False when the lexer cannot be sure of the file's top-level structure (then: parse it whole). */
  ok: boolean;
  why?: string;
  functions: ScanFunction[];
  /** Items outside functions that are not tidy (see `ScanFunction.removable`); parsed like every such item. */
  untidy: { start: number; end: number }[];
  /**
   * The names of the vocabulary given to `prescan()` that the file's code mentions (not its comments, string literals
   * or preprocessor lines, which the parser does not read as code either).
   */
  vocabulary: Set<string>;
}

const KEYWORDS = new Set([
  'if',
  'for',
  'while',
  'switch',
  'return',
  'sizeof',
  'int',
  'void',
  'char',
  'short',
  'long',
  'unsigned',
  'signed',
  'float',
  'double',
  'const',
  'volatile',
  'static',
  'inline',
  'extern',
  'struct',
  'union',
  'enum',
  'typeof',
  '__typeof__',
  'do',
  'else',
  'case',
  'default',
  'goto',
  'register',
  'auto',
  'restrict',
  '_Bool',
  'bool',
]);

const AGGREGATE = new Set(['struct', 'union', 'enum']);

/**
 * Punctuation a function's header can have: `*`, `(`, `)`, `[`, `]`, `,` and the dots of `...` (braces and `;` have
 * rules of their own).
 */
const HEADER_PUNCT = new Set([42, 40, 41, 91, 93, 44, 46, 123, 125, 59]);

const SYSCALL = /^(COMPAT_)?SYSCALL_DEFINE\d$/;

function isIdStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isIdPart(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57);
}

/** Token kinds the item logic needs (everything else is `OTHER`). */
const IDENT = 1;
const OTHER = 2;

/**
 * Scans `text` (see the module comment). Linear in its length. With a vocabulary, also says which of its names the
 * code mentions (`Prescan.vocabulary`), in the same pass.
 */
export function prescan(text: string, vocabulary?: { names: ReadonlySet<string>; maxLength: number }): Prescan {
  if (!warmedUp && text.length > WARM_UP_AFTER) warmUp();
  const n = text.length;
  const functions: ScanFunction[] = [];
  const seen = new Set<string>();
  const fail = (why: string): Prescan => ({ ok: false, why, functions: [], untidy: [], vocabulary: seen });
  const vocab = vocabulary?.names;
  const vmax = vocabulary?.maxLength ?? 0;
  const { first, last } = vocabulary ? shapesOf(vocabulary.names, vmax) : { first: null, last: null };
  /** Open brackets: 40 '(', 91 '[', 123 '{' (a `{` of a function body is 1123). */
  const stack: number[] = [];
  let itemStart = -1;
  // The last token at the top level: kind and, for ')' / identifiers, what it was.
  let lastTop = 0;
  let lastTopChar = 0;
  let bodyStart = -1;
  // Within the current item's header: the name candidates.
  let names = new Set<string>();
  let firstName = '';
  let firstNameStart = -1;
  let firstNameEnd = -1;
  let nested = '';
  let nestedStart = -1;
  let prevIdent = '';
  let prevIdentStart = -1;
  let syscallPending = false;
  let sysPrefix = '';
  let ppDepth = 0;
  let fileDepth = 0;
  let ppBalanced = true;
  let afterFunction = false;
  let prevTok = '';
  let prevTok2 = '';
  let tidy = true;
  /** The item so far has punctuation a function's header never has (`>`, `+`, `=`...): a function with it is untidy. */
  let odd = false;
  let expectParen = false;
  /** Top-level parenthesised groups closed in the current item's header. */
  let groups = 0;
  const untidy: { start: number; end: number }[] = [];
  let i = 0;
  const newItem = () => {
    itemStart = -1;
    names = new Set();
    firstName = '';
    firstNameStart = -1;
    nested = '';
    nestedStart = -1;
    tidy = true;
    odd = false;
    expectParen = false;
    groups = 0;
    prevIdent = '';
    syscallPending = false;
    ppDepth = 0;
    ppBalanced = true;
    lastTop = 0;
    lastTopChar = 0;
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    // Whitespace and line continuations.
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12) {
      i++;
      continue;
    }
    if (c === 92 /* \ */) {
      const d = text.charCodeAt(i + 1);
      if (d === 10) i += 2;
      else if (d === 13) i += text.charCodeAt(i + 2) === 10 ? 3 : 2;
      else i++;
      continue;
    }
    if (c === 47 /* / */) {
      const d = text.charCodeAt(i + 1);
      if (d === 42) {
        const e = text.indexOf('*/', i + 2);
        if (e < 0) return fail('unterminated comment');
        i = e + 2;
        continue;
      }
      if (d === 47) {
        i = lineEnd(text, i + 2);
        continue;
      }
    }
    if (c === 35 /* # */) {
      // A preprocessor line, to its end (continuations and comments included).
      const fileKind = directiveKind(text, i + 1);
      // Over the whole file: an #if left open (or an #endif without one) makes the parser nest everything after it,
      // so no item's extent can be trusted.
      if (fileKind === 1) fileDepth++;
      else if (fileKind === 3 && --fileDepth < 0) return fail('an #endif without its #if');
      const kind = itemStart < 0 ? 0 : fileKind;
      if (kind === 1) ppDepth++;
      else if (kind === 2) {
        if (ppDepth === 0) ppBalanced = false;
      } else if (kind === 3) {
        if (ppDepth === 0) ppBalanced = false;
        else ppDepth--;
      }
      const e = directiveEnd(text, i + 1);
      if (e < 0) return fail('unterminated comment in a preprocessor line');
      i = e;
      continue;
    }
    // A token.
    const tokStart = i;
    let kind = OTHER;
    let ident = '';
    if (c === 34 /* " */ || c === 39 /* ' */) {
      const e = literalEnd(text, i, c);
      if (e < 0) return fail(c === 34 ? 'unterminated string' : 'unterminated character literal');
      i = e;
    } else if (isIdStart(c)) {
      let j = i + 1;
      while (j < n && isIdPart(text.charCodeAt(j))) j++;
      const len = j - i;
      // Its name is read where it matters: in a header or between functions, for the keywords the item logic tests
      // (`for`, `struct`, `union`, `enum`), and for a name of the vocabulary (by length, first and last letter). In
      // a body any other identifier is only an identifier (`prevTok` needs no more).
      if (
        bodyStart < 0 ||
        len <= 6 ||
        (first && len <= vmax && first[len * 128 + c] && last[len * 128 + text.charCodeAt(j - 1)])
      ) {
        ident = text.slice(i, j);
        if (vocab?.has(ident)) seen.add(ident);
      } else ident = 'id';
      kind = IDENT;
      i = j;
    } else if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (isIdPart(d) || d === 46) j++;
        else if ((d === 43 || d === 45) && /[eEpP]/.test(text[j - 1])) j++;
        else break;
      }
      i = j;
    } else {
      i++;
    }
    // What follows a function's `}` must start a new item (`} ;`, `} ,`: a compound literal, not a function).
    if (afterFunction && (c === 59 || c === 44 || c === 61 || c === 41 || c === 93))
      functions[functions.length - 1].removable = false;
    afterFunction = false;
    if (itemStart < 0) {
      if (c === 59 /* ; */ && stack.length === 0) continue; // an empty declaration
      itemStart = tokStart;
    }
    const top = stack.length === 0;
    // Tidiness (see `removable`): what could make the parser's error recovery run past the item's end.
    const before2 = prevTok2;
    const before = prevTok;
    prevTok2 = prevTok;
    prevTok = kind === IDENT ? ident : c === 34 || c === 39 || (c >= 48 && c <= 57) ? 'literal' : text[tokStart];
    const inner = stack.length ? stack[stack.length - 1] : 0;
    if (c === 125 /* } */ && (inner === 123 || inner === 1123) && before !== ';' && before !== '}' && before !== '{')
      tidy = false;
    else if (c === 59 /* ; */ && (inner === 40 || inner === 91)) tidy = false;
    // A declarator, its types and attribute macros are names, `*`, brackets, commas, literals and `...`; anything else
    // before the body (stray text before the item, `__must_hold(&x->lock)`) is read by the parser's error recovery,
    // which can join it with the previous item.
    if (bodyStart < 0 && kind === OTHER && c !== 34 && c !== 39 && !(c >= 48 && c <= 57) && !HEADER_PUNCT.has(c))
      odd = true;
    // In a function's header, after its parameter list only attribute-like `name(...)` may follow.
    if (top && bodyStart < 0) {
      if (expectParen && c !== 40) tidy = false;
      expectParen = false;
      if (kind === IDENT && groups > 0) expectParen = true;
    }
    if (kind === IDENT) {
      if (bodyStart < 0) {
        if (syscallPending) {
          names.add(sysPrefix + ident);
          if (!firstName) {
            firstName = sysPrefix + ident;
            firstNameStart = tokStart;
            firstNameEnd = i;
          }
          syscallPending = false;
        }
        prevIdent = ident;
        prevIdentStart = tokStart;
      }
      if (top) {
        lastTop = IDENT;
        lastTopChar = 0;
      }
      continue;
    }
    if (c === 40 /* ( */ || c === 91 /* [ */ || c === 123 /* { */) {
      if (c === 40 && bodyStart < 0 && prevIdent && i - 1 === tokStart) {
        const m = SYSCALL.exec(prevIdent);
        if (m && top) {
          syscallPending = true;
          sysPrefix = m[1] ? 'compat_sys_' : 'sys_';
        } else if (!KEYWORDS.has(prevIdent)) {
          names.add(prevIdent);
          // The name before the first top-level `(`; else (`int (*f(int))(void)`) the first one nested.
          if (!firstName && top) {
            firstName = prevIdent;
            firstNameStart = prevIdentStart;
            firstNameEnd = prevIdentStart + prevIdent.length;
          } else if (!nested && !top) {
            nested = prevIdent;
            nestedStart = prevIdentStart;
          }
        }
      }
      if (c === 123 && top && lastTop === OTHER && lastTopChar === 41 /* ) */ && bodyStart < 0) {
        bodyStart = tokStart;
        if (odd) tidy = false;
        stack.push(1123);
      } else if (c === 123) {
        // An initialiser or a struct, union or enum body (2123): anything may come before its `}`. Any other brace
        // outside a function body is untidy.
        const aggregate =
          before === '=' ||
          before === ',' ||
          inner === 2123 ||
          AGGREGATE.has(before) ||
          (AGGREGATE.has(before2) && /^[A-Za-z_]/.test(before));
        if (top && !aggregate) tidy = false;
        stack.push(aggregate ? 2123 : 123);
      } else {
        // `for (;;)`: the one place a `;` is inside parentheses.
        stack.push(c === 40 && before === 'for' ? 1040 : c);
      }
      prevIdent = '';
      if (top) {
        lastTop = OTHER;
        lastTopChar = c;
      }
      continue;
    }
    if (c === 41 /* ) */ || c === 93 /* ] */ || c === 125 /* } */) {
      const open = stack.pop();
      const want = c === 41 ? 40 : c === 93 ? 91 : 123;
      if (open === undefined) return fail('a closing bracket without an opening one');
      if (open !== want && !((open === 1123 || open === 2123) && want === 123) && !(open === 1040 && want === 40))
        return fail('brackets of different kinds cross');
      if (c === 41 && stack.length === 0 && bodyStart < 0) groups++;
      prevIdent = '';
      if (stack.length === 0) {
        lastTop = OTHER;
        lastTopChar = c;
        if (open === 1123) {
          // A nested name only when the top level has none but its declarator's parentheses (`int (*f(int))(void)`).
          if ((!firstName || KEYWORDS.has(firstName)) && nested) {
            firstName = nested;
            firstNameStart = nestedStart;
            firstNameEnd = nestedStart + nested.length;
          }
          const f: ScanFunction = {
            start: itemStart,
            end: i,
            bodyStart,
            name: firstName,
            nameStart: firstNameStart,
            nameEnd: firstNameEnd,
            names,
            removable: tidy && ppBalanced && ppDepth === 0,
            tidy,
          };
          functions.push(f);
          bodyStart = -1;
          newItem();
          afterFunction = true;
        }
      }
      continue;
    }
    prevIdent = '';
    if (top) {
      lastTop = OTHER;
      lastTopChar = c;
      if (c === 59 /* ; */) {
        if (!tidy) untidy.push({ start: itemStart, end: i });
        newItem();
      }
    }
  }
  if (stack.length) return fail('brackets left open at the end of the file');
  if (fileDepth) return fail('an #if without its #endif');
  // An item the end of the file cuts short.
  if (itemStart >= 0) untidy.push({ start: itemStart, end: n });
  return { ok: true, functions, untidy, vocabulary: seen };
}

/** Length of a line continuation (`\` then a line end) at `i`, or 0. */
function continuation(text: string, i: number): number {
  if (text.charCodeAt(i) !== 92 /* \ */) return 0;
  const d = text.charCodeAt(i + 1);
  if (d === 10) return 2;
  if (d === 13) return text.charCodeAt(i + 2) === 10 ? 3 : 2;
  return 0;
}

/** End of a `//` comment (its line, continuations included). */
function lineEnd(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i;
    const cont = continuation(text, i);
    if (cont) {
      i += cont;
      continue;
    }
    i++;
  }
  return n;
}

/** 1: #if, #ifdef, #ifndef; 2: #else, #elif...; 3: #endif; 0: any other directive. */
function directiveKind(text: string, i: number): number {
  while (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9) i++;
  let j = i;
  while (j < text.length && isIdPart(text.charCodeAt(j))) j++;
  const w = text.slice(i, j);
  if (w === 'if' || w === 'ifdef' || w === 'ifndef') return 1;
  if (w === 'else' || w === 'elif' || w === 'elifdef' || w === 'elifndef') return 2;
  if (w === 'endif') return 3;
  return 0;
}

/** End of a preprocessor line: the first line end not continued, block comments inside skipped. -1: unterminated comment. */
function directiveEnd(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i;
    const cont = continuation(text, i);
    if (cont) {
      i += cont;
      continue;
    }
    if (c === 47 /* / */) {
      const d = text.charCodeAt(i + 1);
      if (d === 42) {
        const e = text.indexOf('*/', i + 2);
        if (e < 0) return -1;
        i = e + 2;
        continue;
      }
      if (d === 47) return lineEnd(text, i + 2);
    }
    i++;
  }
  return n;
}

/** Just past a string or character literal starting at `i`; -1 when a line ends first (or the text). */
function literalEnd(text: string, i: number, quote: number): number {
  const n = text.length;
  let j = i + 1;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c === quote) return j + 1;
    if (c === 92 /* \ */) {
      const d = text.charCodeAt(j + 1);
      j += d === 13 && text.charCodeAt(j + 2) === 10 ? 3 : 2;
      continue;
    }
    if (c === 10 || c === 13) return -1;
    j++;
  }
  return -1;
}

/** Identifiers a function item mentions, comments and literals included (as the analyzer's own filter reads them). */
export function itemIdentifiers(text: string, f: { start: number; end: number }): Set<string> {
  return identifiersIn(text, f.start, f.end);
}

/**
 * The literal words a version signature's regular expressions need in a parameter declaration (`struct
 * delegated_inode\\b` needs `struct` and `delegated_inode`), or null when they are not plain enough to tell (then
 * every function may match it).
 */
export function signatureWords(sig: { type: RegExp; name?: RegExp }): string[] | null {
  const out: string[] = [];
  for (const re of [sig.type, sig.name]) {
    if (!re) continue;
    if (re.flags.includes('i')) return null;
    const src = re.source;
    for (let i = 0; i < src.length; i++) {
      const c = src[i];
      if (c === '\\') {
        const d = src[i + 1] ?? '';
        // \b \s \* and other escaped punctuation need no word; \w, \d and the like could match anything.
        if (!'bsB*+?.()[]{}|^$\\/'.includes(d) || d === '') return null;
        i++;
        continue;
      }
      if ('|?()[]{}.+^$'.includes(c)) return null;
      if (c === '*') return null; // an unescaped repetition (could make the letter before it optional)
    }
    for (const w of src.replace(/\\./g, ' ').split(/[^A-Za-z0-9_]+/)) if (w) out.push(w);
  }
  return out;
}

/**
 * The identifiers of `text` (or of `text[from, to)`, added to `out`) that are in `vocabulary` (as `identifiersIn`
 * reads them: comments and literals included). For a test that depends only on those names, the same answer as over
 * all identifiers, without a set of them all.
 */
export function vocabularyIn(
  text: string,
  vocabulary: ReadonlySet<string>,
  maxLength: number,
  from = 0,
  to = text.length,
  out = new Set<string>(),
): Set<string> {
  const { first, last } = shapesOf(vocabulary, maxLength);
  const n = to;
  let i = from;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isIdStart(c)) {
      let j = i + 1;
      while (j < n && isIdPart(text.charCodeAt(j))) j++;
      const len = j - i;
      // Only a word whose length, first and last letters some name of the vocabulary has is looked up.
      if (len <= maxLength && first[len * 128 + c] && last[len * 128 + text.charCodeAt(j - 1)]) {
        const id = text.slice(i, j);
        if (vocabulary.has(id)) out.add(id);
      }
      i = j;
    } else if (c >= 48 && c <= 57) {
      i++;
      while (i < n && isIdPart(text.charCodeAt(i))) i++;
    } else i++;
  }
  return out;
}

/** Per vocabulary: which (length, first letter) and (length, last letter) pairs its names have. */
const shapes = new WeakMap<ReadonlySet<string>, { max: number; first: Uint8Array; last: Uint8Array }>();

function shapesOf(vocabulary: ReadonlySet<string>, maxLength: number): { first: Uint8Array; last: Uint8Array } {
  let s = shapes.get(vocabulary);
  if (!s || s.max !== maxLength) {
    const first = new Uint8Array((maxLength + 1) * 128);
    const last = new Uint8Array((maxLength + 1) * 128);
    for (const w of vocabulary) {
      if (!w.length || w.length > maxLength) continue;
      const a = w.charCodeAt(0);
      const z = w.charCodeAt(w.length - 1);
      if (a < 128) first[w.length * 128 + a] = 1;
      if (z < 128) last[w.length * 128 + z] = 1;
    }
    s = { max: maxLength, first, last };
    shapes.set(vocabulary, s);
  }
  return s;
}

/**
 * A few lines of C that take every branch of the lexer and of the item logic, scanned once before the first large file
 * (not when the module loads: the extension host loads it too, and small texts never get the loop optimised). The
 * pre-scan is a single long loop that V8 optimises early, in the first large file, while some branches have never
 * run; each branch first met later throws the optimised code away ("insufficient type feedback") and it is compiled
 * again: 15 compilations over linux-source-6.12 fs/, most of the pre-scan's cost in V8's compiler threads. Running
 * every branch once in the interpreter first gives them all their type feedback.
 */
const WARM_UP = [
  [
    '#include <linux/fs.h>',
    '#define X(a) \\',
    '\t(a + 1)',
    '#if 0',
    '#elif 1',
    '#else',
    '#endif',
    '/* comment */ // line comment \\',
    'continued',
    'static const char *s = "str\\"ing", c = \'\\\'\';',
    'static double d = 1.5e+3 + 0x1fULL - .5;',
    'struct s { int a; union { int b; } u; enum e { A, B } x; };',
    'static struct file_operations ops = { .open = f, .x = { 1, 2 }, };',
    'int (*fp(int a))(void) { return 0; }',
    'SYSCALL_DEFINE2(name, int, a, int, b)',
    '{',
    '\tfor (;;) { break; }',
    '\tstruct s v = { 0 };',
    '\tif (a > b && a < b || !a) a++; else { a--; }',
    '\treturn a ? b : -a;',
    '}',
    'COMPAT_SYSCALL_DEFINE1(other, int, a) { return a; }',
    'static void g(struct x *x) __must_hold(&x->lock)',
    '{',
    '\tx->n++;',
    '}',
    'int h(void) { a = b }',
    'int k(int a)',
    '{',
    '#ifdef CONFIG_X',
    '\ta = 1;',
    '#endif',
    '\treturn a[0];',
    '} ;',
    '# if defined(A) /* c */ && B // d',
    '#ifndef Z',
    '#elifdef Q',
    '#pragma once',
    '#define DIV (4 / 2) /* c */ \\',
    '\t+ 1 // d',
    'int x = f(a; b);',
    '#endif',
    '#endif',
    'int cr(void)\r\n{\r\n\ta = "x\\\r\ny";\r\n\tb = \\\r\n c; \\ d;\r\n}\r',
    '#pragma cr\r',
    'int u(void)',
    '{',
    '\tb = \\',
    ' c;',
    '\ta; a_rather_long_identifier',
    '}',
    'int tail(void)',
  ].join('\n'),
  'int f(void) { /* open',
  'int f(void) { "open',
  "int f(void) { 'x",
  'int f(void) { ) }',
  ') int f;',
  'int f(void) { ( ] }',
  'int f(void) { {',
  '#endif\nint f;',
  '#if X\nint f;',
  '#define Y /* open',
];
/** Texts longer than this (characters) run the warm-up first; every warm-up text is shorter. */
const WARM_UP_AFTER = 4096;
let warmedUp = false;

function warmUp(): void {
  warmedUp = true;
  const vocabulary = { names: new Set(['inode_lock', 'notify_change', 'break_lease']), maxLength: 13 };
  // Files with a character beyond Latin-1 are two-byte strings: their own type feedback.
  for (const text of [...WARM_UP, ...WARM_UP.map((t) => `/* \u2014 */ ${t}`)]) {
    prescan(text);
    prescan(text, vocabulary);
  }
}
