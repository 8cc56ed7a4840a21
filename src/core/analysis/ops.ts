/**
 * Turns the expressions of a CFG node into the events the dataflow understands, by asking the catalogue (and the
 * summaries of functions already analysed in this file) what each call does.
 */
import {
  type Catalogue,
  type Effect,
  type LockClass,
  type MutationKind,
  selectVariant,
  type ApiEntry,
  type Variant,
} from '../catalogue/catalogue';
import { type SNode } from '../parse/syntax';
import { ExprContext, NULL_KEY, describePath } from './expr';
export { describePath };
import { objectOfFlags } from './atoms';
import type { Summary } from './types';

export type OutArg =
  { kind: 'null' } | { kind: 'local'; name: string } | { kind: 'param'; index: number } | { kind: 'unknown' };

export type Op =
  | {
      k: 'lock';
      key: string;
      class: LockClass;
      mode: 'exclusive' | 'shared';
      when?: 'zero' | 'nonzero' | 'nonnull' | 'nonerr';
      result: string | null;
      ifNonNull: boolean;
      node: SNode;
      display: string;
      api: string;
      escapes?: boolean;
      /** Not the call's first lock (`lock_rename(p1, p2)`'s of p2): when both name one inode, the call takes it once. */
      again?: boolean;
      /** A helper's summarised acquisition (not a catalogued API's). */
      helper?: boolean;
    }
  | {
      k: 'unlock';
      key: string;
      class: LockClass;
      ifNonNull: boolean;
      node: SNode;
      api: string;
      certain: boolean;
      /** Released only if the call fails: `result` (the variable or call) is then an ERR_PTR, or nonzero (`!ptr`). */
      whenErr?: { result: string; ptr: boolean };
      /** Nothing is released when this argument (by its name or key) is known to be an ERR_PTR on the path. */
      unlessErr?: string[];
      /** A helper's summarised release: made on each of its successful returns, though not a direct unlock. */
      helper?: boolean;
      /** A helper's release made on every one of its returns, failing ones included: a later release is a second. */
      always?: boolean;
    }
  | {
      k: 'break';
      key: string;
      kind: 'deleg' | 'lease' | 'layout';
      blocking: boolean | null;
      out: OutArg | null;
      node: SNode;
      display: string;
      api: string;
      typeHasDeleg: boolean;
      /** Where a non-blocking break's result goes (a variable, or the call itself when it is tested directly). */
      result: string | null;
    }
  | { k: 'wait'; di: string | null; node: SNode; api: string }
  | {
      k: 'delegOp';
      api: string;
      out: OutArg;
      requires: { key: string; class: LockClass }[];
      breaks: string[];
      node: SNode;
      display: string[];
      result: string | null;
    }
  | { k: 'sleeps'; api: string; node: SNode; why: string; blocking: boolean }
  /** Freeze protection (mnt_want_write, sb_start_write) taken here: ordered before i_rwsem, so no caller holds an inode lock. */
  | { k: 'outerLock'; api: string; node: SNode }
  | {
      k: 'mutate';
      key: string;
      kind: MutationKind;
      what: string;
      node: SNode;
      severity?: 'error' | 'warning' | 'info';
      note?: string;
      dirIf: string | null;
      display: string;
      api: string;
      /** The callee changes the target only if it is a directory on this call (its own guard, catalogue `dirWhen`). */
      dirOnly?: boolean;
    }
  | {
      k: 'grant';
      lease: string | null;
      inode: string | null;
      requireTypeFact: boolean;
      recheckAfter: boolean;
      node: SNode;
      api: string;
      locksItself: boolean;
      rechecks: string[];
      /** Checks owed on the paths where a parameter of the given type is not NULL (catalogue `rechecksWhenParam`). */
      rechecksWhenParam: { type: string; check: string; since?: string }[];
    }
  | { k: 'conflictCheck'; node: SNode; check: string }
  | {
      k: 'access';
      key: string;
      kind: 'write' | 'read';
      when?: 'zero';
      result: string | null;
      node: SNode;
      display: string;
      api: string;
    }
  | { k: 'releaseAccess'; key: string; node: SNode }
  /** A callee that breaks this inode's leases on some of its paths (nfsd_open_break_lease() unless told not to). */
  | { k: 'leaseTry'; key: string; node: SNode }
  | {
      k: 'open';
      key: string | null;
      what: string;
      node: SNode;
      api: string;
      rule?: string;
      severity?: 'error' | 'warning' | 'info';
    }
  | {
      k: 'assign';
      root: string;
      node: SNode;
      value?: 'err' | 'null';
      havoc?: boolean;
      /** A field of the variable is written (`inode->i_mode = m`): the variable still names the same object. */
      field?: boolean;
      /** The written path (`attr.ia_file`), for a field write: facts about its other fields stay. */
      path?: string;
      /** A bitwise update of a flags word (`|=`, `&=`): what is known of flags it does not name stays. */
      flagsKept?: boolean;
      /** A constant value: `false`/`0` or `true`/`1`. */
      constant?: 'zero' | 'nonzero';
      /** `err = PTR_ERR_OR_ZERO(x)`: err is nonzero exactly when x is an error pointer (name: x as tests spell it). */
      errOf?: { name: string; key: string };
      /** The value is the error code of `key` (PTR_ERR), or (`nonzero`) the error status of the errno `key` (nfserrno). */
      codeOf?: { name: string; key: string; nonzero?: boolean };
    }
  /** `attr.ia_valid = ... ATTR_DELEG ...` (or `|=`, `&= ~`): whether an exempting flag is now set in that word. */
  | { k: 'flagWord'; obj: string; flag: string; set: boolean | null; node: SNode }
  | { k: 'assertHeld'; key: string; class: LockClass; node: SNode }
  /** A context in which no delegation can exist on `key`: a file open for write on it, or a pseudo-filesystem inode. */
  | { k: 'context'; kind: 'wopen' | 'nodeleg'; key: string; node: SNode }
  | {
      k: 'requireAtCall';
      key: string;
      class: LockClass;
      node: SNode;
      api: string;
      display: string;
      derived?: boolean;
      owner?: boolean;
      /** The API changes an inode (it breaks delegations in kernels that have them): notify_change, vfs_unlink, ... */
      changes?: boolean;
    }
  | { k: 'unknownLockHelper'; node: SNode; api: string }
  /** A summarised callee takes (and drops again) this lock of its caller's: a caller holding it deadlocks. */
  | { k: 'takes'; key: string; mode: 'exclusive' | 'shared'; node: SNode; api: string; display: string }
  | { k: 'unknownUnlockHelper'; node: SNode; api: string; args: (string | null)[] }
  | { k: 'deferred'; callee: Summary; args: SNode[]; node: SNode }
  | {
      k: 'summaryMutate';
      key: string;
      kind: MutationKind;
      what: string;
      dirIf: string | null;
      node: SNode;
      api: string;
      display: string;
      severity?: 'error' | 'warning' | 'info';
      note?: string;
      /** The callee makes the change only when these flags are set in these words (keys as the caller names them). */
      onlyIf?: { key: string; flag: string }[];
    };

