/**
 * Control-flow graph of one function body: if/else, switch, loops (including the kernel's
 * `list_for_each_entry(...) { }` macros), goto and labels, early return, `do { } while (0)`, `#ifdef` blocks,
 * and scope guards (`guard(mutex)(&m)`, `scoped_guard(spinlock, &l) { }`) released at scope exit.
 *
 * Conditions are lowered with short-circuit evaluation: `if (a && !b)` becomes two `cond` nodes, each testing one
 * atom, so the analysis can learn one fact per edge.
 */
import { walk, type SNode } from '../parse/syntax';

export type NodeKind = 'entry' | 'exit' | 'stmt' | 'cond' | 'choice' | 'return' | 'label' | 'guard' | 'scopeExit';

export interface GuardInfo {
  /** Guard class (`mutex`, `spinlock`, ...) and the lock expression. */
  cls: string;
  args: SNode[];
  site: SNode;
}

export interface CfgNode {
  id: number;
  kind: NodeKind;
  /** Expressions evaluated at this node, in order (statement expressions, declarations, the condition atom). */
  exprs: SNode[];
  /** The syntax node this CFG node stands for (for ranges and hovers). */
  ast: SNode | null;
  /** stmt/label/return/guard/scopeExit: [next]; cond: [ifTrue, ifFalse]; choice: any number. -1 = unreachable. */
  succ: number[];
  /** cond: the tested atom, with `!`, parentheses and likely()/unlikely() stripped; `negated` if an odd number of `!`. */
  atom?: SNode;
  negated?: boolean;
  guards?: GuardInfo[];
  label?: string;
}

export interface Cfg {
  nodes: CfgNode[];
  entry: number;
  exit: number;
  labels: Map<string, number>;
  /** Set when the body was too large or deep to lower completely. */
  truncated: boolean;
  /** Why it was truncated: too many nodes (a long body) or too deep a nesting. */
  truncatedBy?: 'size' | 'depth';
}

interface Edge {
  node: number;
  slot: number;
}

export interface CfgOptions {
  text: (n: SNode) => string;
  isLoopMacro: (name: string) => boolean;
  transparent: ReadonlySet<string>;
  scopedGuard: string;
  guard: string;
  maxNodes?: number;
}

const MAX_DEPTH = 400;

export function buildCfg(body: SNode, opts: CfgOptions): Cfg {
  return new Builder(opts).build(body);
}

interface LoopCtx {
  breaks: Edge[];
  continues: Edge[];
  guardDepth: number;
}

class Builder {
  private readonly nodes: CfgNode[] = [];
  private readonly labels = new Map<string, number>();
  private readonly loops: LoopCtx[] = [];
  /** Active guards, innermost last, one array per scope. */
  private readonly scopes: GuardInfo[][] = [];
  private exitId = -1;
  private truncated = false;
  private truncatedBy: 'size' | 'depth' | undefined;
  private depth = 0;
  private body: SNode | null = null;
  private scan: { idCounts: Map<string, number>; plainBools: Set<string> } | null = null;
  /** Identifier uses (by start offset) that stand for a copied condition (see copiedConditions). */
  private readonly condSubst = new Map<number, SNode>();

  constructor(private readonly o: CfgOptions) {}

  build(body: SNode): Cfg {
    this.body = body;
    const entry = this.node('entry', null);
    this.exitId = this.node('exit', null);
    const outs = this.stmt(body, [{ node: entry, slot: 0 }]);
    this.connect(outs, this.exitId);
    // Labels that were jumped to but never defined (macro-hidden, or parse errors): treat as falling to exit.
    for (const [, id] of this.labels) if (this.nodes[id].succ.length === 0) this.nodes[id].succ.push(this.exitId);
    return {
      nodes: this.nodes,
      entry,
      exit: this.exitId,
      labels: this.labels,
      truncated: this.truncated,
      truncatedBy: this.truncatedBy,
    };
  }

