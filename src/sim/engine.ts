/**
 * Executes a Program: which transitions a state enables, and what one transition does to the kernel model,
 * including the invariant checks made at that step. Each transition is atomic; a blocking break is two
 * transitions (start the break and sleep; wake when the leases are gone or the timeout fires).
 */
import {
  acquire,
  cloneKernel,
  holdsLock,
  initialKernel,
  kernelKey,
  lockFree,
  lockHolders,
  ownerOfName,
  release,
  removeName,
  addName,
  type KernelState,
  type Lease,
  type LeaseKind,
} from '../model/state';
import {
  conflicting,
  describeLease,
  EAGAIN,
  expireConflicting,
  grantRefusal,
  insertLease,
  openConflict,
  recheckAfterInsert,
  returnLeases,
  startBreak,
  type Breaker,
} from '../model/leases';
import {
  EWOULDBLOCK,
  UNKNOWN,
  type Instr,
  type InvariantId,
  type Loc,
  type Program,
  type ThreadProgram,
} from './program';

export const RUN = 0;
export const WAIT = 1;
export const DONE = 2;

export interface WaitInfo {
  inode: number;
  kind: LeaseKind;
  write: boolean;
  /** break_deleg_wait(): the variable to clear (and reference to put) on wake-up; -1 otherwise. */
  di: number;
}

export interface ThreadState {
  pc: number;
  status: number;
  vars: number[];
  /** Locks held, in acquisition order. */
  held: number[];
  wait: WaitInfo | null;
}

export interface SimState {
  k: KernelState;
  t: ThreadState[];
}

export interface Transition {
  thread: number;
  /** Successor index for branches and choices; for a sleeping thread 0 = woken, 1 = timeout. */
  choice: number;
}

export interface Violation {
  invariant: InvariantId;
  message: string;
  thread: number;
  /** Tag of the earlier step this one conflicts with (`grant:2:1`, `lock:3`, `wa:2`, `break:2:0`). */
  related?: string;
}

export interface StepInfo {
  thread: number;
  action: string;
  detail: string;
  loc?: Loc;
  /** Tags for finding related steps later (`grant:INODE:HOLDER`, `lock:LOCK`, ...). */
  tags: string[];
  /** Simulated time this step took (sleeps, timeouts). */
  ms: number;
  /** The thread went to sleep in this step. */
  sleeps?: boolean;
}

export interface StepOutcome {
  state: SimState;
  step: StepInfo;
  violations: Violation[];
}

export function initialState(p: Program): SimState {
  const k = initialKernel(p.inodes, p.locks);
  const t = p.threads.map((th, i) => {
    for (const l of th.entryLocks) acquire(k, l, i, false);
    return {
      pc: 0,
      status: th.instrs.length ? RUN : DONE,
      vars: th.vars.map((v) => v.initial),
      held: [...th.entryLocks],
      wait: null,
    };
  });
  return { k, t };
}

/** Each thread state's part of the key: thread states are never changed once built, and unmoved ones are shared. */
const threadKeys = new WeakMap<ThreadState, string>();

function threadKey(t: ThreadState): string {
  let k = threadKeys.get(t);
  if (k === undefined) {
    k = `${t.pc},${t.status},${t.vars.join(',')},${t.held.join('.')}${t.wait ? `w${t.wait.inode}` : ''}`;
    threadKeys.set(t, k);
  }
  return k;
}

/**
 * The state as a string, for hashing. Built with join, not `+=`: a key kept in the visited set must be one flat
 * string (a string grown by concatenation stays a tree of pieces, several times its length in memory).
 */
export function stateKey(s: SimState): string {
  const parts = [kernelKey(s.k)];
  for (const t of s.t) parts.push(threadKey(t));
  return parts.join('#');
}

/**
 * The state after a step of `thread`: the kernel is copied, and of the threads only the one that moves (a step
 * changes no other thread's state, so the others are shared between a state and its successors).
 */
function cloneState(s: SimState, thread: number): SimState {
  const t = s.t.slice();
  const o = t[thread];
  t[thread] = { ...o, vars: [...o.vars], held: [...o.held], wait: o.wait && { ...o.wait } };
  return { k: cloneKernel(s.k), t };
}

// ---------------------------------------------------------------- names for messages

