/**
 * Finding messages: what races with what, and how to fix it, in kernel terms.
 * Kept apart from the analysis so wording can be reviewed (and localised) in one place.
 */
import type { Era } from '../catalogue/catalogue';

const diDecl = (era: Era) => (era === '6.19' ? 'struct delegated_inode delegated_inode = { }' : 'struct inode *delegated_inode = NULL');
const diTest = (era: Era, di: string) => (era === '6.19' ? `is_delegated(&${di})` : di);

export const messages = {
  missingBreak(fn: string, api: string, what: string, inode: string, locked: boolean, era: Era): string {
    return `${fn}: ${api} ${what} ${inode} without breaking its delegation first. An NFS client holding a delegation on ` +
      `${inode} is never recalled and keeps serving stale names/attributes from its cache (a delegation can also be granted ` +
      `right now, racing with this change). ${locked ? `With ${inode}'s i_rwsem held, call` : `Take ${inode}'s i_rwsem (inode_lock) and call`} ` +
      `try_break_deleg(${inode}, delegated_inode) before the change, returning its error; callers then drop their locks, ` +
      `break_deleg_wait() and retry (declare ${diDecl(era)}).`;
  },
  dirMissingBreak(fn: string, api: string, what: string, dir: string, note?: string): string {
    return `${fn}: ${api} ${what} directory ${dir} without breaking a directory delegation on it (Linux 6.19+). A client ` +
      `holding a delegation on ${dir} keeps a cached directory listing that is now wrong. With ${dir}'s i_rwsem held, call ` +
      `try_break_deleg(${dir}, delegated_inode) before the change and let the caller wait and retry.` + (note ? ` Note: ${note}` : '');
  },
  breakUnlocked(fn: string, inode: string, api: string): string {
    return `${fn}: ${api}(${inode}) is called without ${inode}'s i_rwsem held exclusively. Delegations are granted under ` +
      `inode_trylock(), so without the lock a new delegation can be granted between this break and the change it protects. ` +
      `Take inode_lock(${inode}) before the break and hold it until the change is done.`;
  },
  callUnlocked(fn: string, api: string, inode: string): string {
    return `${fn}: ${api}() breaks the delegation of ${inode} and must be called with ${inode}'s i_rwsem held, but no inode ` +
      `lock is held here: a delegation can be granted between its break and the change. Lock ${inode} (inode_lock, ` +
      `lock_rename or start_dirop()/start_renaming() on 6.19+) around the call.`;
  },
  changeAfterUnlockedBreak(fn: string, api: string, what: string, inode: string, why: 'dropped' | 'not held'): string {
    return why === 'dropped'
      ? `${fn}: ${api} ${what} ${inode}, but ${inode}'s lock was dropped after its delegation was broken. A new delegation ` +
        `can be granted in that window (generic_add_lease only needs inode_trylock() to succeed), and this change would ` +
        `then go unnoticed by its holder. Keep the lock held from try_break_deleg() until the change is done, or break again after relocking.`
      : `${fn}: ${api} ${what} ${inode}, whose delegation was broken without holding its i_rwsem. A delegation can be ` +
        `granted between the break and the change. Hold inode_lock(${inode}) across both.`;
  },
  blockingLocked(fn: string, api: string, what: string, lock: string, cls: string): string {
    const kind = cls === 'spin' ? 'a spinlock' : cls === 'rename' ? 'the rename lock' : 'an inode lock';
    return `${fn}: ${api}() on ${what} may sleep until the lease/delegation holder responds (up to lease-break-time, 45 s by ` +
      `default; nfsd clients are never timed out) while ${kind} (${lock}) is held. Everything waiting for ${lock} stalls, and ` +
      `if the holder must take that lock to return the delegation, it deadlocks. Use try_break_deleg() under the lock, ` +
      `drop all locks, then break_deleg_wait() and retry.`;
  },
  sleepsLocked(fn: string, api: string, why: string, lock: string, cls: string): string {
    const kind = cls === 'spin' ? 'spinlock' : cls === 'rename' ? 'rename lock' : 'inode lock';
    return `${fn}: calls ${api}(), which ${why}, while holding the ${kind} ${lock}. ` +
      (cls === 'spin' ? 'Sleeping under a spinlock is a bug. ' : 'The wait stalls every user of that lock for the length of the recall. ') +
      `Call it after releasing ${lock}.`;
  },
  unhandledDeleg(fn: string, api: string, di: string, era: Era): string {
    return `${fn}: passes &${di} to ${api}(), but on this path never calls break_deleg_wait(&${di}) and retries. When ` +
      `${api}() hits a delegation it returns -EWOULDBLOCK with the inode recorded (and referenced, ihold) in ${di}: the user ` +
      `gets EWOULDBLOCK instead of waiting and the inode reference leaks. After unlocking: ` +
      `if (${diTest(era, di)}) { error = break_deleg_wait(&${di}); if (!error) goto retry; }`;
  },
  noRetry(fn: string, di: string): string {
    return `${fn}: waits with break_deleg_wait(&${di}) but never goes back to retry the operation, so it is silently not done. ` +
      `On success, jump back to before the locks are taken (the retry/retry_deleg label) and redo the lookup.`;
  },
  nullOut(fn: string, api: string, inode: string): string {
    return `${fn}: ${api}() is given NULL for delegated_inode: if ${inode} has a delegation the call fails with -EWOULDBLOCK ` +
      `instead of waiting. That is intended for kernel-internal, stacked or non-exported users (nfsd, overlayfs, ksmbd, ` +
      `ecryptfs, cachefiles, devtmpfs) and for notify_change() on a file open for write.`;
  },
  grantUnlocked(fn: string, api: string, inode: string): string {
    return `${fn}: ${api}() adds a delegation without holding ${inode}'s i_rwsem. Every name/attribute change holds that lock ` +
      `across try_break_deleg() and the change; a grant that does not take it (with inode_trylock(), failing with -EAGAIN) can ` +
      `slip in between and hand out a delegation that is never recalled.`;
  },
  grantNoCheck(fn: string, api: string): string {
    return `${fn}: ${api}() grants a lease without first checking for conflicting opens (i_writecount / i_readcount / ` +
      `check_conflicting_open()). A file already open for write would get a read lease that is never broken.`;
  },
  grantNoRecheck(fn: string): string {
    return `${fn}: a lease/delegation is added to flc_lease and the function returns success without re-checking for ` +
      `conflicting opens after the insertion. break_lease()'s check in open is lockless: an open that races in between the ` +
      `first check and the insertion is missed (24cbe7845ea5). Add smp_mb() and check_conflicting_open()/lm_open_conflict() ` +
      `after inserting, and remove the lease on conflict.`;
  },
  breakBeforeAccess(fn: string, api: string, inode: string): string {
    return `${fn}: ${api}() takes access to ${inode} after the lease was already broken. A lease can be granted between ` +
      `break_lease() and the access, and nothing breaks it. Take write access (get_write_access/i_readcount_inc) first, then ` +
      `break_lease().`;
  },
  openMissingBreak(fn: string, api: string, inode: string): string {
    return `${fn}: ${api} with access to ${inode} but without break_lease(): a conflicting lease or delegation on ${inode} ` +
      `is never broken, so its holder keeps caching while this opener writes. Call break_lease(inode, flags) after taking ` +
      `the access and before the open/truncate.`;
  },
  leakedLock(fn: string, lock: string, api: string): string {
    return `${fn}: returns with ${lock} still locked (taken by ${api}) on this path, while other paths release it. Every later ` +
      `inode_lock() on it deadlocks, and a delegation grant's inode_trylock() fails forever. Release it before returning.`;
  },
  leakedLockAfterUse(fn: string, lock: string, api: string, everyPath: boolean): string {
    return `${fn}: returns with ${lock} still locked (taken by ${api}) on ${everyPath ? 'every path' : 'its successful paths'}, after ` +
      `changing the inode under it: nothing releases it. Every later inode_lock() on it deadlocks, and a delegation grant's ` +
      `inode_trylock() fails forever. Release it once the change is done.`;
  },
  doubleUnlock(fn: string, lock: string, api: string): string {
    return `${fn}: ${api} releases ${lock}, which this path already released. Releasing an unheld rwsem/mutex corrupts it.`;
  },
  unlockNotHeld(fn: string, lock: string, api: string): string {
    return `${fn}: ${api} releases ${lock}, which this path never took, and ${fn}()'s documented contract does not have the ` +
      `caller hold it. Releasing an unheld rwsem/mutex corrupts it, and whatever it was meant to serialize (a delegation ` +
      `break and the change after it) ran unlocked. Take the lock where this path starts using ${lock}.`;
  },
  unlockNotHeldRetry(fn: string, lock: string, api: string): string {
    return `${fn}: ${api} releases ${lock}, which this path never took. Its caller cannot be holding it either: the ` +
      `retry path comes back here and releases it again. Releasing an unheld rwsem/mutex corrupts it, and whatever it ` +
      `was meant to serialize (a delegation break and the change after it) ran unlocked. Take the lock before using ${lock}.`;
  },
  releaserKeepsLock(fn: string, lock: string): string {
    return `${fn}: returns with ${lock} still locked on this path, but ${fn}() is documented to release it and its callers ` +
      `rely on that. The lock leaks: every later inode_lock() on it deadlocks, and a delegation grant's inode_trylock() ` +
      `fails forever. Release it on this path too.`;
  },
  acquirerMissesLock(fn: string, lock: string, onSuccess: boolean): string {
    return `${fn}: returns${onSuccess ? ' successfully' : ''} without holding ${lock}, but ${fn}() is documented to return ` +
      `with it locked and its callers rely on that: they will change ${lock} (and break its delegation) unlocked, then ` +
      `release a lock nobody took. Take it on this path too, or fail.`;
  },
  truncated(fn: string, why: string): string {
    return `${fn}: analysis stopped at its budget (${why}); findings in this function may be incomplete.`;
  },
};