  private node(kind: NodeKind, ast: SNode | null, exprs: SNode[] = []): number {
    const id = this.nodes.length;
    this.nodes.push({ id, kind, exprs, ast, succ: [] });
    if (this.o.maxNodes && id > this.o.maxNodes && !this.truncated) {
      this.truncated = true;
      this.truncatedBy = 'size';
    }
    return id;
  }

  private connect(edges: Edge[], target: number): void {
    for (const e of edges) {
      const s = this.nodes[e.node].succ;
      while (s.length <= e.slot) s.push(-1);
      s[e.slot] = target;
    }
  }

  /** Creates a node, connects `preds` to it, and returns its outgoing edge. */
  private simple(kind: NodeKind, ast: SNode | null, exprs: SNode[], preds: Edge[]): Edge[] {
    if (preds.length === 0) return [];
    const id = this.node(kind, ast, exprs);
    this.connect(preds, id);
    return [{ node: id, slot: 0 }];
  }

  private labelNode(name: string): number {
    let id = this.labels.get(name);
    if (id === undefined) {
      id = this.node('label', null);
      this.nodes[id].label = name;
      this.labels.set(name, id);
    }
    return id;
  }

  /** Releases the guards of scopes deeper than `depth` (for return/goto/break leaving them). */
  private releaseGuards(preds: Edge[], depth: number, ast: SNode | null): Edge[] {
    let cur = preds;
    for (let i = this.scopes.length - 1; i >= depth; i--) {
      const g = this.scopes[i];
      if (g.length === 0 || cur.length === 0) continue;
      const id = this.node('scopeExit', ast);
      this.nodes[id].guards = [...g].reverse();
      this.connect(cur, id);
      cur = [{ node: id, slot: 0 }];
    }
    return cur;
  }

  private stmt(s: SNode, preds: Edge[]): Edge[] {
    if (
      preds.length === 0 &&
      s.type !== 'labeled_statement' &&
      s.type !== 'compound_statement' &&
      s.type !== 'case_statement'
    ) {
      // Unreachable code still matters if it holds a label: lower it with no predecessors.
      if (!containsLabel(s)) return [];
    }
    if (this.truncated) return preds;
    if (++this.depth > MAX_DEPTH) {
      this.truncated = true;
      this.truncatedBy = 'depth';
      this.depth--;
      return preds;
    }
    try {
      return this.stmtInner(s, preds);
    } finally {
      this.depth--;
    }
  }

