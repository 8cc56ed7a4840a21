/**
 * From the analyzer's result to the simulator: a function as the race simulator sees it. Its nodes are the
 * function's control-flow nodes, unfolded by the branch facts the analysis learns (`is_dir`, `new_is_dir`, a
 * NULL `target`, `lock_old_subdir`, ...): a fact decided at one `if` stays decided at every later test of it, so
 * the simulated thread follows only paths the code can take. Each node carries the delegation-relevant events
 * (lock, unlock, break, wait, change, grant, access, open) with source positions.
 *
 * Nothing is re-derived: the input is the Document whose check produced the findings (its analyses, the kernel
 * version it read the file as, the locks each function's callers hold).
 */
import type { Document } from '../core/engine';
import type { ConditionFact, FunctionAnalysis } from '../core/analysis/function';
import type { Op } from '../core/analysis/ops';
import { infixOperator, LineIndex, type SNode } from '../core/parse/syntax';
import { dirSelfChange } from '../core/rules/dir-self-break';
import type { Catalogue } from '../core/catalogue/catalogue';

export type ModelEventKind =
  | 'lock'
  | 'unlock'
  | 'break'
  | 'wait'
  | 'mutate'
  | 'grant'
  | 'access'
  | 'releaseAccess'
  | 'delegOp'
  | 'open'
  | 'sleeps'
  | 'conflictCheck';

export interface ModelEvent {
  kind: ModelEventKind;
  /** Canonical key of the inode/lock (`rd.old_dentry.d_inode`), and how it reads in kernel style. */
  key: string;
  display: string;
  api: string;
  /** lock: class:mode; unlock: class; break: kind:blocking; mutate: names/attrs/dirent; access: write/read. */
  detail: string;
  /** Held only if the call succeeds (trylock, start_dirop, ...). */
  conditional?: boolean;
  /** ... and when it succeeds: nonzero (a trylock), zero (`inode_lock_killable`), nonerr (`lock_rename`). */
  when?: 'zero' | 'nonzero' | 'nonnull' | 'nonerr';
  start: number;
  end: number;
  line: number;
  column: number;
  /** The local variable the call's value is assigned to (`error = try_break_deleg(...)`), for the simulator. */
  result?: string;
  /** break/delegOp: the delegated-inode variable the call fills (`&delegated_inode`), and whether it is a parameter. */
  out?: string;
  outIsParam?: boolean;
  /** open: the path holds write access to the file (an open for write); otherwise a read open. */
  write?: boolean;
  /** lock: owned by an object (nfsd's fh_lock), released by its owner after the function returns. */
  escapes?: boolean;
  /** unlock: releases only if held (fh_unlock, an idempotent release). */
  ifHeld?: boolean;
  /** grant: a delegation, or (on a path where the delegation flag is clear) a plain lease. */
  lease?: 'deleg' | 'lease';
}

/** A condition as the simulator reads it: which variable it tests, and how (structural, from the syntax tree). */
export interface ModelTest {
  /** Tested variable; '' for a call used directly as the condition (`if (!inode_trylock(i))`). */
  subject: string;
  form: 'truthy' | 'isErr' | 'delegated' | 'call';
  negated: boolean;
}

export interface ModelNode {
  id: number;
  kind: string;
  /** cond: [if true, if false]; other kinds: successors (several: a free choice). */
  succ: number[];
  /** For conditions: the source text of the tested atom. */
  condition?: string;
  /** For conditions: the structured form of the test, when it tests one variable or call. */
  test?: ModelTest;
  /** Local variables given a value the events do not describe (`dentry = lookup(...)`; `di = NULL` is 'null'). */
  assigns?: { name: string; value?: 'null' | 'err' }[];
  events: ModelEvent[];
  line: number;
}

export interface CallerLock {
  key: string;
  display: string;
  /** Lock class (inode, spin, mutex, rename). */
  cls: string;
}

export interface FunctionModel {
  name: string;
  file: string;
  start: number;
  end: number;
  line: number;
  entry: number;
  exit: number;
  /** Keys of the locks the caller holds on entry (kept for hand-made models; see callerLocks). */
  entryLocks: string[];
  nodes: ModelNode[];
  /** The kernel version the analyzer read the file as ("6.12", "4.19", "6.19", ...). */
  version?: string;
  /** The caller's locks, taken before the function runs and released after it returns. */
  callerLocks?: CallerLock[];
  /** The in-file function that calls this one with those locks held, if there is one. */
  caller?: string;
  /**
   * Inodes the function changes without breaking their delegations itself, leaving it to its callers (the analysis'
   * summary): the caller locks each and breaks its delegation before the call.
   */
  callerBreaks?: { key: string; display: string }[];
  /** Inodes that are directories wherever the function is called (its callers' facts rule out its findings on them). */
  dirs?: string[];
}

