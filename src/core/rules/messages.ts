/**
 * Finding messages: what races with what, and how to fix it, in kernel terms.
 * Kept apart from the analysis so wording can be reviewed (and localised) in one place.
 *
 * Each message is a headline (one sentence, at most 20 words: what happens, to which inode, in which operation) and
 * details (why it matters, how to fix it), joined by DETAIL_SEP; `splitMessage` separates them for the finding's
 * `message` and `detail`. Wording depends on the function being analysed (set once per function with
 * `setMessageContext`): the kernel version's lock spelling (`mutex_lock(&inode->i_mutex)` before 4.7), and whether
 * the function runs in a context that must not wait for a recall (nfsd, ksmbd, callers passing NULL for
 * delegated_inode), where the fix is try_break_deleg(inode, NULL) and -EAGAIN, not break_deleg_wait().
 */
import { compareVersions, type Catalogue, type Era } from '../catalogue/catalogue';

export const DETAIL_SEP = '\n\n';

export interface MessageContext {
  version: string;
  era: Era;
  /** The function must not block for a recall (a server thread, or it already passes NULL for delegated_inode). */
  nonBlocking: boolean;
  /** Why, for the details. */
  nonBlockingWhy?: string;
  /** The server type of a parameter whose contexts break leases without blocking before they open (svc_rqst). */
  opensBreakFirst?: string;
}

let ctx: MessageContext = { version: '4.19', era: '3.13', nonBlocking: false };

/** Sets the context for the messages of the function being analysed (analysis is synchronous, one function at a time). */
export function setMessageContext(c: MessageContext): void {
  ctx = c;
}

export function messageContext(): MessageContext {
  return ctx;
}

/**
 * The context of a function from data: a parameter of a catalogued server type (`struct svc_rqst *`,
 * `struct ksmbd_work *`, catalogue `nonBlockingContexts`), or a call that already passes NULL for delegated_inode
 * (how nfsd, overlayfs, ksmbd and ecryptfs say "do not wait here").
 */
export function contextFor(
  params: readonly { type: string }[],
  passesNull: boolean,
  version: string,
  era: Era,
  cat: Catalogue,
): MessageContext {
  for (const p of params) {
    for (const t of cat.nonBlockingTypes) {
      if (structTags(p.type).includes(t))
        return {
          version,
          era,
          nonBlocking: true,
          nonBlockingWhy: `a struct ${t} context must not wait for a client's recall`,
          opensBreakFirst: params.flatMap((q) => structTags(q.type)).find((u) => cat.openBreakFirstTypes.has(u)),
        };
    }
  }
  if (passesNull)
    return {
      version,
      era,
      nonBlocking: true,
      nonBlockingWhy:
        'this function already passes NULL for delegated_inode elsewhere, so it does not wait for recalls',
    };
  return { version, era, nonBlocking: false };
}

function structTags(type: string): string[] {
  const out: string[] = [];
  const words = type.split(/[^A-Za-z0-9_]+/);
  for (let i = 0; i + 1 < words.length; i++) if (words[i] === 'struct') out.push(words[i + 1]);
  return out;
}

/** A message's headline and details. */
export function splitMessage(text: string): { message: string; detail?: string } {
  const i = text.indexOf(DETAIL_SEP);
  if (i < 0) return { message: text };
  return { message: text.slice(0, i), detail: text.slice(i + DETAIL_SEP.length) };
}

const join = (headline: string, ...details: string[]) => headline + DETAIL_SEP + details.filter(Boolean).join(' ');

/** For a function nothing in the checked tree calls: the lock a caller could hold is nobody's. */
const noCallerHolds = (fn: string) =>
  `Nothing in the checked tree calls ${fn}(), so no caller there can be holding the lock for it.`;

/** The version's spelling of taking an inode's lock. */
export function lockCall(inode: string, version = ctx.version): string {
  return compareVersions(version, '4.7') < 0 ? `mutex_lock(&${arrowable(inode)}->i_mutex)` : `inode_lock(${inode})`;
}

