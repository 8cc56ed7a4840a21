/**
 * The race explorer: enumerates interleavings with state hashing, and checks the invariants at every step.
 *
 * Reduction: persistent sets (a thread whose next steps touch nothing any other thread may still touch is run
 * alone, with the stack proviso against the ignoring problem) plus sleep sets (Godefroid's state-caching
 * variant: a revisited state is re-explored only for transitions that slept there before). An optional
 * preemption bound limits how often a runnable thread may be switched away from (the search then runs without
 * reduction, which the bound does not commute with). Progress (no thread retrying forever) is a property of
 * cycles: it is checked on the full state graph by strongly connected components.
 *
 * A violation found by the depth-first search is then shortened: a breadth-first search finds the shortest
 * trace to the same invariant's violation.
 */
import {
  applyTransition, enabledTransitions, initialState, Names, stateKey, terminalViolations, threadTransitions, DONE,
  type SimState, type Transition, type Violation,
} from './engine';
import { futureFootprints, Objects, threadFuture, transitionFootprint, type Footprint } from './footprint';
import type { Program } from './program';
import { stronglyConnected } from '../core/graph';

export type Reduction = 'none' | 'sleep' | 'por';

export interface ExploreOptions {
  reduction: Reduction;
  preemptionBound?: number;
  maxStates: number;
  /** Longest schedule searched (a loop that grows a counter forever would otherwise never end). */
  maxDepth: number;
  /** Stop at the first violation (the default) or collect one per invariant. */
  stopAtFirst: boolean;
  /** Replace the first trace found by a shortest one. */
  minimize: boolean;
}

export const DEFAULT_EXPLORE: ExploreOptions = { reduction: 'por', maxStates: 500_000, maxDepth: 2000, stopAtFirst: true, minimize: true };

export interface Found {
  violation: Violation;
  path: Transition[];
  /** progress: the path's steps from this index on repeat forever. */
  cycleStart?: number;
}

export interface ExploreResult {
  verdict: 'safe' | 'violation';
  found: Found[];
  states: number;
  transitions: number;
  ms: number;
  /** The reduction actually used (progress checks and preemption bounds need the full graph). */
  reduction: Reduction;
  /** The state limit was reached: "safe" then means no violation in the part explored. */
  complete: boolean;
}

interface Node {
  state: SimState;
  last: number;
  preemptions: number;
}

export const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export function explore(p: Program, opts: Partial<ExploreOptions> = {}): ExploreResult {
  const o = { ...DEFAULT_EXPLORE, ...opts };
  const t0 = now();
  const needsCycles = p.invariants.includes('progress') && p.threads.some((t) => !t.actor && hasCycle(t.instrs));
  const reduction: Reduction = needsCycles || o.preemptionBound !== undefined ? 'none' : o.reduction;
  const search = new Search(p, { ...o, reduction }, needsCycles);
  search.run();
  let found = search.found;
  if (needsCycles && !(o.stopAtFirst && found.length)) {
    const cycle = search.progressViolation();
    if (cycle) found = [...found, cycle];
  }
  if (o.minimize) found = found.map((f) => (f.cycleStart === undefined ? shortest(p, f, o) ?? f : f));
  return {
    verdict: found.length ? 'violation' : 'safe', found, states: search.states, transitions: search.transitions,
    ms: now() - t0, reduction, complete: !search.truncated,
  };
}

/** Does the thread's instruction graph have a cycle (a retry loop)? */
export function hasCycle(instrs: { next: number[] }[]): boolean {
  const colour = new Uint8Array(instrs.length);
  const visit = (i: number): boolean => {
    colour[i] = 1;
    for (const n of instrs[i].next) {
      if (colour[n] === 1 || (colour[n] === 0 && visit(n))) return true;
    }
    colour[i] = 2;
    return false;
  };
  return instrs.some((_, i) => colour[i] === 0 && visit(i));
}

function nodeKey(n: Node, bounded: boolean): string {
  return bounded ? `${stateKey(n.state)}@${n.last}/${n.preemptions}` : stateKey(n.state);
}

/** Transitions allowed from a node under the preemption bound. */
function allowed(p: Program, n: Node, bound: number | undefined): Transition[] {
  const all = enabledTransitions(p, n.state);
  if (bound === undefined || n.last < 0 || n.preemptions < bound) return all;
  const lastCanRun = all.some((t) => t.thread === n.last);
  return lastCanRun ? all.filter((t) => t.thread === n.last) : all;
}

function successor(p: Program, n: Node, tr: Transition, names: Names, bound: number | undefined) {
  const out = applyTransition(p, n.state, tr, names);
  let preemptions = n.preemptions;
  if (bound !== undefined && n.last >= 0 && tr.thread !== n.last && threadTransitions(p, n.state, n.last).length) preemptions++;
  return { out, node: { state: out.state, last: tr.thread, preemptions } };
}