/** Models of a Document's analysed functions (or just `only`), from its current result. */
export function functionModels(doc: Document, catalogue: Catalogue, only?: string): FunctionModel[] {
  const result = doc.result();
  const units = doc.analyses();
  const source = doc.source;
  const lines = new LineIndex(source);
  const out: FunctionModel[] = [];
  for (const u of units) {
    if (only !== undefined && u.name !== only) continue;
    if (!u.analysis || !u.analysis.cfg.nodes.length) continue;
    const text = source.slice(u.start, u.end);
    const b = new Unfolder(u.analysis, text, u.start, lines, catalogue, result.era === '6.19');
    const m = b.build();
    out.push({
      name: u.name,
      file: doc.file,
      start: u.start,
      end: u.end,
      line: lines.position(u.start).line + 1,
      entry: m.entry,
      exit: m.exit,
      nodes: m.nodes,
      entryLocks: b.callerLocks.map((c) => c.key),
      version: result.version ?? (result.era === '6.19' ? '6.19' : '4.19'),
      callerLocks: b.callerLocks,
      caller: callerOf(units, u.name),
      callerBreaks: b.callerBreaks,
      dirs: directoriesAtCallers(units, u.name, u.analysis),
    });
  }
  return out;
}

/** An analysed function of the file that calls `name` (its caller: the locks it holds are the contract's). */
function callerOf(units: ReturnType<Document['analyses']>, name: string): string | undefined {
  for (const u of units) {
    if (u.name === name || !u.analysis) continue;
    for (const ops of u.analysis.ops) {
      for (const op of ops) {
        const api = (op as { api?: string }).api ?? (op.k === 'deferred' ? op.callee.name : undefined);
        if (api === name) return u.name;
      }
    }
  }
  return undefined;
}

/**
 * A static function's changes the analysis deferred to its callers, and every call site ruled out because the inode
 * is a directory there (vfs_rename_dir's target): those inodes are directories for the simulator too.
 */
function directoriesAtCallers(units: ReturnType<Document['analyses']>, name: string, a: FunctionAnalysis): string[] {
  const outcomes = new Map<number, boolean[]>();
  for (const u of units) {
    for (const o of u.analysis?.deferredOutcomes ?? []) {
      const f = o.finding.finding;
      if (f.function !== name) continue;
      outcomes.set(f.start, [...(outcomes.get(f.start) ?? []), o.ruledOut]);
    }
  }
  const out: string[] = [];
  for (const [start, ruled] of outcomes) {
    if (!ruled.length || ruled.some((r) => !r)) continue;
    for (const op of a.ops.flat())
      if ((op.k === 'mutate' || op.k === 'summaryMutate') && op.node.start === start && !out.includes(op.key))
        out.push(op.key);
  }
  return out;
}

// ---------------------------------------------------------------- names

/** A key as kernel code would spell it: `rd.old_dentry.d_inode` → `d_inode(rd->old_dentry)`, never `x.d_inode.d_inode`. */
export function displayName(name: string): string {
  let s = name.replace(/^[&*]+/, '');
  while (s.endsWith('.d_inode.d_inode')) s = s.slice(0, -'.d_inode'.length);
  if (!s.includes('.')) return s;
  if (s.endsWith('.d_inode')) return `d_inode(${s.slice(0, -'.d_inode'.length).split('.').join('->')})`;
  return s.split('.').join('->');
}

// ---------------------------------------------------------------- events of ops

function eventOf(op: Op, show: (k: string) => string): Omit<ModelEvent, 'start' | 'end' | 'line' | 'column'> | null {
  const name = (k: string) => displayName(show(k));
  switch (op.k) {
    case 'lock':
      return {
        kind: 'lock',
        key: op.key,
        display: name(op.key),
        api: op.api,
        detail: `${op.class}:${op.mode}`,
        conditional: !!op.when,
        ...(op.when ? { when: op.when } : {}),
        ...(op.escapes ? { escapes: true } : {}),
      };
    case 'unlock':
      return {
        kind: 'unlock',
        key: op.key,
        display: name(op.key),
        api: op.api,
        detail: op.class,
        ...(op.certain ? {} : { ifHeld: true }),
      };
    case 'break':
      return {
        kind: 'break',
        key: op.key,
        display: name(op.key),
        api: op.api,
        detail: `${op.kind}:${op.blocking === true ? 'blocking' : op.blocking === false ? 'nonblocking' : 'maybe-blocking'}`,
      };
    case 'wait':
      return { kind: 'wait', key: op.di ?? '', display: op.di ?? '', api: op.api, detail: 'blocking' };
    case 'mutate':
    case 'summaryMutate':
      return { kind: 'mutate', key: op.key, display: name(op.key), api: op.api, detail: op.kind };
    case 'grant':
      return {
        kind: 'grant',
        key: op.inode ?? '',
        display: op.inode ? name(op.inode) : 'lease',
        api: op.api,
        detail: op.recheckAfter ? 'recheck-after' : 'check-before',
      };
    case 'access':
      return { kind: 'access', key: op.key, display: name(op.key), api: op.api, detail: op.kind };
    case 'releaseAccess':
      return { kind: 'releaseAccess', key: op.key, display: name(op.key), api: 'release', detail: '' };
    case 'delegOp':
      return {
        kind: 'delegOp',
        key: op.breaks[0] ?? '',
        display: op.breaks.length ? op.breaks.map(name).join(', ') : op.display.join(', '),
        api: op.api,
        detail: op.out.kind,
      };
    case 'open':
      return { kind: 'open', key: op.key ?? '', display: op.key ? name(op.key) : '', api: op.api, detail: op.what };
    case 'sleeps':
      return { kind: 'sleeps', key: '', display: '', api: op.api, detail: op.why };
    case 'conflictCheck':
      return { kind: 'conflictCheck', key: '', display: '', api: 'check', detail: '' };
    default:
      return null;
  }
}