export interface OpContext {
  ctx: ExprContext;
  cat: Catalogue;
  version: string;
  summaries: ReadonlyMap<string, Summary>;
  /** Functions known to do nothing the analysis tracks (AnalyzeOptions.knownBodies). */
  knownBodies?: { has(name: string): boolean };
}

/** Ops of one expression, in evaluation order. */
export function opsOf(oc: OpContext, e: SNode): Op[] {
  const out: Op[] = [];
  visit(oc, e, out, null);
  return out;
}

function visit(oc: OpContext, n: SNode, out: Op[], result: string | null): void {
  const { ctx } = oc;
  switch (n.type) {
    case 'call_expression': {
      const args = n.children[1]?.children ?? [];
      // BUG_ON(inode_trylock(x)) and friends assert something; the calls inside have no effect we should apply.
      const isAssert = n.children[0]?.type === 'identifier' && oc.cat.asserts.has(ctx.text(n.children[0]));
      if (!isAssert) for (const a of args) visit(oc, a, out, null);
      // A call through an expression (`f->f_op->open(...)`): evaluate the callee expression's own calls too.
      if (n.children[0] && n.children[0].type !== 'identifier' && n.children[0].type !== 'field_expression')
        visit(oc, n.children[0], out, null);
      else if (n.children[0]?.type === 'field_expression') visit(oc, n.children[0].children[0], out, null);
      callOps(oc, n, out, result);
      // `filename_parentat(..., &type)`: the callee may write through the pointer; what we knew about it is stale
      // (unless the catalogue says the call only reads its arguments: a permission hook).
      const readOnly = n.children[0]?.type === 'identifier' && oc.cat.permissionHooks.has(ctx.text(n.children[0]));
      for (const a of readOnly ? [] : args) {
        if (
          a.type !== 'pointer_expression' ||
          ctx.unaryOp(a) !== '&' ||
          !a.children[0] ||
          a.children[0].type !== 'identifier'
        )
          continue;
        out.push({ k: 'assign', root: ctx.text(a.children[0]), node: a, havoc: true });
      }
      return;
    }
    case 'assignment_expression': {
      const [lhs, rhs] = n.children;
      const lhsPath = lhs && lhs.type !== 'pointer_expression' ? ctx.rawPath(lhs) : null;
      const isPlain = ctx.binaryOp(n) === '=';
      // The old value's facts are forgotten first; the right-hand side's effects then describe the new value.
      if (lhsPath) {
        const local = isPlain && rhs && !lhsPath.includes('.') ? rhs : null;
        const { errOf, codeOf } = errorLinks(local ? errorPredicateCall(oc, local) : undefined);
        const vk = local ? valueKind(oc, local) : undefined;
        out.push({
          k: 'assign',
          root: ExprContext.rootOf(lhsPath),
          node: n,
          value: vk === 'err' || vk === 'null' ? vk : undefined,
          constant: vk === 'zero' || vk === 'nonzero' ? vk : undefined,
          errOf,
          ...(codeOf ? { codeOf } : {}),
          ...(lhsPath.includes('.') ? { field: true, path: ctx.resolvePath(lhsPath) } : {}),
          // `w |= F`, `w &= ~F`: only the flags named change (flagWord ops below say how); the others keep their value.
          ...(['|=', '&='].includes(ctx.binaryOp(n)) ? { flagsKept: true } : {}),
        });
      }
      if (lhs && rhs && lhsPath && lhsPath.includes('.')) flagWordOps(oc, lhs, ctx.binaryOp(n), rhs, n, out);
      if (rhs) visit(oc, rhs, out, isPlain && lhsPath && !lhsPath.includes('.') ? lhsPath : null);
      if (lhs && lhs.type !== 'identifier') visit(oc, lhs, out, null);
      return;
    }
    case 'init_declarator': {
      const [decl, value] = n.children;
      const name = decl ? declaredName(ctx, decl) : null;
      const vk = value ? valueKind(oc, value) : undefined;
      const { errOf, codeOf } = errorLinks(value ? errorPredicateCall(oc, value) : undefined);
      if (name)
        out.push({
          k: 'assign',
          root: name,
          node: n,
          value: vk === 'err' || vk === 'null' ? vk : undefined,
          constant: vk === 'zero' || vk === 'nonzero' ? vk : undefined,
          errOf,
          ...(codeOf ? { codeOf } : {}),
        });
      // `struct iattr attrs = { .ia_valid = ATTR_MTIME | ATTR_DELEG }`.
      if (name && value?.type === 'initializer_list') {
        for (const item of value.children) {
          const d = item.type === 'initializer_pair' ? item.children[0] : undefined;
          const f = d?.type === 'field_designator' ? d.children[0] : undefined;
          const v = item.children[item.children.length - 1];
          if (f && v && v !== d) flagWordOps(oc, null, '=', v, n, out, `${name}.${ctx.text(f)}`);
        }
      }
      if (value) visit(oc, value, out, name);
      return;
    }
    case 'update_expression': {
      const p = n.children[0] ? ctx.rawPath(n.children[0]) : null;
      if (p) out.push({ k: 'assign', root: ExprContext.rootOf(p), node: n });
      return;
    }
    case 'field_expression': {
      visit(oc, n.children[0], out, null);
      const f = n.children[1];
      if (f && oc.cat.conflictReads.has(ctx.text(f))) out.push({ k: 'conflictCheck', node: n, check: 'opens' });
      return;
    }
    case 'parenthesized_expression':
    case 'cast_expression':
      for (const c of n.children) visit(oc, c, out, result);
      return;
    case 'compound_statement':
      // GNU statement expression `({ ... })`: evaluate its statements in order (control flow inside is ignored).
      for (const c of n.children) visit(oc, c, out, null);
      return;
    default:
      for (const c of n.children) visit(oc, c, out, null);
  }
}

