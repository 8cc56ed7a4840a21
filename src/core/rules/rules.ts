/** Rule metadata: stable ids, default severities, one-line and full descriptions, documentation pages. */
import type { RuleId, Severity } from '../analysis/types';

export interface RuleInfo {
  id: RuleId;
  name: string;
  severity: Severity;
  short: string;
  full: string;
}

export const RULES: readonly RuleInfo[] = [
  {
    id: 'deleg/missing-break',
    name: 'MissingDelegationBreak',
    severity: 'error',
    short: 'A name or attribute change without a prior delegation break of that inode',
    full: 'unlink, link, rename, setattr, xattr and ACL changes must call try_break_deleg() on the inode, under its i_rwsem, before the change (Linux 3.13, 08b5d5014a27 for xattrs).',
  },
  {
    id: 'deleg/break-unlocked',
    name: 'BreakWithoutInodeLock',
    severity: 'error',
    short: "A delegation break not made under the inode's exclusive lock, or the lock dropped between break and change",
    full: 'Delegations are granted under inode_trylock(); the inode lock must be held from try_break_deleg() until the change is done.',
  },
  {
    id: 'deleg/blocking-break-locked',
    name: 'BlockingBreakUnderLock',
    severity: 'error',
    short:
      'A blocking lease/delegation break or break_deleg_wait() while holding an inode lock, rename lock or spinlock',
    full: 'A blocking break can sleep for lease-break-time (45 s) or indefinitely for nfsd; use try_break_deleg() under the lock, then drop locks, wait and retry.',
  },
  {
    id: 'deleg/unhandled-delegated-inode',
    name: 'UnhandledDelegatedInode',
    severity: 'error',
    short: '&delegated_inode passed down but never waited on and retried after unlocking',
    full: 'After -EWOULDBLOCK the callee recorded (and referenced) the inode: the caller must drop its locks, call break_deleg_wait() and retry.',
  },
  {
    id: 'deleg/dir-missing-break',
    name: 'MissingDirectoryDelegationBreak',
    severity: 'error',
    short: "6.19+: a directory entry created, removed or renamed without breaking the parent's delegation",
    full: "Since Linux 6.19 directories can be delegated: create/mknod/mkdir/symlink/link/unlink/rmdir/rename and O_CREAT open break the parent directory's delegation.",
  },
  {
    id: 'deleg/dir-self-break',
    name: 'DirectorySelfDelegationNotBroken',
    severity: 'warning',
    short: '6.19+: a directory that is moved or removed keeps its own delegation unbroken',
    full: "vfs_rename() breaks only the parents of a moved directory and vfs_rmdir() only the parent of its victim, although the directory's `..`, link count and ctime change under a client that holds a delegation on it.",
  },
  {
    id: 'lease/otrunc-read-lease',
    name: 'OpenTruncateKeepsReadLease',
    severity: 'warning',
    short: 'open(O_RDONLY|O_TRUNC) truncates without breaking read leases',
    full: "do_dentry_open() breaks leases as for the open's access mode (a read open breaks only write leases) and the O_TRUNC truncate (ATTR_OPEN) breaks only delegations, so an F_RDLCK lease holder is never told its file was truncated.",
  },
  {
    id: 'deleg/null-delegated-inode',
    name: 'NullDelegatedInode',
    severity: 'info',
    short: 'NULL passed for delegated_inode: a delegation makes the call fail with -EWOULDBLOCK',
    full: 'Intended for kernel-internal, stacked or non-exported users (nfsd, overlayfs, ksmbd, ecryptfs, cachefiles, devtmpfs).',
  },
  {
    id: 'lease/grant-unserialized',
    name: 'UnserializedLeaseGrant',
    severity: 'error',
    short: 'A lease or delegation added without the inode lock (trylock) or without re-checking conflicting opens',
    full: 'generic_add_lease() grants delegations only under inode_trylock() and re-checks conflicting opens after inserting the lease (24cbe7845ea5).',
  },
  {
    id: 'lease/open-missing-break',
    name: 'OpenWithoutLeaseBreak',
    severity: 'error',
    short: 'An open/truncate path takes write access without break_lease(), or breaks before taking the access',
    full: 'do_dentry_open() and vfs_truncate() take write access (which blocks new conflicting leases) and then call break_lease().',
  },
  {
    id: 'lease/server-open-blocks',
    name: 'ServerOpenMayWaitForRecall',
    severity: 'warning',
    short: 'An nfsd context opens a file without first breaking its leases with O_NONBLOCK',
    full: "dentry_open() breaks leases for the open's mode and waits for their return; nfsd breaks them first with nfsd_open_break_lease() (O_NONBLOCK) and answers NFS4ERR_DELAY.",
  },
  {
    id: 'lock/imbalance',
    name: 'LockImbalance',
    severity: 'warning',
    short: 'A lock still held at a return, or released twice',
    full: 'Unless the function is declared (catalogue, __acquires) or evidently designed to return locked on success.',
  },
  {
    id: 'analysis/truncated',
    name: 'AnalysisTruncated',
    severity: 'info',
    short: 'The analysis of this function stopped at its budget',
    full: 'Too many paths or too large a function; findings may be incomplete.',
  },
];

export function ruleInfo(id: string): RuleInfo | undefined {
  return RULES.find((r) => r.id === id);
}

/** docs/rules/deleg-missing-break.md for deleg/missing-break. */
export function ruleDocPath(id: string): string {
  return `docs/rules/${id.replace('/', '-')}.md`;
}

export const REPOSITORY_URL = 'https://github.com/vfs-lock-review/vfs-lock-review';

export function ruleDocUrl(id: string): string {
  return `${REPOSITORY_URL}/blob/main/${ruleDocPath(id)}`;
}
