/**
 * lock/imbalance (warning): an inode lock or the rename lock still held at a return it should not be held at, taken
 * again while this path holds it (the task waits for itself), or released when it is not held (twice on one path; by
 * a catalogued API whose contract does not give it that lock); a catalogued releaser (end_dirop, unlock_rename)
 * keeping a lock it must release, or a catalogued acquirer (lock_rename, start_dirop) returning without the lock it
 * promises. See docs/rules/lock-imbalance.md.
 *
 * Which locks reach which returns, and which of them the function is designed to return holding, is the engine's
 * (`ExitLock`, also what the summary tells callers); this rule reports the leaks.
 */
import type { LockSt, State } from '../analysis/state';
import type { SNode } from '../parse/syntax';
import { messages } from './messages';
import type { Rule, RuleContext } from './context';

export const lockImbalance: Rule = {
  ids: ['lock/imbalance'],

  onUnlockUnheld(ctx, op, s, why) {
    switch (why.kind) {
      case 'double':
        ctx.report(
          'lock/imbalance',
          'warning',
          op.node,
          op.key,
          messages.doubleUnlock(ctx.unit.name, ctx.show(op.key), op.api),
          [{ start: why.prev, end: why.prev, message: 'first released here' }],
        );
        return;
      case 'failedAcquire':
        ctx.report(
          'lock/imbalance',
          'warning',
          op.node,
          op.key,
          messages.unlockAfterFailedLock(ctx.unit.name, ctx.show(op.key), op.api, why.api),
          [{ start: why.site, end: why.site, message: `${why.api}() failed here without taking the lock` }],
        );
        return;
      case 'contract':
        ctx.report(
          'lock/imbalance',
          'warning',
          op.node,
          op.key,
          messages.unlockNotHeld(ctx.unit.name, ctx.show(op.key), op.api),
          [],
        );
        return;
      case 'callerMayHold':
        ctx.reportUnlessCallerHolds(
          ctx.make(
            'lock/imbalance',
            'warning',
            op.node.start,
            op.node.end,
            ctx.show(op.key),
            messages.unlockNotHeldRetry(ctx.unit.name, ctx.show(op.key), op.api),
            [],
          ),
        );
        return;
    }
  },

  onLockHeld(ctx, op, _s, held) {
    ctx.report(
      'lock/imbalance',
      'warning',
      op.node,
      op.key,
      messages.lockHeld(ctx.unit.name, ctx.show(op.key), op.api),
      [{ start: held.site, end: held.siteEnd, message: `${ctx.show(op.key)} locked here (${held.api})` }],
    );
  },

  onExits(ctx, exits) {
    checkDeclaredReleases(ctx, exits);
    checkDeclaredRenameRelease(ctx, exits);
    checkDeclaredAcquires(ctx, exits);
    const leaks: Leak[] = [];
    const reportLeak = (k: string, l: LockSt, at: { site: number; siteEnd: number }, message: string) =>
      leaks.push({ k, l, at, message });
    for (const { key: k, held, errHeld, notHeld, verdict, untested, unreachable } of ctx.exitLocks()) {
      if (verdict === 'declared') {
        // A declared conditional acquirer (start_dirop: locked unless it returns an ERR_PTR) must not keep the lock
        // on a failing return.
        const failing = ctx.contract.declaredConditional
          ? held.find((s) => s.ret?.hardErr && !s.locks.get(k)!.escapes)
          : undefined;
        if (failing) {
          const l = failing.locks.get(k)!;
          reportLeak(k, l, failing.ret!, messages.leakedLock(ctx.unit.name, ctx.show(k), l.api));
        }
      } else if (verdict === 'leakAfterUse') {
        // Held on every return, or on every successful one, after the function made a change under it: it is not
        // a helper returning locked (start_dirop takes the lock for its caller's change) but a missing unlock.
        const bad =
          held.find((s) => !s.locks.get(k)!.escapes && s.ret?.kind !== 'err') ??
          held.find((s) => !s.locks.get(k)!.escapes)!;
        const l = bad.locks.get(k)!;
        reportLeak(
          k,
          l,
          exitSite(ctx, bad),
          messages.leakedLockAfterUse(ctx.unit.name, ctx.show(k), l.api, notHeld.length === 0),
        );
      } else if (verdict === 'returnsLocked' && unreachable) {
        // Shaped like a lock helper, but on an object only a local variable names: no caller can release the lock.
        const bad = held.find((s) => !s.locks.get(k)!.escapes && s.ret?.kind !== 'err');
        if (!bad) continue;
        const l = bad.locks.get(k)!;
        reportLeak(k, l, exitSite(ctx, bad), messages.leakedLockLocal(ctx.unit.name, ctx.show(k), l.api));
      } else if (
        verdict === 'returnsLocked' &&
        ((ctx.opts.methodOnly && ctx.unit.isStatic) || ctx.opts.noCallers) &&
        !ctx.handedToUnknownCallee(k, true)
      ) {
        // Shaped like a lock helper (held on successful returns only), but only called through a pointer, or (with
        // the tree's index) not called at all: the caller that would release the lock does not exist. (Unless a
        // callee without a summary may release it: cachefiles_invalidate_cookie hands the locked fan-out directory to
        // cachefiles_bury_object, which does.)
        const bad = held.find((s) => !s.locks.get(k)!.escapes);
        if (!bad) continue;
        const l = bad.locks.get(k)!;
        const message =
          ctx.opts.methodOnly && ctx.unit.isStatic
            ? messages.leakedLockMethod(ctx.unit.name, ctx.show(k), l.api)
            : messages.leakedLockUncalled(ctx.unit.name, ctx.show(k), l.api);
        reportLeak(k, l, exitSite(ctx, bad), message);
      } else if (verdict === 'leak') {
        const bad = errHeld[0];
        const l = bad.locks.get(k)!;
        // The paths without the lock released it, or (an unlock missing everywhere) returned before taking it.
        const othersRelease = notHeld.some((s) => s.released.has(k));
        reportLeak(
          k,
          l,
          exitSite(ctx, bad),
          untested
            ? messages.leakedLockUntested(
                ctx.unit.name,
                ctx.show(k),
                l.api,
                untested.status ? `${untested.status}(${untested.name})` : untested.name,
                untested.callee,
              )
            : messages.leakedLock(ctx.unit.name, ctx.show(k), l.api, othersRelease),
        );
      }
    }
    // lock_rename() left held takes the directories' locks and the rename lock in one call: one missing
    // unlock_rename(), reported once, by the directory's lock.
    const inodeSites = new Set(leaks.filter((x) => x.l.class === 'inode').map((x) => x.l.site));
    for (const x of leaks)
      if (x.l.class !== 'rename' || !inodeSites.has(x.l.site)) reportLeakAt(ctx, x.k, x.l, x.at, x.message);
  },
};