// ---------------------------------------------------------------- unfolding the CFG by the analysis' facts

/** Path state the unfolding carries: branch facts, and which write accesses are held. */
interface PathState {
  facts: Map<string, boolean>;
  wa: number;
}

/** Above this many unfolded nodes, fewer facts are tracked (the least correlated first). */
const MAX_NODES = 4000;

class Unfolder {
  readonly callerLocks: CallerLock[] = [];
  readonly callerBreaks: { key: string; display: string }[] = [];
  private readonly cfg: FunctionAnalysis['cfg'];
  private readonly ops: Op[][];
  private readonly conds = new Map<number, ConditionFact>();
  private tracked = new Set<string>();
  private readonly rootsOf = new Map<string, string[]>();
  private readonly exempt = new Set<string>();
  /** Facts testing a delegation flag (FL_DELEG): whether a grant on the path is a delegation or a lease. */
  private readonly delegFlags = new Set<string>();
  private readonly accessKeys: string[] = [];
  /** Delegated-inode variables: only the calls that fill or wait on them change them (`is_delegated(&di)` does not). */
  private readonly diVars = new Set<string>();
  /** Keys that name the same inode as another throughout the function. */
  private readonly alias = new Map<string, string>();
  private live: Set<string>[] = [];
  private nodes: ModelNode[] = [];
  private index = new Map<string, number>();
  private queue: { id: number; cfg: number; s: PathState }[] = [];

  constructor(
    private readonly a: FunctionAnalysis,
    private readonly text: string,
    private readonly base: number,
    private readonly lines: LineIndex,
    private readonly cat: Catalogue,
    private readonly era619: boolean,
  ) {
    this.cfg = a.cfg;
    this.ops = a.ops;
    const all = a.ops.flat();
    for (const key of a.entryLocks) {
      if (this.callerLocks.some((c) => c.key === key)) continue;
      const op = all.find((o) => (o.k === 'lock' || o.k === 'unlock') && o.key === key) as
        { class: string } | undefined;
      this.callerLocks.push({ key, display: displayName(a.show(key)), cls: op?.class ?? 'inode' });
    }
    // Locks the summary says callers must hold (the function breaks or changes under them without taking them).
    for (const r of a.summary.requires) {
      const op = all.find((o) => 'key' in o && typeof o.key === 'string' && o.node.start === r.site) as
        { key: string } | undefined;
      if (op && !this.callerLocks.some((c) => c.key === op.key))
        this.callerLocks.push({ key: op.key, display: displayName(a.show(op.key)), cls: r.class });
    }
    // Caller's locks the function releases (end_creating(dentry) on an error path drops the parent's lock): the
    // analysis holds them from the entry on; so does the caller here.
    if (a.summary.releases.length) {
      for (const op of all) {
        if (op.k !== 'unlock' || op.class !== 'inode' || this.callerLocks.some((c) => c.key === op.key)) continue;
        if (all.some((o) => o.k === 'lock' && o.key === op.key)) continue;
        this.callerLocks.push({ key: op.key, display: displayName(a.show(op.key)), cls: 'inode' });
      }
    }
    // Changes the summary hands to the callers (they lock the inode and break its delegation first).
    for (const m of a.summary.mutates) {
      const op = all.find((o) => (o.k === 'mutate' || o.k === 'summaryMutate') && o.node.start === m.site) as
        { key: string } | undefined;
      if (!op || this.callerBreaks.some((c) => c.key === op.key)) continue;
      const display = displayName(a.show(op.key));
      this.callerBreaks.push({ key: op.key, display });
      if (!this.callerLocks.some((c) => c.key === op.key))
        this.callerLocks.push({ key: op.key, display, cls: 'inode' });
    }
    for (const ops of a.ops)
      for (const op of ops)
        if (op.k === 'access' && op.kind === 'write' && !this.accessKeys.includes(op.key)) this.accessKeys.push(op.key);
    // The file an open acts on is the inode whose access it took when there is only one (file_inode(f) and the
    // `inode` parameter of do_dentry_open), as the analysis reads it.
    const accessed = [...new Set(all.filter((o) => o.k === 'access').map((o) => (o as { key: string }).key))];
    if (accessed.length === 1) {
      for (const o of all) if (o.k === 'open' && o.key && o.key !== accessed[0]) this.alias.set(o.key, accessed[0]);
    }
    for (const op of all) {
      if ((op.k === 'break' || op.k === 'delegOp') && op.out?.kind === 'local') this.diVars.add(op.out.name);
      if (op.k === 'wait' && op.di) this.diVars.add(op.di);
    }
  }

