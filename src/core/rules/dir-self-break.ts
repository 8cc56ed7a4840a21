/**
 * deleg/dir-self-break (warning, Linux 6.19+): a directory that is moved (rename source or replaced target) or
 * removed (rmdir's victim) without breaking the delegation held on the directory itself. vfs_rename() breaks only
 * the parents and the non-directory source/target; vfs_rmdir() only the parent. See docs/rules/deleg-dir-self-break.md.
 *
 * The change is catalogue data: a `names` change of an inode the path knows to be a directory (rename of a
 * directory), or a `dirself` change (the `->rmdir` method's victim). Before 6.19 directories cannot be delegated and
 * such changes are not reported.
 */
import type { MutationKind } from '../catalogue/catalogue';
import type { State } from '../analysis/state';
import type { Related } from '../analysis/types';
import { messages } from './messages';
import { lockedHere, type OpOf, type Rule, type RuleContext } from './context';

/** Whether a change is one of a directory itself (its `..`, link count, ctime), given what the path knows. */
export function dirSelfChange(kind: MutationKind, targetIsDir: boolean): boolean {
  return kind === 'dirself' || (kind === 'names' && targetIsDir);
}

/**
 * Whether a change is checked at all on this path (not a lossy state, not a NULL inode, not exempt), and then whether
 * it is a directory's own change (this rule) or another (missing-break.ts).
 */
export function changeKind(
  ctx: RuleContext,
  op: OpOf<'mutate' | 'summaryMutate'>,
  s: State,
): 'dirSelf' | 'other' | null {
  if (s.lossy) return null;
  const key = op.key;
  if (s.facts.get(`truthy:${key}`) === false) return null;
  if (ctx.isExempt(s)) return null;
  // A directory moved or removed itself (6.19+ self-delegations): its own rule, a warning.
  return dirSelfChange(
    op.kind,
    s.facts.get(`isDir:${key}`) === true || (!!op.dirIf && s.facts.get(`isDir:${op.dirIf}`) === true),
  )
    ? 'dirSelf'
    : 'other';
}

export const dirSelfBreak: Rule = {
  ids: ['deleg/dir-self-break'],

  /** A directory's own delegation, unbroken while the directory is moved or removed (deleg/dir-self-break). */
  onMutate(ctx, op, s) {
    if (changeKind(ctx, op, s) !== 'dirSelf' || !ctx.opts.dirRules) return;
    op = { ...op, display: ctx.displayName(op.key, op.display) };
    const held = ctx.heldExclusive(s, op.key);
    const b = ctx.brokenOf(s, op.key);
    if (b && !b.stale && (b.underLock || !held)) return;
    if (!held && ctx.callerResponsible(s, op.key)) return;
    const related: Related[] = held ? [lockedHere(held, op.display)] : [];
    const f = ctx.make(
      'deleg/dir-self-break',
      'warning',
      op.node.start,
      op.node.end,
      op.display,
      messages.dirSelfBreak(ctx.unit.name, op.api, op.what, op.display, !!held),
      related,
    );
    f.fix = {
      kind: 'insert-try-break',
      inode: op.display,
      before: op.node.start,
      indent: 0,
      outParam: ctx.outParamName(),
    };
    ctx.add(f);
  },
};
