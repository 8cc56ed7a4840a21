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
  applyTransition,
  enabledTransitions,
  initialState,
  Names,
  stateKey,
  terminalViolations,
  threadTransitions,
  DONE,
  type SimState,
  type Transition,
  type Violation,
} from './engine';
import { futureFootprints, Objects, threadFuture, transitionFootprint, type Footprint } from './footprint';
import type { Program } from './program';
import { stronglyConnected } from '../core/graph';

export type Reduction = 'none' | 'sleep' | 'por';

/** Something whose `aborted` turns true when the caller no longer wants the answer (an AbortSignal fits). */
export interface Cancellation {
  readonly aborted: boolean;
}

export interface ExploreOptions {
  reduction: Reduction;
  preemptionBound?: number;
  maxStates: number;
  /**
   * Longest schedule searched (a loop that grows a counter forever would otherwise run until the state or memory
   * budget); the stack is explicit, so this is a limit on the search, not on the JavaScript stack.
   */
  maxDepth: number;
  /**
   * Memory the search may use, in bytes, as estimated from what it stores (visited-state keys and sleep sets,
   * the depth-first stack with one model state per level, the progress graph's edges, the shortening search).
   */
  maxBytes: number;
  /** Stop at the first violation (the default) or collect one per invariant. */
  stopAtFirst: boolean;
  /** Replace the first trace found by a shortest one. */
  minimize: boolean;
  /** Polled between chunks of work: when aborted, the search stops with a "cancelled" bound. */
  signal?: Cancellation;
}

export const DEFAULT_MAX_BYTES = 1024 * 1048576;

export const DEFAULT_EXPLORE: ExploreOptions = {
  reduction: 'por',
  maxStates: 500_000,
  maxDepth: 100_000,
  maxBytes: DEFAULT_MAX_BYTES,
  stopAtFirst: true,
  minimize: true,
};

/** Why a search stopped before covering every reachable state. */
export type BoundKind = 'states' | 'memory' | 'depth' | 'cancelled';

export interface Bound {
  kind: BoundKind;
  /** The limit that was hit (states, bytes, steps; 0 for a cancellation). */
  limit: number;
  /** One sentence: which bound, how far the search got, and what that proves. */
  message: string;
}

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
  /** Every reachable state was explored: "safe" is then a proof; otherwise see `bound`. */
  complete: boolean;
  /** Set when a limit stopped the search (a violation found before it is still a real one). */
  bound?: Bound;
  /** Peak estimated memory of the search, in bytes. */
  bytes: number;
}

interface Node {
  state: SimState;
  last: number;
  preemptions: number;
}

export const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Long computations are generators that yield every few hundred steps, so one driver can run them to the end
 * (`finish`) and another can give the event loop a turn between slices (`finishAsync`: a worker then sees a
 * cancellation message, an extension host stays responsive).
 */
export type Work<T> = Generator<void, T, void>;

export function finish<T>(w: Work<T>): T {
  for (;;) {
    const r = w.next();
    if (r.done) return r.value;
  }
}

const macrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Runs `w`, pausing (a macrotask) whenever a slice of `sliceMs` has been used. */
export async function finishAsync<T>(w: Work<T>, sliceMs = 15, pause: () => Promise<void> = macrotask): Promise<T> {
  let t = now();
  for (;;) {
    const r = w.next();
    if (r.done) return r.value;
    if (now() - t >= sliceMs) {
      await pause();
      t = now();
    }
  }
}

/** Steps of work between two yields (and cancellation/budget polls). */
const CHUNK = 256;

export function explore(p: Program, opts: Partial<ExploreOptions> = {}): ExploreResult {
  return finish(exploreWork(p, opts));
}

export function exploreAsync(p: Program, opts: Partial<ExploreOptions> = {}): Promise<ExploreResult> {
  return finishAsync(exploreWork(p, opts));
}