/** What is known about a value from its expression alone: an ERR_PTR, NULL, or a constant (`false`, `0`, `1`, `true`). */
function valueKind(oc: OpContext, rhs: SNode): 'err' | 'null' | 'zero' | 'nonzero' | undefined {
  let x = rhs;
  while ((x.type === 'parenthesized_expression' || x.type === 'cast_expression') && x.children.length)
    x = x.children[x.children.length - 1];
  if (x.type === 'false' || (x.type === 'number_literal' && /^0+$/.test(oc.ctx.text(x)))) return 'zero';
  if (x.type === 'true' || (x.type === 'number_literal' && /^[1-9][0-9]*$/.test(oc.ctx.text(x)))) return 'nonzero';
  if (
    x.type === 'call_expression' &&
    x.children[0]?.type === 'identifier' &&
    /^ERR_(PTR|CAST)$/.test(oc.ctx.text(x.children[0]))
  )
    return 'err';
  if (x.type === 'null' || oc.ctx.text(x) === 'NULL') return 'null';
  // `err = nfserr_toosmall`: an error status the catalogue spells as an identifier.
  if (x.type === 'identifier' && oc.cat.isErrorStatus(oc.ctx.text(x))) return 'err';
  // `-EINVAL`: a negative errno constant.
  if (
    x.type === 'unary_expression' &&
    oc.ctx.unaryOp(x) === '-' &&
    x.children[0]?.type === 'identifier' &&
    /^E[A-Z0-9]+$/.test(oc.ctx.text(x.children[0]))
  )
    return 'err';
  return undefined;
}

type ErrorPredicateKind = 'errOrZero' | 'errCode' | 'statusOf';

/**
 * A call of a catalogue error predicate, with its argument as tests name it and its key: `PTR_ERR_OR_ZERO(x)`
 * (`errOrZero`: nonzero exactly when x is an error pointer), `PTR_ERR(x)` (`errCode`: the errno x carries, nonzero
 * where x is known to be an error pointer), `nfserrno(err)` (`statusOf`: a protocol status, an error exactly where the
 * errno `err` is known to be nonzero).
 */
export function errorPredicateCall(
  oc: OpContext,
  rhs: SNode | undefined,
): { kind: ErrorPredicateKind; name: string; key: string } | undefined {
  let x = rhs;
  while (x && (x.type === 'parenthesized_expression' || x.type === 'cast_expression') && x.children.length)
    x = x.children[x.children.length - 1];
  if (x?.type !== 'call_expression' || x.children[0]?.type !== 'identifier') return undefined;
  const p = oc.cat.predicates.get(oc.ctx.text(x.children[0]));
  if (!p || (p.kind !== 'errOrZero' && p.kind !== 'errCode' && p.kind !== 'statusOf')) return undefined;
  const arg = x.children[1]?.children[0];
  const k = oc.ctx.instantiate(p.target, (i) => oc.ctx.key(x.children[1]?.children[i]));
  if (!arg || !k || k === NULL_KEY) return undefined;
  return { kind: p.kind, name: arg.type === 'identifier' ? oc.ctx.text(arg) : k, key: k };
}

/** What an assignment of an error predicate's value links the variable to (the `errOf` and `codeOf` of its op). */
function errorLinks(c: ReturnType<typeof errorPredicateCall>): {
  errOf?: { name: string; key: string };
  codeOf?: { name: string; key: string; nonzero?: boolean };
} {
  if (!c) return {};
  const link = { name: c.name, key: c.key };
  if (c.kind === 'errOrZero') return { errOf: link };
  return { codeOf: c.kind === 'statusOf' ? { ...link, nonzero: true } : link };
}

const guardFlagMemo = new WeakMap<ReadonlyMap<string, Summary>, { size: number; flags: string[] }>();

/**
 * Flags the summaries' changes are conditional on (`onlyIf`): a caller's writes of them are worth following. The map
 * grows while a file is analysed (callees first), so the memo is refreshed when its size changes.
 */
function guardFlags(summaries: ReadonlyMap<string, Summary>): string[] {
  let memo = guardFlagMemo.get(summaries);
  if (!memo || memo.size !== summaries.size) {
    const set = new Set<string>();
    for (const s of summaries.values()) for (const m of s.mutates) for (const c of m.onlyIf ?? []) set.add(c.flag);
    memo = { size: summaries.size, flags: [...set].sort() };
    guardFlagMemo.set(summaries, memo);
  }
  return memo.flags;
}

/**
 * A flags word written with an exempting flag (`attrs.ia_valid |= ATTR_DELEG`): the flag is set (or cleared by
 * `= ...` without it, `&= ~FLAG`) in that word from here on, as if a test of it had been true (false). What the
 * value does not tell (`w = x`, `w |= x` with x unknown) leaves the flag unknown (`set: null`), never cleared; a
 * constant without the flag clears it only in a word of the flag's family (a value naming a flag of the same prefix,
 * `ATTR_SIZE | ATTR_CTIME` for `ATTR_DELEG`, or 0), so that `inode->i_mode = S_IFREG | 0644` records nothing.
 */
function flagWordOps(
  oc: OpContext,
  lhs: SNode | null,
  op: string,
  rhs: SNode,
  node: SNode,
  out: Op[],
  keyOverride?: string,
): void {
  const obj = keyOverride ?? (lhs ? oc.ctx.key(lhs) : null);
  if (!obj) return;
  // `w &= ~(A | B)` clears the flags named; `w &= (A | B)` keeps only them.
  const complement = op === '&=' && hasComplement(oc, rhs);
  for (const flag of [...oc.cat.exemptFlags.keys(), ...guardFlags(oc.summaries)]) {
    const m = flagsMention(oc, rhs, new Set([flag]));
    let set: boolean | null | undefined;
    if (op === '=') set = m === true ? true : m === false && ofFamily(oc, rhs, flag) ? false : null;
    else if (op === '|=') set = m === true ? true : m === null ? null : undefined;
    else if (op === '&=') {
      if (m === null) set = null;
      else if (m === complement) set = false;
    }
    if (set !== undefined) out.push({ k: 'flagWord', obj, flag, set, node });
  }
}

