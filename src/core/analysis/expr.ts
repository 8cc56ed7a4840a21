/**
 * Which object does an expression denote? Expressions become canonical access paths ("keys"):
 * `d_inode(rd->old_dentry)`, `old_dentry->d_inode` (with `old_dentry = rd->old_dentry`) and `source` (with
 * `source = old_dentry->d_inode`) all become `rd.old_dentry.d_inode`. `&`, `*`, `->` and `.` are transparent:
 * a key names an object, not a pointer to it.
 *
 * Aliases are flow-insensitive: a variable (or field path) assigned exactly one non-NULL value in the function is
 * replaced by that value's key; one assigned several different values is a root of its own, and facts about it
 * are forgotten at each assignment (see `rootsOf`).
 */
import type { Catalogue } from '../catalogue/catalogue';
import { type SNode, textOf, infixOperator, prefixOperator } from '../parse/syntax';

export const NULL_KEY = 'NULL';

export interface LocalVar {
  name: string;
  type: string;
  isParam: boolean;
  paramIndex: number;
}

/** Per-function table of variable definitions and the canonicalizer built on it. */
export class ExprContext {
  /** LHS key (variable name or raw field path) → right-hand sides assigned to it. */
  private readonly defs = new Map<string, SNode[]>();
  /** Extra alias facts, e.g. `d.d_parent` → parent's key for `d = start_dirop(parent, ...)`. */
  private readonly extraAliases = new Map<string, string[]>();
  private readonly resolved = new Map<string, string | null>();
  private readonly resolving = new Set<string>();
  readonly vars = new Map<string, LocalVar>();
  /** Number of assignments per root name (parameters count their incoming value). */
  readonly assignCount = new Map<string, number>();

  /** What an in-file function returns (from its summary), as a template over its arguments. */
  returnsOf: (name: string) => string | undefined = () => undefined;

  constructor(
    readonly src: string,
    readonly cat: Catalogue,
  ) {}

  text(n: SNode): string {
    return textOf(this.src, n);
  }

  declareVar(v: LocalVar): void {
    if (!this.vars.has(v.name)) this.vars.set(v.name, v);
  }

  /** Records `lhs = rhs` (lhs: identifier or field expression; `*p = x` writes the pointee, not p). */
  addDef(lhs: SNode, rhs: SNode): void {
    if (lhs.type === 'pointer_expression') return;
    const key = this.rawPath(lhs);
    if (!key) return;
    const list = this.defs.get(key) ?? [];
    list.push(rhs);
    this.defs.set(key, list);
    const root = key.split('.')[0];
    this.assignCount.set(root, (this.assignCount.get(root) ?? 0) + 1);
  }

  addDefKey(key: string, rhs: SNode): void {
    const list = this.defs.get(key) ?? [];
    list.push(rhs);
    this.defs.set(key, list);
  }

  addAlias(path: string, target: string): void {
    const list = this.extraAliases.get(path) ?? [];
    if (list.includes(target)) return;
    list.push(target);
    this.extraAliases.set(path, list);
    // A path resolved before this alias existed must be resolved again.
    this.resolved.clear();
  }

  /** The alias targets recorded for a path (`addAlias`). */
  aliasTargets(path: string): readonly string[] {
    return this.extraAliases.get(path) ?? [];
  }

  defsOf(name: string): readonly SNode[] {
    return this.defs.get(name) ?? [];
  }

  /** `a->b.c` → "a.b.c" without alias resolution (for LHS). */
  rawPath(n: SNode): string | null {
    switch (n.type) {
      case 'identifier':
        return this.text(n);
      case 'field_expression': {
        const base = this.rawPath(n.children[0]);
        const f = n.children[1];
        if (!base || !f) return null;
        return base + '.' + this.text(f);
      }
      case 'parenthesized_expression':
        return n.children[0] ? this.rawPath(n.children[0]) : null;
      case 'pointer_expression':
        return n.children[0] ? this.rawPath(n.children[0]) : null;
      default:
        return null;
    }
  }

  /** The canonical key of an expression, or null if it denotes no trackable object. */
  key(n: SNode | undefined): string | null {
    if (!n) return null;
    switch (n.type) {
      case 'identifier': {
        const name = this.text(n);
        if (name === 'NULL') return NULL_KEY;
        return this.resolvePath(name);
      }
      case 'null':
        return NULL_KEY;
      case 'number_literal':
        return this.text(n) === '0' ? NULL_KEY : null;
      case 'field_expression': {
        const base = this.key(n.children[0]);
        const f = n.children[1];
        if (!base || !f || base === NULL_KEY) return null;
        return this.appendField(base, this.text(f));
      }
      case 'parenthesized_expression':
      case 'pointer_expression':
        return this.key(n.children[0]);
      case 'cast_expression':
        return this.key(n.children[n.children.length - 1]);
      case 'call_expression': {
        const fn = n.children[0];
        const args = n.children[1]?.children ?? [];
        if (!fn || fn.type !== 'identifier') return null;
        const name = this.text(fn);
        if ((this.cat.transparent.has(name) || this.cat.isSameObjectCall(name)) && args.length === 1)
          return this.key(args[0]);
        const template = this.cat.accessors.get(name) ?? this.returnsOf(name);
        if (template) return this.instantiate(template, (i) => this.key(args[i]));
        return null;
      }
      case 'assignment_expression':
        // `inode = f->f_inode = dentry->d_inode` denotes the value assigned.
        return this.key(n.children[1]);
      default:
        return null;
    }
  }