  private stmtInner(s: SNode, preds: Edge[]): Edge[] {
    switch (s.type) {
      case 'compound_statement':
        return this.block(s.children, preds, s);
      case 'expression_statement':
      case 'declaration':
        return (
          (s.type === 'expression_statement' ? this.ternary(s, s.children[0], preds) : null) ??
          this.simple('stmt', s, s.children.length ? [s] : [], preds)
        );
      case 'if_statement': {
        const [cond, then, alt] = s.children;
        const { t, f } = this.cond(unparen(cond), preds);
        const outThen = then ? this.stmt(then, t) : t;
        const elseStmt = alt && alt.type === 'else_clause' ? alt.children[0] : alt;
        const outElse = elseStmt ? this.stmt(elseStmt, f) : f;
        return [...outThen, ...outElse];
      }
      case 'while_statement': {
        const [cond, body] = s.children;
        const head = this.node('label', s);
        this.connect(preds, head);
        const { t, f } = this.cond(unparen(cond), [{ node: head, slot: 0 }]);
        const ctx: LoopCtx = { breaks: [], continues: [], guardDepth: this.scopes.length };
        this.loops.push(ctx);
        const outBody = body ? this.stmt(body, t) : t;
        this.loops.pop();
        this.connect([...outBody, ...ctx.continues], head);
        return [...f, ...ctx.breaks];
      }
      case 'do_statement': {
        const [body, cond] = s.children;
        const head = this.node('label', s);
        this.connect(preds, head);
        const ctx: LoopCtx = { breaks: [], continues: [], guardDepth: this.scopes.length };
        this.loops.push(ctx);
        const outBody = body ? this.stmt(body, [{ node: head, slot: 0 }]) : [{ node: head, slot: 0 }];
        this.loops.pop();
        const condHead = this.node('label', cond ?? s);
        this.connect([...outBody, ...ctx.continues], condHead);
        const { t, f } = cond
          ? this.cond(unparen(cond), [{ node: condHead, slot: 0 }])
          : { t: [], f: [{ node: condHead, slot: 0 }] };
        this.connect(t, head);
        return [...f, ...ctx.breaks];
      }
      case 'for_statement':
        return this.forLoop(s, preds);
      case 'switch_statement':
        return this.switchStmt(s, preds);
      case 'case_statement':
        // Only reached outside a switch body (parse errors): lower its statements sequentially.
        return this.block(s.children.slice(isDefault(this.o.text(s)) ? 0 : 1), preds, null);
      case 'labeled_statement': {
        const [lbl, inner] = s.children;
        const id = this.labelNode(lbl ? this.o.text(lbl) : '?');
        this.nodes[id].ast = s;
        this.connect(preds, id);
        return inner ? this.stmt(inner, [{ node: id, slot: 0 }]) : [{ node: id, slot: 0 }];
      }
      case 'goto_statement': {
        const lbl = s.children[0];
        if (!lbl || lbl.type !== 'statement_identifier') {
          // Computed goto: unknown target, treat as leaving the function.
          const out = this.simple('stmt', s, [], preds);
          this.connect(out, this.exitId);
          return [];
        }
        const target = this.labelNode(this.o.text(lbl));
        const here = this.simple('stmt', s, [], preds);
        // Guards are scope-bound; a goto out of a guarded scope releases them (we do not know the label's scope
        // yet, so release all guards of scopes the label is not in: approximated as all inner scopes).
        this.connect(here, target);
        return [];
      }
      case 'return_statement': {
        const arms = s.children[0] ? this.ternaryArms(s.children[0]) : null;
        if (arms && preds.length) {
          // `return c ? a : b;`: a return of each arm, on its branch.
          const { t, f } = this.cond(arms.c, preds);
          for (const [edges, v] of [
            [t, arms.x],
            [f, arms.y],
          ] as const) {
            if (!edges.length) continue;
            const id = this.node('return', s, [v]);
            this.connect(edges, id);
            this.connect(this.releaseGuards([{ node: id, slot: 0 }], 0, s), this.exitId);
          }
          return [];
        }
        const id = this.node('return', s, s.children.length ? [s.children[0]] : []);
        this.connect(preds, id);
        const out = this.releaseGuards([{ node: id, slot: 0 }], 0, s);
        this.connect(out, this.exitId);
        return [];
      }
      case 'break_statement': {
        const loop = this.loops[this.loops.length - 1];
        if (!loop) return [];
        loop.breaks.push(...this.releaseGuards(preds, loop.guardDepth, s));
        return [];
      }
      case 'continue_statement': {
        const loop = [...this.loops].reverse().find((l) => l.continues !== SWITCH_CONTINUES);
        if (!loop) return [];
        loop.continues.push(...this.releaseGuards(preds, loop.guardDepth, s));
        return [];
      }
      case 'preproc_if':
      case 'preproc_ifdef':
      case 'preproc_else':
      case 'preproc_elif':
      case 'preproc_elifdef':
        return this.preproc(s, preds);
      case 'attributed_statement': {
        const inner = s.children[s.children.length - 1];
        return inner ? this.stmt(inner, preds) : preds;
      }
      case 'ERROR':
        // Keep analysing what tree-sitter could make of it: statements inside run in order.
        return this.block(s.children, preds, null);
      default:
        if (s.type.endsWith('_statement') || s.type.endsWith('expression')) return this.simple('stmt', s, [s], preds);
        return preds;
    }
  }