/** The constant `n` is a word of `flag`'s family: 0, or it names a macro with the flag's prefix (`ATTR_`). */
function ofFamily(oc: OpContext, n: SNode, flag: string): boolean {
  const cut = flag.indexOf('_');
  const prefix = cut > 0 ? flag.slice(0, cut + 1) : flag;
  const stack = [n];
  let ids = 0;
  while (stack.length) {
    const x = stack.pop()!;
    if (x.type === 'identifier') {
      ids++;
      if (oc.ctx.text(x).startsWith(prefix)) return true;
    }
    for (const c of x.children) stack.push(c);
  }
  return ids === 0 && oc.ctx.text(n).trim() === '0';
}

/** The expression has a bitwise complement (`~FLAG`) in it. */
function hasComplement(oc: OpContext, n: SNode): boolean {
  const stack = [n];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.type === 'unary_expression' && oc.ctx.unaryOp(x) === '~') return true;
    for (const c of x.children) stack.push(c);
  }
  return false;
}

export function declaredName(ctx: ExprContext, decl: SNode): string | null {
  let d: SNode | undefined = decl;
  while (d && d.type !== 'identifier')
    d = d.children.find((c) => c.type.endsWith('declarator') || c.type === 'identifier');
  return d ? ctx.text(d) : null;
}

interface Resolved {
  api: string;
  entry: ApiEntry | null;
  variant: Variant | null;
  summary: Summary | null;
  args: SNode[];
}

function resolveCallee(oc: OpContext, call: SNode): Resolved | null {
  const { ctx, cat } = oc;
  const fn = call.children[0];
  const args = call.children[1]?.children ?? [];
  if (!fn) return null;
  if (fn.type === 'identifier') {
    const name = ctx.text(fn);
    const entries = cat.calls.get(name);
    if (entries) {
      const sel = selectVariant(
        entries,
        args.length,
        oc.version,
        args.map((a) => ctx.text(a)),
      );
      if (sel) return { api: name, entry: sel.entry, variant: sel.variant, summary: null, args };
    }
    const summary = oc.summaries.get(name);
    if (summary) return { api: name, entry: null, variant: null, summary, args };
    // A call through a function-pointer variable assigned from a method (`open = f->f_op->open; open(...)`).
    for (const d of ctx.defsOf(name)) {
      if (d.type === 'field_expression') {
        const m = methodOf(oc, d, args.length);
        if (m) return { ...m, args };
      }
    }
    return null;
  }
  if (fn.type === 'field_expression') {
    const m = methodOf(
      oc,
      fn,
      args.length,
      args.map((a) => ctx.text(a)),
    );
    if (m) return { ...m, args };
  }
  return null;
}

function methodOf(oc: OpContext, fe: SNode, arity: number, argTexts?: string[]): Omit<Resolved, 'args'> | null {
  const { ctx, cat } = oc;
  const field = fe.children[1];
  if (!field) return null;
  const name = ctx.text(field);
  const entries = cat.methods.get(name);
  if (!entries) return null;
  // The object the method is read from: `dir->i_op` → field i_op.
  const obj = fe.children[0];
  const via =
    obj?.type === 'field_expression' && obj.children[1]
      ? ctx.text(obj.children[1])
      : obj?.type === 'identifier'
        ? ctx.text(obj)
        : '';
  const ok = entries.filter((e) => !e.via || e.via.some((v) => v === via || via.endsWith(v)));
  if (!ok.length) return null;
  const sel = selectVariant(ok, arity, oc.version, argTexts);
  if (!sel) return null;
  return { api: '->' + name, entry: sel.entry, variant: sel.variant, summary: null };
}

/** Resolves a role path (`dentry.d_inode`, `ret`, `rd.old_parent.d_inode`) at a call site. */
function roleKey(oc: OpContext, r: Resolved, path: string, result: string | null, depth = 0): string | null {
  if (depth > 4) return null;
  const { ctx } = oc;
  const dot = path.indexOf('.');
  const head = dot < 0 ? path : path.slice(0, dot);
  const rest = dot < 0 ? '' : path.slice(dot + 1);
  let base: string | null = null;
  if (head === 'ret') base = result;
  else if (head.startsWith('@')) base = head;
  else if (r.variant) {
    const i = r.variant.params.indexOf(head);
    if (i >= 0) base = ctx.key(r.args[i]);
    else if (r.variant.roles && r.variant.roles[head]) base = roleKey(oc, r, r.variant.roles[head], result, depth + 1);
  }
  const m = /^arg(\d+)$/.exec(head);
  if (base === null && m) base = ctx.key(r.args[parseInt(m[1], 10)]);
  if (base === null || base === NULL_KEY) return base;
  return rest ? ctx.appendPath(base, rest) : base;
}

function roleArg(r: Resolved, role: string): SNode | undefined {
  if (!r.variant) return undefined;
  const i = r.variant.params.indexOf(role);
  return i >= 0 ? r.args[i] : undefined;
}

function displayOf(oc: OpContext, r: Resolved, path: string, key: string | null): string {
  const dot = path.indexOf('.');
  const head = dot < 0 ? path : path.slice(0, dot);
  const arg = roleArg(r, head);
  if (!arg) return key ? oc.ctx.describeKey(key) : path;
  return describePath(oc.ctx.text(arg).replace(/\s+/g, ' '), dot < 0 ? '' : path.slice(dot + 1));
}

/** Normalises a lock key: `&inode->i_rwsem` / `&inode->i_mutex` denote the inode lock of `inode`. */
export function lockKey(cat: Catalogue, key: string, cls: LockClass): { key: string; class: LockClass } {
  const dot = key.lastIndexOf('.');
  if (dot > 0 && cat.inodeLockFields.has(key.slice(dot + 1))) return { key: key.slice(0, dot), class: 'inode' };
  if (cls === 'mutex' && /s_vfs_rename_mutex$/.test(key)) return { key, class: 'rename' };
  return { key, class: cls };
}

function outArg(oc: OpContext, n: SNode | undefined, key: string | null): OutArg {
  const { ctx } = oc;
  if (!n && key === null) return { kind: 'null' };
  if (key === NULL_KEY) return { kind: 'null' };
  if (key === null) return { kind: 'unknown' };
  const root = ExprContext.rootOf(key);
  if (root !== key) return { kind: 'unknown' };
  const v = ctx.vars.get(root);
  if (v?.isParam) return { kind: 'param', index: v.paramIndex };
  if (v) return { kind: 'local', name: root };
  return { kind: 'unknown' };
}

