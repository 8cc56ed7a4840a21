/**
 * Traces: a schedule (list of transitions) replayed into readable steps and per-step snapshots of the model.
 * Replay is deterministic: the same program and schedule give the same steps and states, which is what lets
 * the webview step back and forth, and a counterexample be checked again anywhere.
 */
import {
  applyTransition,
  enabledTransitions,
  initialState,
  Names,
  terminalViolations,
  threadTransitions,
  DONE,
  WAIT,
  type SimState,
  type Transition,
  type Violation,
} from './engine';
import type { Program } from './program';

export interface TraceStep {
  index: number;
  thread: number;
  threadName: string;
  action: string;
  detail: string;
  file?: string;
  line?: number;
  column?: number;
  /** Simulated time at the end of this step, in ms. */
  atMs: number;
  /** Locks the moving thread holds after the step. */
  held: string[];
  sleeps: boolean;
  /** A step that only moves the thread (a branch, a goto, an assignment): hidden in compact views. */
  local: boolean;
  tags: string[];
}

/** A sleeper's wake-up or timeout is never local: its pc stays on the `break` / `waitDeleg` it sleeps in. */
const LOCAL_OPS = new Set(['branch', 'choose', 'jump', 'set', 'return']);

export interface Replay {
  steps: TraceStep[];
  /** states[0] is the initial state; states[i + 1] follows steps[i]. */
  states: SimState[];
  /** Violations raised at each step (index = step index) and at the end. */
  violations: Violation[][];
  final: Violation[];
}

export class ReplayError extends Error {}

/** Replays a schedule; throws ReplayError if a transition is not enabled where the schedule takes it. */
export function replay(p: Program, schedule: readonly Transition[]): Replay {
  const names = new Names(p);
  let s = initialState(p);
  const out: Replay = { steps: [], states: [s], violations: [], final: [] };
  let clock = 0;
  schedule.forEach((tr, index) => {
    const ok =
      tr.thread >= 0 &&
      tr.thread < s.t.length &&
      threadTransitions(p, s, tr.thread).some((t) => t.choice === tr.choice);
    if (!ok)
      throw new ReplayError(`step ${index + 1}: ${names.thread(tr.thread)} cannot take choice ${tr.choice} here`);
    const op = p.threads[tr.thread].instrs[s.t[tr.thread].pc].op;
    const r = applyTransition(p, s, tr, names);
    clock += r.step.ms;
    s = r.state;
    out.steps.push({
      index,
      thread: tr.thread,
      threadName: names.thread(tr.thread),
      action: r.step.action,
      detail: r.step.detail,
      file: r.step.loc?.file,
      line: r.step.loc?.line,
      column: r.step.loc?.column,
      atMs: clock,
      held: s.t[tr.thread].held.map((l) => names.lock(l)),
      sleeps: !!r.step.sleeps,
      tags: r.step.tags,
      local: LOCAL_OPS.has(op) && !r.violations.length,
    });
    out.states.push(s);
    out.violations.push(r.violations);
  });
  if (!enabledTransitions(p, s).length) out.final = terminalViolations(p, s, names);
  return out;
}

/** The earlier step a violation conflicts with (the grant, the lock taken, the open...), or -1. */
export function relatedStep(steps: readonly TraceStep[], before: number, tag: string | undefined): number {
  if (!tag) return -1;
  for (let i = Math.min(before, steps.length - 1); i >= 0; i--) if (steps[i].tags.includes(tag)) return i;
  return -1;
}

// ---------------------------------------------------------------- snapshots for display

export interface ThreadSnapshot {
  name: string;
  label: string;
  status: 'running' | 'sleeping' | 'blocked' | 'done';
  held: string[];
  /** The next step, as `action detail`. */
  next: string;
}

export interface InodeSnapshot {
  name: string;
  kind: 'file' | 'dir';
  names: string[];
  leases: string[];
  recallPending: boolean;
  writecount: number;
  readcount: number;
  refcount: number;
  nlink: number;
  resident: boolean;
  recallBlocked: boolean;
  /** Lock holders, `i_rwsem: rename (exclusive)`. */
  locks: string[];
}

export interface Snapshot {
  threads: ThreadSnapshot[];
  inodes: InodeSnapshot[];
}

export function snapshot(p: Program, s: SimState): Snapshot {
  const names = new Names(p);
  return {
    threads: p.threads.map((th, t) => {
      const ts = s.t[t];
      const ins = th.instrs[ts.pc];
      const runnable = threadTransitions(p, s, t).length > 0;
      const status = ts.status === DONE ? 'done' : ts.status === WAIT ? 'sleeping' : runnable ? 'running' : 'blocked';
      return {
        name: th.name,
        label: th.label,
        status,
        held: ts.held.map((l) => names.lock(l)),
        next: ts.status === DONE ? '' : `${ins.action} ${ins.detail}`.trim(),
      };
    }),
    inodes: p.inodes.map((d, i) => {
      const ino = s.k.inodes[i];
      const locks: string[] = [];
      p.locks.forEach((l, li) => {
        if (l.inode !== i) return;
        const st = s.k.locks[li];
        const field = l.role === 'i_rwsem' ? 'i_rwsem' : 'flc_lock';
        if (st.owner >= 0) locks.push(`${field}: ${names.thread(st.owner)} (exclusive)`);
        for (let t = 0; t < p.threads.length; t++)
          if (st.readers & (1 << t)) locks.push(`${field}: ${names.thread(t)} (shared)`);
      });
      return {
        name: d.name,
        kind: d.dir ? 'dir' : 'file',
        names: [...ino.names],
        leases: ino.leases.map((l) => names.lease(l)),
        recallPending: ino.leases.some((l) => l.breaking),
        writecount: ino.writecount,
        readcount: ino.readcount,
        refcount: ino.refcount,
        nlink: ino.nlink,
        resident: ino.resident,
        recallBlocked: ino.recallBlocked,
        locks,
      };
    }),
  };
}

/** Which fields of each inode differ between two snapshots (for highlighting). */
export function changedFields(before: Snapshot, after: Snapshot): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  after.inodes.forEach((a, i) => {
    const b = before.inodes[i];
    const changed = new Set<string>();
    for (const key of Object.keys(a) as (keyof InodeSnapshot)[]) {
      if (JSON.stringify(a[key]) !== JSON.stringify(b?.[key])) changed.add(key);
    }
    if (changed.size) out.set(a.name, changed);
  });
  return out;
}
