/**
 * The lease manager: which leases a breaker conflicts with (leases_conflict), breaking (lm_break → recall),
 * granting with generic_add_lease()'s checks, DELEGRETURN, and the lease_break_time / laundromat timeout.
 */
import type { InodeState, KernelState, Lease, LeaseKind, LeaseType } from './state';

export const EAGAIN = 11; // == EWOULDBLOCK on Linux
export const EINVAL = 22;

export interface Breaker {
  /** break_lease() breaks FL_LEASE and FL_DELEG; break_deleg()/try_break_deleg() only FL_DELEG; break_layout() FL_LAYOUT. */
  kind: LeaseKind;
  /** A write breaker (O_WRONLY/O_RDWR, every break_deleg) breaks all leases; a read breaker only write leases. */
  write: boolean;
}

/** leases_conflict(): an FL_DELEG breaker leaves plain FL_LEASE leases alone; layouts only meet layout breaks. */
export function conflicts(lease: Lease, breaker: Breaker): boolean {
  if ((lease.kind === 'layout') !== (breaker.kind === 'layout')) return false;
  if (breaker.kind === 'deleg' && lease.kind === 'lease') return false;
  return breaker.write || lease.type === 'write';
}

export function conflicting(inode: InodeState, breaker: Breaker): Lease[] {
  return inode.leases.filter((l) => conflicts(l, breaker));
}

/**
 * lm_break() on every conflicting lease not already being broken. With nfsd's recall blocking, a recalled file
 * gets no new delegation for a while (block_delegations()). Returns the number of conflicting leases.
 */
export function startBreak(k: KernelState, inode: number, breaker: Breaker, recallBlock: boolean): number {
  const ino = k.inodes[inode];
  const found = conflicting(ino, breaker);
  for (const l of found) {
    l.breaking = true;
    if (l.kind === 'deleg' && recallBlock) ino.recallBlocked = true;
  }
  return found.length;
}

/** lease_break_time expired (FL_LEASE) or nfsd's laundromat revoked the delegation: conflicting leases go. */
export function expireConflicting(k: KernelState, inode: number, breaker: Breaker): Lease[] {
  const ino = k.inodes[inode];
  const gone = conflicting(ino, breaker);
  ino.leases = ino.leases.filter((l) => !conflicts(l, breaker));
  return gone;
}

/** DELEGRETURN / F_UNLCK: the holder gives back its leases on the inode. */
export function returnLeases(k: KernelState, inode: number, holder: number): number {
  const ino = k.inodes[inode];
  const before = ino.leases.length;
  ino.leases = ino.leases.filter((l) => l.holder !== holder);
  return before - ino.leases.length;
}

export interface GrantRequest {
  kind: LeaseKind;
  type: LeaseType;
  holder: number;
}

export interface GrantPolicy {
  dirDelegations: boolean;
  isDir: boolean;
}

/**
 * generic_add_lease()'s checks before inserting (conflicting opens, leases being broken, other holders'
 * conflicting leases, nfsd's recall blocking, directories). Returns null if the lease may be added, else why not.
 */
export function grantRefusal(
  ino: InodeState,
  req: GrantRequest,
  policy: GrantPolicy,
): { errno: number; why: string } | null {
  if (policy.isDir && (!policy.dirDelegations || req.type === 'write')) {
    return {
      errno: EINVAL,
      why: policy.dirDelegations ? 'no write leases on directories' : 'no leases on directories before 6.19',
    };
  }
  if (req.kind === 'deleg' && ino.recallBlocked)
    return { errno: EAGAIN, why: 'recalled recently (nfsd block_delegations)' };
  if (ino.leases.some((l) => l.breaking)) return { errno: EAGAIN, why: 'a lease on it is being broken' };
  const others = ino.leases.filter((l) => l.holder !== req.holder);
  if (others.some((l) => l.type === 'write') || (req.type === 'write' && others.length))
    return { errno: EAGAIN, why: 'conflicting lease' };
  if (openConflict(ino, req.type))
    return { errno: EAGAIN, why: req.type === 'read' ? 'the file is open for write' : 'the file is open' };
  return null;
}

/** check_conflicting_open(): a read lease needs no writers; a write lease needs no other opens. */
export function openConflict(ino: InodeState, type: LeaseType): boolean {
  return type === 'read' ? ino.writecount > 0 : ino.writecount + ino.readcount > 0;
}

export function insertLease(k: KernelState, inode: number, req: GrantRequest): void {
  k.inodes[inode].leases.push({ kind: req.kind, type: req.type, holder: req.holder, breaking: false });
}

/** The re-check after insertion (24cbe7845ea5): undo the grant if an open slipped in. True if it was undone. */
export function recheckAfterInsert(k: KernelState, inode: number, req: GrantRequest): boolean {
  const ino = k.inodes[inode];
  if (!openConflict(ino, req.type)) return false;
  const at = ino.leases.findIndex((l) => l.holder === req.holder && l.kind === req.kind && !l.breaking);
  if (at >= 0) ino.leases.splice(at, 1);
  return true;
}

export function describeLease(l: Lease, holderName: (t: number) => string): string {
  const kind = l.kind === 'deleg' ? 'delegation' : l.kind === 'layout' ? 'layout' : 'lease';
  return `${l.type} ${kind} (${holderName(l.holder)})${l.breaking ? ', recall pending' : ''}`;
}
