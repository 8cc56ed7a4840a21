/**
 * Condition atoms: what one test in a condition (`d_is_dir(d)`, `!inode`, `err`, `flags & O_TRUNC`) tells the
 * fixpoint about the path on each of its edges, as a fact key the state remembers.
 */
import type { Catalogue } from '../catalogue/catalogue';
import type { SNode } from '../parse/syntax';
import { ExprContext, NULL_KEY } from './expr';

export interface AtomInfo {
  /** Fact key, or null if this atom's value is not worth remembering. */
  fact: string | null;
  /** Roots the fact depends on. */
  roots: string[];
  /** A call result / variable whose pending conditional effects this test resolves. */
  result: { name: string; sense: 'truthy' | 'isErr' } | null;
  /** Fact value = edge value XOR invert. */
  invert: boolean;
  /** When the atom is true (or false), this fact also holds (`new_is_dir` true ⇒ the target is a directory). */
  implies?: { fact: string; value: boolean };
  impliesWhenFalse?: { fact: string; value: boolean };
  /** `x == ERR_PTR(e)`: true means x is an error pointer; false says nothing. */
  errOnlyWhenTrue?: boolean;
}

/** What computing an atom needs of the function: its expressions, the catalogue, its delegated-inode variables. */
export interface AtomEnv {
  readonly ctx: ExprContext;
  readonly cat: Catalogue;
  readonly diVars: ReadonlySet<string>;
}

/** What a condition atom (one test of a condition) tells, on each of its edges. */
export function computeAtom(env: AtomEnv, x: SNode, depth: number): AtomInfo {
  const { ctx, cat } = env;
  const none: AtomInfo = { fact: null, roots: [], result: null, invert: false };
  if (depth > 4) return none;
  while (x.type === 'parenthesized_expression' && x.children[0]) x = x.children[0];
  if (x.type === 'unary_expression' && ctx.unaryOp(x) === '!' && x.children[0]) {
    const inner = computeAtom(env, x.children[0], depth + 1);
    return { ...inner, invert: !inner.invert };
  }
  if (x.type === 'call_expression' && x.children[0]?.type === 'identifier') {
    const name = ctx.text(x.children[0]);
    const args = x.children[1]?.children ?? [];
    if (cat.transparent.has(name) && args.length === 1) return computeAtom(env, args[0], depth + 1);
    const p = cat.predicates.get(name);
    if (p) {
      const k = ctx.instantiate(p.target, (i) => ctx.key(args[i]));
      const target = p.modeField && k && k.endsWith('.' + p.modeField) ? k.slice(0, -(p.modeField.length + 1)) : k;
      if (!target || target === NULL_KEY) return none;
      const roots = [ExprContext.rootOf(target)];
      switch (p.kind) {
        case 'isDir':
          return { fact: `isDir:${target}`, roots, result: null, invert: false };
        case 'isNull':
          return { fact: `truthy:${target}`, roots, result: null, invert: true };
        case 'nonNull':
          return { fact: `truthy:${target}`, roots, result: null, invert: false };
        case 'private':
          return { fact: `nodeleg:${target}`, roots, result: null, invert: false };
        case 'isErr':
        case 'errOrZero':
        case 'isErrOrNull': {
          const name0 = args[0]?.type === 'identifier' ? ctx.text(args[0]) : target;
          return { fact: `isErr:${target}`, roots, result: { name: name0, sense: 'isErr' }, invert: false };
        }
        case 'delegated':
          return { fact: `deleg:${ExprContext.rootOf(target)}`, roots, result: null, invert: false };
      }
    }
    // A conditional acquisition used directly as the condition: `if (!inode_trylock(inode))`.
    return { fact: null, roots: [], result: { name: `#call@${x.start}`, sense: 'truthy' }, invert: false };
  }
  if (x.type === 'identifier') {
    const name = ctx.text(x);
    if (env.diVars.has(name)) return { fact: `deleg:${name}`, roots: [name], result: null, invert: false };
    const v = ctx.vars.get(name);
    const defs = ctx.defsOf(name);
    if (v && !v.isParam && defs.length > 0 && /\bbool\b|^int$/.test(v.type) && !v.type.includes('*')) {
      // A boolean computed once (`bool is_dir = d_is_dir(dentry)`): the test is a test of its definition.
      const infos = defs.filter((d) => !isConstant(ctx.text(d))).map((d) => computeAtom(env, d, depth + 1));
      const constants = defs.filter((d) => isConstant(ctx.text(d)));
      if (infos.length === 1 && infos[0].fact && constants.every((c) => isFalse(ctx.text(c)))) {
        const info = infos[0];
        // The variable keeps its value even if what it was computed from changes later (`*flp = ...`): the fact
        // is about the variable, and implies the fact about its definition.
        if (constants.length === 0) {
          return {
            fact: `truthy:${name}`,
            roots: [name],
            result: { name, sense: 'truthy' },
            invert: false,
            implies: { fact: info.fact!, value: !info.invert },
            impliesWhenFalse: { fact: info.fact!, value: info.invert },
          };
        }
        // `new_is_dir = false; ... new_is_dir = d_is_dir(d)`: the variable itself is a fact (tests of it correlate),
        // and only "true" tells us something about the directory.
        return {
          fact: `truthy:${name}`,
          roots: [name],
          result: null,
          invert: false,
          implies: { fact: info.fact!, value: !info.invert },
        };
      }
    }
    const k = ctx.key(x) ?? name;
    return {
      fact: `truthy:${k}`,
      roots: [ExprContext.rootOf(k), name],
      result: { name, sense: 'truthy' },
      invert: false,
    };
  }
  if (x.type === 'assignment_expression' && x.children[0]) {
    const p = ctx.rawPath(x.children[0]);
    if (p)
      return {
        fact: `truthy:${p}`,
        roots: [ExprContext.rootOf(p)],
        result: { name: p, sense: 'truthy' },
        invert: false,
      };
    return none;
  }
  if (x.type === 'binary_expression') {
    const op = ctx.binaryOp(x);
    const [l, r] = x.children;
    if (!l || !r) return none;
    if (op === '||' || op === '&&') {
      // `d_is_directory(d) || d_is_autodir(d)`: both sides test the same fact.
      const a = computeAtom(env, l, depth + 1);
      const b = computeAtom(env, r, depth + 1);
      if (a.fact && a.fact === b.fact && a.invert === b.invert) return { ...a, result: null };
      return none;
    }
    const isZero = (n: SNode) => n.type === 'null' || ctx.text(n) === 'NULL' || ctx.text(n) === '0';
    if ((op === '==' || op === '!=') && (isZero(l) || isZero(r))) {
      const other = isZero(l) ? r : l;
      const inner = computeAtom(env, other, depth + 1);
      return { ...inner, invert: op === '==' ? !inner.invert : inner.invert };
    }
    const isErrPtr = (n: SNode) =>
      n.type === 'call_expression' &&
      n.children[0]?.type === 'identifier' &&
      /^ERR_(PTR|CAST)$/.test(ctx.text(n.children[0]));
    if ((op === '==' || op === '!=') && (isErrPtr(l) || isErrPtr(r))) {
      // `dentry == ERR_PTR(-ENOENT)`: true only for an error pointer.
      const other = isErrPtr(l) ? r : l;
      const k = ctx.key(other);
      if (k && other.type === 'identifier' && op === '==') {
        return {
          fact: null,
          roots: [ExprContext.rootOf(k)],
          result: { name: ctx.text(other), sense: 'isErr' },
          invert: false,
          errOnlyWhenTrue: true,
        };
      }
    }
    if (op === '<' && isZero(r) && l.type === 'identifier') {
      const name = ctx.text(l);
      return { fact: `truthy:${name}`, roots: [name], result: { name, sense: 'truthy' }, invert: false };
    }
    if (op === '==' || op === '!=') {
      const a = ctx.key(l);
      const b = ctx.key(r);
      if (a && b && a !== NULL_KEY && b !== NULL_KEY) {
        const [p, q] = a < b ? [a, b] : [b, a];
        return {
          fact: `eq:${p}|${q}`,
          roots: [ExprContext.rootOf(a), ExprContext.rootOf(b)],
          result: null,
          invert: op === '!=',
        };
      }
    }
    if (op === '&') {
      const flagSide = [l, r].find((s) => s.type === 'identifier' && /^[A-Z_][A-Z0-9_]*$/.test(ctx.text(s)));
      if (flagSide) {
        const flag = ctx.text(flagSide);
        const other = flagSide === l ? r : l;
        // `fmode_t mode = file->f_mode; if (mode & FMODE_WRITE)`: a flags word copied once is the word itself.
        const copied =
          other.type === 'identifier' && ctx.isLocalVar(ctx.text(other)) && ctx.defsOf(ctx.text(other)).length === 1
            ? ctx.key(ctx.defsOf(ctx.text(other))[0])
            : null;
        const k = copied && copied !== NULL_KEY ? copied : ctx.key(other);
        const obj = k ? objectOfFlags(k) : ctx.text(other).replace(/\s+/g, '');
        return { fact: `flag:${flag}:${obj}`, roots: k ? [ExprContext.rootOf(k)] : [], result: null, invert: false };
      }
    }
  }
  // Anything else side-effect free: remembered only if tested more than once (correlated branches).
  if (isPure(x)) {
    const text = ctx.text(x).replace(/\s+/g, '');
    const roots = [...identifierRoots(ctx, x)];
    return { fact: `expr:${text}`, roots, result: null, invert: false };
  }
  return none;
}

