/**
 * Definitions and aliases of one function's variables, collected once before its events are read: the engine keys
 * every lock, break and change through them (`target` for `dentry->d_inode`).
 */
import type { SNode } from '../parse/syntax';
import { prefixOperator } from '../parse/syntax';
import type { FunctionUnit } from '../parse/units';
import { ExprContext } from './expr';
import { argChildRelations, childOfAlias, declaredName, type ArgChild, type OpContext } from './ops';

/**
 * Declares the parameters and locals, and records every definition and alias: what each variable may hold, which
 * caller structs are copies of local ones, which dentries are children of which (start_dirop's result).
 */
export function collectDefinitions(unit: FunctionUnit, body: SNode, src: string, oc: OpContext): ArgChild[] {
  const { ctx } = oc;
  unit.params.forEach((p, i) => ctx.declareVar({ name: p.name, type: p.type, isParam: true, paramIndex: i }));
  const calls: { lhs: string; call: SNode }[] = [];
  const allCalls: SNode[] = [];
  const stores: { lhs: SNode; rhs: SNode }[] = [];
  const stack: SNode[] = [body];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'call_expression') allCalls.push(n);
    if (n.type === 'declaration') {
      const typeNode = n.children.find(
        (c) => c.type.endsWith('_specifier') || c.type === 'primitive_type' || c.type === 'type_identifier',
      );
      const typeText = typeNode ? ctx.text(typeNode) : '';
      for (const d of n.children) {
        if (d === typeNode) continue;
        const name = declaredName(ctx, d);
        if (!name) continue;
        const stars = starsOf(d);
        ctx.declareVar({
          name,
          type: typeText + (stars ? ' ' + '*'.repeat(stars) : ''),
          isParam: false,
          paramIndex: -1,
        });
        if (d.type === 'init_declarator') {
          const value = d.children[1];
          if (!value) continue;
          if (value.type === 'initializer_list') designated(ctx, name, value);
          else {
            ctx.addDefKey(name, value);
            ctx.assignCount.set(name, (ctx.assignCount.get(name) ?? 0) + 1);
            if (value.type === 'call_expression') calls.push({ lhs: name, call: value });
          }
        }
      }
    } else if (n.type === 'assignment_expression') {
      const [lhs, rhs] = n.children;
      if (lhs && rhs && lhs.type === 'pointer_expression') stores.push({ lhs, rhs });
      else if (lhs && rhs) {
        if (ctx.binaryOp(n) === '=') {
          ctx.addDef(lhs, rhs);
          const p = ctx.rawPath(lhs);
          if (p && rhs.type === 'call_expression') calls.push({ lhs: p, call: rhs });
        } else ctx.addDef(lhs, n);
      }
    } else if (n.type === 'update_expression' && n.children[0]) {
      ctx.addDef(n.children[0], n);
    }
    for (const c of n.children) stack.push(c);
  }
  // `*path = nd.path` (every declaration is known now): the caller's struct becomes a copy of a local one, so its
  // fields name the same objects.
  for (const { lhs, rhs } of stores) {
    const out = structOutParam(ctx, src, lhs, rhs);
    if (out) ctx.addAlias(out.param, out.value);
  }
  // `d = start_dirop(parent, ...)`: d's parent is `parent` (end_dirop(d) unlocks d_inode(d->d_parent)).
  for (const { lhs, call } of calls) {
    const parent = childOfAlias(oc, call);
    if (parent) ctx.addAlias(lhs + '.d_parent', parent);
  }
  return argChildren(ctx, allCalls, oc);
}

/**
 * `vfs_mkdir(idmap, dir, dchild, mode)`: the call requires dchild to be a child of dir, so `dchild->d_parent` is dir's
 * dentry (and `d_inode(dchild->d_parent)` is dir) wherever the function names it: `end_creating(dchild)` releases the
 * lock its caller took on dir. All relations are read first, then recorded, and only where they agree: a path two
 * calls relate to different parents, or that already has another parent (`d = start_creating(p, ...)`), keeps what it
 * had. The relations are returned for the function's summary (its callers learn them of their arguments).
 */
function argChildren(ctx: ExprContext, allCalls: SNode[], oc: OpContext): ArgChild[] {
  const rels: ArgChild[] = [];
  for (const call of allCalls) rels.push(...argChildRelations(oc, call));
  const targets = new Map<string, Set<string>>();
  for (const rel of rels) {
    // `d_inode(p)` as the parent: the child's d_parent is p itself.
    const viaDentry = rel.parentInode && rel.parent.endsWith('.d_inode');
    const path = rel.child + (rel.parentInode && !viaDentry ? '.d_parent.d_inode' : '.d_parent');
    const target = viaDentry ? rel.parent.slice(0, -'.d_inode'.length) : rel.parent;
    if (target === path || target.startsWith(rel.child + '.')) continue;
    const set = targets.get(path) ?? new Set<string>();
    set.add(target);
    targets.set(path, set);
  }
  for (const [path, set] of targets) {
    if (set.size !== 1) continue;
    const [target] = set;
    const had = ctx.aliasTargets(path);
    if (had.length && !had.includes(target)) continue;
    ctx.addAlias(path, target);
  }
  return rels;
}

/** `*p = local.field` where `p` is a `struct X *` parameter (an out-parameter filled by copying a local struct). */
function structOutParam(
  ctx: ExprContext,
  src: string,
  lhs: SNode,
  rhs: SNode,
): { param: string; value: string } | null {
  const operand = lhs.children[0];
  if (lhs.type !== 'pointer_expression' || operand?.type !== 'identifier' || prefixOperator(src, lhs) !== '*')
    return null;
  const name = ctx.text(operand);
  const v = ctx.vars.get(name);
  if (!v?.isParam || !/^struct \w+ \*$/.test(v.type) || v.type === 'struct inode *') return null;
  const value = ctx.rawPath(rhs);
  const root = value ? ExprContext.rootOf(value) : '';
  const local = ctx.vars.get(root);
  if (!value || !value.includes('.') || !local || local.isParam || local.type.includes('*')) return null;
  return { param: name, value };
}

function designated(ctx: ExprContext, name: string, list: SNode): void {
  for (const item of list.children) {
    if (item.type !== 'initializer_pair') continue;
    const designator = item.children[0];
    const value = item.children[item.children.length - 1];
    if (designator && value && designator.type === 'field_designator') {
      const f = designator.children[0];
      if (f) ctx.addDefKey(`${name}.${ctx.text(f)}`, value);
    }
  }
}

function starsOf(d: SNode): number {
  let n = 0;
  let cur: SNode | undefined = d;
  while (cur) {
    if (cur.type === 'pointer_declarator') n++;
    cur = cur.children.find((c) => c.type.endsWith('declarator'));
  }
  return n;
}
