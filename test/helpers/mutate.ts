/**
 * Mutants of real kernel functions, made at test time from ../shared/kernel-corpus (never stored): the call sites to
 * edit are found in the syntax tree (by callee name inside the named function), not by searching the text.
 */
import { copySubtree, type SNode } from '../../src/core/parse/syntax';
import { findFunctions } from '../../src/core/parse/units';
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

  constructor(analyzer: Analyzer, readonly text: string, readonly fn: string) {
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
          out.push({ start: n.start, end: n.end, stmtStart: s.start, stmtEnd: s.end, text: this.text.slice(n.start, n.end) });
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
    for (const e of [...this.edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
    return out;
  }
}