function flagsMention(oc: OpContext, n: SNode | undefined, set: ReadonlySet<string>): boolean | null {
  if (!n) return null;
  let found = false;
  let literal = true;
  const stack = [n];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.type === 'identifier') {
      const t = oc.ctx.text(x);
      if (set.has(t)) found = true;
      else if (!/^[A-Z_0-9]+$/.test(t)) literal = false;
    } else if (x.type === 'field_expression' || x.type === 'call_expression') literal = false;
    for (const c of x.children) stack.push(c);
  }
  if (found) return true;
  return literal ? false : null;
}

function callOps(oc: OpContext, call: SNode, out: Op[], result: string | null): void {
  const { ctx, cat } = oc;
  const fn = call.children[0];
  const args = call.children[1]?.children ?? [];
  // Assertions: WARN_ON_ONCE(!inode_is_locked(inode)), lockdep_assert_held(&inode->i_rwsem).
  if (fn?.type === 'identifier') {
    const a = cat.asserts.get(ctx.text(fn));
    if (a) {
      const held = assertedLock(oc, args[a.arg], a.negated, !!a.lockArg);
      if (held) out.push({ k: 'assertHeld', key: held.key, class: held.class, node: call });
      // BUG_ON(!IS_PRIVATE(inode)): the function documents that the inode is private, so no delegation exists on it.
      const priv = a.lockArg ? null : assertedPrivate(oc, args[a.arg], a.negated);
      if (priv) out.push({ k: 'context', kind: 'nodeleg', key: priv, node: call });
      return;
    }
  }
  if (fn?.type === 'identifier' && result) contextOps(oc, ctx.text(fn), args, call, result, out);
  const r = resolveCallee(oc, call);
  if (!r) {
    // An unknown helper that sounds like it takes a lock (fh_lock, lock_parent): later "no lock held" claims would be guesses.
    // Not one whose body this file has and the analysis read (`unlock_dir()` that only puts a reference).
    if (fn?.type === 'identifier' && !oc.knownBodies?.has(ctx.text(fn))) {
      const name = ctx.text(fn);
      if (/unlock/.test(name))
        out.push({ k: 'unknownUnlockHelper', node: call, api: name, args: args.map((a) => ctx.key(a)) });
      else if (/lock/.test(name)) out.push({ k: 'unknownLockHelper', node: call, api: name });
    }
    return;
  }
  if (r.summary) {
    summaryOps(oc, r, call, out, result);
    return;
  }
  const entry = r.entry!;
  const start = out.length;
  for (const eff of entry.effects) effectOps(oc, r, eff, call, out, result);
  // A caller that passes its own delegated_inode owns the wait-and-retry protocol, so it must take the locks itself
  // (it has to drop them before break_deleg_wait()): its caller cannot be holding them.
  const mine = out.slice(start);
  if (mine.some((o) => o.k === 'delegOp' && o.out.kind === 'local'))
    for (const o of mine) if (o.k === 'requireAtCall') o.owner = true;
}

/**
 * Calls that establish a context where no delegation can exist: `f = dentry_open(path, O_RDWR, cred)` (open for write
 * on f's inode), `d = securityfs_create_file(...)` (an inode nfsd cannot export), `inode = new_inode(sb)` (an inode
 * nothing else can reach yet). Catalogue `contexts`.
 */
function contextOps(oc: OpContext, name: string, args: SNode[], call: SNode, result: string, out: Op[]): void {
  const { ctx, cat } = oc;
  const base = ctx.resolvePath(result);
  for (const o of cat.contexts.openCalls) {
    if (!o.name.includes(name)) continue;
    if (flagsMention(oc, args[o.flags], new Set(cat.contexts.writeFlags)) === true)
      out.push({ k: 'context', kind: 'wopen', key: ctx.appendPath(base, o.inode), node: call });
  }
  if (cat.contexts.pseudoFsCreators.includes(name) || cat.contexts.newInodeAllocators.includes(name))
    out.push({ k: 'context', kind: 'nodeleg', key: base, node: call });
  // `fl = nfs4_alloc_init_lease(dp, type)`: fl is a delegation, as if `fl->flc_flags & FL_DELEG` had been tested.
  const delegFlag = [...cat.delegationFlags][0];
  if (delegFlag && cat.contexts.delegationLeaseAllocators.includes(name))
    out.push({ k: 'flagWord', obj: base, flag: delegFlag, set: true, node: call });
}

/** The inode an assertion says is private (`BUG_ON(!IS_PRIVATE(x))`, `WARN_ON(!IS_PRIVATE(x))`), else null. */
function assertedPrivate(oc: OpContext, arg: SNode | undefined, negated: boolean): string | null {
  const { ctx, cat } = oc;
  let x = arg;
  let neg = negated;
  while (x) {
    if (x.type === 'parenthesized_expression' && x.children[0]) x = x.children[0];
    else if (x.type === 'unary_expression' && ctx.unaryOp(x) === '!' && x.children[0]) {
      x = x.children[0];
      neg = !neg;
    } else break;
  }
  if (!x || neg || x.type !== 'call_expression' || x.children[0]?.type !== 'identifier') return null;
  const p = cat.predicates.get(ctx.text(x.children[0]));
  if (p?.kind !== 'private') return null;
  const k = ctx.instantiate(p.target, (i) => ctx.key(x.children[1]?.children[i]));
  return k && k !== NULL_KEY ? k : null;
}

function assertedLock(
  oc: OpContext,
  arg: SNode | undefined,
  negated: boolean,
  lockArg: boolean,
): { key: string; class: LockClass } | null {
  if (!arg) return null;
  const { ctx, cat } = oc;
  if (lockArg) {
    const k = ctx.key(arg);
    return k ? lockKey(cat, k, 'mutex') : null;
  }
  let x: SNode = arg;
  let neg = negated;
  for (;;) {
    if (x.type === 'parenthesized_expression' && x.children[0]) x = x.children[0];
    else if (x.type === 'unary_expression' && ctx.unaryOp(x) === '!' && x.children[0]) {
      x = x.children[0];
      neg = !neg;
    } else break;
  }
  if (x.type !== 'call_expression' || x.children[0]?.type !== 'identifier') return null;
  const name = ctx.text(x.children[0]);
  // neg: the call is asserted false. BUG_ON(inode_trylock(x)): the trylock must fail, so x is locked.
  if (neg) {
    const entries = cat.calls.get(name) ?? [];
    const trylock = entries.flatMap((e) => e.effects).find((e) => e.op === 'lock' && e.when === 'nonzero');
    if (!trylock || trylock.op !== 'lock') return null;
    const k = ctx.key(x.children[1]?.children[0]);
    return k ? lockKey(cat, k, trylock.class) : null;
  }
  const p = cat.lockedPredicates.get(name);
  if (!p) return null; // WARN_ON_ONCE(!inode_is_locked(x)): asserted true
  const k = ctx.instantiate(p.target, (i) => ctx.key(x.children[1]?.children[i]));
  if (!k) return null;
  return p.class === 'lockfield' ? lockKey(cat, k, 'mutex') : { key: k, class: 'inode' };
}