export function* exploreWork(p: Program, opts: Partial<ExploreOptions> = {}): Work<ExploreResult> {
  const o = { ...DEFAULT_EXPLORE, ...opts };
  const t0 = now();
  const needsCycles = p.invariants.includes('progress') && p.threads.some((t) => !t.actor && hasCycle(t.instrs));
  const reduction: Reduction = needsCycles || o.preemptionBound !== undefined ? 'none' : o.reduction;
  const search = new Search(p, { ...o, reduction }, needsCycles);
  yield* search.run();
  let found = search.found;
  if (needsCycles && !(o.stopAtFirst && found.length)) {
    const cycle = search.progressViolation();
    if (cycle) found = [...found, cycle];
  }
  const peak = search.peakBytes;
  search.release();
  if (o.minimize) {
    const shorter: Found[] = [];
    for (const f of found) shorter.push(f.cycleStart === undefined ? ((yield* shortest(p, f, o)) ?? f) : f);
    found = shorter;
  }
  const bound = search.bound
    ? { ...search.bound, message: boundMessage(p, search.bound, search.states, search.transitions, found.length > 0) }
    : undefined;
  return {
    verdict: found.length ? 'violation' : 'safe',
    found,
    states: search.states,
    transitions: search.transitions,
    ms: now() - t0,
    reduction,
    complete: !bound,
    ...(bound ? { bound } : {}),
    bytes: peak,
  };
}

const mib = (bytes: number) =>
  bytes >= 1048576 ? `${Math.round(bytes / 1048576)} MiB` : `${Math.round(bytes / 1024)} KiB`;

function boundMessage(
  p: Program,
  b: { kind: BoundKind; limit: number },
  states: number,
  transitions: number,
  violated: boolean,
): string {
  const which =
    b.kind === 'states'
      ? `State limit reached (${b.limit} states)`
      : b.kind === 'memory'
        ? `Memory budget reached (about ${mib(b.limit)} estimated)`
        : b.kind === 'depth'
          ? `Depth limit reached (a schedule of ${b.limit} steps)`
          : 'Simulation cancelled';
  const explored = `after ${states} states and ${transitions} transitions`;
  if (violated)
    return `${which} ${explored}; the violation reported was found before it, the rest of the state space was not searched.`;
  const checked = p.invariants.length ? p.invariants.join(', ') : 'no invariant';
  return `${which} ${explored}: no violation of ${checked} in the part explored, which proves nothing about the rest.`;
}

/** Does the thread's instruction graph have a cycle (a retry loop)? Iterative depth-first search. */
export function hasCycle(instrs: { next: number[] }[]): boolean {
  const colour = new Uint8Array(instrs.length);
  const edge = new Int32Array(instrs.length);
  const stack: number[] = [];
  for (let root = 0; root < instrs.length; root++) {
    if (colour[root]) continue;
    colour[root] = 1;
    stack.push(root);
    while (stack.length) {
      const v = stack[stack.length - 1];
      const next = instrs[v].next;
      if (edge[v] < next.length) {
        const n = next[edge[v]++];
        if (colour[n] === 1) return true;
        if (colour[n] === 0) {
          colour[n] = 1;
          stack.push(n);
        }
        continue;
      }
      colour[v] = 2;
      stack.pop();
    }
  }
  return false;
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
  if (bound !== undefined && n.last >= 0 && tr.thread !== n.last && threadTransitions(p, n.state, n.last).length)
    preemptions++;
  return { out, node: { state: out.state, last: tr.thread, preemptions } };
}

const trId = (t: Transition) => t.thread * 64 + t.choice;

/**
 * Estimated heap bytes (64-bit V8, measured with --expose-gc on scenarios of 5 to 60 threads, rounded up): a
 * state's key is one byte per character (a flat string, see stateKey); a model state as objects takes about twelve
 * times its key's length.
 */
export const COST = {
  /** A visited entry: Map slot, the {id, sleep} record, the key string's header. */
  visited: 320,
  /** A sleep set kept for a visited state, and each of its entries (a bigint footprint). */
  sleepSet: 96,
  sleepEntry: 96,
  /** A level of the depth-first stack: the frame, the on-stack count, the successor list; plus the state. */
  frame: 320,
  statePerKeyChar: 12,
  transition: 48,
  /** A recorded edge of the progress graph (and its slot in the adjacency lists later). */
  edge: 96,
};