export class Names {
  constructor(private readonly p: Program) {}
  thread(t: number): string {
    return t >= 0 && t < this.p.threads.length ? this.p.threads[t].name : 'an unmodelled holder';
  }
  inode(i: number): string {
    return this.p.inodes[i]?.name ?? `inode#${i}`;
  }
  lock(l: number): string {
    const d = this.p.locks[l];
    if (!d) return `lock#${l}`;
    if (d.role === 'i_rwsem') return `${this.inode(d.inode)}->i_rwsem`;
    if (d.role === 'flc_lock') return `${this.inode(d.inode)}->i_flctx->flc_lock`;
    return d.name;
  }
  lease(l: Lease): string {
    return describeLease(l, (t) => this.thread(t));
  }
}

// ---------------------------------------------------------------- enabled transitions

function breakerOf(i: { kind: LeaseKind; write: boolean }): Breaker {
  return { kind: i.kind, write: i.write };
}

function flcOf(p: Program, inode: number): number {
  return p.locks.findIndex((l) => l.role === 'flc_lock' && l.inode === inode);
}

/** Choices a running thread's current instruction offers (empty if it is blocked). */
function runChoices(p: Program, s: SimState, thread: number): number[] {
  const th = s.t[thread];
  const ins = p.threads[thread].instrs[th.pc];
  const k = s.k;
  switch (ins.op) {
    case 'lock':
      return lockFree(k, ins.lock, ins.shared) ? [0] : [];
    case 'leaseCheck':
      return flcAvailable(k, ins.flc, thread) ? [0] : [];
    case 'break': {
      // The lockless fast check needs no lock; breaking takes flc_lock.
      const busy =
        conflicting(k.inodes[ins.inode], breakerOf(ins)).length > 0 && !flcAvailable(k, flcOf(p, ins.inode), thread);
      return busy ? [] : [0];
    }
    case 'awaitRecall': {
      const mine = k.inodes[ins.inode].leases.filter((l) => l.holder === thread);
      return mine.length === 0 || mine.some((l) => l.breaking) ? [0] : [];
    }
    case 'branch': {
      const v = branchValue(ins.cond, th.vars[ins.cond.slot]);
      return v === null ? [0, 1] : [v ? 0 : 1];
    }
    case 'choose':
      return ins.next.map((_, i) => i);
    default:
      return [0];
  }
}

function flcAvailable(k: KernelState, flc: number, thread: number): boolean {
  return flc < 0 || k.locks[flc].owner === -1 || k.locks[flc].owner === thread;
}

/** The truth of a branch condition, or null when the variable's value is unknown (a free choice). */
export function branchValue(c: { form: string; negated: boolean }, v: number): boolean | null {
  if (v === UNKNOWN) return null;
  const truth = c.form === 'isErr' ? v < 0 && v >= -4095 : v !== 0;
  return truth !== c.negated;
}

export function threadTransitions(p: Program, s: SimState, thread: number): Transition[] {
  const th = s.t[thread];
  if (th.status === DONE) return [];
  if (th.status === WAIT) {
    const w = th.wait!;
    const pending = conflicting(s.k.inodes[w.inode], breakerOf(w)).length > 0;
    return [{ thread, choice: pending ? 1 : 0 }];
  }
  return runChoices(p, s, thread).map((choice) => ({ thread, choice }));
}

export function enabledTransitions(p: Program, s: SimState): Transition[] {
  const out: Transition[] = [];
  for (let t = 0; t < s.t.length; t++) out.push(...threadTransitions(p, s, t));
  return out;
}

// ---------------------------------------------------------------- executing one transition

interface Ctx {
  p: Program;
  s: SimState;
  thread: number;
  th: ThreadState;
  prog: ThreadProgram;
  names: Names;
  violations: Violation[];
  step: StepInfo;
}

export function applyTransition(p: Program, s0: SimState, tr: Transition, names = new Names(p)): StepOutcome {
  const s = cloneState(s0, tr.thread);
  const th = s.t[tr.thread];
  const prog = p.threads[tr.thread];
  const ins = prog.instrs[th.pc];
  const step: StepInfo = { thread: tr.thread, action: ins.action, detail: ins.detail, loc: ins.loc, tags: [], ms: 0 };
  const c: Ctx = { p, s, thread: tr.thread, th, prog, names, violations: [], step };
  if (th.status === WAIT) wake(c, ins, tr.choice === 1);
  else execute(c, ins, tr.choice);
  return { state: s, step, violations: c.violations.filter((v) => p.invariants.includes(v.invariant)) };
}