  private block(children: SNode[], preds: Edge[], scopeNode: SNode | null): Edge[] {
    this.scopes.push([]);
    let cur = preds;
    const copied = this.copiedConditions(children);
    for (let i = 0; i < children.length; i++) {
      const c = children[i];
      const next = children[i + 1];
      // `bool b = E;` whose one use is a later sibling `if (b)`: lowered there, as `if (E)` (see copiedConditions).
      if (copied.has(i)) continue;
      // `list_for_each_entry(...) { ... }` and `scoped_guard(...) { ... }`: a call with a missing ';' then a block.
      if (c.type === 'expression_statement' && next && next.type === 'compound_statement' && this.missingSemicolon(c)) {
        const call = c.children[0];
        if (call && call.type === 'call_expression' && call.children[0]?.type === 'identifier') {
          const name = this.o.text(call.children[0]);
          if (name === this.o.scopedGuard) {
            cur = this.scopedGuard(call, next, cur);
          } else {
            cur = this.macroLoop(c, next, cur);
          }
          i++;
          continue;
        }
      }
      const guard = c.type === 'expression_statement' ? this.guardOf(c.children[0]) : null;
      if (guard) {
        cur = this.simple('guard', c, [], cur);
        if (cur.length) this.nodes[cur[0].node].guards = [guard];
        this.scopes[this.scopes.length - 1].push(guard);
        continue;
      }
      cur = this.stmt(c, cur);
    }
    const guards = this.scopes.pop()!;
    if (guards.length && cur.length) {
      const id = this.node('scopeExit', scopeNode);
      this.nodes[id].guards = [...guards].reverse();
      this.connect(cur, id);
      cur = [{ node: id, slot: 0 }];
    }
    return cur;
  }

  /**
   * `x = c ? a : b;` (and GNU `x = c ?: b;`) as a statement: lowered as `if (c) x = a; else x = b;`, so a call in one
   * arm (`error = error ? error : dir->i_op->unlink(...)`) happens only on its branch, with what `c` says known there.
   */
  private ternary(s: SNode, e: SNode | undefined, preds: Edge[]): Edge[] | null {
    if (!e || e.type !== 'assignment_expression' || e.children.length !== 2 || !preds.length) return null;
    const [lhs, rhs] = e.children;
    const arms = this.ternaryArms(rhs);
    if (!arms) return null;
    if (this.op(e) !== '=') return null;
    const assign = (v: SNode): SNode => ({
      type: 'assignment_expression',
      start: e.start,
      end: Math.max(v.end, lhs.end),
      children: [lhs, v],
      parent: e.parent,
    });
    const { t, f } = this.cond(arms.c, preds);
    return [...this.simple('stmt', s, [assign(arms.x)], t), ...this.simple('stmt', s, [assign(arms.y)], f)];
  }

  /** The condition and arms of `c ? a : b` (for `c ?: b` the first arm is `c`, only when evaluating it again is harmless). */
  private ternaryArms(e: SNode): { c: SNode; x: SNode; y: SNode } | null {
    const x = this.stripParens(e);
    if (x.type !== 'conditional_expression') return null;
    if (x.children.length === 3) return { c: x.children[0], x: x.children[1], y: x.children[2] };
    if (x.children.length !== 2) return null;
    let pure = true;
    walk(x.children[0], (n) => {
      if (n.type === 'call_expression' || n.type === 'assignment_expression' || n.type === 'update_expression')
        pure = false;
    });
    return pure ? { c: x.children[0], x: x.children[0], y: x.children[1] } : null;
  }