function lockName(version = ctx.version): string {
  return compareVersions(version, '4.7') < 0 ? 'i_mutex' : 'i_rwsem';
}

function arrowable(e: string): string {
  return /^[A-Za-z_][\w]*(\([^()]*\))?(->\w+)*$/.test(e) ? e : `(${e})`;
}

const diDecl = (era: Era) =>
  era === '6.19' ? 'struct delegated_inode delegated_inode = { }' : 'struct inode *delegated_inode = NULL';
const diTest = (era: Era, di: string) => (era === '6.19' ? `is_delegated(&${di})` : di);

/** How to break a delegation in this context: non-blocking for servers, wait-and-retry in the syscall for the rest. */
function breakAdvice(inode: string, locked: boolean, otherLock?: string): string {
  const lock = locked
    ? `With ${inode}'s ${lockName()} held, call`
    : otherLock
      ? `Under ${inode}'s ${lockName()} (${otherLock}'s, if they are one inode; else take ${lockCall(inode)}), call`
      : `Take ${lockCall(inode)} and call`;
  if (ctx.nonBlocking) {
    return (
      `${lock} try_break_deleg(${inode}, NULL) before the change and return -EAGAIN on -EWOULDBLOCK (nfsd: nfserr_jukebox, ` +
      `NFS4ERR_DELAY), as the server's other paths do: ${ctx.nonBlockingWhy ?? 'this context must not wait for a recall'}.`
    );
  }
  return (
    `${lock} try_break_deleg(${inode}, delegated_inode) before the change and return its error; the syscall path then ` +
    `drops its locks, calls break_deleg_wait() and retries (declare ${diDecl(ctx.era)}).`
  );
}

function waitAdvice(): string {
  return ctx.nonBlocking
    ? `Use try_break_deleg(inode, NULL) under the lock and return -EAGAIN (NFS4ERR_DELAY) instead of waiting: ${ctx.nonBlockingWhy ?? 'this context must not wait'}.`
    : 'Use try_break_deleg() under the lock, drop all locks, then call break_deleg_wait() and retry.';
}

