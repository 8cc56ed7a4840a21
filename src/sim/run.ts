/**
 * One call from a scenario to a result: explore, shorten the counterexample, replay it into steps, name the two
 * conflicting events. For a safe scenario the result carries a witness run instead (the run that shows most of
 * the protocol, e.g. the recall, the wait and the retry), so there is always something to step through.
 */
import {
  applyTransition,
  enabledTransitions,
  initialState,
  Names,
  stateKey,
  type SimState,
  type Transition,
} from './engine';
import {
  COST,
  DEFAULT_MAX_BYTES,
  exploreWork,
  finish,
  finishAsync,
  now,
  type Bound,
  type ExploreOptions,
  type Reduction,
  type Work,
} from './explore';
import type { InvariantId, Program } from './program';
import { relatedStep, replay, type TraceStep } from './trace';
import { DEFAULT_FIELD_COST, fieldCostStudy, type FieldCostParams, type FieldCostRow } from '../model/cache';

export interface SimulationResult {
  version: 1;
  scenario: string;
  title: string;
  description: string;
  kernel: string;
  verdict: 'safe' | 'violation';
  invariant?: InvariantId;
  message?: string;
  states: number;
  transitions: number;
  ms: number;
  reduction: Reduction;
  complete: boolean;
  /** Set when a limit (states, memory, depth) or a cancellation stopped the search: which, and what it proves. */
  bound?: Bound;
  traceKind: 'counterexample' | 'witness' | 'none';
  trace: TraceStep[];
  schedule: Transition[];
  /** Step indices of the two conflicting events (the earlier one may be -1 if there is none). */
  conflict?: [number, number];
  /** progress: steps from this index on repeat forever. */
  cycleStart?: number;
  /** Other invariants violated (when all were collected). */
  others: { invariant: InvariantId; message: string }[];
  cache?: FieldCostRow[];
  program?: Program;
}

export function simulateProgram(p: Program, opts: Partial<ExploreOptions> = {}): SimulationResult {
  return finish(simulateProgramWork(p, opts));
}

/** The same, giving the event loop a turn between slices of work (see `finishAsync`). */
export function simulateProgramAsync(p: Program, opts: Partial<ExploreOptions> = {}): Promise<SimulationResult> {
  return finishAsync(simulateProgramWork(p, opts));
}

export function* simulateProgramWork(p: Program, opts: Partial<ExploreOptions> = {}): Work<SimulationResult> {
  const r = yield* exploreWork(p, opts);
  const base = {
    version: 1 as const,
    scenario: p.source,
    title: p.title,
    description: p.description,
    kernel: p.options.kernel,
    states: r.states,
    transitions: r.transitions,
    ms: r.ms,
    reduction: r.reduction,
    complete: r.complete,
    ...(r.bound ? { bound: r.bound } : {}),
    program: p,
  };
  const first = r.found[0];
  if (!first) {
    const cancelled = r.bound?.kind === 'cancelled';
    const schedule = cancelled ? [] : yield* witnessWork(p, 20000, opts.maxBytes ?? DEFAULT_MAX_BYTES, opts.signal);
    return {
      ...base,
      verdict: 'safe',
      traceKind: schedule.length ? 'witness' : 'none',
      trace: replay(p, schedule).steps,
      schedule,
      others: [],
    };
  }
  const rep = replay(p, first.path);
  const last = rep.steps.length - 1;
  const earlier = relatedStep(rep.steps, last - 1, first.violation.related);
  return {
    ...base,
    verdict: 'violation',
    invariant: first.violation.invariant,
    message: first.violation.message,
    traceKind: 'counterexample',
    trace: rep.steps,
    schedule: first.path,
    conflict: [earlier, last],
    cycleStart: first.cycleStart,
    others: r.found.slice(1).map((f) => ({ invariant: f.violation.invariant, message: f.violation.message })),
  };
}