  /**
   * A condition copied into a `bool` before the `if` that tests it (`bool must_wait = delegated_inode; if (must_wait)`,
   * `bool busy = is_deleg && !inode_trylock(inode); if (busy) return -EAGAIN;`) is that condition: the declaration
   * is lowered at the `if`, as its condition, so each atom of it (a trylock's outcome, a delegated-inode test) is
   * learned on the edges as if written there. Only when nothing can tell the two apart: the variable is a `bool`
   * declared with this initialiser, used nowhere else in the function but as an atom of one later sibling `if`'s
   * condition, and the statements between make no call, take no address, assign none of the initialiser's variables
   * and hold no label or jump. Returns the declarations' indexes (their `if`s are marked in `condSubst`).
   */
  private copiedConditions(children: SNode[]): Set<number> {
    const out = new Set<number>();
    for (let i = 0; i < children.length; i++) {
      const copy = this.boolCopy(children[i]);
      if (!copy) continue;
      const { name, init } = copy;
      const vars = new Set<string>();
      walk(init, (n) => {
        if (n.type === 'identifier') vars.add(this.o.text(n));
      });
      for (let j = i + 1; j < children.length; j++) {
        const c = children[j];
        if (c.type === 'if_statement') {
          const use = this.conditionAtom(c.children[0], name);
          if (use) {
            this.condSubst.set(use.start, init);
            out.add(i);
            break;
          }
        }
        if (!this.inert(c, vars)) break;
      }
    }
    return out;
  }

  /**
   * `bool b = E;`, or `b = E;` for a `bool b;` declared without a value: the variable and E, when the variable appears
   * nowhere else in the function but in one more place (the `if` that may test it).
   */
  private boolCopy(d: SNode): { name: string; init: SNode } | null {
    if (d.type === 'declaration') {
      if (!this.isBoolDeclaration(d)) return null;
      const decls = d.children.filter(
        (k) => k.type === 'init_declarator' || k.type === 'identifier' || k.type.endsWith('_declarator'),
      );
      if (decls.length !== 1 || decls[0].type !== 'init_declarator') return null;
      const [nameNode, init] = decls[0].children;
      if (!nameNode || nameNode.type !== 'identifier' || !init || init.type === 'initializer_list') return null;
      const name = this.o.text(nameNode);
      return this.identifierCount(name) === 2 ? { name, init } : null;
    }
    if (d.type !== 'expression_statement') return null;
    const a = d.children[0];
    if (!a || a.type !== 'assignment_expression' || a.children.length !== 2) return null;
    const [lhs, init] = a.children;
    if (lhs.type !== 'identifier' || this.op(a) !== '=') return null;
    const name = this.o.text(lhs);
    // Declared once, as a bool without a value: the declaration, this assignment and the test.
    return this.uninitialisedBools().has(name) && this.identifierCount(name) === 3 ? { name, init } : null;
  }

  private isBoolDeclaration(d: SNode): boolean {
    const typeNode = d.children.find((k) => k.type === 'primitive_type' || k.type === 'type_identifier');
    const typeText = typeNode ? this.o.text(typeNode) : '';
    return (
      (typeText === 'bool' || typeText === '_Bool') && !d.children.some((k) => k.type === 'storage_class_specifier')
    );
  }

  /** Locals declared `bool x;` (no value), each in exactly one declaration of the body. */
  private uninitialisedBools(): Set<string> {
    return this.bodyScan().plainBools;
  }

  /** The identifier `name` as an atom of condition `e` (reached through parentheses, `!`, `&&` and `||`). */
  private conditionAtom(e: SNode | undefined, name: string): SNode | null {
    if (!e) return null;
    const x = this.stripParens(e);
    if (x.type === 'identifier') return this.o.text(x) === name ? x : null;
    if (x.type === 'unary_expression' && this.o.text(x).trimStart().startsWith('!'))
      return this.conditionAtom(x.children[0], name);
    if (x.type === 'binary_expression' && (this.op(x) === '&&' || this.op(x) === '||'))
      return this.conditionAtom(x.children[0], name) ?? this.conditionAtom(x.children[1], name);
    return null;
  }