  build(): { nodes: ModelNode[]; entry: number; exit: number } {
    const counts = new Map<string, number>();
    const count = (f: string, roots: string[]) => {
      counts.set(f, (counts.get(f) ?? 0) + 1);
      if (!this.rootsOf.has(f)) this.rootsOf.set(f, roots);
    };
    for (const n of this.cfg.nodes) {
      const cf = this.a.conditionFact(n.id);
      if (!cf) continue;
      this.conds.set(n.id, cf);
      count(cf.fact, cf.roots);
      if (cf.implies) count(cf.implies.fact, factRoots(cf.implies.fact));
      if (cf.impliesWhenFalse) count(cf.impliesWhenFalse.fact, factRoots(cf.impliesWhenFalse.fact));
      for (const f of [cf.fact, cf.implies?.fact, cf.impliesWhenFalse?.fact]) {
        if (!f?.startsWith('flag:')) continue;
        if (this.cat.exemptFlags.has(f.split(':')[1])) this.exempt.add(f);
        if (this.cat.delegationFlags.has(f.split(':')[1])) this.delegFlags.add(f);
      }
    }
    for (const ops of this.ops) {
      for (const op of ops) {
        if ((op.k === 'lock' || op.k === 'unlock') && op.ifNonNull)
          count(`truthy:${op.key}`, factRoots(`truthy:${op.key}`));
        if (op.k === 'mutate' || op.k === 'summaryMutate') for (const f of this.mutateFacts(op)) count(f, factRoots(f));
      }
    }
    // Facts tested (or implied) at two places or more correlate branches; exempt flags (ATTR_DELEG) decide changes.
    let candidates = [...counts]
      .filter(([f, c]) => c >= 2 || this.exempt.has(f) || this.delegFlags.has(f))
      .sort((x, y) => y[1] - x[1])
      .map(([f]) => f);
    for (;;) {
      this.tracked = new Set(candidates);
      const r = this.unfold();
      if (r || !candidates.length) return r ?? this.unfoldUnbounded();
      candidates = candidates.slice(0, Math.floor(candidates.length / 2));
    }
  }

  private unfoldUnbounded(): { nodes: ModelNode[]; entry: number; exit: number } {
    this.tracked = new Set();
    return this.unfold(Infinity)!;
  }

  /** The unfolded graph, or null if it grows beyond `limit` nodes. */
  private unfold(limit = MAX_NODES): { nodes: ModelNode[]; entry: number; exit: number } | null {
    this.computeLiveness();
    this.nodes = [];
    this.index = new Map();
    this.queue = [];
    const entry = this.node(this.cfg.entry, { facts: new Map(), wa: 0 });
    while (this.queue.length) {
      if (this.nodes.length > limit) return null;
      const { id, cfg, s } = this.queue.shift()!;
      this.expand(id, cfg, s);
    }
    let exit = this.nodes.findIndex((n) => n.kind === 'exit');
    if (exit < 0) exit = this.nodes.push({ id: this.nodes.length, kind: 'exit', succ: [], events: [], line: 0 }) - 1;
    return { nodes: this.nodes, entry, exit };
  }

  private keyOf(cfg: number, s: PathState): string {
    const facts = [...s.facts]
      .map(([f, v]) => `${f}=${v ? 1 : 0}`)
      .sort()
      .join(',');
    return `${cfg}|${facts}|${s.wa}`;
  }

  /** The unfolded node for CFG node `cfg` reached in state `s` (dead facts dropped), created on first sight. */
  private node(cfg: number, s: PathState): number {
    const live = this.live[cfg];
    const facts = new Map([...s.facts].filter(([f]) => live.has(f)));
    const st = { ...s, facts };
    const key = this.keyOf(cfg, st);
    const known = this.index.get(key);
    if (known !== undefined) return known;
    const id =
      this.nodes.push({
        id: this.nodes.length,
        kind: this.cfg.nodes[cfg].kind,
        succ: [],
        events: [],
        line: this.lineOf(cfg),
      }) - 1;
    this.index.set(key, id);
    this.queue.push({ id, cfg, s: st });
    return id;
  }

