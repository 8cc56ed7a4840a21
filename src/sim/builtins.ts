/**
 * The built-in scenarios, in the order of the issue. Each race scenario is `.vfsrace` text (so every built-in
 * is also an example of the language); `inode-field-cost` is an inode-cache study rather than an interleaving.
 * Line comments cite ../shared/docs/kernel-delegations.md.
 */

export interface Builtin {
  name: string;
  title: string;
  /** What a run shows. */
  summary: string;
  kind: 'race' | 'cache';
  text: string;
}

const NFS_CLIENT_ONCE = `
client nfs "NFS client (read delegation)" {
  grant f deleg read
  if err {
    return
  }
  await_recall f
  delegreturn f
}`;

const RENAME_PRE313 = `scenario "rename vs delegation grant, before 3.13"
description "nfsd's rename breaks leases with nfsd_break_lease() and then renames without holding the renamed file's lock; generic_add_lease() has no inode_trylock yet, so a delegation can be granted between the break and the rename."
kernel 3.12
inode dir : dir
inode f : file at dir/a
check deleg-change, deadlock, lock-balance

thread rename "nfsd rename(dir/a → dir/b), 3.12" {
  break_lease f nonblock      # nfsd_break_lease(): break_lease(inode, O_WRONLY | O_NONBLOCK)
  if err {
    return                    # NFS4ERR_DELAY: the client retries later
  }
  lock dir                    # lock_rename(): the parent only; the source is not locked before 6cedba8962f4
  rename dir/a -> dir/b
  unlock dir
}
${NFS_CLIENT_ONCE}
`;

const RENAME_313 = `scenario "rename vs delegation grant, 3.13"
description "6cedba8962f4 makes rename lock the source file; delegations are granted only under inode_trylock(). The break and the rename happen under the same i_rwsem, so no delegation can appear in between."
kernel 3.13
inode dir : dir
inode f : file at dir/a
check deleg-change, deadlock, leaked-ref, lock-balance, sleep-under-lock

thread rename "renameat(dir/a → dir/b), 3.13" {
retry_deleg:
  lock dir                    # lock_rename()
  lock f                      # lock_two_nondirectories(source, target)
  try_break_deleg f -> delegated_inode
  if !err {
    rename dir/a -> dir/b
  }
  unlock f
  unlock dir
  if delegated_inode {
    break_deleg_wait delegated_inode
    if !err {
      goto retry_deleg
    }
  }
}
${NFS_CLIENT_ONCE}
`;

const UNLINK_RETRY = (kernel: string, client: string, extra: string) => `kernel ${kernel}
inode dir : dir
inode f : file at dir/a
${extra}
thread unlink "unlinkat(dir/a)" {
retry_deleg:
  lock dir                    # inode_lock_nested(dir, I_MUTEX_PARENT)
  lock f                      # vfs_unlink(): inode_lock(target)
  try_break_deleg f -> delegated_inode
  if !err {
    unlink dir/a
  }
  unlock f
  unlock dir                  # every lock dropped before waiting (b21996e36c8e)
  if delegated_inode {
    break_deleg_wait delegated_inode
    if !err {
      goto retry_deleg
    }
  }
}
${client}
`;

const UNLINK_RECALL_RETRY = `scenario "unlink meets a delegation: EWOULDBLOCK, unlock, wait, retry"
description "The 3.13 protocol: try_break_deleg() under the victim's lock returns -EWOULDBLOCK and takes a reference; the caller unlocks everything, waits in break_deleg_wait() and retries from the lookup."
${UNLINK_RETRY('3.13', NFS_CLIENT_ONCE, 'check deleg-change, deadlock, leaked-ref, lock-balance, sleep-under-lock, progress')}`;

const BLOCKING_STALL = `scenario "a blocking break under i_rwsem stalls the directory"
description "A path that calls the blocking break_lease() while holding the parent directory's i_rwsem sleeps for up to lease_break_time when the lease holder does not answer; every other operation on the directory waits behind it."
kernel 6.12
inode dir : dir
inode f : file at dir/a
inode x : file
check sleep-under-lock, deadlock, lock-balance

thread truncate "truncate path holding dir" {
  lock dir
  break_lease f               # blocking: sleeps until the lease is gone or lease_break_time expires
  setattr f
  unlock dir
}

client samba "Samba (fcntl F_SETLEASE read lease)" {
  setlease f read             # holds the lease and never answers the break
}

thread create "create(dir/x)" {
  lock dir
  create dir/x as x
  unlock dir
}
`;

const REGRANT_CLIENT = `
client nfs "NFS client re-opening the file at once" {
  loop {
    grant f deleg read
    if !err {
      await_recall f
      delegreturn f
    }
  }
}`;