function advance(c: Ctx, ins: Instr, succ = 0): void {
  if (ins.next.length === 0) c.th.status = DONE;
  else c.th.pc = ins.next[succ];
}

function setVar(c: Ctx, slot: number, v: number): void {
  if (slot >= 0) c.th.vars[slot] = v;
}

function say(c: Ctx, detail: string): void {
  c.step.detail = c.step.detail ? `${c.step.detail}: ${detail}` : detail;
}

function execute(c: Ctx, ins: Instr, choice: number): void {
  const { s, thread, th, names } = c;
  switch (ins.op) {
    case 'lock':
      acquire(s.k, ins.lock, thread, ins.shared);
      th.held.push(ins.lock);
      c.step.tags.push(`lock:${ins.lock}`);
      return advance(c, ins);
    case 'trylock': {
      const ok = lockFree(s.k, ins.lock, ins.shared) && !holdsLock(s.k, ins.lock, thread);
      if (ok) {
        acquire(s.k, ins.lock, thread, ins.shared);
        th.held.push(ins.lock);
        c.step.tags.push(`lock:${ins.lock}`);
      }
      setVar(c, ins.result, ok ? 1 : 0);
      say(
        c,
        ok
          ? 'acquired'
          : `busy (held by ${lockHolders(s.k, ins.lock)
              .map((t) => names.thread(t))
              .join(', ')})`,
      );
      return advance(c, ins);
    }
    case 'unlock':
      unlock(c, ins.lock);
      return advance(c, ins);
    case 'break':
      return doBreak(c, ins);
    case 'waitDeleg':
      return doWaitDeleg(c, ins);
    case 'mutate':
      checkChange(c, ins.inode, ins.what);
      if (ins.what !== 'data') c.step.tags.push(`change:${ins.inode}`);
      return advance(c, ins);
    case 'ns':
      return doNamespace(c, ins);
    case 'leaseCheck':
      return doLeaseCheck(c, ins);
    case 'leaseInsert':
      return doLeaseInsert(c, ins);
    case 'awaitRecall':
      say(c, s.k.inodes[ins.inode].leases.some((l) => l.holder === thread) ? 'recall received' : 'nothing to recall');
      return advance(c, ins);
    case 'leaseReturn': {
      const n = returnLeases(s.k, ins.inode, thread);
      say(c, n ? 'returned' : 'nothing held');
      c.step.tags.push(`return:${ins.inode}`);
      return advance(c, ins);
    }
    case 'writeAccess': {
      const ino = s.k.inodes[ins.inode];
      if (ins.read) ino.readcount = Math.max(0, ino.readcount + ins.delta);
      else ino.writecount = Math.max(0, ino.writecount + ins.delta);
      if (ins.delta > 0 && !ins.read) c.step.tags.push(`wa:${ins.inode}`);
      return advance(c, ins);
    }
    case 'openDone':
      if (ins.write) checkWriterAgainstDelegations(c, ins.inode);
      return advance(c, ins);
    case 'ref':
      return doRef(c, ins);
    case 'sleep':
      c.step.ms = ins.ms;
      checkSleep(c, ins.ms, `${ins.why} (${formatMs(ins.ms)})`);
      return advance(c, ins);
    case 'branch':
    case 'choose':
      return advance(c, ins, choice);
    case 'jump':
      return advance(c, ins);
    case 'set':
      setVar(c, ins.slot, ins.value);
      return advance(c, ins);
    case 'return':
      return doReturn(c);
  }
}

function unlock(c: Ctx, lock: number): void {
  const { s, thread, th, names } = c;
  if (!release(s.k, lock, thread)) {
    c.violations.push({
      invariant: 'lock-balance',
      thread,
      message: `${names.thread(thread)} unlocks ${names.lock(lock)}, which it does not hold`,
    });
    return;
  }
  const at = th.held.lastIndexOf(lock);
  if (at >= 0) th.held.splice(at, 1);
}