  private lineOf(cfg: number): number {
    const ast = this.cfg.nodes[cfg].ast;
    return ast ? this.lines.position(this.base + ast.start).line + 1 : 0;
  }

  /** Fills in node `id`: its events on this path, and its successors. */
  private expand(id: number, cfgId: number, s0: PathState): void {
    const n = this.cfg.nodes[cfgId];
    const out = this.nodes[id];
    const ops = this.ops[cfgId];
    out.assigns = assignedVariables(ops, this.diVars);
    let variants: { s: PathState; events: ModelEvent[] }[] = [{ s: clonePath(s0), events: [] }];
    for (const op of ops) {
      const next: typeof variants = [];
      for (const v of variants) next.push(...this.apply(op, v.s, v.events));
      variants = next;
    }
    const cf = this.conds.get(cfgId);
    if (n.kind === 'cond' && n.atom) {
      out.condition = (n.negated ? '!' : '') + this.text.slice(n.atom.start, n.atom.end).replace(/\s+/g, ' ');
      out.test = conditionTest(n.atom, !!n.negated, this.text, this.cat);
    }
    const targets = (v: { s: PathState }): number[] => {
      if (n.kind === 'return' || n.kind === 'exit') return [];
      if (n.kind !== 'cond') return n.succ.filter((t) => t >= 0).map((t) => this.node(t, v.s));
      const succ: number[] = [];
      for (let slot = 0; slot < 2; slot++) {
        const t = n.succ[slot];
        if (t === undefined || t < 0) {
          succ.push(-1);
          continue;
        }
        const s = clonePath(v.s);
        const value = slot === 0 ? !n.negated : !!n.negated;
        succ.push(!cf || this.learnAtom(cf, value !== cf.invert, s) ? this.node(t, s) : -1);
      }
      return succ;
    };
    const fill = (node: ModelNode, v: { s: PathState; events: ModelEvent[] }) => {
      node.events = v.events;
      if (n.kind === 'return' || n.kind === 'exit') return;
      const succ = targets(v);
      if (n.kind === 'cond') {
        const feasible = succ.filter((t) => t >= 0);
        if (feasible.length === 2) node.succ = succ;
        else {
          // The analysis knows which way this test goes on this path: no choice here.
          node.kind = 'stmt';
          node.succ = feasible.length ? [feasible[0]] : [];
          if (!feasible.length) node.kind = 'return';
          delete node.test;
          if (node.condition)
            node.condition += feasible.length ? (succ[0] >= 0 ? ' (true on this path)' : ' (false on this path)') : '';
        }
      } else node.succ = succ;
    };
    if (variants.length === 1) return fill(out, variants[0]);
    // The node's own calls split the path (a lock taken only if its object is not NULL): one successor per case.
    out.kind = 'stmt';
    out.events = [];
    out.succ = variants.map((v) => {
      const child: ModelNode = {
        id: this.nodes.length,
        kind: n.kind,
        succ: [],
        events: [],
        line: out.line,
        condition: out.condition,
        test: out.test,
      };
      this.nodes.push(child);
      fill(child, v);
      return child.id;
    });
    delete out.test;
    delete out.condition;
  }