/**
 * `d = start_removing_dentry(lower_of(parent), lower_of(child))`: the locked parent is an expression with no name, but
 * the API returns its child, so the lock is `d`'s parent's (`d.d_parent.d_inode`), which `end_removing(d)` releases.
 */
function viaResultParent(oc: OpContext, r: Resolved, target: string, result: string | null): string | null {
  if (!result || result.startsWith('#') || !r.entry) return null;
  for (const eff of r.entry.effects) {
    if (eff.op !== 'childOf' || eff.target !== 'ret') continue;
    if (target !== eff.parent && !target.startsWith(eff.parent + '.')) continue;
    return oc.ctx.appendPath(result, 'd_parent' + target.slice(eff.parent.length));
  }
  return null;
}

function effectOps(oc: OpContext, r: Resolved, eff: Effect, call: SNode, out: Op[], result: string | null): void {
  const { ctx, cat } = oc;
  const key = (p: string) => roleKey(oc, r, p, result);
  switch (eff.op) {
    case 'lock': {
      const k = key(eff.target) ?? viaResultParent(oc, r, eff.target, result);
      if (k === NULL_KEY) return;
      if (!k) {
        // Locks something we cannot name (a helper's result): later "nothing is locked" claims would be guesses.
        out.push({ k: 'unknownLockHelper', node: call, api: r.api });
        return;
      }
      const lk = lockKey(cat, k, eff.class);
      const when = eff.when && eff.when !== 'always' ? eff.when : undefined;
      out.push({
        k: 'lock',
        key: lk.key,
        class: lk.class,
        mode: eff.mode ?? 'exclusive',
        when,
        result: when ? (result ?? `#call@${call.start}`) : null,
        ifNonNull: !!eff.ifNonNull,
        node: call,
        display: displayOf(oc, r, eff.target, k),
        api: r.api,
        escapes: !!eff.escapes,
        ...(out.some((o) => o.k === 'lock' && o.node === call) ? { again: true } : {}),
      });
      return;
    }
    case 'unlock': {
      const k = key(eff.target);
      if (!k || k === NULL_KEY) return;
      const lk = lockKey(cat, k, eff.class ?? 'mutex');
      const guard = eff.unlessErr ? roleArg(r, eff.unlessErr) : null;
      const guardKeys = guard ? [ctx.key(guard), guard.type === 'identifier' ? ctx.text(guard) : null] : [];
      out.push({
        k: 'unlock',
        key: lk.key,
        class: lk.class,
        ifNonNull: !!eff.ifNonNull,
        node: call,
        api: r.api,
        certain: !eff.idempotent,
        whenErr: eff.when === 'err' ? { result: result ?? `#call@${call.start}`, ptr: true } : undefined,
        unlessErr: guardKeys.some((g) => g && g !== NULL_KEY)
          ? [...new Set(guardKeys.filter((g): g is string => !!g && g !== NULL_KEY))]
          : undefined,
      });
      return;
    }
    case 'childOf':
      return; // handled by the alias pre-pass
    case 'break': {
      const k = key(eff.target);
      if (!k || k === NULL_KEY) return;
      let blocking: boolean | null = eff.blocking === 'always' ? true : eff.blocking === 'never' ? false : null;
      if (eff.blocking === 'flags') {
        const nb = flagsMention(oc, roleArg(r, eff.flags ?? ''), cat.nonblockingFlags);
        blocking = nb === null ? null : !nb;
      } else if (eff.blocking === 'arg') {
        const a = roleArg(r, eff.flags ?? '');
        const t = a ? ctx.text(a) : '';
        blocking = t === 'true' || t === '1' ? true : t === 'false' || t === '0' ? false : null;
      }
      let kind = eff.kind;
      let typeHasDeleg = kind !== 'layout';
      if (eff.typeFlags || eff.kind === 'lease') {
        // __break_lease(inode, mode, FL_LEASE) breaks only leases; LEASE_BREAK_LAYOUT only layouts.
        const tArg = roleArg(r, eff.typeFlags ?? eff.flags ?? '');
        if (tArg) {
          if (
            flagsMention(oc, tArg, cat.breakLayoutTypeFlags) &&
            !flagsMention(oc, tArg, cat.breakDelegTypeFlags) &&
            !flagsMention(oc, tArg, cat.breakLeaseTypeFlags)
          )
            kind = 'layout';
          if (eff.typeFlags)
            typeHasDeleg =
              !!flagsMention(oc, tArg, cat.breakDelegTypeFlags) || !!flagsMention(oc, tArg, cat.breakLeaseTypeFlags);
        }
      }
      const o = eff.outParam ? roleArg(r, eff.outParam) : undefined;
      out.push({
        k: 'break',
        key: k,
        kind,
        blocking,
        out: eff.outParam ? outArg(oc, o, o ? ctx.key(o) : null) : null,
        node: call,
        display: displayOf(oc, r, eff.target, k),
        api: r.api,
        typeHasDeleg,
        result: result ?? `#call@${call.start}`,
      });
      return;
    }
    case 'wait': {
      const a = roleArg(r, eff.outParam);
      const k = a ? ctx.key(a) : null;
      out.push({ k: 'wait', di: k && k !== NULL_KEY ? ExprContext.rootOf(k) : null, node: call, api: r.api });
      return;
    }
    case 'boundedWait':
      return;
    case 'requires': {
      const k = key(eff.target);
      if (!k || k === NULL_KEY) return;
      out.push({
        k: 'requireAtCall',
        key: k,
        class: eff.class,
        node: call,
        api: r.api,
        display: displayOf(oc, r, eff.target, k),
        changes: !!r.entry?.effects.some((e) => e.op === 'delegOp' || e.op === 'mutate'),
      });
      return;
    }
    case 'delegOp': {
      if (!r.variant) return;
      let o: OutArg;
      const direct = roleArg(r, eff.outParam);
      const derived = r.variant.roles?.[eff.outParam];
      if (direct) o = outArg(oc, direct, ctx.key(direct));
      else if (derived) {
        // `rd.delegated_inode`: a field the caller filled in; never assigned means zero-initialised, i.e. NULL.
        const k = roleKey(oc, r, derived, result);
        o = k === null || k === NULL_KEY || k.includes('.') ? { kind: 'null' } : outArg(oc, undefined, k);
      } else return; // this kernel's signature has no out-parameter (before 3.13)
      const breaks = eff.breaks.map((b) => key(b)).filter((k): k is string => !!k && k !== NULL_KEY);
      out.push({
        k: 'delegOp',
        api: r.api,
        out: o,
        requires: [],
        breaks,
        node: call,
        display: eff.breaks.map((b) => displayOf(oc, r, b, key(b))),
        result,
      });
      return;
    }
    case 'sleeps':
      out.push({ k: 'sleeps', api: r.api, node: call, why: eff.doc ?? 'may sleep', blocking: false });
      return;
    case 'outerLock':
      out.push({ k: 'outerLock', api: r.api, node: call });
      return;
    case 'mutate': {
      const k = key(eff.target);
      if (!k || k === NULL_KEY) return;
      const dirIf = eff.target.startsWith('new_dentry') && r.api.endsWith('rename') ? key('old_dentry.d_inode') : null;
      // set_posix_acl(..., ACL_TYPE_DEFAULT, ...) returns early unless the inode is a directory.
      const dw = eff.dirWhen ? roleArg(r, eff.dirWhen.param) : undefined;
      const dirOnly = !!dw && dw.type === 'identifier' && eff.dirWhen!.equals.includes(ctx.text(dw));
      out.push({
        k: 'mutate',
        key: k,
        kind: eff.kind,
        what: eff.what,
        node: call,
        severity: eff.severity,
        note: eff.note,
        dirIf,
        display: displayOf(oc, r, eff.target, k),
        api: r.api,
        dirOnly,
      });
      return;
    }
    case 'grant': {
      let inode: string | null = null;
      if (eff.list) {
        const lk = key(eff.list);
        if (eff.listField && (!lk || !lk.endsWith('.' + eff.listField))) return; // not the lease list: not a grant
        if (lk && eff.inode) {
          const parts = eff.inode.split('^').slice(1);
          let cur: string | null = lk;
          for (const p of parts) cur = cur && cur.endsWith('.' + p) ? cur.slice(0, -(p.length + 1)) : null;
          inode = cur;
        }
      }
      const lease = key(eff.lease);
      out.push({
        k: 'grant',
        lease,
        inode,
        requireTypeFact: !!eff.requireTypeFact,
        recheckAfter: eff.recheckAfter,
        node: call,
        api: r.api,
        locksItself: !!eff.locksItself,
        rechecks: eff.rechecks ?? ['opens'],
        rechecksWhenParam: eff.rechecksWhenParam ?? [],
      });
      return;
    }
    case 'conflictCheck':
      out.push({ k: 'conflictCheck', node: call, check: eff.check ?? 'opens' });
      return;
    case 'access': {
      const k = key(eff.target);
      if (!k || k === NULL_KEY) return;
      out.push({
        k: 'access',
        key: k,
        kind: eff.kind,
        when: eff.when === 'zero' ? 'zero' : undefined,
        result: eff.when === 'zero' ? (result ?? `#call@${call.start}`) : null,
        node: call,
        display: displayOf(oc, r, eff.target, k),
        api: r.api,
      });
      return;
    }
    case 'open': {
      if (eff.unlessArg) {
        const a = roleArg(r, eff.unlessArg);
        if (a && ctx.key(a) !== NULL_KEY) return;
      }
      if (eff.ifFlag && !flagsMention(oc, roleArg(r, eff.flagsArg ?? ''), new Set([eff.ifFlag]))) return;
      if (eff.unlessFlag && flagsMention(oc, roleArg(r, eff.flagsArg ?? ''), new Set([eff.unlessFlag])) === true)
        return;
      out.push({
        k: 'open',
        key: key(eff.target),
        what: eff.what,
        node: call,
        api: r.api,
        rule: eff.rule,
        severity: eff.severity,
      });
      return;
    }
    case 'releaseAccess': {
      const k = key(eff.target);
      if (!k || k === NULL_KEY) return;
      out.push({ k: 'releaseAccess', key: k, node: call });
      return;
    }
  }
}