function doBreak(c: Ctx, ins: Extract<Instr, { op: 'break' }>): void {
  const { s, th, names } = c;
  const ino = s.k.inodes[ins.inode];
  const found = conflicting(ino, breakerOf(ins));
  c.step.tags.push(`break:${ins.inode}:${c.thread}`);
  if (!found.length) {
    setVar(c, ins.result, 0);
    say(c, ins.change ? `no conflicting lease; ${ins.change} changed` : 'no conflicting lease');
    if (ins.change) {
      checkChange(c, ins.inode, ins.change);
      c.step.tags.push(`change:${ins.inode}`);
    }
    return advance(c, ins);
  }
  const fresh = found.filter((l) => !l.breaking);
  startBreak(s.k, ins.inode, breakerOf(ins), c.p.options.recallBlock);
  const recalled = fresh.length
    ? `recall sent to ${fresh.map((l) => names.thread(l.holder)).join(', ')}`
    : 'recall already pending';
  if (!ins.blocking) {
    setVar(c, ins.result, EWOULDBLOCK);
    let what = `${recalled}; -EWOULDBLOCK`;
    if (ins.out >= 0) {
      th.vars[ins.out] = ins.inode + 1;
      ino.refcount++;
      what += `; ihold(${names.inode(ins.inode)}) into ${c.prog.vars[ins.out].name}`;
      c.step.tags.push(`ihold:${ins.inode}:${c.thread}`);
    }
    say(c, what);
    return advance(c, ins);
  }
  say(c, `${recalled}; sleeps until ${found.map((l) => names.lease(l)).join(', ')} is gone`);
  goToSleep(c, { inode: ins.inode, kind: ins.kind, write: ins.write, di: -1 }, found);
}

function doWaitDeleg(c: Ctx, ins: Extract<Instr, { op: 'waitDeleg' }>): void {
  const { s, th, names } = c;
  const di = th.vars[ins.di];
  if (di <= 0) {
    setVar(c, ins.result, 0);
    say(c, 'no delegated inode');
    return advance(c, ins);
  }
  const inode = di - 1;
  const breaker: Breaker = { kind: 'deleg', write: true };
  const found = conflicting(s.k.inodes[inode], breaker);
  if (!found.length) {
    putDelegated(c, ins.di, inode);
    setVar(c, ins.result, 0);
    say(c, `delegation on ${names.inode(inode)} already gone; iput`);
    return advance(c, ins);
  }
  startBreak(s.k, inode, breaker, c.p.options.recallBlock);
  say(c, `sleeps until ${found.map((l) => names.lease(l)).join(', ')} is returned`);
  goToSleep(c, { inode, kind: 'deleg', write: true, di: ins.di }, found);
}

function putDelegated(c: Ctx, slot: number, inode: number): void {
  c.th.vars[slot] = 0;
  c.s.k.inodes[inode].refcount--;
}

function goToSleep(c: Ctx, w: WaitInfo, leases: Lease[]): void {
  c.th.status = WAIT;
  c.th.wait = w;
  c.step.sleeps = true;
  const nfsd = leases.some((l) => l.kind === 'deleg');
  const o = c.p.options;
  const bound = nfsd
    ? `until DELEGRETURN (no VFS timeout; nfsd's laundromat revokes after ${o.nfsdRevokeS} s)`
    : `up to lease_break_time = ${o.leaseBreakTimeS} s`;
  checkSleep(
    c,
    (nfsd ? o.nfsdRevokeS : o.leaseBreakTimeS) * 1000,
    `sleeps in ${c.step.action}(${c.names.inode(w.inode)}) ${bound}`,
  );
}

/** A woken sleeper: the leases went (woken = false) or the timeout fired (timeout = true). */
function wake(c: Ctx, ins: Instr, timeout: boolean): void {
  const { s, th, names } = c;
  const w = th.wait!;
  c.step.action = timeout ? 'timeout' : 'wake_up';
  if (timeout) {
    const gone = expireConflicting(s.k, w.inode, breakerOf(w));
    const nfsd = gone.some((l) => l.kind === 'deleg');
    const o = c.p.options;
    c.step.ms = (nfsd ? o.nfsdRevokeS : o.leaseBreakTimeS) * 1000;
    c.step.detail = nfsd
      ? `nfsd's laundromat revokes ${gone.map((l) => names.lease(l)).join(', ')} after ${o.nfsdRevokeS} s`
      : `lease_break_time (${o.leaseBreakTimeS} s) expired: ${gone.map((l) => names.lease(l)).join(', ')} removed`;
  } else {
    c.step.detail = `leases on ${names.inode(w.inode)} gone; ${names.thread(c.thread)} wakes up`;
  }
  if (w.di >= 0) {
    putDelegated(c, w.di, w.inode);
    c.step.detail += `; iput(${names.inode(w.inode)})`;
  }
  th.status = RUN;
  th.wait = null;
  const result = ins.op === 'break' || ins.op === 'waitDeleg' ? ins.result : -1;
  setVar(c, result, 0);
  advance(c, ins);
}

