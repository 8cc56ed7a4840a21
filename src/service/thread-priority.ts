/** Node only (the analysis worker): the scheduling priority of the calling thread. */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * A background worker (Check Workspace, simulations) lowers its own thread's scheduling priority, so that on a
 * busy machine the extension host's thread, which shares the process, is not kept waiting for a CPU behind it.
 * Linux only: there `setpriority(PRIO_PROCESS, tid)` applies to one thread, whose id /proc/thread-self gives.
 * Elsewhere (where it would renice the whole process) nothing is changed.
 */
export function lowerThreadPriority(nice: number): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0 || tid === process.pid) return null;
    // Only ever lower: a process already started at a lower priority keeps it.
    setPriority(tid, Math.max(nice, getPriority(tid)));
    return tid;
  } catch {
    return null;
  }
}
