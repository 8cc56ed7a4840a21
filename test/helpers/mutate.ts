/**
 * Mutants of real kernel functions, made at test time from ../shared/kernel-corpus (never stored): the call sites to
 * edit are found in the syntax tree (by callee name inside the named function), not by searching the text.
 */
import { copySubtree, type SNode, walk } from '../../src/core/parse/syntax';
import { findFunctions, type Param } from '../../src/core/parse/units';
import type { Analyzer } from '../../src/core/engine';

export interface CallSite {
  /** The call expression. */
  start: number;
  end: number;
  /** The statement containing it. */
  stmtStart: number;
  stmtEnd: number;
  text: string;
}

export class Mutator {
  private edits: { start: number; end: number; text: string }[] = [];
  private readonly fnStart: number;
  private readonly fnEnd: number;
  private readonly body: SNode;

  constructor(
    analyzer: Analyzer,
    readonly text: string,
    readonly fn: string,
  ) {
    const tree = analyzer.parser.parse(text);
    try {
      const types = tree.language.types as string[];
      const unit = findFunctions(tree.rootNode, text, types).find((u) => u.name === fn);
      if (!unit) throw new Error(`no function ${fn}`);
      this.fnStart = unit.start;
      this.fnEnd = unit.end;
      this.body = copySubtree(unit.bodyTs!, types);
    } finally {
      tree.delete();
    }
  }

  /** Calls to `callee` in the function, in source order. */
  calls(callee: string): CallSite[] {
    const out: CallSite[] = [];
    const stack: SNode[] = [this.body];
    while (stack.length) {
      const n = stack.pop()!;
      if (n.type === 'call_expression') {
        const f = n.children[0];
        if (f && f.type === 'identifier' && this.text.slice(f.start, f.end) === callee) {
          let s: SNode = n;
          while (s.parent && !(s.type.endsWith('_statement') || s.type === 'declaration')) s = s.parent;
          out.push({
            start: n.start,
            end: n.end,
            stmtStart: s.start,
            stmtEnd: s.end,
            text: this.text.slice(n.start, n.end),
          });
        }
      }
      for (const c of n.children) stack.push(c);
    }
    return out.sort((a, b) => a.start - b.start);
  }

  /** Statements of a given syntax type whose text mentions a call to `callee` (e.g. the `if` around break_deleg_wait). */
  enclosing(callee: string, type: string): { start: number; end: number }[] {
    return this.calls(callee).map((c) => {
      let n: SNode | null = this.nodeAt(c.start, c.end);
      while (n && n.type !== type) n = n.parent;
      if (!n) throw new Error(`no ${type} around ${callee}`);
      return { start: n.start, end: n.end };
    });
  }

  private nodeAt(start: number, end: number): SNode | null {
    const stack: SNode[] = [this.body];
    while (stack.length) {
      const n = stack.pop()!;
      if (n.start === start && n.end === end && n.type === 'call_expression') return n;
      for (const c of n.children) if (c.start <= start && c.end >= end) stack.push(c);
    }
    return null;
  }

  replace(start: number, end: number, text: string): this {
    if (start < this.fnStart || end > this.fnEnd) throw new Error('edit outside the function');
    this.edits.push({ start, end, text });
    return this;
  }

  insert(at: number, text: string): this {
    return this.replace(at, at, text);
  }

