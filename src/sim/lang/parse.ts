/**
 * `.vfsrace` scenario language: tokens and syntax tree. Line-oriented: one statement per line (or separated by
 * `;`), blocks in braces. Every node keeps its line and column (1-based) for diagnostics and for linking a
 * trace step back to its source line. See docs/simulator.md for the grammar.
 *
 * Any text parses: errors are diagnostics (never exceptions), lines are counted as an editor counts them (`\n`,
 * `\r\n` or a lone `\r`), columns in UTF-16 code units, and blocks nested deeper than MAX_NESTING are reported and
 * skipped rather than recursed into (the compiler recurses over the tree too).
 */

export interface Pos {
  line: number;
  column: number;
  /** Length in characters of the source text the node came from (on its first line). */
  length: number;
}

export interface Diagnostic extends Pos {
  message: string;
  severity: 'error' | 'warning';
}

type TokKind = 'word' | 'string' | 'number' | 'punct' | 'eol' | 'eof';

export interface Token extends Pos {
  kind: TokKind;
  text: string;
}

const PUNCT = ['->', '{', '}', ':', ',', '!', '?', ';', '='];

/** Deepest nesting of blocks (and `else if` chains) parsed; real scenarios nest a handful deep. */
export const MAX_NESTING = 64;

function isWordChar(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    ch === '_' ||
    ch === '.' ||
    ch === '/' ||
    ch === '-'
  );
}

function isDigit(ch: string): boolean {
  return ch >= '0' && ch <= '9';
}