/** Applies an in-file function's summary at a call site. */
function summaryOps(oc: OpContext, r: Resolved, call: SNode, out: Op[], result: string | null): void {
  const s = r.summary!;
  const { ctx } = oc;
  const inst = (role: string) => ctx.instantiate(role, (i) => (i < r.args.length ? ctx.key(r.args[i]) : null));
  const disp = (role: string) => {
    const m = /^arg(\d+)\.?(.*)$/.exec(role);
    const a = m ? r.args[parseInt(m[1], 10)] : undefined;
    return m && a ? describePath(ctx.text(a).replace(/\s+/g, ' '), m[2]) : role;
  };
  for (const req of s.requires) {
    const k = inst(req.role);
    if (k && k !== NULL_KEY)
      out.push({
        k: 'requireAtCall',
        key: k,
        class: req.class,
        node: call,
        api: r.api,
        display: disp(req.role),
        derived: true,
        ...(req.changes ? { changes: true } : {}),
      });
  }
  if (s.outParams.length) {
    const a = r.args[s.outParams[0]];
    const o = a ? outArg(oc, a, ctx.key(a)) : ({ kind: 'null' } as OutArg);
    const breaks = s.breaks.map(inst).filter((k): k is string => !!k && k !== NULL_KEY);
    out.push({
      k: 'delegOp',
      api: r.api,
      out: o,
      requires: [],
      breaks,
      node: call,
      display: s.breaks.map(disp),
      result,
    });
  }
  for (const lb of s.leaseBreaks ?? []) {
    const k = inst(lb.role);
    // Its sleep (if any) is the summary's `sleeps`, applied below: the break itself is credited as non-blocking.
    if (k && k !== NULL_KEY)
      out.push({
        k: 'break',
        key: k,
        kind: 'lease',
        blocking: false,
        out: null,
        node: call,
        display: disp(lb.role),
        api: r.api,
        typeHasDeleg: lb.deleg,
        result: result ?? `#call@${call.start}`,
      });
  }
  for (const role of s.leaseTries ?? []) {
    const k = inst(role);
    if (k && k !== NULL_KEY) out.push({ k: 'leaseTry', key: k, node: call });
  }
  // A permission hook's changes (an LSM's own bookkeeping, EVM refreshing security.evm) are not the caller's.
  for (const m of oc.cat.permissionHooks.has(r.api) ? [] : s.mutates) {
    const k = inst(m.role);
    if (k && k !== NULL_KEY)
      out.push({
        k: 'summaryMutate',
        key: k,
        kind: m.kind,
        what: m.what,
        dirIf: m.dirIf ? inst(m.dirIf) : null,
        node: call,
        api: r.api,
        display: disp(m.role),
        severity: m.severity,
        note: m.note,
        onlyIf: m.onlyIf?.flatMap((c) => {
          const w = inst(c.role);
          return w && w !== NULL_KEY ? [{ key: w, flag: c.flag }] : [];
        }),
      });
  }
  if (s.sleeps) out.push({ k: 'sleeps', api: r.api, node: call, why: s.sleeps.what, blocking: s.sleeps.blocking });
  if (s.mayLock) out.push({ k: 'unknownLockHelper', node: call, api: r.api });
  for (const t of s.takes ?? []) {
    const k = inst(t.role);
    if (k && k !== NULL_KEY)
      out.push({ k: 'takes', key: k, mode: t.mode, node: call, api: r.api, display: disp(t.role) });
  }
  // A helper locking a `struct mutex *` it is handed: the lock is the inode's when the caller hands it `&inode->i_mutex`
  // (any other mutex is not tracked across calls).
  const viaMutex = (k: string): string | null => {
    const lk = lockKey(oc.cat, k, 'mutex');
    return lk.class === 'inode' ? lk.key : null;
  };
  for (const rel of s.releases) {
    let k = inst(rel.role);
    if (k && k !== NULL_KEY && rel.class === 'mutex') k = viaMutex(k);
    if (k && k !== NULL_KEY)
      out.push({
        k: 'unlock',
        key: k,
        class: 'inode',
        ifNonNull: false,
        node: call,
        api: r.api,
        certain: false,
        helper: true,
        always: rel.always,
        whenErr: rel.onFailure
          ? { result: result ?? `#call@${call.start}`, ptr: rel.onFailure === 'errptr' }
          : undefined,
      });
  }
  for (const acq of s.acquires) {
    let k =
      acq.role === 'ret'
        ? result
        : acq.role.startsWith('ret.')
          ? result
            ? ctx.appendPath(result, acq.role.slice(4))
            : null
          : inst(acq.role);
    if (!k || k === NULL_KEY) continue;
    let cls = acq.class;
    if (cls === 'mutex') {
      k = viaMutex(k);
      if (!k) continue;
      cls = 'inode';
    }
    const when = acq.when === 'always' ? undefined : acq.when;
    out.push({
      k: 'lock',
      key: k,
      class: cls,
      mode: acq.mode,
      when,
      result: when ? (result ?? `#call@${call.start}`) : null,
      ifNonNull: false,
      node: call,
      display: disp(acq.role),
      api: r.api,
      helper: true,
    });
  }
  if (s.deferred.length) out.push({ k: 'deferred', callee: s, args: r.args, node: call });
}