interface Frame {
  node: Node;
  key: string;
  id: number;
  todo: Transition[];
  next: number;
  asleep: Map<number, Footprint>;
  /** The transition taken to the child being explored, and its footprint. */
  pending: { tr: Transition; fp: Footprint } | null;
  bytes: number;
}

class Search {
  states = 0;
  transitions = 0;
  bound: { kind: BoundKind; limit: number } | null = null;
  found: Found[] = [];
  /** Estimated bytes held now, and the most held at any time. */
  bytes = 0;
  peakBytes = 0;
  private readonly names: Names;
  private readonly objects: Objects;
  private readonly future: Footprint[][];
  private visited = new Map<string, { id: number; sleep: Map<number, Footprint> | null }>();
  /** Keys on the search stack (a count: a sleep-set revisit may re-enter a state already on it). */
  private onStack = new Map<string, number>();
  private readonly path: Transition[] = [];
  private readonly seenInvariants = new Set<string>();
  private stop = false;
  /** progress: the explored graph (state ids, edges with the moving thread). */
  private edges: { from: number; to: number; thread: number; tr: Transition }[] = [];

  constructor(
    private readonly p: Program,
    private readonly o: ExploreOptions,
    private readonly recordEdges: boolean,
  ) {
    this.names = new Names(p);
    this.objects = new Objects(p);
    this.future = futureFootprints(this.objects, p);
  }

  /** Drops the visited set (the result keeps only what `progressViolation` and `found` need). */
  release(): void {
    this.visited = new Map();
    this.onStack = new Map();
    this.edges = [];
  }

  private charge(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
  }

  private halt(kind: BoundKind, limit: number): void {
    if (!this.bound) this.bound = { kind, limit };
    this.stop = true;
  }

  /** Depth-first search with an explicit stack (no recursion: the depth is bounded by memory only). */
  *run(): Work<void> {
    const stack: Frame[] = [];
    const root = this.enter({ state: initialState(this.p), last: -1, preemptions: 0 }, new Map());
    if (root.frame) stack.push(root.frame);
    let tick = 0;
    while (stack.length && !this.stop) {
      if (++tick % CHUNK === 0) {
        if (this.o.signal?.aborted) {
          this.halt('cancelled', 0);
          break;
        }
        yield;
      }
      const f = stack[stack.length - 1];
      if (f.next >= f.todo.length) {
        stack.pop();
        this.leave(f);
        const parent = stack[stack.length - 1];
        if (parent) this.childDone(parent, f.id);
        continue;
      }
      const tr = f.todo[f.next++];
      const { out, node } = successor(this.p, f.node, tr, this.names, this.o.preemptionBound);
      this.transitions++;
      this.path.push(tr);
      for (const v of out.violations) this.report(v);
      const fp = this.o.reduction === 'none' ? 0n : transitionFootprint(this.objects, this.p, f.node.state, tr);
      f.pending = { tr, fp };
      if (this.stop) break;
      const childSleep = new Map<number, Footprint>();
      if (this.o.reduction !== 'none') {
        for (const [u, ufp] of f.asleep)
          if (Math.floor(u / 64) !== tr.thread && (ufp & fp) === 0n) childSleep.set(u, ufp);
      }
      const child = this.enter(node, childSleep);
      if (child.frame) stack.push(child.frame);
      else if (!this.stop) this.childDone(f, child.id);
    }
  }

  private childDone(f: Frame, to: number): void {
    const { tr, fp } = f.pending!;
    f.pending = null;
    if (this.recordEdges && to >= 0) {
      this.edges.push({ from: f.id, to, thread: tr.thread, tr });
      this.charge(COST.edge);
      if (this.bytes > this.o.maxBytes) this.halt('memory', this.o.maxBytes);
    }
    this.path.pop();
    if (this.o.reduction !== 'none') {
      f.asleep.set(trId(tr), fp);
      f.bytes += COST.sleepEntry;
      this.charge(COST.sleepEntry);
    }
  }

  private leave(f: Frame): void {
    const depth = this.onStack.get(f.key)! - 1;
    if (depth) this.onStack.set(f.key, depth);
    else this.onStack.delete(f.key);
    this.charge(-f.bytes);
  }