  /** One op on one path: the event it makes there (if any) and the path states after it. */
  private apply(op: Op, s: PathState, events: ModelEvent[]): { s: PathState; events: ModelEvent[] }[] {
    const emit = (st: PathState, evs: ModelEvent[], extra: Partial<ModelEvent> = {}) => {
      const e = this.event(op);
      if (!e) return evs;
      // Two names the path knows are one object (`new_dir == old_dir`): the events act on one inode.
      const same = this.alias.get(e.key) ?? this.sameAs(st, e.key);
      return [...evs, { ...e, ...extra, ...(same ? { key: same, display: displayName(this.a.show(same)) } : {}) }];
    };
    switch (op.k) {
      case 'assign': {
        if (wholeWrite(op))
          for (const f of [...s.facts.keys()])
            if ((this.rootsOf.get(f) ?? factRoots(f)).includes(op.root)) s.facts.delete(f);
        if (!op.havoc && op.value === 'null' && this.tracked.has(`truthy:${op.root}`))
          s.facts.set(`truthy:${op.root}`, false);
        if (!op.havoc && op.value === 'err') {
          if (this.tracked.has(`truthy:${op.root}`)) s.facts.set(`truthy:${op.root}`, true);
          if (this.tracked.has(`isErr:${op.root}`)) s.facts.set(`isErr:${op.root}`, true);
        }
        return [{ s, events }];
      }
      case 'lock':
      case 'unlock': {
        const fact = `truthy:${op.key}`;
        const known = s.facts.get(fact);
        if (op.ifNonNull && known === false) return [{ s, events }];
        if (op.ifNonNull && known === undefined && this.tracked.has(fact)) {
          const without = clonePath(s);
          without.facts.set(fact, false);
          s.facts.set(fact, true);
          return [
            { s, events: emit(s, events) },
            { s: without, events },
          ];
        }
        return [{ s, events: emit(s, events) }];
      }
      case 'mutate':
      case 'summaryMutate': {
        // A change of a NULL object is no change; a change on behalf of the delegation's holder (ATTR_DELEG) needs no break.
        if (s.facts.get(`truthy:${op.key}`) === false) return [{ s, events }];
        if ([...this.exempt].some((f) => s.facts.get(f) === true)) return [{ s, events }];
        // A change the catalogue rates a note only (->atomic_open's unbroken parent, a code-reading observation): the
        // analysis reports no error there, and the model does not count it either.
        if (op.severity === 'info') return [{ s, events }];
        // As the analysis: a directory's own name change needs no break, nor its attributes before 6.19 (no
        // directory delegations); a change about a directory (dirIf) neither.
        // A directory's own change (rmdir's victim, a moved directory; rules/dir-self-break.ts): an event from 6.19
        // on, when directories can be delegated; before, no directory ever is.
        if (dirSelfChange(op.kind, s.facts.get(`isDir:${op.key}`) === true))
          return [{ s, events: this.era619 ? emit(s, events) : events }];
        if (op.kind !== 'dirent') {
          if (s.facts.get(`isDir:${op.key}`) === true && (op.kind === 'names' || !this.era619)) return [{ s, events }];
          if (op.dirIf && s.facts.get(`isDir:${op.dirIf}`) === true) return [{ s, events }];
        }
        return [{ s, events: emit(s, events) }];
      }
      case 'access': {
        const i = op.kind === 'write' ? this.accessKeys.indexOf(op.key) : -1;
        if (i >= 0) s.wa |= 1 << i;
        return [{ s, events: emit(s, events) }];
      }
      case 'releaseAccess': {
        const i = this.accessKeys.indexOf(op.key);
        if (i >= 0) s.wa &= ~(1 << i);
        else s.wa = 0;
        return [{ s, events: emit(s, events) }];
      }
      case 'grant': {
        // As the analysis: a path that knows the delegation flag is clear grants a plain lease.
        const known = [...this.delegFlags].map((f) => s.facts.get(f)).filter((v) => v !== undefined);
        const lease = known.length && !known.includes(true) ? 'lease' : 'deleg';
        return [{ s, events: emit(s, events, { lease }) }];
      }
      case 'open': {
        // An open the catalogue rates under a lease-only rule (open(O_RDONLY|O_TRUNC) keeping F_RDLCK leases): the
        // delegations the model's opponents hold are broken by the truncate's notify_change(), so no event.
        if (op.rule) return [{ s, events }];
        const key = op.key ? (this.alias.get(op.key) ?? op.key) : null;
        const i = key ? this.accessKeys.indexOf(key) : -1;
        const write = i >= 0 ? (s.wa & (1 << i)) !== 0 : s.wa !== 0;
        return [{ s, events: emit(s, events, { write }) }];
      }
      default:
        return [{ s, events: emit(s, events) }];
    }
  }

  /** The representative of `key` when the path knows it equals another key (`eq:a|b` true: b is a). */
  private sameAs(s: PathState, key: string): string | null {
    if (!key) return null;
    for (const [f, v] of s.facts) {
      if (!v || !f.startsWith('eq:')) continue;
      const [p, q] = f.slice(3).split('|');
      if (q === key) return p;
    }
    return null;
  }

  /** Facts deciding whether a change needs a break (its object or what it is about is a directory). */
  private mutateFacts(op: Extract<Op, { k: 'mutate' | 'summaryMutate' }>): string[] {
    return [`isDir:${op.key}`, ...(op.dirIf ? [`isDir:${op.dirIf}`] : [])];
  }

  private event(op: Op): ModelEvent | null {
    const ev = eventOf(op, this.a.show);
    if (!ev) return null;
    const node = (op as { node: SNode }).node;
    const p = this.lines.position(this.base + node.start);
    return {
      ...ev,
      ...resultAndOut(op, node, this.text),
      start: this.base + node.start,
      end: this.base + node.end,
      line: p.line + 1,
      column: p.column + 1,
    };
  }

  /** The fixpoint's learning at a branch, on the tracked facts: false if the edge contradicts what the path knows. */
  private learnAtom(cf: ConditionFact, v: boolean, s: PathState): boolean {
    if (cf.implies && v && !this.learn(s, cf.implies.fact, cf.implies.value)) return false;
    if (cf.impliesWhenFalse && !v && !this.learn(s, cf.impliesWhenFalse.fact, cf.impliesWhenFalse.value)) return false;
    return this.learn(s, cf.fact, v);
  }