interface Leak {
  k: string;
  l: LockSt;
  at: { site: number; siteEnd: number };
  message: string;
}

/** A lock `k` still held at the return `at`: where it was taken, and an unlock to add before the return. */
function reportLeakAt(
  ctx: RuleContext,
  k: string,
  l: LockSt,
  at: { site: number; siteEnd: number },
  message: string,
): void {
  ctx.report(
    'lock/imbalance',
    'warning',
    { start: at.site, end: at.siteEnd } as SNode,
    k,
    message,
    [{ start: l.site, end: l.siteEnd, message: `${ctx.show(k)} locked here` }],
    { kind: 'add-unlock', before: at.site, unlockCall: unlockFor(unlockApiOf(ctx, l), ctx.show(k)) },
  );
}

/** The API a lock was taken with, or for an inode lock a helper took, the one this file spells inode locks with. */
function unlockApiOf(ctx: RuleContext, l: LockSt): string {
  if (l.class !== 'inode' || /^(inode|mutex)_lock/.test(l.api)) return l.api;
  if (l.mode === 'shared') return 'inode_lock_shared';
  return usesMutexApi(ctx) ? 'mutex_lock' : 'inode_lock';
}

/** The code spells inode locks as i_mutex (before 4.5): a fix should too. */
function usesMutexApi(ctx: RuleContext): boolean {
  return ctx.ops.flat().some((o) => (o.k === 'lock' || o.k === 'unlock') && o.api.startsWith('mutex_'));
}

/** Where a finding about an exit goes: its return statement, or the closing brace. */
function exitSite(ctx: RuleContext, s: State): { site: number; siteEnd: number } {
  return s.ret ?? { site: ctx.unit.end - 1, siteEnd: ctx.unit.end };
}

/**
 * A catalogued acquirer (lock_rename, start_dirop, lock_two_nondirectories) must return holding what its callers
 * are told it holds: on every path, or on its successful ones (`when`), except for an absent or aliased inode.
 */
function checkDeclaredAcquires(ctx: RuleContext, exits: readonly State[]): void {
  for (const [k, { when }] of ctx.contract.declaredLocks) {
    for (const s of exits) {
      if (s.lossy || s.locks.has(k) || absentOrAliased(ctx, s, k, true)) continue;
      // Returned straight from another acquirer (`return start_dirop(...)`, `return __start_removing_path(...)`):
      // that callee's own contract is checked where it is defined.
      if (s.ret?.conditional?.some((c) => c.lock === k) || s.ret?.viaCall) continue;
      // Held on success: `nonerr` is anything but an ERR_PTR (NULL is a success of lock_rename); `zero` is `return 0`.
      if (when === 'nonerr' && s.ret?.hardErr) continue;
      if (when === 'zero' && s.ret?.kind !== 'ok') continue;
      if (when !== 'always' && when !== 'nonerr' && when !== 'zero') continue;
      const at = exitSite(ctx, s);
      ctx.report(
        'lock/imbalance',
        'warning',
        { start: at.site, end: at.siteEnd } as SNode,
        k,
        messages.acquirerMissesLock(ctx.unit.name, ctx.show(k), when !== 'always'),
        [],
      );
      break;
    }
  }
}