  /** A statement that cannot change what a copied condition over `vars` evaluates to, nor jump around it. */
  private inert(s: SNode, vars: ReadonlySet<string>): boolean {
    if (s.type !== 'declaration' && s.type !== 'expression_statement') return false;
    let ok = true;
    walk(s, (n) => {
      if (!ok) return;
      if (n.type === 'call_expression' || n.type === 'statement_expression' || n.type === 'compound_statement')
        ok = false;
      else if (n.type === 'pointer_expression' && this.o.text(n).trimStart().startsWith('&')) ok = false;
      else if (
        (n.type === 'assignment_expression' || n.type === 'update_expression') &&
        n.children.some((k) => rootIdentifiers(k, this.o.text).some((v) => vars.has(v)))
      )
        ok = false;
    });
    return ok;
  }

  /** Occurrences of identifier `name` in the function body. */
  private identifierCount(name: string): number {
    return this.bodyScan().idCounts.get(name) ?? 0;
  }

  /** One walk of the body, on first need: every identifier's occurrences, and the bools declared without a value. */
  private bodyScan(): { idCounts: Map<string, number>; plainBools: Set<string> } {
    if (!this.scan) {
      const idCounts = new Map<string, number>();
      const declared = new Map<string, number>();
      const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
      if (this.body)
        walk(this.body, (n) => {
          if (n.type === 'identifier') count(idCounts, this.o.text(n));
          else if (n.type === 'declaration' && this.isBoolDeclaration(n))
            for (const k of n.children) if (k.type === 'identifier') count(declared, this.o.text(k));
        });
      this.scan = { idCounts, plainBools: new Set([...declared].filter(([, c]) => c === 1).map(([k]) => k)) };
    }
    return this.scan;
  }

  private missingSemicolon(stmt: SNode): boolean {
    const t = this.o.text(stmt);
    return !t.trimEnd().endsWith(';');
  }

  /** `guard(cls)(args)` as a statement. */
  private guardOf(e: SNode | undefined): GuardInfo | null {
    if (!e || e.type !== 'call_expression') return null;
    const inner = e.children[0];
    if (!inner || inner.type !== 'call_expression') return null;
    const fn = inner.children[0];
    if (!fn || fn.type !== 'identifier' || this.o.text(fn) !== this.o.guard) return null;
    const clsNode = inner.children[1]?.children[0];
    return { cls: clsNode ? this.o.text(clsNode) : '', args: e.children[1]?.children ?? [], site: e };
  }

  private scopedGuard(call: SNode, body: SNode, preds: Edge[]): Edge[] {
    const args = call.children[1]?.children ?? [];
    const guard: GuardInfo = { cls: args[0] ? this.o.text(args[0]) : '', args: args.slice(1), site: call };
    const g = this.simple('guard', call, [], preds);
    if (g.length) this.nodes[g[0].node].guards = [guard];
    this.scopes.push([guard]);
    const ctx: LoopCtx = { breaks: [], continues: [], guardDepth: this.scopes.length - 1 };
    // scoped_guard is a one-shot for loop in the kernel: `break` leaves it.
    this.loops.push(ctx);
    const out = this.stmt(body, g);
    this.loops.pop();
    this.scopes.pop();
    const id = this.node('scopeExit', body);
    this.nodes[id].guards = [guard];
    this.connect(out, id);
    return [{ node: id, slot: 0 }, ...ctx.breaks];
  }

  private macroLoop(head: SNode, body: SNode, preds: Edge[]): Edge[] {
    const h = this.simple('stmt', head, [head], preds);
    if (h.length === 0) return [];
    const choice = this.node('choice', head);
    this.connect(h, choice);
    const ctx: LoopCtx = { breaks: [], continues: [], guardDepth: this.scopes.length };
    this.loops.push(ctx);
    const out = this.stmt(body, [{ node: choice, slot: 0 }]);
    this.loops.pop();
    this.connect([...out, ...ctx.continues], choice);
    return [{ node: choice, slot: 1 }, ...ctx.breaks];
  }