  private learn(s: PathState, fact: string, v: boolean): boolean {
    const prev = s.facts.get(fact);
    if (prev !== undefined) return prev === v;
    const colon = fact.indexOf(':');
    const k = fact.slice(colon + 1);
    // A dentry's parent and a dentry's inode are never error pointers (as the analysis reasons).
    if (fact.startsWith('isErr:') && v && (k.endsWith('.d_parent') || k.endsWith('.d_inode'))) return false;
    if (!this.tracked.has(fact)) return true;
    // A NULL pointer is neither an ERR_PTR nor a directory.
    if (fact.startsWith('truthy:') && !v && (s.facts.get(`isErr:${k}`) === true || s.facts.get(`isDir:${k}`) === true))
      return false;
    if ((fact.startsWith('isDir:') || fact.startsWith('isErr:')) && v && s.facts.get(`truthy:${k}`) === false)
      return false;
    s.facts.set(fact, v);
    return true;
  }

  /** Which tracked facts can still be read at each CFG node (tested, implied, or deciding a NULL-guarded lock). */
  private computeLiveness(): void {
    const nodes = this.cfg.nodes;
    const reads: Set<string>[] = nodes.map(() => new Set());
    const kills: Set<string>[] = nodes.map(() => new Set());
    for (const n of nodes) {
      const cf = this.conds.get(n.id);
      if (cf)
        for (const f of [cf.fact, cf.implies?.fact, cf.impliesWhenFalse?.fact])
          if (f && this.tracked.has(f)) reads[n.id].add(f);
      for (const op of this.ops[n.id]) {
        if ((op.k === 'lock' || op.k === 'unlock') && op.ifNonNull && this.tracked.has(`truthy:${op.key}`))
          reads[n.id].add(`truthy:${op.key}`);
        if ('key' in op && typeof op.key === 'string')
          for (const f of this.tracked)
            if (f.startsWith('eq:') && f.slice(3).split('|').includes(op.key)) reads[n.id].add(f);
        if (op.k === 'grant') for (const f of this.delegFlags) if (this.tracked.has(f)) reads[n.id].add(f);
        if (op.k === 'mutate' || op.k === 'summaryMutate') {
          for (const f of this.exempt) reads[n.id].add(f);
          for (const f of [`truthy:${op.key}`, ...this.mutateFacts(op)]) if (this.tracked.has(f)) reads[n.id].add(f);
        }
        if (op.k === 'assign' && wholeWrite(op))
          for (const f of this.tracked) if ((this.rootsOf.get(f) ?? factRoots(f)).includes(op.root)) kills[n.id].add(f);
      }
    }
    const live: Set<string>[] = nodes.map(() => new Set());
    for (let changed = true; changed;) {
      changed = false;
      for (let i = nodes.length - 1; i >= 0; i--) {
        const next = new Set(reads[i]);
        for (const t of nodes[i].succ)
          if (t >= 0) for (const f of live[t]) if (!kills[i].has(f) || reads[i].has(f)) next.add(f);
        if (next.size !== live[i].size) {
          live[i] = next;
          changed = true;
        }
      }
    }
    this.live = live;
  }
}

/** The assignment gives the variable itself a new value (`x = ...`, `x++`, `f(&x)`), not one of its fields. */
function wholeWrite(op: Extract<Op, { k: 'assign' }>): boolean {
  if (op.havoc || op.node.type === 'init_declarator') return true;
  const lhs = op.node.children[0];
  return (
    (op.node.type === 'assignment_expression' || op.node.type === 'update_expression') && lhs?.type === 'identifier'
  );
}

function clonePath(s: PathState): PathState {
  return { facts: new Map(s.facts), wa: s.wa };
}

/** The variables a fact is about (`isDir:old_dentry.d_inode` → old_dentry; `eq:a|b.c` → a, b). */
function factRoots(fact: string): string[] {
  const body = fact.slice(fact.indexOf(':') + 1);
  return body.split('|').map((p) => p.split(':').pop()!.split('.')[0]);
}

// ---------------------------------------------------------------- simulator helpers (structural, from the tree)

function unwrap(x: SNode): SNode {
  while ((x.type === 'parenthesized_expression' || x.type === 'cast_expression') && x.children.length)
    x = x.children[x.children.length - 1];
  return x;
}

/** `&di` or `di` → `di`; anything else → null. */
function variableOf(x: SNode | undefined, text: string): string | null {
  if (!x) return null;
  x = unwrap(x);
  if (x.type === 'pointer_expression' && x.children[0]) x = unwrap(x.children[0]);
  return x.type === 'identifier' ? text.slice(x.start, x.end) : null;
}