/** A relation between two arguments a call requires: `child` (a dentry) is a child of `parent` (a dentry, or its inode). */
export interface ArgChild {
  child: string;
  parent: string;
  parentInode: boolean;
}

/**
 * What a call requires of its arguments' relations (`vfs_mkdir(idmap, dir, dentry, ...)`: `dentry` is a child of
 * `dir`; a wrapper's summary says the same of its parameters): keys of the caller's expressions. A caller that locked
 * `dir` and releases `d_inode(dentry->d_parent)` releases the same lock.
 */
export function argChildRelations(oc: OpContext, call: SNode): ArgChild[] {
  const r = resolveCallee(oc, call);
  if (!r) return [];
  const out: ArgChild[] = [];
  const push = (child: string | null, parent: string | null, parentInode: boolean) => {
    if (child && parent && child !== NULL_KEY && parent !== NULL_KEY) out.push({ child, parent, parentInode });
  };
  if (r.summary) {
    for (const rel of r.summary.argChildren ?? [])
      push(
        oc.ctx.instantiate(rel.child, (i) => oc.ctx.key(r.args[i])),
        oc.ctx.instantiate(rel.parent, (i) => oc.ctx.key(r.args[i])),
        !!rel.parentInode,
      );
    return out;
  }
  for (const eff of r.entry?.effects ?? [])
    if (eff.op === 'childOf' && eff.target !== 'ret')
      push(roleKey(oc, r, eff.target, null), roleKey(oc, r, eff.parent, null), !!eff.parentInode);
  return out;
}

/** The catalogue entries with a `childOf` effect: `v = start_dirop(parent, ...)` makes `v.d_parent` an alias of parent. */
export function childOfAlias(oc: OpContext, call: SNode): string | null {
  const r = resolveCallee(oc, call);
  if (!r) return null;
  if (r.summary) {
    if (!r.summary.childOfRet) return null;
    const k = oc.ctx.instantiate(r.summary.childOfRet, (i) => oc.ctx.key(r.args[i]));
    return k && k !== NULL_KEY ? k : null;
  }
  if (!r.entry) return null;
  for (const eff of r.entry.effects) {
    if (eff.op === 'childOf' && eff.target === 'ret') {
      const k = roleKey(oc, r, eff.parent, null);
      if (k && k !== NULL_KEY) return k;
    }
  }
  return null;
}

/**
 * Whether the function body sets `flag` in the flags word `obj` itself (`attr->ia_valid |= ATTR_MODE`, or `=` with it):
 * a test of that flag then says nothing about what the caller passed.
 */
export function writesFlag(oc: OpContext, body: SNode, obj: string, flag: string): boolean {
  const { ctx } = oc;
  const stack = [body];
  const want = new Set([flag]);
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'assignment_expression') {
      const [lhs, rhs] = n.children;
      const op = ctx.binaryOp(n);
      const k = lhs ? ctx.key(lhs) : null;
      if ((op === '=' || op === '|=') && k && objectOfFlags(k) === obj && flagsMention(oc, rhs, want) !== false)
        return true;
    }
    for (const c of n.children) stack.push(c);
  }
  return false;
}