  private report(v: Violation): void {
    if (this.seenInvariants.has(v.invariant)) return;
    this.seenInvariants.add(v.invariant);
    this.found.push({ violation: v, path: [...this.path] });
    if (this.o.stopAtFirst) this.stop = true;
  }

  /** Visits a node: its id, and a frame when it has transitions left to explore. */
  private enter(n: Node, sleep: Map<number, Footprint>): { id: number; frame: Frame | null } {
    const key = nodeKey(n, this.o.preemptionBound !== undefined);
    const seen = this.visited.get(key);
    let todo: Transition[];
    let id: number;
    if (seen) {
      id = seen.id;
      if (!seen.sleep || this.o.reduction === 'none') return { id, frame: null };
      // Transitions that slept at the first visit but are awake now have not been explored from here.
      const woken = [...seen.sleep.keys()].filter((t) => !sleep.has(t));
      if (!woken.length) return { id, frame: null };
      for (const t of woken) seen.sleep.delete(t);
      todo = allowed(this.p, n, this.o.preemptionBound).filter((t) => woken.includes(trId(t)));
    } else {
      if (this.states >= this.o.maxStates) {
        this.halt('states', this.o.maxStates);
        return { id: -1, frame: null };
      }
      if (this.path.length > this.o.maxDepth) {
        this.halt('depth', this.o.maxDepth);
        return { id: -1, frame: null };
      }
      id = this.states++;
      const keep = this.o.reduction === 'none' ? null : new Map(sleep);
      this.visited.set(key, { id, sleep: keep });
      this.charge(COST.visited + key.length + (keep ? COST.sleepSet + keep.size * COST.sleepEntry : 0));
      if (this.bytes > this.o.maxBytes) {
        this.halt('memory', this.o.maxBytes);
        return { id, frame: null };
      }
      const enabled = allowed(this.p, n, this.o.preemptionBound);
      if (!enabled.length) {
        for (const v of terminalViolations(this.p, n.state, this.names)) this.report(v);
        return { id, frame: null };
      }
      todo = this.candidates(n, key).filter((t) => !sleep.has(trId(t)));
    }
    this.onStack.set(key, (this.onStack.get(key) ?? 0) + 1);
    const bytes =
      COST.frame + key.length * COST.statePerKeyChar + todo.length * COST.transition + sleep.size * COST.sleepEntry;
    this.charge(bytes);
    if (this.bytes > this.o.maxBytes) this.halt('memory', this.o.maxBytes);
    return { id, frame: { node: n, key, id, todo, next: 0, asleep: new Map(sleep), pending: null, bytes } };
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
      const independent = s.t.every(
        (u, ui) => ui === t || u.status === DONE || (threadFuture(this.future, s, ui) & fp) === 0n,
      );
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
    const comp = sccs(
      n,
      adj.map((es) => es.map((i) => this.edges[i].to)),
    );
    const bad = this.edges.find((e) => comp[e.from] === comp[e.to] && !this.p.threads[e.thread].actor);
    if (!bad) return null;
    const pathTo = bfsPath(0, bad.from, adj, this.edges, () => true);
    const back = bfsPath(bad.to, bad.from, adj, this.edges, (to) => comp[to] === comp[bad.from]);
    if (!pathTo || !back) return null;
    const path = [...pathTo, bad.tr, ...back];
    return {
      path,
      cycleStart: pathTo.length,
      violation: {
        invariant: 'progress',
        thread: bad.thread,
        related: undefined,
        message: progressMessage(this.p, path, pathTo.length, bad.thread, this.names),
      },
    };
  }
}

/**
 * What a progress violation says, from what the cycle actually does (replayed from the initial state): a grant in
 * every round is blamed only when the cycle has one, and the unlock–wait–relock window only when the looping
 * thread unlocks and waits in it.
 */