function isConstant(t: string): boolean {
  return /^(true|false|0|1|NULL)$/.test(t.trim());
}

function isFalse(t: string): boolean {
  return /^(false|0|NULL)$/.test(t.trim());
}

function isPure(x: SNode): boolean {
  const stack = [x];
  while (stack.length) {
    const n = stack.pop()!;
    if (
      n.type === 'call_expression' ||
      n.type === 'assignment_expression' ||
      n.type === 'update_expression' ||
      n.type === 'ERROR'
    )
      return false;
    for (const c of n.children) stack.push(c);
  }
  return true;
}

function identifierRoots(ctx: ExprContext, x: SNode): Set<string> {
  const out = new Set<string>();
  const stack = [x];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'identifier') {
      const k = ctx.key(n);
      out.add(ctx.text(n));
      if (k) out.add(ExprContext.rootOf(k));
    } else for (const c of n.children) stack.push(c);
  }
  return out;
}

/** The fact that `flag` is set in the flags word `key` (a path such as `attr.ia_valid`, or `file` for `file.f_flags`). */
export function flagFact(flag: string, key: string): string {
  return `flag:${flag}:${objectOfFlags(key)}`;
}

/** `lease.c.flc_flags` → `lease.c`: the object whose flags word is tested. */
export function objectOfFlags(key: string): string {
  const i = key.lastIndexOf('.');
  if (i < 0) return key;
  const last = key.slice(i + 1);
  return /flags$/.test(last) ? key.slice(0, i) : key;
}
