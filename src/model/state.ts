/**
 * The kernel objects the simulator tracks: inodes (i_rwsem and the lease list's flc_lock are entries of the lock
 * table), their leases and delegations, open counts, references, link counts and names, plus the inode cache's
 * residency. Plain data, so a state can be cloned, hashed, sent to a webview and replayed anywhere.
 */

export type LeaseKind = 'lease' | 'deleg' | 'layout';
export type LeaseType = 'read' | 'write';
export type LockKind = 'rwsem' | 'mutex' | 'spin';
export type LockRole = 'i_rwsem' | 'flc_lock' | 's_vfs_rename_mutex' | 'other';

export interface InodeDecl {
  name: string;
  dir: boolean;
  /** Initial names, "dir/a" style. */
  names: string[];
  /** References held by someone outside the scenario (an open file, a dentry): keeps it in the cache. */
  refcount: number;
  leases: { kind: LeaseKind; type: LeaseType; holder: number }[];
}

export interface LockDecl {
  name: string;
  kind: LockKind;
  role: LockRole;
  /** The inode this lock belongs to, or -1 for a global lock. */
  inode: number;
}

export interface Lease {
  kind: LeaseKind;
  type: LeaseType;
  /** Thread index of the holder (an NFS client or a lease-holding process), or -1 for an unmodelled holder. */
  holder: number;
  /** lm_break() was called: a recall (CB_RECALL / SIGIO) is pending. */
  breaking: boolean;
}

export interface InodeState {
  leases: Lease[];
  writecount: number;
  readcount: number;
  refcount: number;
  nlink: number;
  names: string[];
  /** nfsd's block_delegations(): recalled recently, so no new delegation for a while. */
  recallBlocked: boolean;
  resident: boolean;
}

export interface LockState {
  /** Exclusive owner (thread index), or -1. */
  owner: number;
  /** Shared holders as a bit mask of thread indices. */
  readers: number;
}

export interface KernelState {
  inodes: InodeState[];
  locks: LockState[];
  /** Resident inodes, least recently used first (only kept when the cache is bounded). */
  lru: number[];
}

export function initialKernel(inodes: readonly InodeDecl[], locks: readonly LockDecl[]): KernelState {
  return {
    inodes: inodes.map((d) => ({
      leases: d.leases.map((l) => ({ ...l, breaking: false })),
      writecount: 0,
      readcount: 0,
      refcount: d.refcount,
      nlink: d.names.length,
      names: [...d.names],
      recallBlocked: false,
      resident: true,
    })),
    locks: locks.map(() => ({ owner: -1, readers: 0 })),
    lru: inodes.map((_, i) => i),
  };
}

export function cloneKernel(k: KernelState): KernelState {
  return {
    inodes: k.inodes.map((i) => ({ ...i, leases: i.leases.map((l) => ({ ...l })), names: [...i.names] })),
    locks: k.locks.map((l) => ({ ...l })),
    lru: [...k.lru],
  };
}

/** A canonical string of the state (the explorer's hash key). */
export function kernelKey(k: KernelState): string {
  let s = '';
  for (const i of k.inodes) {
    s += `${i.writecount},${i.readcount},${i.refcount},${i.nlink},${i.recallBlocked ? 1 : 0}${i.resident ? 1 : 0}[`;
    for (const l of i.leases) s += `${l.kind[0]}${l.type[0]}${l.holder}${l.breaking ? '!' : ''};`;
    s += `]${i.names.join(',')}|`;
  }
  for (const l of k.locks) s += `${l.owner}.${l.readers};`;
  return s + k.lru.join(',');
}

// ---------------------------------------------------------------- locks

export function lockFree(k: KernelState, lock: number, shared: boolean): boolean {
  const l = k.locks[lock];
  return l.owner === -1 && (shared || l.readers === 0);
}

export function holdsLock(k: KernelState, lock: number, thread: number): boolean {
  const l = k.locks[lock];
  return l.owner === thread || (l.readers & (1 << thread)) !== 0;
}

export function acquire(k: KernelState, lock: number, thread: number, shared: boolean): void {
  if (shared) k.locks[lock].readers |= 1 << thread;
  else k.locks[lock].owner = thread;
}

/** Releases the lock; false if the thread did not hold it (an unlock without a lock). */
export function release(k: KernelState, lock: number, thread: number): boolean {
  const l = k.locks[lock];
  if (l.owner === thread) {
    l.owner = -1;
    return true;
  }
  if (l.readers & (1 << thread)) {
    l.readers &= ~(1 << thread);
    return true;
  }
  return false;
}

/** Threads holding the lock (exclusive owner or shared holders). */
export function lockHolders(k: KernelState, lock: number): number[] {
  const l = k.locks[lock];
  const out = l.owner >= 0 ? [l.owner] : [];
  for (let t = 0; t < 31; t++) if (l.readers & (1 << t)) out.push(t);
  return out;
}

// ---------------------------------------------------------------- names

export function ownerOfName(k: KernelState, path: string): number {
  return k.inodes.findIndex((i) => i.names.includes(path));
}

export function removeName(i: InodeState, path: string): void {
  const at = i.names.indexOf(path);
  if (at >= 0) i.names.splice(at, 1);
  i.nlink = Math.max(0, i.nlink - 1);
}

export function addName(i: InodeState, path: string): void {
  i.names.push(path);
  i.nlink++;
}
