/**
 * Which delegation behaviour a kernel version has. The simulator switches on these features, never on version
 * strings, so a scenario can also turn one feature on or off on its own (`set grant_recheck off`).
 * Sources: ../shared/docs/kernel-delegations.md §2–§6.
 */
import { eraOf, type Era } from '../core/catalogue/catalogue';

export type { Era };

export interface KernelFeatures {
  version: string;
  era: Era;
  /** generic_add_lease() grants an FL_DELEG only under inode_trylock() (df4e8d2c1d2b, 3.13). */
  grantTrylock: boolean;
  /** The conflicting-open check is repeated after inserting the lease (24cbe7845ea5; we switch at 4.0). */
  grantRecheck: boolean;
  /** try_break_deleg()/break_deleg_wait() exist (3.13). */
  delegBreaking: boolean;
  /** Directories may carry (read) delegations, and create/remove break the parent's (6.19). */
  dirDelegations: boolean;
}

/** Parses "3.12", "4.19.1", "6.19" into [major, minor]; null if it is not a version. */
export function parseVersion(v: string): [number, number] | null {
  const parts = v.trim().split('.');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '' || !/^\d+$/.test(p))) return null;
  return [Number(parts[0]), Number(parts[1])];
}

function atLeast(v: [number, number], major: number, minor: number): boolean {
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

export function kernelFeatures(version: string): KernelFeatures {
  const v = parseVersion(version);
  if (!v) throw new Error(`not a kernel version: '${version}' (expected e.g. 3.12, 3.13, 4.19, 6.19)`);
  return {
    version,
    era: eraOf(version),
    grantTrylock: atLeast(v, 3, 13),
    grantRecheck: atLeast(v, 4, 0),
    delegBreaking: atLeast(v, 3, 13),
    dirDelegations: atLeast(v, 6, 19),
  };
}

/** Default timings (seconds / milliseconds) used by the simulator; every one can be changed by a scenario. */
export const DEFAULT_TIMING = {
  /** sysctl fs.lease-break-time: how long a blocking break waits for an FL_LEASE holder. */
  leaseBreakTimeS: 45,
  /** nfsd sets fl_break_time = 0 (no VFS timeout); its laundromat revokes an unreturned delegation after a lease period. */
  nfsdRevokeS: 90,
  /** A sleep while holding a lock longer than this is reported (nfsd's 30 ms DELEGRETURN wait stays below it). */
  sleepBoundMs: 1000,
} as const;