function doNamespace(c: Ctx, ins: Extract<Instr, { op: 'ns' }>): void {
  const k = c.s.k;
  const names = c.names;
  if (ins.kind === 'create' || ins.kind === 'mkdir') {
    if (ownerOfName(k, ins.to) >= 0) return fail(c, ins, -17, `${ins.to} exists: -EEXIST`);
    for (const d of ins.dirs) checkChange(c, d, 'dirent');
    addName(k.inodes[ins.inode], ins.to);
    return advance(c, ins);
  }
  const source = ownerOfName(k, ins.from);
  if (source < 0) return fail(c, ins, -2, `${ins.from} does not exist: -ENOENT`);
  for (const d of ins.dirs) checkChange(c, d, 'dirent');
  checkChange(c, source, 'names');
  c.step.tags.push(`change:${source}`);
  if (ins.kind === 'link') {
    addName(k.inodes[source], ins.to);
  } else if (ins.kind === 'rename') {
    const target = ownerOfName(k, ins.to);
    if (target >= 0 && target !== source) {
      checkChange(c, target, 'names');
      removeName(k.inodes[target], ins.to);
      say(c, `replaces ${names.inode(target)}`);
    }
    removeName(k.inodes[source], ins.from);
    addName(k.inodes[source], ins.to);
  } else {
    removeName(k.inodes[source], ins.from);
  }
  setVar(c, ins.result, 0);
  advance(c, ins);
}

function fail(c: Ctx, ins: Instr & { result: number }, errno: number, why: string): void {
  setVar(c, ins.result, errno);
  say(c, why);
  advance(c, ins);
}

function doLeaseCheck(c: Ctx, ins: Extract<Instr, { op: 'leaseCheck' }>): void {
  const { s, thread } = c;
  const refusal = grantRefusal(
    s.k.inodes[ins.inode],
    { kind: ins.kind, type: ins.type, holder: thread },
    { dirDelegations: c.p.options.dirDelegations, isDir: c.p.inodes[ins.inode].dir },
  );
  if (refusal) return fail(c, ins, -refusal.errno, `refused (${refusal.why})`);
  if (ins.flc >= 0 && !holdsLock(s.k, ins.flc, thread)) {
    acquire(s.k, ins.flc, thread, false);
    c.th.held.push(ins.flc);
  }
  setVar(c, ins.result, 0);
  say(c, 'no conflict');
  advance(c, ins);
}

function doLeaseInsert(c: Ctx, ins: Extract<Instr, { op: 'leaseInsert' }>): void {
  const { s, thread, names } = c;
  const req = { kind: ins.kind, type: ins.type, holder: thread };
  insertLease(s.k, ins.inode, req);
  c.step.tags.push(`grant:${ins.inode}:${thread}`);
  if (ins.recheck && recheckAfterInsert(s.k, ins.inode, req)) {
    setVar(c, ins.result, -EAGAIN);
    say(c, 're-check after insertion found an open for write: lease removed, -EAGAIN');
  } else {
    setVar(c, ins.result, 0);
    say(c, 'granted');
    if (openConflict(s.k.inodes[ins.inode], ins.type)) {
      c.violations.push({
        invariant: 'deleg-writer',
        thread,
        related: `wa:${ins.inode}`,
        message: `${names.thread(thread)} is granted a ${ins.type} ${ins.kind === 'deleg' ? 'delegation' : 'lease'} on ${names.inode(ins.inode)} while it is open for write`,
      });
    }
  }
  if (ins.flc >= 0 && holdsLock(s.k, ins.flc, thread)) unlock(c, ins.flc);
  advance(c, ins);
}