const trId = (t: Transition) => t.thread * 64 + t.choice;

class Search {
  states = 0;
  transitions = 0;
  truncated = false;
  found: Found[] = [];
  private readonly names: Names;
  private readonly objects: Objects;
  private readonly future: Footprint[][];
  private readonly visited = new Map<string, { id: number; sleep: Map<number, Footprint> | null }>();
  /** Keys on the search stack (a count: a sleep-set revisit may re-enter a state already on it). */
  private readonly onStack = new Map<string, number>();
  private readonly path: Transition[] = [];
  private readonly seenInvariants = new Set<string>();
  private stop = false;
  /** progress: the explored graph (state ids, edges with the moving thread). */
  private readonly edges: { from: number; to: number; thread: number; tr: Transition }[] = [];

  constructor(private readonly p: Program, private readonly o: ExploreOptions, private readonly recordEdges: boolean) {
    this.names = new Names(p);
    this.objects = new Objects(p);
    this.future = futureFootprints(this.objects, p);
  }

  run(): void {
    this.visit({ state: initialState(this.p), last: -1, preemptions: 0 }, new Map());
  }

  private report(v: Violation): void {
    if (this.seenInvariants.has(v.invariant)) return;
    this.seenInvariants.add(v.invariant);
    this.found.push({ violation: v, path: [...this.path] });
    if (this.o.stopAtFirst) this.stop = true;
  }

  private visit(n: Node, sleep: Map<number, Footprint>): number {
    const key = nodeKey(n, this.o.preemptionBound !== undefined);
    const seen = this.visited.get(key);
    let todo: Transition[];
    let id: number;
    if (seen) {
      id = seen.id;
      if (!seen.sleep || this.o.reduction === 'none') return id;
      // Transitions that slept at the first visit but are awake now have not been explored from here.
      const woken = [...seen.sleep.keys()].filter((t) => !sleep.has(t));
      if (!woken.length) return id;
      for (const t of woken) seen.sleep.delete(t);
      todo = allowed(this.p, n, this.o.preemptionBound).filter((t) => woken.includes(trId(t)));
    } else {
      id = this.states++;
      if (this.states > this.o.maxStates || this.path.length > this.o.maxDepth) {
        this.truncated = true;
        this.stop = true;
        return id;
      }
      this.visited.set(key, { id, sleep: this.o.reduction === 'none' ? null : new Map(sleep) });
      const enabled = allowed(this.p, n, this.o.preemptionBound);
      if (!enabled.length) {
        for (const v of terminalViolations(this.p, n.state, this.names)) this.report(v);
        return id;
      }
      todo = this.candidates(n, key).filter((t) => !sleep.has(trId(t)));
    }
    this.onStack.set(key, (this.onStack.get(key) ?? 0) + 1);
    const asleep = new Map(sleep);
    for (const tr of todo) {
      if (this.stop) break;
      const { out, node } = successor(this.p, n, tr, this.names, this.o.preemptionBound);
      this.transitions++;
      this.path.push(tr);
      for (const v of out.violations) this.report(v);
      const fp = this.o.reduction === 'none' ? 0n : transitionFootprint(this.objects, this.p, n.state, tr);
      const childSleep = new Map<number, Footprint>();
      if (this.o.reduction !== 'none') {
        for (const [u, ufp] of asleep) if (Math.floor(u / 64) !== tr.thread && (ufp & fp) === 0n) childSleep.set(u, ufp);
      }
      const to = this.stop ? -1 : this.visit(node, childSleep);
      if (this.recordEdges && to >= 0) this.edges.push({ from: id, to, thread: tr.thread, tr });
      this.path.pop();
      if (this.o.reduction !== 'none') asleep.set(trId(tr), fp);
    }
    const depth = this.onStack.get(key)! - 1;
    if (depth) this.onStack.set(key, depth);
    else this.onStack.delete(key);
    return id;
  }

  /** The transitions to explore at n: a persistent set when reducing, else all enabled. */
  private candidates(n: Node, key: string): Transition[] {
    const all = allowed(this.p, n, this.o.preemptionBound);
    if (this.o.reduction !== 'por') return all;
    const s = n.state;
    const threads = [...new Set(all.map((t) => t.thread))];
    // Prefer threads with a single transition: the smallest persistent sets.
    threads.sort((a, b) => all.filter((t) => t.thread === a).length - all.filter((t) => t.thread === b).length);
    for (const t of threads) {
      const mine = all.filter((x) => x.thread === t);
      let fp = 0n;
      for (const x of mine) fp |= transitionFootprint(this.objects, this.p, s, x);
      const independent = s.t.every((u, ui) => ui === t || u.status === DONE || (threadFuture(this.future, s, ui) & fp) === 0n);
      if (!independent) continue;
      if (mine.some((x) => this.closesCycle(n, x, key))) continue;
      return mine;
    }
    return all;
  }