export function tokenize(text: string, diags: Diagnostic[]): Token[] {
  const out: Token[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((src, li) => {
    const line = li + 1;
    let i = 0;
    while (i < src.length) {
      const ch = src[i];
      if (ch === ' ' || ch === '\t') {
        i++;
        continue;
      }
      if (ch === '#' || (ch === '/' && src[i + 1] === '/')) break;
      const column = i + 1;
      if (ch === '"') {
        let j = i + 1;
        let value = '';
        while (j < src.length && src[j] !== '"') {
          if (src[j] === '\\' && j + 1 < src.length) j++;
          value += src[j++];
        }
        if (j >= src.length)
          diags.push({ line, column, length: src.length - i, message: 'unterminated string', severity: 'error' });
        out.push({ kind: 'string', text: value, line, column, length: j + 1 - i });
        i = j + 1;
        continue;
      }
      const punct = PUNCT.find((p) => src.startsWith(p, i));
      if (punct) {
        out.push({ kind: 'punct', text: punct, line, column, length: punct.length });
        i += punct.length;
        continue;
      }
      if (isWordChar(ch) && ch !== '-') {
        let j = i;
        while (j < src.length && isWordChar(src[j]) && !src.startsWith('->', j)) j++;
        const word = src.slice(i, j);
        out.push({ kind: isDigit(ch) ? 'number' : 'word', text: word, line, column, length: j - i });
        i = j;
        continue;
      }
      // A whole code point (an emoji is two UTF-16 units), named by its number when it is invisible or unpaired.
      const cp = src.codePointAt(i)!;
      const width = cp > 0xffff ? 2 : 1;
      const shown =
        cp < 0x20 ||
        (cp >= 0x7f && cp <= 0xa0) ||
        (cp >= 0xd800 && cp <= 0xdfff) ||
        cp === 0xfeff ||
        cp === 0x2028 ||
        cp === 0x2029
          ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`
          : `'${src.slice(i, i + width)}'`;
      diags.push({ line, column, length: width, message: `unexpected character ${shown}`, severity: 'error' });
      i += width;
    }
    out.push({ kind: 'eol', text: '', line, column: src.length + 1, length: 0 });
  });
  out.push({ kind: 'eof', text: '', line: lines.length, column: 1, length: 0 });
  return out;
}

// ---------------------------------------------------------------- syntax tree

export interface Stmt extends Pos {
  /** The statement keyword (`lock`, `grant`, `if`, `label`, ...). */
  kw: string;
  /** Words and strings after the keyword, up to a block or the end of the statement. */
  args: Token[];
  /** `-> name` result binding, for statements that take one. */
  bind?: Token;
  /** if/loop/choose: the blocks ([then, else] or the alternatives). */
  blocks?: Stmt[][];
  /** if: the condition (`err`, `!err`, `?`). */
  cond?: { negated: boolean; name: string; pos: Pos };
}

export interface ThreadDecl extends Pos {
  kind: 'thread' | 'client' | 'actor';
  name: string;
  label?: string;
  body: Stmt[];
}

export interface Directive extends Pos {
  kw: string;
  args: Token[];
}

export interface ScenarioAst {
  directives: Directive[];
  threads: ThreadDecl[];
}

export class Parser {
  private i = 0;
  /** Blocks (and `else if` links) open around the current token. */
  private depth = 0;
  constructor(
    private readonly toks: Token[],
    private readonly diags: Diagnostic[],
  ) {}

  private get tok(): Token {
    return this.toks[this.i];
  }

  private error(t: Pos, message: string): void {
    this.diags.push({ line: t.line, column: t.column, length: Math.max(1, t.length), message, severity: 'error' });
  }

  private skipEnds(): void {
    while (this.tok.kind === 'eol' || (this.tok.kind === 'punct' && this.tok.text === ';')) this.i++;
  }

  private isPunct(p: string): boolean {
    return this.tok.kind === 'punct' && this.tok.text === p;
  }

  /** Skips to the end of the line (error recovery). */
  private recover(): void {
    while (this.tok.kind !== 'eol' && this.tok.kind !== 'eof') this.i++;
  }

  parse(): ScenarioAst {
    const ast: ScenarioAst = { directives: [], threads: [] };
    for (this.skipEnds(); this.tok.kind !== 'eof'; this.skipEnds()) {
      const t = this.tok;
      if (t.kind !== 'word') {
        this.error(
          t,
          `expected a declaration (scenario, kernel, set, inode, lock, check, thread, client), found '${t.text || t.kind}'`,
        );
        this.i++;
        this.recover();
        continue;
      }
      if (t.text === 'thread' || t.text === 'client' || t.text === 'actor') ast.threads.push(this.thread());
      else ast.directives.push(this.directive());
    }
    return ast;
  }

  private directive(): Directive {
    const kw = this.tok;
    this.i++;
    const args: Token[] = [];
    while (this.tok.kind !== 'eol' && this.tok.kind !== 'eof' && !this.isPunct(';')) {
      if (this.isPunct('{') || this.isPunct('}')) {
        this.error(this.tok, `unexpected '${this.tok.text}' in '${kw.text}'`);
        this.i++;
        continue;
      }
      args.push(this.tok);
      this.i++;
    }
    return { kw: kw.text, args, line: kw.line, column: kw.column, length: kw.length };
  }

  private thread(): ThreadDecl {
    const kw = this.tok;
    this.i++;
    const decl: ThreadDecl = {
      kind: kw.text as ThreadDecl['kind'],
      name: '',
      body: [],
      line: kw.line,
      column: kw.column,
      length: kw.length,
    };
    if (this.tok.kind === 'word') {
      decl.name = this.tok.text;
      this.i++;
    } else {
      this.error(this.tok, `expected a name after '${kw.text}'`);
    }
    if (this.tok.kind === 'string') {
      decl.label = this.tok.text;
      this.i++;
    }
    decl.body = this.block(`${kw.text} ${decl.name}`);
    return decl;
  }

  /** `{ stmt* }`; the opening brace may follow on the next line. */
  private block(what: string): Stmt[] {
    while (this.tok.kind === 'eol') this.i++;
    if (!this.isPunct('{')) {
      this.error(this.tok, `expected '{' to start the body of ${what}`);
      this.recover();
      return [];
    }
    const open = this.tok;
    if (this.depth >= MAX_NESTING) {
      this.error(open, `blocks nested more than ${MAX_NESTING} deep: the body of ${what} is skipped`);
      this.skipBraces();
      return [];
    }
    this.i++;
    this.depth++;
    const body: Stmt[] = [];
    try {
      for (this.skipEnds(); !this.isPunct('}'); this.skipEnds()) {
        if (this.tok.kind === 'eof') {
          this.error(open, `'{' of ${what} is never closed`);
          return body;
        }
        const s = this.statement();
        if (s) body.push(s);
      }
      this.i++;
      return body;
    } finally {
      this.depth--;
    }
  }

  /** From a `{`, past its matching `}` (or to the end of the text), without recursion. */
  private skipBraces(): void {
    let open = 0;
    do {
      if (this.isPunct('{')) open++;
      else if (this.isPunct('}')) open--;
      this.i++;
    } while (open > 0 && this.tok.kind !== 'eof');
  }

  private statement(): Stmt | null {
    const kw = this.tok;
    if (kw.kind !== 'word') {
      this.error(kw, `expected a statement, found '${kw.text || kw.kind}'`);
      this.i++;
      this.recover();
      return null;
    }
    this.i++;
    const base = { line: kw.line, column: kw.column, length: kw.length };
    if (this.isPunct(':')) {
      this.i++;
      return { ...base, kw: 'label', args: [kw] };
    }
    if (kw.text === 'if') return this.ifStatement(base);
    if (kw.text === 'loop') return { ...base, kw: 'loop', args: [], blocks: [this.block('loop')] };
    if (kw.text === 'choose') return this.choose(base);
    const s: Stmt = { ...base, kw: kw.text, args: [] };
    while (this.tok.kind !== 'eol' && this.tok.kind !== 'eof' && !this.isPunct(';') && !this.isPunct('}')) {
      if (this.isPunct('->') && kw.text !== 'rename' && kw.text !== 'link') {
        this.i++;
        if (this.tok.kind === 'word') s.bind = this.tok;
        else this.error(this.tok, `expected a variable name after '->'`);
        this.i++;
        continue;
      }
      if (this.isPunct('{')) {
        this.error(this.tok, `'${kw.text}' takes no block`);
        this.i++;
        continue;
      }
      s.args.push(this.tok);
      this.i++;
    }
    return s;
  }

  private ifStatement(base: Pos): Stmt {
    let negated = false;
    const start = this.tok;
    if (this.isPunct('!')) {
      negated = true;
      this.i++;
    }
    let name = '';
    if (this.isPunct('?')) name = '?';
    else if (this.tok.kind === 'word') name = this.tok.text;
    else this.error(this.tok, `expected a condition after 'if' (a variable such as err, or '?')`);
    const pos = { line: start.line, column: start.column, length: this.tok.column + this.tok.length - start.column };
    this.i++;
    const blocks = [this.block('if')];
    const save = this.i;
    while (this.tok.kind === 'eol') this.i++;
    if (this.tok.kind === 'word' && this.tok.text === 'else') {
      this.i++;
      const inner = this.tok as Token;
      if (inner.kind === 'word' && inner.text === 'if') {
        this.i++;
        if (this.depth >= MAX_NESTING) {
          this.error(inner, `'else if' chained more than ${MAX_NESTING} deep: the rest of the chain is skipped`);
          this.skipElseChain();
          blocks.push([]);
        } else {
          this.depth++;
          try {
            blocks.push([this.ifStatement({ line: inner.line, column: inner.column, length: inner.length })]);
          } finally {
            this.depth--;
          }
        }
      } else {
        blocks.push(this.block('else'));
      }
    } else {
      this.i = save;
    }
    return { ...base, kw: 'if', args: [], blocks, cond: { negated, name, pos } };
  }

  private isWord(w: string): boolean {
    return this.tok.kind === 'word' && this.tok.text === w;
  }

  private skipEols(): void {
    while (this.tok.kind === 'eol') this.i++;
  }

  /** After `else if`: skips conditions and blocks up to the end of the chain, without recursion. */
  private skipElseChain(): void {
    for (;;) {
      while (this.tok.kind !== 'eof' && this.tok.kind !== 'eol' && !this.isPunct('{') && !this.isPunct('}')) this.i++;
      this.skipEols();
      if (!this.isPunct('{')) return;
      this.skipBraces();
      const save = this.i;
      this.skipEols();
      if (!this.isWord('else')) {
        this.i = save;
        return;
      }
      this.i++;
      if (this.isWord('if')) this.i++;
    }
  }

  private choose(base: Pos): Stmt {
    const blocks = [this.block('choose')];
    for (;;) {
      const save = this.i;
      while (this.tok.kind === 'eol') this.i++;
      if (this.tok.kind === 'word' && this.tok.text === 'or') {
        this.i++;
        blocks.push(this.block('or'));
      } else {
        this.i = save;
        break;
      }
    }
    return { ...base, kw: 'choose', args: [], blocks };
  }
}

export function parseScenario(text: string): { ast: ScenarioAst; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const toks = tokenize(text, diagnostics);
  const ast = new Parser(toks, diagnostics).parse();
  return { ast, diagnostics };
}