export function progressMessage(
  p: Program,
  path: Transition[],
  cycleStart: number,
  thread: number,
  names = new Names(p),
): string {
  let s = initialState(p);
  const granted = new Set<string>();
  const actions: string[] = [];
  let unlocks = false;
  let waits = false;
  // The kinds of lease held in every state of the cycle (what keeps a non-blocking break failing).
  let held: Set<string> | null = null;
  const heldIn = (st: typeof s) =>
    new Set<string>(st.k.inodes.flatMap((n) => n.leases.map((l) => (l.kind === 'deleg' ? 'delegation' : l.kind))));
  path.forEach((tr, i) => {
    if (i >= cycleStart) {
      const h = heldIn(s);
      held = held === null ? h : new Set([...held].filter((k) => h.has(k)));
    }
    const ins = p.threads[tr.thread].instrs[s.t[tr.thread].pc];
    const before = ins?.op === 'leaseInsert' ? s.k.inodes[ins.inode].leases.length : 0;
    const out = applyTransition(p, s, tr, names);
    if (i >= cycleStart && ins) {
      if (ins.op === 'leaseInsert' && out.state.k.inodes[ins.inode].leases.length > before) {
        granted.add(ins.kind === 'deleg' ? 'delegation' : ins.kind === 'layout' ? 'layout' : 'lease');
      }
      if (tr.thread === thread) {
        if (ins.op === 'unlock') unlocks = true;
        if (out.step.sleeps || ins.op === 'waitDeleg') waits = true;
        if (!['branch', 'choose', 'jump', 'set'].includes(ins.op) && !actions.includes(ins.action))
          actions.push(ins.action);
      }
    }
    s = out.state;
  });
  const name = names.thread(thread);
  const head = `the schedule from step ${cycleStart + 1} on repeats without end`;
  if (granted.size) {
    const what = [...granted].join(' or ');
    const window = unlocks && waits ? 'every unlock–wait–relock window' : 'every round';
    return `${name} can retry forever: ${head} (a new ${what} is granted in ${window})`;
  }
  const steps = actions.length
    ? `the loop takes ${actions.slice(0, 4).join(', ')}${actions.length > 4 ? ', …' : ''}; `
    : '';
  const kept = [...(held ?? new Set<string>())];
  if (kept.length)
    return `${name} can loop forever: ${head} (${steps}a ${kept.join(' and a ')} stays granted throughout, and nothing in the loop grants a new one)`;
  return `${name} can loop forever: ${head} (${steps}nothing in it grants a delegation or lease)`;
}

/** Shortest edge path from `from` to `to` staying in `inside` (empty when they are the same state). */
function bfsPath(
  from: number,
  to: number,
  adj: number[][],
  edges: { from: number; to: number; tr: Transition }[],
  inside: (n: number) => boolean,
): Transition[] | null {
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

/**
 * Breadth-first search for the shortest trace violating the same invariant (null if over the state or memory
 * budget, or cancelled: the caller keeps the trace it has).
 */
function* shortest(p: Program, f: Found, o: ExploreOptions): Work<Found | null> {
  const names = new Names(p);
  const bound = o.preemptionBound;
  const start: Node = { state: initialState(p), last: -1, preemptions: 0 };
  const seen = new Map<string, { parent: string | null; tr: Transition | null }>();
  const startKey = nodeKey(start, bound !== undefined);
  seen.set(startKey, { parent: null, tr: null });
  let frontier: [string, Node][] = [[startKey, start]];
  let bytes = 0;
  let frontierBytes = 0;
  let tick = 0;
  const pathTo = (key: string): Transition[] => {
    const out: Transition[] = [];
    for (let k: string | null = key; k;) {
      const e: { parent: string | null; tr: Transition | null } = seen.get(k)!;
      if (e.tr) out.push(e.tr);
      k = e.parent;
    }
    return out.reverse();
  };
  while (frontier.length && seen.size <= o.maxStates) {
    const next: [string, Node][] = [];
    let nextBytes = 0;
    for (const [key, n] of frontier) {
      if (++tick % CHUNK === 0) {
        if (o.signal?.aborted) return null;
        yield;
      }
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
        bytes += COST.visited + k.length;
        nextBytes += COST.frame + k.length * COST.statePerKeyChar;
        if (bytes + frontierBytes + nextBytes > o.maxBytes) return null;
      }
    }
    frontier = next;
    frontierBytes = nextBytes;
  }
  return null;
}
