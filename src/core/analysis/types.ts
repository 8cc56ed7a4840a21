/** Shared types of the analysis: findings, function summaries, options. */
import type { Catalogue, LockClass, MutationKind, Era } from '../catalogue/catalogue';

export type RuleId =
  | 'deleg/missing-break'
  | 'deleg/break-unlocked'
  | 'deleg/blocking-break-locked'
  | 'deleg/unhandled-delegated-inode'
  | 'deleg/dir-missing-break'
  | 'deleg/null-delegated-inode'
  | 'deleg/dir-self-break'
  | 'lease/otrunc-read-lease'
  | 'lease/grant-unserialized'
  | 'lease/open-missing-break'
  | 'lease/server-open-blocks'
  | 'lock/imbalance'
  | 'analysis/truncated';

export type Severity = 'error' | 'warning' | 'info';

export interface Related {
  start: number;
  end: number;
  message: string;
}

/** Structured hints the editor turns into quick fixes (the analysis does not write code itself). */
export type FixHint =
  | { kind: 'insert-try-break'; inode: string; before: number; indent: number; outParam: string | null }
  | { kind: 'make-nonblocking'; start: number; end: number; inode: string }
  | { kind: 'add-wait-retry'; after: number; diVar: string; label: string | null; era: Era }
  | { kind: 'add-unlock'; before: number; unlockCall: string };

export interface Finding {
  ruleId: RuleId;
  severity: Severity;
  start: number;
  end: number;
  function: string;
  inode: string;
  message: string;
  related: Related[];
  fix?: FixHint;
  /** Why and how to fix, in full (the message is the one-sentence headline). */
  detail?: string;
}

/** A finding in a static function that callers' facts may rule out (e.g. the inode is a directory there). */
export interface DeferredFinding {
  finding: Finding;
  /** The finding stands unless, at every call site, one of these holds: role (arg-relative path) is a directory. */
  unlessDir: string[];
}

export interface RoleMutation {
  role: string;
  kind: MutationKind;
  what: string;
  dirIf?: string;
  site: number;
  severity?: Severity;
  note?: string;
  /**
   * Flags of a caller-provided flags word the change happens under on every path that makes it (`if (attr->ia_valid &
   * ATTR_MODE) ... posix_acl_chmod()`): a caller whose word does not have one of them does not make this change.
   */
  onlyIf?: { role: string; flag: string }[];
}

export interface Summary {
  name: string;
  arity: number;
  /** Parameter indexes passed on as a delegated-inode out-parameter. */
  outParams: number[];
  /** Role paths whose delegation the function breaks (non-blocking). */
  breaks: string[];
  /**
   * Role paths whose leases the function breaks on every path to a return (a wrapper around break_lease());
   * `deleg`: the break covers delegations too, as break_lease() does.
   */
  leaseBreaks?: { role: string; deleg: boolean }[];
  /**
   * Role paths whose leases the function breaks on some paths only (a helper that skips the break when told to):
   * not a break callers are credited with, but a sign that they break before they open (lease/server-open-blocks).
   */
  leaseTries?: string[];
  /** Locks callers must hold (role paths). */
  /** `changes`: the lock is required for a change made under it (a rename, not a lookup). */
  requires: { role: string; class: LockClass; site: number; changes?: true }[];
  /** Unbroken name/attribute changes of caller-provided inodes, for the caller to break first. */
  mutates: RoleMutation[];
  /**
   * The function may sleep waiting for a lease/delegation break. `blocking`: a blocking break or a wait of its own (or
   * of a helper's), reported under any inode lock; otherwise only catalogued may-sleep helpers (vfs_setxattr...), which
   * count under a spinlock only, as they do when called directly.
   */
  sleeps: { site: number; what: string; blocking: boolean } | null;
  /**
   * Caller-provided inode locks the function takes (blocking) and does not return holding, on every path to a
   * successful return: a caller already holding one waits for itself.
   */
  takes?: { role: string; mode: 'exclusive' | 'shared' }[];
  /** Locks held when the function returns successfully. */
  acquires: { role: string; class: LockClass; mode: 'exclusive' | 'shared'; when: 'always' | 'zero' | 'nonerr' }[];
  /**
   * Caller's locks the function releases. `onFailure`: only when it fails, i.e. returns an ERR_PTR (`errptr`:
   * `return vfs_mkdir(...)`) or a nonzero code (`nonzero`). `always`: on every return, failing ones included.
   */
  releases: { role: string; class?: LockClass; onFailure?: 'errptr' | 'nonzero'; always?: true }[];
  deferred: DeferredFinding[];
  /**
   * Relations between arguments that the function's calls require (`ovl_do_mkdir(ofs, dir, dentry, mode)` passes them
   * to vfs_mkdir()): `child` is a child of `parent` (a dentry, or an inode when `parentInode`). Role paths.
   */
  argChildren?: { child: string; parent: string; parentInode?: true }[];
  /** The returned dentry's parent, as a role path (a wrapper around start_creating() and friends). */
  childOfRet?: string;
  /** Returns (on success) holding a lock the analysis could not name. */
  mayLock?: boolean;
  /** What the function returns, as a role path, when every successful return agrees (`lock_parent` → arg0.d_parent). */
  returns?: string;
  isEmpty: boolean;
}

export interface AnalyzeOptions {
  catalogue: Catalogue;
  /** Kernel version used to read the file ("auto" resolved by the engine). */
  version: string;
  era: Era;
  /** Apply the 6.19 directory-delegation rules. */
  dirRules: boolean;
  severity?: Partial<Record<RuleId, Severity | 'off'>>;
  /** Upper bound on abstract states processed per function. */
  maxStates?: number;
  /** File-scope variables naming pseudo-filesystem dentries (see analysis/globals.ts): no delegation exists on them. */
  noDelegationGlobals?: ReadonlySet<string>;
  /**
   * Nothing in the checked tree calls this function (an ops-table method, an exported symbol): obligations it
   * would charge to its callers (a change of a parameter's inode without a break) are reported in it instead.
   */
  noCallers?: boolean;
  /**
   * A non-static function whose callers in other files of the tree are all direct calls (the tree's index): findings
   * they can rule out (the inode is a directory, or open for write, at every call) are left to them.
   */
  treeCallers?: boolean;
  /**
   * A static function nothing calls directly, stored in an ops table or named by a macro: its callers (the VFS, through
   * the pointer) release nothing it returns holding.
   */
  methodOnly?: boolean;
  /**
   * Functions of this file whose effects the analysis knows although they have no summary: analysed (or left out as
   * mentioning nothing that matters) with no call of an unknown lock helper. A call of one has no effect it tracks,
   * whatever its name says.
   */
  knownBodies?: { has(name: string): boolean };
}