/** The field-cost study as a result: verdict "safe" (it is a measurement), the rows in `cache`. */
export function simulateFieldCost(params: Partial<FieldCostParams> = {}): SimulationResult {
  const t0 = now();
  const p = { ...DEFAULT_FIELD_COST, ...params };
  const rows = fieldCostStudy(p);
  const ms = now() - t0;
  const base = rows[0];
  const worst = rows[rows.length - 1];
  return {
    version: 1,
    scenario: 'builtin:inode-field-cost',
    title: 'the cost of a field in struct inode',
    kernel: '-',
    description:
      `${(p.budgetBytes / 1048576).toFixed(0)} MiB of inode cache, ${p.files} files, ${p.accesses} Zipf(${p.zipf}) accesses, ${p.pinned} pinned inodes. ` +
      `+0 B: ${base.capacity} inodes, hit rate ${(base.hitRate * 100).toFixed(2)}%; +${worst.extraBytes} B: ${worst.capacity} inodes, ${(worst.hitRate * 100).toFixed(2)}%.`,
    verdict: 'safe',
    states: 0,
    transitions: 0,
    ms,
    reduction: 'none',
    complete: true,
    traceKind: 'none',
    trace: [],
    schedule: [],
    others: [],
    cache: rows,
  };
}

/**
 * A run of a safe scenario worth stepping through: among terminal runs reached by a bounded search, the one
 * visiting most distinct steps, with sleeps (recalls waited for) counting extra.
 */
export function witness(p: Program, budget = 20000, maxBytes = DEFAULT_MAX_BYTES): Transition[] {
  return finish(witnessWork(p, budget, maxBytes));
}

function* witnessWork(
  p: Program,
  budget: number,
  maxBytes: number,
  signal?: { readonly aborted: boolean },
): Work<Transition[]> {
  const names = new Names(p);
  // Best score each state was reached with: a state is searched again only when reached with a better one.
  const seen = new Map<string, number>();
  let expansions = 0;
  let best: Transition[] = [];
  let bestScore = -1;
  const path: Transition[] = [];
  // The distinct (thread, pc) steps on the current path, counted (a step may repeat in a loop).
  const onPath = new Map<string, number>();
  const stack: { s: SimState; todo: Transition[]; score: number; step: string | null; bytes: number }[] = [];
  let bytes = 0;
  const push = (s: SimState, key: string, score: number, step: string | null) => {
    seen.set(key, score);
    const todo = enabledTransitions(p, s);
    const cost = COST.frame + key.length * COST.statePerKeyChar + todo.length * COST.transition;
    bytes += cost + (COST.visited + key.length);
    stack.push({ s, todo, score, step, bytes: cost });
    if (step !== null) onPath.set(step, (onPath.get(step) ?? 0) + 1);
  };
  const s0 = initialState(p);
  push(s0, stateKey(s0), 0, null);
  while (stack.length && expansions++ < budget && bytes <= maxBytes) {
    if (expansions % 256 === 0) {
      if (signal?.aborted) break;
      yield;
    }
    const top = stack[stack.length - 1];
    if (!top.todo.length) {
      if (enabledTransitions(p, top.s).length === 0 && top.score > bestScore) {
        bestScore = top.score;
        best = [...path];
      }
      stack.pop();
      bytes -= top.bytes;
      if (top.step !== null) {
        const n = onPath.get(top.step)! - 1;
        if (n) onPath.set(top.step, n);
        else onPath.delete(top.step);
      }
      path.pop();
      continue;
    }
    const tr = top.todo.shift()!;
    const r = applyTransition(p, top.s, tr, names);
    const id = `${tr.thread}:${top.s.t[tr.thread].pc}`;
    // Sleeps show the protocol at work; timeouts mean nobody answered, which the witness should not need.
    const bonus = (r.step.sleeps ? 5 : 0) - (r.step.action === 'timeout' ? 8 : 0);
    // Score: distinct steps on the path (with this one) plus the bonuses collected so far.
    const distinct = onPath.size;
    const score = distinct + (onPath.has(id) ? 0 : 1) + bonus + (top.score - distinct);
    const key = stateKey(r.state);
    if ((seen.get(key) ?? -Infinity) >= score) continue;
    path.push(tr);
    push(r.state, key, score, id);
  }
  return best;
}