  private forLoop(s: SNode, preds: Edge[]): Edge[] {
    // for (init; cond; update) body — children are positional but any of the first three may be absent; tell
    // them apart by the semicolons' positions in the source.
    const text = this.o.text(s);
    const open = text.indexOf('(');
    const semis: number[] = [];
    let depth = 0;
    for (let i = open + 1; i < text.length && semis.length < 2; i++) {
      const ch = text[i];
      if (ch === '(') depth++;
      else if (ch === ')') depth--;
      else if (ch === ';' && depth === 0) semis.push(s.start + i);
    }
    const kids = s.children;
    const body = kids[kids.length - 1];
    const header = kids.slice(0, -1);
    let init: SNode | undefined;
    let cond: SNode | undefined;
    let update: SNode | undefined;
    for (const k of header) {
      if (semis.length < 2) {
        init = init ?? k;
        continue;
      }
      if (k.start < semis[0] || (k.type === 'declaration' && k.start < semis[1])) init = k;
      else if (k.start < semis[1]) cond = k;
      else update = k;
    }
    let cur = init ? this.simple('stmt', init, [init], preds) : preds;
    const head = this.node('label', s);
    this.connect(cur, head);
    const { t, f } = cond ? this.cond(cond, [{ node: head, slot: 0 }]) : { t: [{ node: head, slot: 0 }], f: [] };
    const ctx: LoopCtx = { breaks: [], continues: [], guardDepth: this.scopes.length };
    this.loops.push(ctx);
    const outBody = body ? this.stmt(body, t) : t;
    this.loops.pop();
    cur = [...outBody, ...ctx.continues];
    if (update) cur = this.simple('stmt', update, [update], cur);
    this.connect(cur, head);
    return [...f, ...ctx.breaks];
  }

  private switchStmt(s: SNode, preds: Edge[]): Edge[] {
    const [cond, body] = s.children;
    const sw = this.simple('stmt', s, cond ? [cond] : [], preds);
    if (sw.length === 0) return [];
    const choice = this.node('choice', s);
    this.connect(sw, choice);
    const ctx: LoopCtx = { breaks: [], continues: SWITCH_CONTINUES, guardDepth: this.scopes.length };
    this.loops.push(ctx);
    let fall: Edge[] = [];
    let slot = 0;
    let hasDefault = false;
    const items = body?.type === 'compound_statement' ? body.children : body ? [body] : [];
    this.scopes.push([]);
    for (const item of items) {
      if (item.type === 'case_statement') {
        const isDef = isDefault(this.o.text(item));
        if (isDef) hasDefault = true;
        const label = this.node('label', item);
        this.connect([{ node: choice, slot: slot++ }, ...fall], label);
        fall = this.block(item.children.slice(isDef ? 0 : 1), [{ node: label, slot: 0 }], null);
      } else {
        fall = this.stmt(item, fall);
      }
    }
    this.scopes.pop();
    this.loops.pop();
    const out = [...fall, ...ctx.breaks];
    if (!hasDefault) out.push({ node: choice, slot: slot++ });
    return out;
  }

  private preproc(s: SNode, preds: Edge[]): Edge[] {
    // #if/#ifdef inside a function: either branch may be compiled in.
    const kids = s.children;
    const alt = kids.find(
      (k) => k.type === 'preproc_else' || k.type === 'preproc_elif' || k.type === 'preproc_elifdef',
    );
    const skipFirst = s.type !== 'preproc_else';
    const body = kids.filter((k, i) => k !== alt && !(skipFirst && i === 0));
    if (preds.length === 0 && !containsLabel(s)) return [];
    const choice = this.node('choice', s);
    this.connect(preds, choice);
    const outThen = this.block(body, [{ node: choice, slot: 0 }], null);
    const outElse = alt ? this.preproc(alt, [{ node: choice, slot: 1 }]) : [{ node: choice, slot: 1 }];
    return [...outThen, ...outElse];
  }