function doRef(c: Ctx, ins: Extract<Instr, { op: 'ref' }>): void {
  const ino = c.s.k.inodes[ins.inode];
  if (ins.kind === 'iput') {
    ino.refcount--;
    if (ino.refcount < 0) {
      c.violations.push({
        invariant: 'leaked-ref',
        thread: c.thread,
        message: `iput(${c.names.inode(ins.inode)}) drops a reference nobody holds`,
      });
    }
    return advance(c, ins);
  }
  ino.refcount++;
  if (ins.kind === 'iget') touchCache(c, ins.inode);
  advance(c, ins);
}

/** iget of a non-resident inode reads it in; over capacity, the LRU unreferenced inode is evicted. */
function touchCache(c: Ctx, inode: number): void {
  const capacity = c.p.options.cacheCapacity;
  const k = c.s.k;
  if (!capacity) return;
  k.lru = k.lru.filter((i) => i !== inode);
  k.lru.push(inode);
  k.inodes[inode].resident = true;
  if (k.lru.length <= capacity) return;
  const victim = k.lru.find((i) => k.inodes[i].refcount === 0);
  if (victim === undefined) return;
  k.lru = k.lru.filter((i) => i !== victim);
  k.inodes[victim].resident = false;
  say(c, `evicts ${c.names.inode(victim)}`);
  const why = pinReason(c, victim);
  if (why)
    c.violations.push({
      invariant: 'pinned-evicted',
      thread: c.thread,
      message: `${c.names.inode(victim)} is evicted while ${why}`,
    });
}

function pinReason(c: Ctx, inode: number): string | null {
  const k = c.s.k;
  const locked = c.p.locks.findIndex((l, i) => l.inode === inode && lockHolders(k, i).length > 0);
  if (locked >= 0) return `${c.names.lock(locked)} is held`;
  if (k.inodes[inode].leases.length) return `it carries ${c.names.lease(k.inodes[inode].leases[0])}`;
  return null;
}

function doReturn(c: Ctx): void {
  const { th, thread, names, prog } = c;
  const own = th.held.filter((l) => !prog.entryLocks.includes(l));
  if (own.length) {
    c.violations.push({
      invariant: 'lock-balance',
      thread,
      related: `lock:${own[0]}`,
      message: `${names.thread(thread)} returns holding ${own.map((l) => names.lock(l)).join(', ')}`,
    });
  }
  prog.vars.forEach((v, slot) => {
    const value = th.vars[slot];
    if (v.kind !== 'di' || v.escapes || value <= 0) return;
    c.violations.push({
      invariant: 'leaked-ref',
      thread,
      related: `ihold:${value - 1}:${thread}`,
      message: `${names.thread(thread)} returns with ${v.name} = ${names.inode(value - 1)}: the reference from try_break_deleg() is never put and the break never waited for`,
    });
  });
  th.status = DONE;
}

// ---------------------------------------------------------------- invariant checks at a step

/** A change of names/attributes (or a directory's entries) while a delegation is outstanding. */
function checkChange(c: Ctx, inode: number, what: string): void {
  if (what === 'data') return;
  const delegs = c.s.k.inodes[inode].leases.filter((l) => l.kind === 'deleg');
  if (!delegs.length) return;
  const l = delegs.find((d) => !d.breaking) ?? delegs[0];
  const kind = what === 'dirent' ? 'entries' : what;
  const holder = c.names.thread(l.holder);
  const message = l.breaking
    ? `${c.names.inode(inode)}'s ${kind} change before ${holder} returned its recalled ${l.type} delegation`
    : `${c.names.inode(inode)}'s ${kind} change while ${holder} holds an un-recalled ${l.type} delegation`;
  c.violations.push({ invariant: 'deleg-change', thread: c.thread, message, related: `grant:${inode}:${l.holder}` });
}

function checkWriterAgainstDelegations(c: Ctx, inode: number): void {
  const active = c.s.k.inodes[inode].leases.filter((l) => !l.breaking && l.holder !== c.thread && l.kind !== 'layout');
  if (!active.length) return;
  c.violations.push({
    invariant: 'deleg-writer',
    thread: c.thread,
    related: `grant:${inode}:${active[0].holder}`,
    message: `${c.names.thread(c.thread)} opens ${c.names.inode(inode)} for write while ${c.names.lease(active[0])} is outstanding (no break)`,
  });
}