function isZeroLiteral(x: SNode, text: string): boolean {
  const t = text.slice(x.start, x.end);
  return x.type === 'null' || t === 'NULL' || t === '0';
}

/** The variable and kind of test of a condition atom, if it tests one variable (or is a call). */
export function conditionTest(atom: SNode, negated: boolean, text: string, cat: Catalogue): ModelTest | undefined {
  const x = unwrap(atom);
  if (x.type === 'identifier') return { subject: text.slice(x.start, x.end), form: 'truthy', negated };
  if (x.type === 'unary_expression' && x.children[0] && text.slice(x.start, x.children[0].start).trim() === '!') {
    return conditionTest(x.children[0], !negated, text, cat);
  }
  if (x.type === 'call_expression' && x.children[0]?.type === 'identifier') {
    const p = cat.predicates.get(text.slice(x.children[0].start, x.children[0].end));
    const arg = variableOf(x.children[1]?.children[0], text);
    if (p && arg) {
      if (p.kind === 'isErr' || p.kind === 'isErrOrNull') return { subject: arg, form: 'isErr', negated };
      if (p.kind === 'delegated') return { subject: arg, form: 'delegated', negated };
      if (p.kind === 'nonNull') return { subject: arg, form: 'truthy', negated };
      if (p.kind === 'isNull') return { subject: arg, form: 'truthy', negated: !negated };
    }
    return p ? undefined : { subject: '', form: 'call', negated };
  }
  if (x.type === 'binary_expression' && x.children.length === 2) {
    const [l, r] = x.children;
    const op = infixOperator(text, x);
    if ((op === '==' || op === '!=') && (isZeroLiteral(l, text) || isZeroLiteral(r, text))) {
      const inner = conditionTest(isZeroLiteral(l, text) ? r : l, negated, text, cat);
      return inner && { ...inner, negated: op === '==' ? !inner.negated : inner.negated };
    }
    const v = variableOf(l, text);
    if (op === '<' && v && isZeroLiteral(r, text)) return { subject: v, form: 'isErr', negated };
    // `dentry == ERR_PTR(-ENOENT)`: the call failed (the model's failures stand for this error).
    const errPtr = (n: SNode) =>
      n.type === 'call_expression' &&
      n.children[0]?.type === 'identifier' &&
      ['ERR_PTR', 'ERR_CAST'].includes(text.slice(n.children[0].start, n.children[0].end));
    if ((op === '==' || op === '!=') && (errPtr(l) || errPtr(r))) {
      const subject = variableOf(errPtr(l) ? r : l, text);
      if (subject) return { subject, form: 'isErr', negated: op === '!=' ? !negated : negated };
    }
  }
  return undefined;
}

/** The variable receiving a call's value, and the delegated-inode variable it fills. */
function resultAndOut(op: Op, node: SNode, text: string): Pick<ModelEvent, 'result' | 'out' | 'outIsParam'> {
  const r: Pick<ModelEvent, 'result' | 'out' | 'outIsParam'> = {};
  let up: SNode = node;
  while (up.parent && (up.parent.type === 'parenthesized_expression' || up.parent.type === 'cast_expression'))
    up = up.parent;
  const p = up.parent;
  if (p?.type === 'assignment_expression' && p.children[1] === up && infixOperator(text, p) === '=')
    r.result = variableOf(p.children[0], text) ?? undefined;
  else if (p?.type === 'init_declarator' && p.children[1] === up)
    r.result = firstIdentifier(p.children[0], text) ?? undefined;
  const out = op.k === 'break' || op.k === 'delegOp' ? op.out : null;
  if (out?.kind === 'local') r.out = out.name;
  if (out?.kind === 'param') r.outIsParam = true;
  return r;
}

function firstIdentifier(d: SNode | undefined, text: string): string | null {
  while (d && d.type !== 'identifier')
    d = d.children.find((c) => c.type.endsWith('declarator') || c.type === 'identifier');
  return d ? text.slice(d.start, d.end) : null;
}

/** Variables a node assigns other than through an event's result or out-parameter. */
function assignedVariables(ops: Op[], diVars: ReadonlySet<string>): ModelNode['assigns'] {
  const outs = new Set<string>();
  for (const op of ops) if (op.k === 'assign' && op.havoc && diVars.has(op.root)) outs.add(op.root);
  for (const op of ops) {
    if ((op.k === 'break' || op.k === 'delegOp') && op.out?.kind === 'local') outs.add(op.out.name);
    if (op.k === 'wait' && op.di) outs.add(op.di);
  }
  const roots = ops
    .filter((op): op is Extract<Op, { k: 'assign' }> => op.k === 'assign' && !outs.has(op.root))
    .map((op) => (op.value ? { name: op.root, value: op.value } : { name: op.root }));
  return roots.length ? roots : undefined;
}
