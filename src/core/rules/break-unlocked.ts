/**
 * deleg/break-unlocked: a delegation break not made under the inode's exclusive lock, a change after a break whose
 * lock was not held or was dropped in between, or a call that requires the inode lock (notify_change, vfs_unlink...)
 * made without it. Delegations are granted under inode_trylock(), so only the lock held from the break to the change
 * keeps a new one from being granted in between. See docs/rules/deleg-break-unlocked.md.
 */
import { ExprContext } from '../analysis/expr';
import type { State } from '../analysis/state';
import type { Finding, Related } from '../analysis/types';
import type { SNode } from '../parse/syntax';
import { messages } from './messages';
import { changeToCheck } from './missing-break';
import { lockedHere, type Rule, type RuleContext } from './context';

/** Call sites whose required lock is missing on some path, and sites where some path does hold it. */
function requireSites(ctx: RuleContext) {
  return ctx.local('break-unlocked/require', () => ({
    candidates: new Map<string, Finding>(),
    heldSomewhere: new Set<string>(),
  }));
}

/**
 * The lock is this function's caller's to hold: it is noted in the summary (`requires`) and checked at each call.
 * A function nothing in the checked tree calls (`noCallers`) has no caller to hand it to: false, and `rootOwned` says
 * the finding is about such a function.
 */
function toCallers(ctx: RuleContext, s: State, key: string, node: SNode, changes: boolean): boolean {
  if (!ctx.callerResponsible(s, key) || ctx.opts.noCallers) return false;
  // A function the catalogue describes (do_truncate) is called by its entry, not its summary: a lock requirement
  // handed to its callers would vanish, so it is its own to meet, unless the entry itself holds callers to that lock
  // (try_break_deleg's own body: its entry's non-blocking break is checked under the inode lock at every call).
  if (ctx.contract.described) return ctx.contract.callersLockForBreak.has(key);
  ctx.noteRequire(key, node, changes);
  return true;
}

function rootOwned(ctx: RuleContext, s: State, key: string): boolean {
  return !!ctx.opts.noCallers && ctx.callerResponsible(s, key);
}

export const breakUnlocked: Rule = {
  ids: ['deleg/break-unlocked'],

  onBreak(ctx, op, s) {
    if (op.blocking === true || op.kind !== 'deleg' || s.lossy || ctx.heldExclusive(s, op.key)) return;
    if (!toCallers(ctx, s, op.key, op.node, false)) {
      const other = ctx.otherLocalLock(s);
      ctx.report(
        'deleg/break-unlocked',
        'error',
        op.node,
        op.key,
        other
          ? messages.breakUnlockedOtherLock(ctx.unit.name, op.display, op.api, other.shown)
          : messages.breakUnlocked(ctx.unit.name, op.display, op.api, rootOwned(ctx, s, op.key)),
        other ? [other.related] : [],
      );
    }
  },

  onRequireAtCall(ctx, op, s) {
    if (s.lossy) return;
    const sites = requireSites(ctx);
    const siteKey = `${op.node.start}:${op.key}`;
    if (ctx.heldExclusive(s, op.key)) {
      sites.heldSomewhere.add(siteKey);
      return;
    }
    if (s.facts.get('#maybe-locked')) return;
    const root = rootOwned(ctx, s, op.key);
    if (!op.owner) {
      if (toCallers(ctx, s, op.key, op.node, !!op.changes)) return;
      // Inferred requirements (from an in-file callee) and NULL-out-parameter callers are weaker evidence: speak only
      // when no lock held may be this inode under another name (the locked parent of its dentry is not), and, with
      // none held, the inode is named by a stable expression (not a variable given different objects).
      // A catalogued API (vfs_rename) hands its callers only the locks its contract names: a requirement of its own
      // helper (vfs_rename_other's source) is its own to meet. (Under freeze protection alone a derived requirement
      // stays unreported: the helper may lock the inode under another name, as ovl_indexdir_cleanup() does when
      // ofs->workdir is ofs->indexdir.)
      if (op.derived && !root && !ctx.contract.catalogued) return;
      const held = ctx.inodeLocksHeld(s, ['inode', 'rename']);
      if (held.some(([k]) => !ctx.isParentOf(k, op.key))) return;
      if (!held.length && ctx.assignedMoreThanOnce(ExprContext.rootOf(op.key))) return;
    }
    if (!sites.candidates.has(siteKey)) {
      const f = ctx.make(
        'deleg/break-unlocked',
        'error',
        op.node.start,
        op.node.end,
        ctx.show(op.key),
        messages.callUnlocked(ctx.unit.name, op.api, op.display, root),
        [],
      );
      sites.candidates.set(siteKey, f);
    }
  },

  /** A change after a break made without the inode's lock, or with the lock dropped since. */
  onMutate(ctx, op0, s) {
    const c = changeToCheck(ctx, op0, s);
    if (!c || !c.b || c.b.unchecked || c.b.failed) return;
    const { op, key, b } = c;
    const related: Related[] = [];
    const held = ctx.heldExclusive(s, key);
    if (held) related.push(lockedHere(held, op.display));
    if (held && b.underLock && !b.stale) return;
    if (!b.stale && toCallers(ctx, s, key, op.node, true)) return;
    const why = b.stale ? 'dropped' : 'not held';
    related.push({ start: b.site, end: b.siteEnd, message: 'delegation broken here' });
    if (b.stale) related.push({ start: b.staleSite, end: b.staleSite, message: 'lock released here' });
    const other = b.stale || held ? undefined : ctx.otherLocalLock(s);
    if (other) related.push(other.related);
    ctx.report(
      'deleg/break-unlocked',
      'error',
      op.node,
      key,
      other
        ? messages.changeAfterBreakOtherLock(ctx.unit.name, op.api, op.what, op.display, other.shown)
        : messages.changeAfterUnlockedBreak(
            ctx.unit.name,
            op.api,
            op.what,
            op.display,
            why,
            !b.stale && rootOwned(ctx, s, key),
          ),
      related,
    );
  },

  /** A required lock held on no path through the call site: conditional locking elsewhere means "caller already locked". */
  onFinish(ctx) {
    const sites = requireSites(ctx);
    for (const [site, f] of sites.candidates) if (!sites.heldSomewhere.has(site)) ctx.add(f);
  },
};