const REGRANT_WINDOW = `scenario "re-grant in the unlock–wait–relock window"
description "Between dropping the locks and retrying, nothing stops a new delegation (b21996e36c8e: 'It is possible this could never terminate'). nfsd's block_delegations() after a recall closes the window for a while: run with --set recall_block=on."
${UNLINK_RETRY('6.12', REGRANT_CLIENT, 'check progress, deleg-change, deadlock, leaked-ref, lock-balance')}`;

const OPEN_VS_GRANT = `scenario "open for write racing a delegation grant"
description "break_lease()'s check is lockless and get_write_access() does not take flc_lock: an open can slip in between generic_add_lease()'s conflicting-open check and the insertion. 24cbe7845ea5 re-checks after inserting: run with --kernel 4.19 to see it proved safe."
kernel 3.13
inode dir : dir
inode f : file at dir/a
check deleg-writer, deleg-change, deadlock, lock-balance

thread opener "open(dir/a, O_WRONLY)" {
  open f write                # get_write_access(); break_lease(); ->open
  write f
  close f
}
${NFS_CLIENT_ONCE}
`;

const DIR_DELEG_CREATE = `scenario "directory delegation vs create in the directory (6.19)"
description "6.19 grants read delegations on directories and breaks them in vfs_create() under the parent's i_rwsem. lookup_open() returns from the ->atomic_open branch before the parent's try_break_deleg() (a code-reading observation on 6.19, not verified at runtime), so on a filesystem with ->atomic_open a create can change a delegated directory."
kernel 6.19
inode dir : dir
inode x : file
check deleg-change, deadlock, leaked-ref, lock-balance

thread creat "open(dir/x, O_CREAT)" {
retry:
  lock dir                    # open_last_lookups(): inode_lock(dir) for O_CREAT
  choose {
    create dir/x as x         # ->atomic_open(): no parent break on this branch
    unlock dir
  } or {
    try_break_deleg dir -> delegated_inode   # lookup_open(): try_break_deleg(dir_inode)
    if !err {
      create dir/x as x       # ->create()
    }
    unlock dir
    if delegated_inode {
      break_deleg_wait delegated_inode
      if !err {
        goto retry
      }
    }
  }
}

client nfs "NFS client (directory delegation)" {
  grant dir deleg read
  if err {
    return
  }
  await_recall dir
  delegreturn dir
}
`;

export const BUILTINS: readonly Builtin[] = [
  {
    name: 'rename-vs-grant-pre313',
    kind: 'race',
    text: RENAME_PRE313,
    title: 'rename vs delegation grant, before 3.13',
    summary:
      'the original race: a delegation granted during an nfsd rename that does not lock the file → counterexample',
  },
  {
    name: 'rename-vs-grant-313',
    kind: 'race',
    text: RENAME_313,
    title: 'rename vs delegation grant, 3.13',
    summary: 'rename locks the source, grants only under inode_trylock → proved safe',
  },
  {
    name: 'unlink-recall-retry',
    kind: 'race',
    text: UNLINK_RECALL_RETRY,
    title: 'unlink meets a delegation',
    summary: 'EWOULDBLOCK, unlock, wait, retry → proved safe',
  },
  {
    name: 'blocking-break-stall',
    kind: 'race',
    text: BLOCKING_STALL,
    title: 'blocking break under i_rwsem',
    summary: 'a blocking break under the directory lock stalls every other directory operation for lease_break_time',
  },
  {
    name: 'regrant-window',
    kind: 'race',
    text: REGRANT_WINDOW,
    title: 're-grant in the wait window',
    summary: 'a delegation re-granted in every wait window: no progress (safe with --set recall_block=on)',
  },
  {
    name: 'open-vs-grant',
    kind: 'race',
    text: OPEN_VS_GRANT,
    title: 'open for write vs grant',
    summary: 'i_writecount and the re-check after insertion: violation on 3.13, safe with --kernel 4.19',
  },
  {
    name: 'dir-deleg-create',
    kind: 'race',
    text: DIR_DELEG_CREATE,
    title: 'directory delegation vs create (6.19)',
    summary: 'the ->create path breaks the parent delegation, the ->atomic_open path does not',
  },
  {
    name: 'inode-field-cost',
    kind: 'cache',
    text: '',
    title: 'the cost of a field in struct inode',
    summary: 'inode cache capacity and hit rate on a Zipf workload for sizeof(struct inode) + 0, +8, +16 … bytes',
  },
];

export function builtinNamed(name: string): Builtin | undefined {
  return BUILTINS.find((b) => b.name === name);
}