  result(): string {
    let out = this.text;
    for (const e of [...this.edits].sort((a, b) => b.start - a.start))
      out = out.slice(0, e.start) + e.text + out.slice(e.end);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Whole-file views, for mutants that span functions (a break removed from a static helper a locked caller uses) and
// for behaviour-preserving refactors that add new static helpers before the function they change.

/** One function of a file: its body as a plain syntax tree in file offsets. */
export interface FnView {
  name: string;
  start: number;
  end: number;
  bodyStart: number;
  isStatic: boolean;
  /** Parameters with their normalised types (`struct inode *`). */
  params: Param[];
  body: SNode;
  /** Whether tree-sitter parsed the function without a syntax error. */
  clean: boolean;
}

export interface Call extends CallSite {
  callee: string;
  node: SNode;
}

/** The functions of a file and structural queries over their bodies. */
export class FileView {
  readonly fns: FnView[];

  constructor(
    analyzer: Analyzer,
    readonly text: string,
  ) {
    const tree = analyzer.parser.parse(text);
    try {
      const types = tree.language.types as string[];
      this.fns = findFunctions(tree.rootNode, text, types)
        .filter((u) => u.bodyTs)
        .map((u) => ({
          name: u.name,
          start: u.start,
          end: u.end,
          bodyStart: u.bodyStart,
          isStatic: u.isStatic,
          params: u.params,
          body: copySubtree(u.bodyTs!, types),
          clean: u.clean !== false,
        }));
    } finally {
      tree.delete();
    }
  }

  fn(name: string): FnView | undefined {
    return this.fns.find((f) => f.name === name);
  }

  t(n: SNode): string {
    return this.text.slice(n.start, n.end);
  }

  /** Calls under `root` whose callee is a plain identifier accepted by `pred`, in source order. */
  calls(root: SNode, pred: (callee: string) => boolean): Call[] {
    const out: Call[] = [];
    walk(root, (n) => {
      if (n.type !== 'call_expression') return;
      const f = n.children[0];
      if (!f || f.type !== 'identifier') return;
      const callee = this.t(f);
      if (!pred(callee)) return;
      const s = this.statementOf(n);
      out.push({ start: n.start, end: n.end, stmtStart: s.start, stmtEnd: s.end, text: this.t(n), callee, node: n });
    });
    return out.sort((a, b) => a.start - b.start);
  }

  /** The arguments of a call expression. */
  args(call: SNode): SNode[] {
    return call.children[1]?.type === 'argument_list' ? call.children[1].children : [];
  }

  /** The innermost statement (or declaration) containing `n`. */
  statementOf(n: SNode): SNode {
    let s: SNode = n;
    while (s.parent && !(s.type.endsWith('_statement') || s.type === 'declaration')) s = s.parent;
    return s;
  }

  /** The statement containing `n` that is a direct child of a block (so text can be inserted before it). */
  blockStatementOf(n: SNode): SNode | null {
    let s: SNode | null = n;
    while (s && s.parent && s.parent.type !== 'compound_statement') s = s.parent;
    return s && s.parent ? s : null;
  }

  /** The statement after `s` in its block, if any. */
  nextSibling(s: SNode): SNode | null {
    const p = s.parent;
    if (!p) return null;
    const i = p.children.indexOf(s);
    return i >= 0 && i + 1 < p.children.length ? p.children[i + 1] : null;
  }

  /** Whether the subtree mentions identifier `name`. */
  mentions(root: SNode, name: string): boolean {
    let found = false;
    walk(root, (n) => {
      if (found) return false;
      if (n.type === 'identifier' && this.t(n) === name) found = true;
    });
    return found;
  }

  /** Identifier nodes named `name` under `root`. */
  identifiers(root: SNode, name: string): SNode[] {
    const out: SNode[] = [];
    walk(root, (n) => {
      if (n.type === 'identifier' && this.t(n) === name) out.push(n);
    });
    return out;
  }
}

/** A set of non-overlapping text edits anywhere in a file. */
export class Edits {
  private edits: { start: number; end: number; text: string }[] = [];

  constructor(readonly text: string) {}

  replace(start: number, end: number, text: string): this {
    for (const e of this.edits) {
      const overlaps = start < e.end && e.start < end;
      const sameInsert = start === end && e.start === e.end && start === e.start;
      if (overlaps || sameInsert) throw new Error('overlapping edits');
    }
    this.edits.push({ start, end, text });
    return this;
  }

  insert(at: number, text: string): this {
    return this.replace(at, at, text);
  }

  get size(): number {
    return this.edits.length;
  }

  result(): string {
    let out = this.text;
    for (const e of [...this.edits].sort((a, b) => b.start - a.start))
      out = out.slice(0, e.start) + e.text + out.slice(e.end);
    return out;
  }
}