function checkSleep(c: Ctx, ms: number, what: string): void {
  const { th, p, names } = c;
  if (!th.held.length) return;
  const spin = th.held.filter((l) => p.locks[l].kind === 'spin');
  if (!spin.length && ms <= p.options.sleepBoundMs) return;
  const blocked = stalledBy(c);
  const locks = (spin.length ? spin : th.held).map((l) => names.lock(l)).join(', ');
  const message = spin.length
    ? `${names.thread(c.thread)} ${what} under spinlock ${locks}`
    : `${names.thread(c.thread)} ${what} holding ${locks}${blocked ? `; ${blocked}` : ''}`;
  c.violations.push({
    invariant: 'sleep-under-lock',
    thread: c.thread,
    message,
    related: `lock:${(spin.length ? spin : th.held)[0]}`,
  });
}

/** Which other threads need a lock the sleeper holds (they stall for as long as it sleeps). */
function stalledBy(c: Ctx): string {
  const { p, s, th, names } = c;
  const waiting: string[] = [];
  p.threads.forEach((other, t) => {
    if (t === c.thread || s.t[t].status === DONE) return;
    const needs = other.instrs.some((i) => i.op === 'lock' && th.held.includes(i.lock));
    if (needs) waiting.push(names.thread(t));
  });
  return waiting.length ? `${waiting.join(', ')} stall${waiting.length === 1 ? 's' : ''} behind it` : '';
}

// ---------------------------------------------------------------- terminal states

/** Checks made when no transition is enabled: deadlock, or references not given back. */
export function terminalViolations(p: Program, s: SimState, names = new Names(p)): Violation[] {
  const out: Violation[] = [];
  const stuck = s.t.map((t, i) => i).filter((i) => s.t[i].status !== DONE && !p.threads[i].actor);
  if (stuck.length) {
    out.push({
      invariant: 'deadlock',
      thread: stuck[0],
      message: `deadlock: ${stuck.map((t) => blockedOn(p, s, t, names)).join('; ')}`,
      related: lockTag(p, s, stuck[0]),
    });
  } else {
    const handedToCaller = callerReferences(p, s);
    p.inodes.forEach((d, i) => {
      const extra = s.k.inodes[i].refcount - d.refcount - (handedToCaller.get(i) ?? 0);
      if (extra > 0)
        out.push({
          invariant: 'leaked-ref',
          thread: -1,
          message: `${names.inode(i)} ends with ${extra} reference${extra > 1 ? 's' : ''} more than it started with`,
        });
    });
  }
  return out.filter((v) => p.invariants.includes(v.invariant));
}

/** References from try_break_deleg() stored in a caller's delegated-inode variable: the caller puts them. */
function callerReferences(p: Program, s: SimState): Map<number, number> {
  const out = new Map<number, number>();
  p.threads.forEach((th, t) =>
    th.vars.forEach((v, slot) => {
      const value = s.t[t].vars[slot];
      if (v.escapes && value > 0) out.set(value - 1, (out.get(value - 1) ?? 0) + 1);
    }),
  );
  return out;
}

function lockTag(p: Program, s: SimState, t: number): string | undefined {
  const ins = p.threads[t].instrs[s.t[t].pc];
  if (ins?.op !== 'lock') return undefined;
  const owner = lockHolders(s.k, ins.lock);
  return owner.length ? `lock:${ins.lock}` : undefined;
}

export function blockedOn(p: Program, s: SimState, t: number, names = new Names(p)): string {
  const th = s.t[t];
  if (th.status === WAIT) return `${names.thread(t)} sleeps in a lease break on ${names.inode(th.wait!.inode)}`;
  const ins = p.threads[t].instrs[th.pc];
  if (ins.op === 'lock') {
    const owners = lockHolders(s.k, ins.lock).map((o) => names.thread(o));
    return `${names.thread(t)} waits for ${names.lock(ins.lock)} held by ${owners.join(', ') || 'nobody'}`;
  }
  if (ins.op === 'leaseCheck' || ins.op === 'break')
    return `${names.thread(t)} spins on ${names.inode(ins.inode)}'s flc_lock`;
  if (ins.op === 'awaitRecall') return `${names.thread(t)} waits for a recall of ${names.inode(ins.inode)}`;
  return `${names.thread(t)} is blocked at ${ins.action}`;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}