  /** The stack proviso: a reduced step must not lead back onto the search stack. */
  private closesCycle(n: Node, tr: Transition, key: string): boolean {
    const { node } = successor(this.p, n, tr, this.names, this.o.preemptionBound);
    const k = nodeKey(node, this.o.preemptionBound !== undefined);
    return k === key || this.onStack.has(k);
  }

  /**
   * A cycle of the state graph in which a thread that must finish takes a step: an adversarial but legal
   * schedule repeats it forever. Found with Tarjan's strongly connected components.
   */
  progressViolation(): Found | null {
    const n = this.states;
    const adj: number[][] = Array.from({ length: n }, () => []);
    this.edges.forEach((e, i) => adj[e.from].push(i));
    const comp = sccs(n, adj.map((es) => es.map((i) => this.edges[i].to)));
    const bad = this.edges.find((e) => comp[e.from] === comp[e.to] && !this.p.threads[e.thread].actor);
    if (!bad) return null;
    const pathTo = bfsPath(0, bad.from, adj, this.edges, () => true);
    const back = bfsPath(bad.to, bad.from, adj, this.edges, (to) => comp[to] === comp[bad.from]);
    if (!pathTo || !back) return null;
    const path = [...pathTo, bad.tr, ...back];
    const thread = this.p.threads[bad.thread];
    return {
      path, cycleStart: pathTo.length,
      violation: {
        invariant: 'progress', thread: bad.thread, related: undefined,
        message: `${thread.name} can retry forever: the schedule from step ${pathTo.length + 1} on repeats without end (a new delegation is granted in every unlock–wait–relock window)`,
      },
    };
  }
}

/** Shortest edge path from `from` to `to` staying in `inside` (empty when they are the same state). */
function bfsPath(from: number, to: number, adj: number[][], edges: { from: number; to: number; tr: Transition }[], inside: (n: number) => boolean): Transition[] | null {
  if (from === to) return [];
  const prev = new Map<number, number>([[from, -1]]);
  const queue = [from];
  for (let qi = 0; qi < queue.length && !prev.has(to); qi++) {
    for (const ei of adj[queue[qi]]) {
      const y = edges[ei].to;
      if (prev.has(y) || !inside(y)) continue;
      prev.set(y, ei);
      queue.push(y);
    }
  }
  if (!prev.has(to)) return null;
  const out: Transition[] = [];
  for (let x = to; x !== from;) {
    const ei = prev.get(x)!;
    out.unshift(edges[ei].tr);
    x = edges[ei].from;
  }
  return out;
}

/** The strongly connected component of each state (shared Tarjan implementation). */
function sccs(n: number, adj: number[][]): Int32Array {
  const comp = new Int32Array(n).fill(-1);
  stronglyConnected(adj).forEach((g, i) => {
    for (const v of g) comp[v] = i;
  });
  return comp;
}

/** Breadth-first search for the shortest trace violating the same invariant (null if over the budget). */
function shortest(p: Program, f: Found, o: ExploreOptions): Found | null {
  const names = new Names(p);
  const bound = o.preemptionBound;
  const start: Node = { state: initialState(p), last: -1, preemptions: 0 };
  const seen = new Map<string, { parent: string | null; tr: Transition | null }>();
  const startKey = nodeKey(start, bound !== undefined);
  seen.set(startKey, { parent: null, tr: null });
  let frontier: [string, Node][] = [[startKey, start]];
  const pathTo = (key: string): Transition[] => {
    const out: Transition[] = [];
    for (let k: string | null = key; k;) {
      const e: { parent: string | null; tr: Transition | null } = seen.get(k)!;
      if (e.tr) out.unshift(e.tr);
      k = e.parent;
    }
    return out;
  };
  while (frontier.length && seen.size <= o.maxStates) {
    const next: [string, Node][] = [];
    for (const [key, n] of frontier) {
      const enabled = allowed(p, n, bound);
      if (!enabled.length) {
        const v = terminalViolations(p, n.state, names).find((x) => x.invariant === f.violation.invariant);
        if (v) return { violation: v, path: pathTo(key) };
        continue;
      }
      for (const tr of enabled) {
        const { out, node } = successor(p, n, tr, names, bound);
        const v = out.violations.find((x) => x.invariant === f.violation.invariant);
        if (v) return { violation: v, path: [...pathTo(key), tr] };
        const k = nodeKey(node, bound !== undefined);
        if (seen.has(k)) continue;
        seen.set(k, { parent: key, tr });
        next.push([k, node]);
      }
    }
    frontier = next;
  }
  return null;
}
