/**
 * A compiled scenario: kernel objects, and threads as graphs of atomic instructions. Scenarios written in
 * `.vfsrace`, the built-ins and functions taken from C code all compile to this one form, which the engine
 * executes, the explorer searches and the webview replays. Plain JSON-compatible data.
 */
import type { InodeDecl, LeaseKind, LeaseType, LockDecl } from '../model/state';

export interface Loc {
  file: string;
  line: number;
  column?: number;
}

export type MutationKind = 'names' | 'attrs' | 'dirent' | 'data';
export type NamespaceOp = 'rename' | 'link' | 'unlink' | 'create' | 'mkdir' | 'rmdir';

/** A branch condition on a thread variable; an unknown value makes the branch a free choice. */
export interface Cond {
  slot: number;
  /** truthy: value != 0; isErr: value < 0; delegated: the delegated-inode variable is set. */
  form: 'truthy' | 'isErr' | 'delegated';
  negated: boolean;
}

export type InstrBody =
  | { op: 'lock'; lock: number; shared: boolean }
  | { op: 'trylock'; lock: number; shared: boolean; result: number }
  | { op: 'unlock'; lock: number }
  /**
   * break_lease / break_deleg / try_break_deleg / break_layout. `out`: the delegated-inode variable (ihold).
   * `change`: a callee such as vfs_unlink() that breaks and, if nothing conflicts, changes the inode in one step
   * (it holds the inode's lock across both).
   */
  | {
      op: 'break';
      inode: number;
      kind: LeaseKind;
      blocking: boolean;
      write: boolean;
      out: number;
      result: number;
      change?: MutationKind;
    }
  /** break_deleg_wait(&di): a blocking break on the inode in `di`, then iput and clear. */
  | { op: 'waitDeleg'; di: number; result: number }
  | { op: 'mutate'; inode: number; what: MutationKind }
  /** A namespace change by path: `from` names the inode acted on; `dirs` are the parent directories changed. */
  | { op: 'ns'; kind: NamespaceOp; inode: number; from: string; to: string; dirs: number[]; result: number }
  /** generic_add_lease() before insertion: takes flc_lock, checks conflicts; on refusal releases flc_lock. */
  | { op: 'leaseCheck'; inode: number; kind: LeaseKind; type: LeaseType; flc: number; result: number }
  /** Inserts the lease (re-checking conflicting opens if `recheck`), releases flc_lock. */
  | {
      op: 'leaseInsert';
      inode: number;
      kind: LeaseKind;
      type: LeaseType;
      flc: number;
      recheck: boolean;
      result: number;
    }
  /** An NFS client / lease holder waits for the recall (CB_RECALL / SIGIO). */
  | { op: 'awaitRecall'; inode: number }
  /** DELEGRETURN / F_UNLCK. */
  | { op: 'leaseReturn'; inode: number }
  | { op: 'writeAccess'; inode: number; delta: 1 | -1; read: boolean }
  /** The open has passed its break_lease(): the file is now open (checked against outstanding delegations). */
  | { op: 'openDone'; inode: number; write: boolean }
  | { op: 'ref'; inode: number; kind: 'iget' | 'ihold' | 'iput' }
  | { op: 'sleep'; ms: number; why: string }
  | { op: 'branch'; cond: Cond }
  | { op: 'choose' }
  | { op: 'jump' }
  | { op: 'set'; slot: number; value: number }
  | { op: 'return' };

export type Instr = InstrBody & {
  /** Successors: one for most; [then, else] for branch; any number for choose; none for return. */
  next: number[];
  /** Kernel-style name of the step (`inode_lock`, `try_break_deleg`, ...), and a readable detail. */
  action: string;
  detail: string;
  loc?: Loc;
};

export type VarKind = 'err' | 'di' | 'ok' | 'other';

export interface ThreadProgram {
  name: string;
  /** What the thread stands for (`rename(2)`, `NFS client`). */
  label: string;
  /** Actors (NFS clients, lease holders, the shrinker) may run forever; threads must finish. */
  actor: boolean;
  instrs: Instr[];
  vars: { name: string; kind: VarKind; initial: number; escapes?: boolean }[];
  /** Locks held on entry (the caller's). */
  entryLocks: number[];
}

export type InvariantId =
  | 'deleg-change'
  | 'deleg-writer'
  | 'sleep-under-lock'
  | 'deadlock'
  | 'leaked-ref'
  | 'lock-balance'
  | 'pinned-evicted'
  | 'progress';

export const ALL_INVARIANTS: readonly InvariantId[] = [
  'deleg-change',
  'deleg-writer',
  'sleep-under-lock',
  'deadlock',
  'leaked-ref',
  'lock-balance',
  'pinned-evicted',
  'progress',
];

export const INVARIANT_DOC: Record<InvariantId, string> = {
  'deleg-change': 'no change of names/attributes of an inode while an un-recalled delegation exists',
  'deleg-writer': 'no read delegation coexists with an open for write',
  'sleep-under-lock': 'no sleep while holding a lock beyond the bound',
  deadlock: 'no deadlock',
  'leaked-ref': 'no leaked inode reference (every ihold from try_break_deleg is waited on and put)',
  'lock-balance': 'no thread returns holding a lock it took',
  'pinned-evicted': 'no eviction of a pinned inode (referenced, locked or delegated)',
  progress: 'progress: no thread retries forever (the unlock–wait–relock window can re-grant)',
};

export interface SimOptions {
  kernel: string;
  leaseBreakTimeS: number;
  nfsdRevokeS: number;
  sleepBoundMs: number;
  /** nfsd's block_delegations() after a recall. */
  recallBlock: boolean;
  grantTrylock: boolean;
  grantRecheck: boolean;
  dirDelegations: boolean;
  /** Inode cache capacity for the scenario (0 = unbounded). */
  cacheCapacity: number;
}

export interface Program {
  title: string;
  /** Where the scenario came from (`builtin:NAME`, a .vfsrace path, `file.c:function`). */
  source: string;
  description: string;
  options: SimOptions;
  inodes: InodeDecl[];
  locks: LockDecl[];
  threads: ThreadProgram[];
  invariants: InvariantId[];
}

export const NO_SLOT = -1;
/** The value of a variable nothing in the model has set: branches on it are free choices. */
export const UNKNOWN = -0x7fff;
export const EWOULDBLOCK = -11;