  /** Short-circuit lowering of a condition into atom tests. */
  private cond(e: SNode | undefined, preds: Edge[], negated = false): { t: Edge[]; f: Edge[] } {
    if (!e) return { t: preds, f: [] };
    if (preds.length === 0) return { t: [], f: [] };
    const x = this.stripParens(e);
    if (x.type === 'unary_expression' && this.o.text(x).trimStart().startsWith('!')) {
      const r = this.cond(x.children[0], preds, !negated);
      return r;
    }
    if (x.type === 'binary_expression') {
      const op = this.op(x);
      if (op === '&&' || op === '||') {
        const [l, r] = x.children;
        // With negation pushed inward (De Morgan): !(a && b) == !a || !b.
        const isAnd = (op === '&&') !== negated;
        const left = this.cond(l, preds, negated);
        if (isAnd) {
          const right = this.cond(r, left.t, negated);
          return { t: right.t, f: [...left.f, ...right.f] };
        }
        const right = this.cond(r, left.f, negated);
        return { t: [...left.t, ...right.t], f: right.f };
      }
    }
    if (x.type === 'identifier' && this.condSubst.has(x.start))
      return this.cond(this.condSubst.get(x.start), preds, negated);
    if (x.type === 'comma_expression') {
      const [l, r] = x.children;
      const first = this.simple('stmt', l, [l], preds);
      return this.cond(r, first, negated);
    }
    if (
      x.type === 'number_literal' ||
      (x.type === 'identifier' && (this.o.text(x) === 'true' || this.o.text(x) === 'false')) ||
      x.type === 'true' ||
      x.type === 'false'
    ) {
      const t = this.o.text(x);
      const value = !(t === '0' || t === 'false' || t === '0UL' || t === '0L');
      return value !== negated ? { t: preds, f: [] } : { t: [], f: preds };
    }
    const id = this.node('cond', x, [x]);
    this.nodes[id].atom = x;
    this.nodes[id].negated = negated;
    this.connect(preds, id);
    return { t: [{ node: id, slot: 0 }], f: [{ node: id, slot: 1 }] };
  }

  private stripParens(e: SNode): SNode {
    let x = e;
    for (;;) {
      if (x.type === 'parenthesized_expression' && x.children.length === 1) {
        x = x.children[0];
        continue;
      }
      if (
        x.type === 'call_expression' &&
        x.children[0]?.type === 'identifier' &&
        this.o.transparent.has(this.o.text(x.children[0]))
      ) {
        const args = x.children[1]?.children ?? [];
        if (args.length === 1) {
          x = args[0];
          continue;
        }
      }
      return x;
    }
  }

  private op(x: SNode): string {
    const [a, b] = x.children;
    if (!a || !b) return '';
    return this.o
      .text(x)
      .slice(a.end - x.start, b.start - x.start)
      .trim();
  }
}

const SWITCH_CONTINUES: Edge[] = [];

function unparen(n: SNode | undefined): SNode | undefined {
  if (n && n.type === 'parenthesized_expression' && n.children.length === 1) return n.children[0];
  return n;
}

function isDefault(text: string): boolean {
  return text.trimStart().startsWith('default');
}

function containsLabel(s: SNode): boolean {
  const stack = [s];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'labeled_statement' || n.type === 'case_statement') return true;
    for (const c of n.children) stack.push(c);
  }
  return false;
}

/** The variables an lvalue writes: `x`, `x->f`, `x[i]`, `*x` all write through `x`. */
function rootIdentifiers(lhs: SNode, text: (n: SNode) => string): string[] {
  let x: SNode | undefined = lhs;
  while (x && x.type !== 'identifier') {
    if (
      x.type === 'field_expression' ||
      x.type === 'subscript_expression' ||
      x.type === 'pointer_expression' ||
      x.type === 'parenthesized_expression' ||
      x.type === 'cast_expression'
    )
      x = x.type === 'cast_expression' ? x.children[x.children.length - 1] : x.children[0];
    else return [];
  }
  return x ? [text(x)] : [];
}