  /** Fills a catalogue path template (`arg0.d_inode`) given argument keys. */
  instantiate(template: string, arg: (i: number) => string | null): string | null {
    const dot = template.indexOf('.');
    const head = dot < 0 ? template : template.slice(0, dot);
    const rest = dot < 0 ? '' : template.slice(dot + 1);
    const m = /^arg(\d+)$/.exec(head);
    if (!m) return null;
    const base = arg(parseInt(m[1], 10));
    if (!base || base === NULL_KEY) return base;
    return rest ? this.appendPath(base, rest) : base;
  }

  appendPath(base: string, rest: string): string {
    let cur = base;
    for (const f of rest.split('.')) cur = this.appendField(cur, f);
    return cur;
  }

  appendField(base: string, field: string): string {
    // `&ei->vfs_inode` is the inode `ei` wraps: one inode, one key (`BTRFS_I(inode)` is `inode` too).
    if (this.cat.sameObjectFields.has(field)) return base;
    const alias = this.cat.fieldAliases.get(field);
    if (alias && alias !== field) return this.appendPath(base, alias);
    return this.resolvePath(base + '.' + field);
  }

  /** Resolves a path through single-definition aliases (whole path first, then the root variable). */
  resolvePath(path: string): string {
    const r = this.aliasOf(path);
    return r ?? path;
  }

  private aliasOf(path: string): string | null {
    if (this.resolved.has(path)) return this.resolved.get(path)!;
    if (this.resolving.has(path)) return null;
    this.resolving.add(path);
    let result: string | null = null;
    const extra = this.extraAliases.get(path);
    const defs = this.defs.get(path);
    const v = this.vars.get(path);
    if (extra && extra.length === 1 && !defs) {
      result = extra[0];
    } else if (defs && !(v && v.isParam) && !(v && v.type && !v.type.includes('*'))) {
      // A struct-valued local (`struct renamedata rd = *tmpl`) is a copy, never another name for its source.
      const keys = new Set<string>();
      let unknown = false;
      for (const d of defs) {
        // A constant (`attrs.ia_valid = ATTR_SIZE`, an upper-case macro) is a value, not another name of an object.
        if (d.type === 'identifier' && !this.vars.has(this.text(d)) && /^[A-Z_][A-Z0-9_]*$/.test(this.text(d))) {
          unknown = true;
          break;
        }
        const k = this.key(d);
        if (k === NULL_KEY) continue;
        if (k === null) {
          unknown = true;
          break;
        }
        keys.add(k);
      }
      if (!unknown && keys.size === 1) {
        const only = [...keys][0];
        if (only !== path && !only.startsWith(path + '.')) result = only;
      }
    }
    this.resolving.delete(path);
    this.resolved.set(path, result);
    return result;
  }

  /** The root variables a key depends on (for forgetting facts when one is reassigned). */
  static rootOf(key: string): string {
    const i = key.indexOf('.');
    return i < 0 ? key : key.slice(0, i);
  }

  /** Whether a variable (by name) has more than one distinct definition, so assignments change what it denotes. */
  isReassigned(name: string): boolean {
    const v = this.vars.get(name);
    const n = this.assignCount.get(name) ?? 0;
    if (v?.isParam) return n > 0;
    return this.aliasOf(name) === null && n > 0;
  }

  paramIndexOfRoot(key: string): number {
    const v = this.vars.get(ExprContext.rootOf(key));
    return v && v.isParam ? v.paramIndex : -1;
  }

  /** A variable that holds a structure itself, not a pointer (`struct path path;`): its members are read with `.`. */
  isStructValue(name: string): boolean {
    const t = this.vars.get(name)?.type;
    return !!t && /^(const\s+)?struct\s/.test(t) && !t.includes('*') && !t.includes('[');
  }

  /** A key as C source (`d_inode(path.dentry)` for the struct local `path`). */
  describeKey(key: string): string {
    const root = ExprContext.rootOf(key);
    return describePath(root, key.slice(root.length + 1), this.isStructValue(root));
  }

  isLocalVar(name: string): boolean {
    const v = this.vars.get(name);
    return !!v && !v.isParam;
  }

  /** The display text for a key: the shortest source variable that denotes it, else the key itself. */
  display(key: string, hint?: SNode): string {
    if (hint) return this.text(hint).replace(/\s+/g, ' ');
    return key;
  }

  binaryOp(n: SNode): string {
    return infixOperator(this.src, n);
  }

  unaryOp(n: SNode): string {
    return prefixOperator(this.src, n);
  }
}

/** Identifiers in an expression whose value it reads, for deciding which facts an assignment invalidates. */
export function identifiersOf(ctx: ExprContext, n: SNode, out: Set<string> = new Set()): Set<string> {
  const stack = [n];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.type === 'identifier') out.add(ctx.text(x));
    else if (x.type === 'field_identifier') continue;
    else for (const c of x.children) stack.push(c);
  }
  return out;
}

/** `dentry` + `d_inode` → `d_inode(dentry)`; `rd` + `old_parent.d_inode` → `d_inode(rd->old_parent)`. */
export function describePath(base: string, rest: string, structBase = false): string {
  if (!rest) return base;
  const parts = rest.split('.');
  let cur = base;
  for (const [i, p] of parts.entries())
    cur = p === 'd_inode' ? `d_inode(${cur})` : `${cur}${i === 0 && structBase ? '.' : '->'}${p}`;
  return cur;
}
