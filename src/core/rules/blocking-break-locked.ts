/**
 * deleg/blocking-break-locked: a blocking lease/delegation break, break_deleg_wait(), or a call that sleeps for a
 * recall, made while holding an inode lock, the rename lock or a spinlock. The wait can last lease-break-time (45 s)
 * or indefinitely for nfsd, with every other user of the lock stuck behind it. See
 * docs/rules/deleg-blocking-break-locked.md.
 */
import type { LockSt, State } from '../analysis/state';
import type { Related } from '../analysis/types';
import type { SNode } from '../parse/syntax';
import { messages } from './messages';
import type { Rule, RuleContext } from './context';

/** The related notes: where each held lock was taken. */
function lockedAt(ctx: RuleContext, held: [string, LockSt][]): Related[] {
  return held.map(([hk, hl]) => ({
    start: hl.site,
    end: hl.siteEnd,
    message: `${ctx.show(hk)} locked here (${hl.api})`,
  }));
}

function blockingCheck(ctx: RuleContext, s: State, node: SNode, api: string, what: string): void {
  if (s.lossy) return;
  const held = ctx.inodeLocksHeld(s);
  if (!held.length) return;
  const [k, l] = held[0];
  ctx.report(
    'deleg/blocking-break-locked',
    'error',
    node,
    what,
    messages.blockingLocked(ctx.unit.name, api, what, ctx.show(k), l.class),
    lockedAt(ctx, held),
  );
}

export const blockingBreakLocked: Rule = {
  ids: ['deleg/blocking-break-locked'],

  onBreak(ctx, op, s) {
    if (op.blocking === true) blockingCheck(ctx, s, op.node, op.api, op.display);
  },

  onWait(ctx, op, s) {
    blockingCheck(ctx, s, op.node, op.api, op.di ?? 'the delegated inode');
  },

  onSleeps(ctx, op, s) {
    if (s.lossy) return;
    // A catalogued may-sleep helper (vfs_setxattr...) counts under a spinlock only; so does a wrapper whose only sleep
    // is such a helper's (its summary says the sleep is not a blocking break of its own).
    const held = ctx.inodeLocksHeld(s, op.blocking ? ['inode', 'rename', 'spin'] : ['spin']);
    if (!held.length) return;
    const [k, l] = held[0];
    ctx.report(
      'deleg/blocking-break-locked',
      'error',
      op.node,
      op.api,
      messages.sleepsLocked(ctx.unit.name, op.api, op.why, ctx.show(k), l.class),
      lockedAt(ctx, held),
    );
  },
};
