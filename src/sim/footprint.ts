/**
 * Footprints for partial-order reduction: the shared objects a transition reads or writes. Two transitions of
 * different threads are independent when their footprints are disjoint. Every invariant check made at a step
 * reads only objects in that step's footprint, so independent steps commute without changing any verdict.
 */
import type { Program, Instr } from './program';
import { DONE, WAIT, type SimState, type Transition } from './engine';

export type Footprint = bigint;

/** Object numbering: one bit per lock, four per inode (leases, open counts, references, names), then globals. */
export class Objects {
  readonly ns: bigint;
  readonly cache: bigint;
  readonly allInodes: bigint;
  constructor(private readonly p: Program) {
    const base = p.locks.length + p.inodes.length * 4;
    this.ns = 1n << BigInt(base);
    this.cache = 1n << BigInt(base + 1);
    let all = 0n;
    for (let i = 0; i < p.inodes.length; i++) all |= this.leases(i) | this.refs(i) | this.names(i) | this.flc(i);
    this.allInodes = all;
  }
  lock(l: number): bigint {
    return l >= 0 ? 1n << BigInt(l) : 0n;
  }
  private inodeBit(i: number, k: number): bigint {
    return 1n << BigInt(this.p.locks.length + i * 4 + k);
  }
  leases(i: number): bigint {
    return this.inodeBit(i, 0);
  }
  counts(i: number): bigint {
    return this.inodeBit(i, 1);
  }
  refs(i: number): bigint {
    return this.inodeBit(i, 2);
  }
  names(i: number): bigint {
    return this.inodeBit(i, 3);
  }
  flc(i: number): bigint {
    return this.lock(this.p.locks.findIndex((l) => l.role === 'flc_lock' && l.inode === i));
  }
  everything(): bigint {
    return (this.cache << 1n) - 1n;
  }
}

/** Footprint of an instruction; `diInode` is the inode in the waited-on variable (-1: any). */
export function instrFootprint(o: Objects, p: Program, ins: Instr, diInode: number): Footprint {
  switch (ins.op) {
    case 'lock':
    case 'trylock':
    case 'unlock':
      return o.lock(ins.lock);
    case 'break':
      return o.leases(ins.inode) | o.flc(ins.inode) | (ins.out >= 0 ? o.refs(ins.inode) : 0n);
    case 'waitDeleg':
      return diInode >= 0 ? o.leases(diInode) | o.refs(diInode) | o.flc(diInode) : o.allInodes;
    case 'mutate':
      return o.leases(ins.inode);
    case 'ns':
      return o.ns | o.allInodes;
    case 'leaseCheck':
    case 'leaseInsert':
      return o.leases(ins.inode) | o.counts(ins.inode) | o.lock(ins.flc);
    case 'awaitRecall':
    case 'leaseReturn':
      return o.leases(ins.inode);
    case 'writeAccess':
      return o.counts(ins.inode);
    case 'openDone':
      return o.leases(ins.inode) | o.counts(ins.inode);
    case 'ref':
      return p.options.cacheCapacity ? o.cache | o.everything() : o.refs(ins.inode);
    default:
      return 0n; // branches, jumps, sleeps, returns: thread-local
  }
}

/** The footprint of one enabled transition in state s. */
export function transitionFootprint(o: Objects, p: Program, s: SimState, tr: Transition): Footprint {
  const th = s.t[tr.thread];
  const ins = p.threads[tr.thread].instrs[th.pc];
  if (th.status === WAIT) {
    const w = th.wait!;
    return o.leases(w.inode) | o.flc(w.inode) | (w.di >= 0 ? o.refs(w.inode) : 0n);
  }
  const di = ins.op === 'waitDeleg' ? th.vars[ins.di] - 1 : -1;
  return instrFootprint(o, p, ins, di);
}

/** For each thread and pc: everything the thread may still touch from there (union over reachable instructions). */
export function futureFootprints(o: Objects, p: Program): Footprint[][] {
  return p.threads.map((th) => {
    const own = th.instrs.map((ins) => instrFootprint(o, p, ins, -1));
    const fut = [...own];
    for (let changed = true; changed;) {
      changed = false;
      for (let i = th.instrs.length - 1; i >= 0; i--) {
        let f = fut[i];
        for (const n of th.instrs[i].next) f |= fut[n];
        if (f !== fut[i]) {
          fut[i] = f;
          changed = true;
        }
      }
    }
    return fut;
  });
}

export function threadFuture(fut: Footprint[][], s: SimState, t: number): Footprint {
  const th = s.t[t];
  return th.status === DONE ? 0n : fut[t][th.pc];
}