export const messages = {
  /**
   * `otherLock`: another inode the function holds locked here (perhaps the same inode under a name the analysis cannot
   * equate, as `ecryptfs_inode_to_lower(inode)` and `d_inode(lower_dentry)`): the message then claims nothing about
   * whether `inode` itself is locked.
   */
  missingBreak(
    fn: string,
    api: string,
    what: string,
    inode: string,
    locked: boolean,
    _era?: Era,
    otherLock?: string,
  ): string {
    const lockNote = locked
      ? ''
      : otherLock
        ? `${otherLock} is locked here; unless that is ${inode} under another name, ${inode}'s lock is not held either, ` +
          `so a delegation can also be granted while this change is made.`
        : `${inode}'s lock is not held here either, so a delegation can also be granted while this change is made.`;
    return join(
      `${fn}: ${api} ${what} ${inode} without first breaking ${inode}'s delegation.`,
      `An NFS client holding a delegation on ${inode} is never recalled and keeps serving stale names/attributes from its cache.`,
      lockNote,
      breakAdvice(inode, locked, otherLock),
    );
  },
  dirMissingBreak(fn: string, api: string, what: string, dir: string, note?: string, locked = true): string {
    return join(
      `${fn}: ${api} ${what} directory ${dir} without breaking ${dir}'s directory delegation (Linux 6.19+).`,
      `A client holding a delegation on ${dir} keeps a cached directory listing that is now wrong.`,
      breakAdvice(dir, locked),
      note ? `Note: ${note}` : '',
    );
  },
  dirSelfBreak(fn: string, api: string, what: string, dir: string, locked: boolean): string {
    return join(
      `${fn}: ${api} ${what} ${dir} without breaking the delegation held on ${dir} itself (Linux 6.19+).`,
      `Directories can be delegated since 6.19, and moving or removing one changes the directory itself (its \`..\` entry, ` +
        `link count and ctime), but the VFS breaks only the parents' delegations: a client that holds ${dir}'s delegation ` +
        `keeps trusting its cached attributes and name.`,
      breakAdvice(dir, locked),
    );
  },
  breakUnlocked(fn: string, inode: string, api: string, root = false): string {
    return join(
      `${fn}: ${api}(${inode}) is called without ${inode}'s ${lockName()} held exclusively.`,
      `Delegations are granted under inode_trylock(), so a new delegation can be granted between this break and the change ` +
        `it protects. Take ${lockCall(inode)} before the break and hold it until the change is done.`,
      root ? noCallerHolds(fn) : '',
    );
  },
  callUnlocked(fn: string, api: string, inode: string, root = false): string {
    const helpers = ctx.era === '6.19' ? ', lock_rename() or start_dirop()/start_renaming()' : ' or lock_rename()';
    return join(
      `${fn}: ${api}() changes ${inode} and breaks its delegation, but ${inode}'s ${lockName()} is not held.`,
      `A delegation can be granted between ${api}()'s break and its change. Lock ${inode} (${lockCall(inode)}${helpers}) around the call.`,
      root ? noCallerHolds(fn) : '',
    );
  },
  changeAfterUnlockedBreak(
    fn: string,
    api: string,
    what: string,
    inode: string,
    why: 'dropped' | 'not held',
    root = false,
  ): string {
    return why === 'dropped'
      ? join(
          `${fn}: ${api} ${what} ${inode}, but ${inode}'s lock was dropped after its delegation was broken.`,
          `A new delegation can be granted in that window (generic_add_lease only needs inode_trylock() to succeed), and this ` +
            `change would then go unnoticed by its holder. Keep the lock held from try_break_deleg() until the change is done, or ` +
            `break again after relocking.`,
        )
      : join(
          `${fn}: ${api} ${what} ${inode}, whose delegation was broken without ${inode}'s ${lockName()} held.`,
          `A delegation can be granted between the break and the change. Hold ${lockCall(inode)} across both.`,
          root ? noCallerHolds(fn) : '',
        );
  },
  /** The same, when another inode (`otherLock`) is locked here: it may be this one under a name the analysis cannot equate. */
  changeAfterBreakOtherLock(fn: string, api: string, what: string, inode: string, otherLock: string): string {
    return join(
      `${fn}: ${api} ${what} ${inode}, broken with ${otherLock} locked but not ${inode}, unless they are one inode.`,
      `If they are different inodes, a delegation can be granted between the break and the change. Hold ${lockCall(inode)} ` +
        `across both.`,
    );
  },
  breakUnlockedOtherLock(fn: string, inode: string, api: string, otherLock: string): string {
    return join(
      `${fn}: ${api}(${inode}) is called with ${otherLock} locked but not ${inode}, unless they are one inode.`,
      `If they are different inodes, a new delegation can be granted between this break and the change it protects ` +
        `(grants need only inode_trylock()). Take ${lockCall(inode)} before the break and hold it until the change is done.`,
    );
  },
  blockingLocked(fn: string, api: string, what: string, lock: string, cls: string): string {
    const kind = cls === 'spin' ? 'a spinlock' : cls === 'rename' ? 'the rename lock' : 'an inode lock';
    return join(
      `${fn}: ${api}() may sleep for a lease/delegation recall on ${what} while ${lock} is held.`,
      `The wait lasts up to lease-break-time (45 s by default; nfsd clients are never timed out) while ${kind} (${lock}) is ` +
        `held: everything waiting for ${lock} stalls, and if the holder must take that lock to return the delegation, it deadlocks.`,
      waitAdvice(),
    );
  },
  sleepsLocked(fn: string, api: string, why: string, lock: string, cls: string): string {
    const kind = cls === 'spin' ? 'spinlock' : cls === 'rename' ? 'rename lock' : 'inode lock';
    return join(
      `${fn}: ${api}() may sleep for a lease/delegation recall while the ${kind} ${lock} is held.`,
      `${api}() ${why}.`,
      cls === 'spin'
        ? 'Sleeping under a spinlock is a bug.'
        : 'The wait stalls every user of that lock for the length of the recall.',
      `Call it after releasing ${lock}.`,
    );
  },
  unhandledDeleg(fn: string, api: string, di: string, era: Era): string {
    return join(
      `${fn}: &${di} is passed to ${api}(), but this path never waits on it and retries.`,
      `When ${api}() hits a delegation it returns -EWOULDBLOCK with the inode recorded (and referenced, ihold) in ${di}: the ` +
        `user gets EWOULDBLOCK instead of waiting and the inode reference leaks. After unlocking: ` +
        `if (${diTest(era, di)}) { error = break_deleg_wait(&${di}); if (!error) goto retry; }`,
    );
  },
  noRetry(fn: string, di: string): string {
    return join(
      `${fn}: break_deleg_wait(&${di}) is never followed by a retry of the operation.`,
      `The operation is silently not done. On success, jump back to before the locks are taken (the retry/retry_deleg label) and redo the lookup.`,
    );
  },
  nullOut(fn: string, api: string, inode: string): string {
    return join(
      `${fn}: ${api}() gets NULL for delegated_inode: a delegation on ${inode} makes it fail with -EWOULDBLOCK.`,
      `The call does not wait for the recall. That is intended for kernel-internal, stacked or non-exported users (nfsd, ` +
        `overlayfs, ksmbd, ecryptfs, cachefiles, devtmpfs) and for notify_change() on a file open for write.`,
    );
  },
  grantUnlocked(fn: string, api: string, inode: string): string {
    return join(
      `${fn}: ${api}() adds a delegation without holding ${inode}'s ${lockName()}.`,
      `Every name/attribute change holds that lock across try_break_deleg() and the change; a grant that does not take it ` +
        `(with inode_trylock(), failing with -EAGAIN) can slip in between and hand out a delegation that is never recalled.`,
    );
  },
  grantNoCheck(fn: string, api: string): string {
    return join(
      `${fn}: ${api}() grants a lease without first checking for conflicting opens.`,
      `Check i_writecount / i_readcount / check_conflicting_open() first: a file already open for write would get a read ` +
        `lease that is never broken.`,
    );
  },
  grantNoRecheck(fn: string): string {
    return join(
      `${fn}: a lease/delegation is added and the function returns success without re-checking conflicting opens.`,
      `break_lease()'s check in open is lockless: an open that races in between the first check and the insertion is missed ` +
        `(24cbe7845ea5). Add smp_mb() and check_conflicting_open()/lm_open_conflict() after inserting, and remove the lease on conflict.`,
    );
  },
  breakBeforeAccess(fn: string, api: string, inode: string): string {
    return join(
      `${fn}: ${api}() takes access to ${inode} after its lease was already broken.`,
      `A lease can be granted between break_lease() and the access, and nothing breaks it. Take write access ` +
        `(get_write_access/i_readcount_inc) first, then break_lease().`,
    );
  },
  openMissingBreak(fn: string, api: string, inode: string): string {
    return join(
      `${fn}: ${api} with access to ${inode} but without break_lease().`,
      `A conflicting lease or delegation on ${inode} is never broken, so its holder keeps caching while this opener writes. ` +
        `Call break_lease(inode, flags) after taking the access and before the open/truncate.`,
    );
  },
  serverOpenBlocks(fn: string, api: string, inode: string, server: string): string {
    return join(
      `${fn}: ${api}() may wait for a recall of leases on ${inode}; nothing broke them without blocking first.`,
      `${api}() calls break_lease() with the open's flags: unless they have O_NONBLOCK, a lease or delegation on ` +
        `${inode} makes it sleep until the holder returns it (up to lease-break-time). A struct ${server} context must not wait for a ` +
        `recall: an NFS client returns a delegation with DELEGRETURN, which needs an nfsd thread, so waiting threads ` +
        `can use up the pool. Break first with break_lease(inode, mode | O_NONBLOCK), as nfsd_open_break_lease() ` +
        `does, and return its -EWOULDBLOCK (NFS4ERR_DELAY).`,
    );
  },
  otruncReadLease(fn: string, api: string, inode: string): string {
    return join(
      `${fn}: ${api}() truncates ${inode} for open(O_TRUNC) without breaking read leases on it.`,
      `do_dentry_open() broke leases as for the open's access mode, which for O_RDONLY|O_TRUNC breaks only write leases, and ` +
        `the truncate itself breaks only delegations (notify_change() → try_break_deleg()). An fcntl F_RDLCK lease (Samba's ` +
        `kernel oplocks) is never told its file was truncated, though F_SETLEASE promises a break on truncate. Call ` +
        `break_lease(${inode}, O_WRONLY) after taking write access and before the truncate.`,
    );
  },
  leakedLock(fn: string, lock: string, api: string, othersRelease = true): string {
    return join(
      othersRelease
        ? `${fn}: returns with ${lock} still locked (taken by ${api}) on this path, while other paths release it.`
        : `${fn}: fails with ${lock} still locked (taken by ${api}) on this path.`,
      `Every later inode_lock() on it deadlocks, and a delegation grant's inode_trylock() fails forever. Release it before returning.`,
    );
  },
  leakedLockUntested(fn: string, lock: string, api: string, name: string, callee: string): string {
    return join(
      `${fn}: may return an error in ${name} (from ${callee}() or another call under the lock) with ${lock} still locked (taken by ${api}).`,
      `Other paths return without the lock, so callers cannot tell from the result whether it is held: if it is an ` +
        `error they do not release it, every later inode_lock() on it deadlocks, and a delegation grant's ` +
        `inode_trylock() fails forever. Release it before returning.`,
    );
  },
  leakedLockMethod(fn: string, lock: string, api: string): string {
    return join(
      `${fn}: returns with ${lock} still locked (taken by ${api}), and nothing calls it but through a pointer.`,
      `It is stored in an operations table or named by a macro, so no caller in this file releases the lock: every ` +
        `later inode_lock() on it deadlocks, and a delegation grant's inode_trylock() fails forever.`,
    );
  },
  leakedLockUncalled(fn: string, lock: string, api: string): string {
    return join(
      `${fn}: returns with ${lock} still locked (taken by ${api}), and nothing in the checked tree calls it.`,
      `No function of the tree, and no operations table, calls it to release the lock afterwards: every later ` +
        `inode_lock() on it deadlocks, and a delegation grant's inode_trylock() fails forever.`,
    );
  },
  leakedLockLocal(fn: string, lock: string, api: string): string {
    return join(
      `${fn}: returns with ${lock} still locked (taken by ${api}), which no caller can name.`,
      `The inode is reached only through this function's local variables, neither returned nor stored: nothing ` +
        `releases the lock, every later inode_lock() on it deadlocks, and a delegation grant's inode_trylock() fails ` +
        `forever.`,
    );
  },
  leakedLockAfterUse(fn: string, lock: string, api: string, everyPath: boolean): string {
    return join(
      `${fn}: returns with ${lock} still locked (taken by ${api}) on ${everyPath ? 'every path' : 'its successful paths'}, after ` +
        `changing the inode under it.`,
      `Nothing releases it: every later inode_lock() on it deadlocks, and a delegation grant's inode_trylock() fails forever. ` +
        `Release it once the change is done.`,
    );
  },
  lockHeld(fn: string, lock: string, api: string): string {
    return join(
      `${fn}: ${api} takes ${lock}'s lock, which this path already holds.`,
      'An rwsem or mutex is not recursive: the task waits for itself, and every later locker of the inode waits too.',
    );
  },
  doubleUnlock(fn: string, lock: string, api: string): string {
    return join(
      `${fn}: ${api} releases ${lock}, which this path already released.`,
      'Releasing an unheld rwsem/mutex corrupts it.',
    );
  },
  unlockAfterFailedLock(fn: string, lock: string, api: string, acquirer: string): string {
    return join(
      `${fn}: ${api} releases ${lock}, which ${acquirer}() did not take: it failed on this path.`,
      `A failed ${acquirer}() returns with nothing locked; releasing an unheld rwsem/mutex corrupts it.`,
    );
  },
  unlockNotHeld(fn: string, lock: string, api: string): string {
    return join(
      `${fn}: ${api} releases ${lock}, which this path never took and ${fn}()'s callers are not documented to hold.`,
      `Releasing an unheld rwsem/mutex corrupts it, and whatever it was meant to serialize (a delegation break and the change ` +
        `after it) ran unlocked. Take the lock where this path starts using ${lock}.`,
    );
  },
  unlockNotHeldRetry(fn: string, lock: string, api: string): string {
    return join(
      `${fn}: ${api} releases ${lock}, which this path never took and its caller cannot be holding either.`,
      `The retry path comes back here and releases it again. Releasing an unheld rwsem/mutex corrupts it, and whatever it ` +
        `was meant to serialize (a delegation break and the change after it) ran unlocked. Take the lock before using ${lock}.`,
    );
  },
  releaserKeepsRenameLock(fn: string): string {
    return join(
      `${fn}: returns with the rename lock (s_vfs_rename_mutex) still held on this path, but ${fn}() is documented to release it.`,
      `Its callers rely on that: every later cross-directory rename on the filesystem (lock_rename()) waits forever. ` +
        `Release it on this path too.`,
    );
  },
  releaserKeepsLock(fn: string, lock: string): string {
    return join(
      `${fn}: returns with ${lock} still locked on this path, but ${fn}() is documented to release it.`,
      `Its callers rely on that. The lock leaks: every later inode_lock() on it deadlocks, and a delegation grant's ` +
        `inode_trylock() fails forever. Release it on this path too.`,
    );
  },
  releaserKeepsLockOnFailure(fn: string, lock: string): string {
    return join(
      `${fn}: fails with ${lock} still locked, but ${fn}() is documented to release it when it fails.`,
      `Its callers rely on that and do not unlock after a failure. The lock leaks: every later inode_lock() on it ` +
        `deadlocks, and a delegation grant's inode_trylock() fails forever. Release it before this return.`,
    );
  },
  acquirerMissesLock(fn: string, lock: string, onSuccess: boolean): string {
    return join(
      `${fn}: returns${onSuccess ? ' successfully' : ''} without holding ${lock}, but ${fn}() is documented to return with it locked.`,
      `Its callers rely on that: they will change ${lock} (and break its delegation) unlocked, then release a lock nobody ` +
        `took. Take it on this path too, or fail.`,
    );
  },
  truncated(fn: string, why: string): string {
    return `${fn}: analysis stopped at its budget (${why}); findings in this function may be incomplete.`;
  },
};

/** The message context of a function from its parameters and events (called once per analysed function). */
export function beginFunction(
  params: readonly { type: string }[],
  ops: readonly (readonly { k: string; out?: { kind: string } | null }[])[],
  version: string,
  era: Era,
  cat: Catalogue,
): void {
  const passesNull = ops.some((list) =>
    list.some((o) => (o.k === 'delegOp' || o.k === 'break') && o.out?.kind === 'null'),
  );
  setMessageContext(contextFor(params, passesNull, version, era, cat));
}