/**
 * A catalogued releaser (end_dirop, unlock_rename, done_path_create) must release what its callers hand it on every
 * path, except where the inode is absent: an error pointer or NULL (end_dirop of a failed start_dirop), or the same
 * inode as another one it released (unlock_rename with p1 == p2).
 */
function checkDeclaredReleases(ctx: RuleContext, exits: readonly State[]): void {
  const keeps = (k: string, kept: (s: State) => boolean, message: string): void => {
    const s = exits.find((x) => !x.lossy && x.locks.get(k)?.origin === 'entry' && kept(x));
    if (!s) return;
    const at = exitSite(ctx, s);
    ctx.report('lock/imbalance', 'warning', { start: at.site, end: at.siteEnd } as SNode, k, message, [], {
      kind: 'add-unlock',
      before: at.site,
      unlockCall: unlockFor(usesMutexApi(ctx) ? 'mutex_lock' : 'inode_lock', ctx.show(k)),
    });
  };
  for (const k of ctx.contract.declaredReleases)
    keeps(k, (s) => !absentOrAliased(ctx, s, k), messages.releaserKeepsLock(ctx.unit.name, ctx.show(k)));
  // A release documented for failures only (6.19 vfs_mkdir returns an ERR_PTR with the parent unlocked).
  for (const k of ctx.contract.declaredErrReleases)
    keeps(k, (s) => s.ret?.kind === 'err', messages.releaserKeepsLockOnFailure(ctx.unit.name, ctx.show(k)));
}

/**
 * A catalogued releaser of the rename lock (unlock_rename) must release it on every path where its two directories
 * differ: where they are one (`p1 == p2`), its callers' lock_rename() took no rename lock.
 */
function checkDeclaredRenameRelease(ctx: RuleContext, exits: readonly State[]): void {
  const k = ctx.contract.renameReleaseKey;
  if (!k) return;
  const roots = [...ctx.contract.declaredReleases].map((r) => r.split('.')[0]);
  for (const s of exits) {
    if (s.lossy || s.locks.get(k)?.origin !== 'entry') continue;
    const same = roots.some((a) => roots.some((b) => a !== b && s.facts.get(`eq:${a}|${b}`) === true));
    if (same) continue;
    const at = exitSite(ctx, s);
    ctx.report(
      'lock/imbalance',
      'warning',
      { start: at.site, end: at.siteEnd } as SNode,
      k,
      messages.releaserKeepsRenameLock(ctx.unit.name),
      [],
    );
    return;
  }
}

/**
 * Whether `key` need not be in the expected state at this exit: its inode is absent (ERR_PTR, NULL, or a directory
 * where the catalogue exempts them), or it is the same inode as another key that is (`expectHeld`: held, else
 * released) — unlock_rename(p, p) releases p->d_inode once, under one of its two names.
 */
function absentOrAliased(ctx: RuleContext, s: State, key: string, expectHeld = false): boolean {
  for (const [fact, v] of s.facts) {
    if (!v || !fact.startsWith('eq:')) continue;
    const [a, b] = fact.slice(3).split('|');
    for (const [x, y] of [
      [a, b],
      [b, a],
    ]) {
      if (!x || !y || !(key === x || key.startsWith(x + '.'))) continue;
      const other = y + key.slice(x.length);
      if (s.locks.has(other) === expectHeld || absent(ctx, s, other)) return true;
    }
  }
  return absent(ctx, s, key);
}

/** The inode a key names is not there on this path (ERR_PTR, NULL, or an exempt directory). */
function absent(ctx: RuleContext, s: State, key: string): boolean {
  for (const [fact, v] of s.facts) {
    const [kind, rest] = [fact.slice(0, fact.indexOf(':')), fact.slice(fact.indexOf(':') + 1)];
    if (kind === 'isDir' && v && rest === key && ctx.contract.releasesSkipDirs.has(key)) return true;
    if ((kind === 'isErr' && v) || (kind === 'truthy' && !v)) {
      if (key === rest || key.startsWith(rest + '.')) return true;
    }
  }
  return false;
}

function unlockFor(api: string, inode: string): string {
  if (api.startsWith('inode_lock_shared')) return `inode_unlock_shared(${inode});`;
  if (api.startsWith('inode_lock')) return `inode_unlock(${inode});`;
  if (api.startsWith('mutex_lock')) return `mutex_unlock(&${inode}->i_mutex);`;
  if (api.startsWith('spin_lock')) return `spin_unlock(&${inode});`;
  if (api === 'lock_rename') return `unlock_rename(...);`;
  return `/* release ${inode} (${api}) */`;
}
