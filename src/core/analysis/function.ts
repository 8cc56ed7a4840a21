/**
 * Analysis of one function, the lock-state engine: build its CFG, run the path-sensitive dataflow over
 * lock/break/change events, and summarise what callers in the same file need to know. The rules (src/core/rules/,
 * one module each) listen to the events and the returns through hooks and report; the engine owns the state and
 * what each event does to it. The function's own contract is in contract.ts, condition atoms in atoms.ts.
 */
import type { Catalogue, LockClass } from '../catalogue/catalogue';
import { compareVersions, selectVariant } from '../catalogue/catalogue';
import { buildCfg, type Cfg, type CfgNode } from '../cfg/cfg';
import { prefixOperator, type SNode } from '../parse/syntax';
import type { FunctionUnit } from '../parse/units';
import { ExprContext, NULL_KEY, identifiersOf } from './expr';
import { computeAtom, flagFact, objectOfFlags, type AtomInfo } from './atoms';
import { collectContract, type Contract } from './contract';
import { collectDefinitions } from './definitions';
import {
  childOfAlias,
  errorPredicateCall,
  lockKey,
  opsOf,
  describePath,
  type ArgChild,
  type Op,
  type OpContext,
} from './ops';
import { LEASE_TRY, cloneState, emptyState, joinStates, stateHash, wr, type State, type LockSt } from './state';
import type {
  AnalyzeOptions,
  DeferredFinding,
  Finding,
  Related,
  RoleMutation,
  RuleId,
  Severity,
  Summary,
} from './types';
import { beginFunction, messageContext, splitMessage } from '../rules/messages';
import type { ExitLock, RuleContext } from '../rules/context';
import { RULE_MODULES } from '../rules/index';
import { immediatePostDominators, predecessors } from '../cfg/graph';
import { FlagGuards, addRoleMutation } from './guards';

export interface FunctionAnalysis {
  findings: Finding[];
  summary: Summary;
  /** Outcome of checking callees' deferred findings at this function's call sites. */
  deferredOutcomes: { finding: DeferredFinding; ruledOut: boolean }[];
  statesProcessed: number;
  /** A finding was reported that callers in other files could rule out, were they all known (see markDeferrable). */
  deferrable?: boolean;
  truncated: boolean;
  cfg: Cfg;
  /** APIs seen, for code lenses: lock calls and break/wait calls. */
  lockApis: string[];
  breakApis: string[];
  /** The events of each CFG node, in order (index = CFG node id). */
  ops: Op[][];
  /** Locks the caller holds on entry (catalogue contract, annotations, inferred). */
  entryLocks: string[];
  /** Display name of a key in this function (`target` for `dentry.d_inode`). */
  show: (key: string) => string;
  /** Locks held before each event (keyed by the event's start offset), with how many paths held each. */
  heldAt: FunctionAnalyzer['heldAt'];
  /**
   * Read-only: the fact a condition node tests, as the fixpoint learns it at its branches (null if the node tests
   * nothing the analysis remembers). For the race simulator, whose threads follow the same correlated branches.
   */
  conditionFact: (node: number) => ConditionFact | null;
}

/** A condition's fact: value on an edge = edge value XOR invert; `implies` as in the fixpoint. */
export interface ConditionFact {
  fact: string;
  invert: boolean;
  roots: string[];
  implies?: { fact: string; value: boolean };
  impliesWhenFalse?: { fact: string; value: boolean };
}

const MAX_STATES_PER_NODE = 96;
/** The fixpoint's state cap per function unless the caller lowers it (the engine does, near its time budget). */
export const DEFAULT_MAX_STATES = 40000;

/** Per-phase timing, enabled by the benchmark (VFSLOCK_PHASES=1). */
export const PHASES: Record<string, number> | null =
  typeof process !== 'undefined' && process.env?.VFSLOCK_PHASES ? {} : null;
const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export function analyzeFunction(
  unit: FunctionUnit,
  body: SNode,
  src: string,
  opts: AnalyzeOptions,
  summaries: ReadonlyMap<string, Summary>,
  staticCallers: number,
): FunctionAnalysis {
  const first = new FunctionAnalyzer(unit, body, src, opts, summaries, staticCallers, []);
  const result = first.run();
  // A path released a parameter's inode lock it never took: the caller holds it at entry (cachefiles_bury_object
  // drops its caller's lock on dir). Analyse again with that lock held on entry.
  if (!first.callerHeld.size) return result;
  const second = new FunctionAnalyzer(unit, body, src, opts, summaries, staticCallers, [...first.callerHeld]);
  const withEntry = second.run();
  if (!second.refuted) return withEntry;
  // The caller cannot hold it after all: some path (a wait-and-retry loop) releases it twice. The function lost its
  // own lock; keep the first analysis, where what that lock protected is unprotected, and say where it is released.
  // One finding per release site: a failed acquisition's release already reported there says more.
  result.findings.push(
    ...first.unheldReleases.filter((u) => !result.findings.some((f) => f.start === u.start && f.ruleId === u.ruleId)),
  );
  return result;
}

/** The rules, in the order they are called (rules/index.ts). */
const RULES = RULE_MODULES;

class FunctionAnalyzer implements RuleContext {
  readonly cat: Catalogue;
  private readonly ctx: ExprContext;
  private readonly oc: OpContext;
  cfg!: Cfg;
  ops: Op[][] = [];
  private readonly atoms = new Map<SNode, AtomInfo>();
  private readonly findings = new Map<string, Finding>();
  private readonly deferred: DeferredFinding[] = [];
  private readonly deferredOutcomes: { finding: DeferredFinding; ruledOut: boolean }[] = [];
  private readonly lockKeysUsed = new Set<string>();
  private readonly diVars = new Set<string>();
  private readonly exits: State[] = [];
  private readonly repeatedAtoms = new Set<string>();
  private readonly summary: Summary;
  private statesProcessed = 0;
  truncated = false;
  /** Per-function memory of the rules (RuleContext.local), and findings about the analysis itself (RuleContext.note). */
  private readonly locals = new Map<string, unknown>();
  private readonly notes: Finding[] = [];
  /** Parent role of the returned dentry: undefined = none seen yet, null = unknown or inconsistent. */
  private childOfRet: string | null | undefined = undefined;
  /** Argument relations this function's calls require (`collectDefinitions`), for its summary. */
  private argRelations: ArgChild[] = [];
  /** Predecessors of each CFG node (built when first needed). */
  private preds: number[][] | null = null;
  /** Keys returned on non-error returns (for the `returns` summary). */
  private readonly returnKeys = new Set<string>();

  /** Some lock is held on some successful returns only, for a reason the result does not tell (a flags argument). */
  private conditionalLock = false;
  /** Roles of parameters' inode locks this function releases without holding them, by lock key (see finishSummary). */
  private readonly callerLockReleases = new Map<string, string>();
  /** Where each conditional acquisition that failed on some path was made (`#failedAcq:` facts name the key). */
  private readonly failedAcq = new Map<string, { site: number; api: string }>();
  /** Inode locks some path took again while holding them (reported by lock/imbalance where taken). */
  private readonly takenWhileHeld = new Set<string>();
  /** Caller's locks this function released and took again (upgraded or re-taken after a sleep). */
  private readonly restoredCallerLocks = new Set<string>();

  /** Locks taken here that some change was made under (a lock-taking helper returns before using its lock). */
  private readonly usedUnder = new Set<string>();

  /** The function's own contract (catalogue entry, annotations, locks the caller is assumed to hold on entry). */
  contract!: Contract;
  /** Documented releases' and acquisitions' keys and their prefixes (filled once the contract is known). */
  private releaseSubjects: Set<string> | null = null;

  /** Parameter-derived inode locks released on some path without being taken first. */
  readonly callerHeld = new Set<string>();
  /** Where those are released (reported if the caller turns out not to hold them). */
  readonly unheldReleases: Finding[] = [];
  /** A path released a lock assumed held on entry twice: the assumption is wrong. */
  refuted = false;

  constructor(
    readonly unit: FunctionUnit,
    private readonly body: SNode,
    private readonly src: string,
    readonly opts: AnalyzeOptions,
    summaries: ReadonlyMap<string, Summary>,
    readonly staticCallers: number,
    private readonly entryHeld: string[],
  ) {
    this.cat = opts.catalogue;
    this.ctx = new ExprContext(src, this.cat);
    this.oc = { ctx: this.ctx, cat: this.cat, version: opts.version, summaries, knownBodies: opts.knownBodies };
    this.ctx.returnsOf = (name) => summaries.get(name)?.returns;
    this.summary = {
      name: unit.name,
      arity: unit.params.length,
      outParams: [],
      breaks: [],
      requires: [],
      mutates: [],
      sleeps: null,
      acquires: [],
      releases: [],
      deferred: [],
      isEmpty: true,
    };
  }

  run(): FunctionAnalysis {
    const T = PHASES;
    let t = now();
    const lap = (k: string) => {
      if (!T) return;
      const n2 = now();
      T[k] = (T[k] ?? 0) + n2 - t;
      t = n2;
    };
    this.argRelations = collectDefinitions(this.unit, this.body, this.src, this.oc);
    // The contract first: argument relations it states (childOf) are aliases the events below are keyed through.
    this.contract = collectContract(this.unit, this.ctx, this.cat, this.opts.version);
    lap('defs');
    this.cfg = buildCfg(this.body, {
      text: (n) => this.ctx.text(n),
      isLoopMacro: (n) => this.cat.isLoopMacro(n),
      transparent: this.cat.transparent,
      scopedGuard: this.cat.scopedGuardMacro,
      guard: this.cat.guardMacro,
      maxNodes: 20000,
    });
    lap('cfg');
    this.ops = this.cfg.nodes.map((n) => this.nodeOps(n));
    for (const ops of this.ops)
      for (const o of ops) if ('key' in o && typeof o.key === 'string') this.opKeys.add(o.key);
    beginFunction(this.unit.params, this.ops, this.opts.version, this.opts.era, this.cat);
    lap('ops');
    for (const key of this.entryHeld)
      if (!this.contract.selfContract.some((c) => c.key === key))
        this.contract.selfContract.push({ key, class: 'inode', mode: 'exclusive' });
    this.countAtoms();
    lap('atoms');
    this.fixpoint();
    lap('fixpoint');
    this.checkExits();
    for (const r of RULES) r.onFinish?.(this);
    this.finishSummary();
    lap('post');
    if (typeof process !== 'undefined' && process.env?.VFSLOCK_STATS)
      console.log('STATS', this.unit.name, this.cfg.nodes.length, this.statesProcessed);
    if (typeof process !== 'undefined' && process.env?.VFSLOCK_STATES === this.unit.name) {
      const seen = (this as unknown as { dbgSeen: Set<string>[] }).dbgSeen;
      let best = 0;
      seen.forEach((m, i) => {
        if (m.size > seen[best].size) best = i;
      });
      console.log(
        'NODE',
        best,
        this.cfg.nodes[best].kind,
        this.cfg.nodes[best].ast
          ? this.src.slice(this.cfg.nodes[best].ast!.start, this.cfg.nodes[best].ast!.start + 60)
          : '',
      );
      for (const h of [...seen[best]].slice(0, 40)) console.log('  ', h);
    }
    const findings = [...this.findings.values(), ...this.notes];
    return {
      findings,
      summary: this.summary,
      deferredOutcomes: this.deferredOutcomes,
      statesProcessed: this.statesProcessed,
      ...(this.deferrable ? { deferrable: true } : {}),
      truncated: this.truncated || this.cfg.truncated,
      cfg: this.cfg,
      lockApis: this.ops
        .flat()
        .filter((o) => o.k === 'lock')
        .map((o) => (o as { api: string }).api),
      breakApis: this.ops
        .flat()
        .filter((o) => o.k === 'break' || o.k === 'wait' || o.k === 'delegOp')
        .map((o) => (o as { api: string }).api),
      ops: this.ops,
      entryLocks: this.contract.selfContract.filter((c) => this.opKeys.has(c.key)).map((c) => c.key),
      show: (k) => this.show(k),
      heldAt: this.heldAt,
      conditionFact: (id) => this.conditionFact(id),
    };
  }

  conditionFact(id: number): ConditionFact | null {
    const n = this.cfg.nodes[id];
    if (n?.kind !== 'cond' || !n.atom) return null;
    const a = this.atomInfo(n.atom);
    if (!a.fact) return null;
    return { fact: a.fact, invert: a.invert, roots: a.roots, implies: a.implies, impliesWhenFalse: a.impliesWhenFalse };
  }

  private nodeOps(n: CfgNode): Op[] {
    const out: Op[] = [];
    for (const e of n.exprs) out.push(...opsOf(this.oc, e));
    if (n.guards && n.kind === 'guard') {
      for (const g of n.guards) {
        const lock = this.guardLockOp(g.cls, g.args, g.site, 'lock');
        if (lock) out.push(lock);
      }
    }
    if (n.guards && n.kind === 'scopeExit') {
      for (const g of n.guards) {
        const unlock = this.guardLockOp(g.cls, g.args, g.site, 'unlock');
        if (unlock) out.push(unlock);
      }
    }
    for (const op of out) {
      // A callee's release on failure (vfs_mkdir() since 6.19) is of the lock the caller holds, not one of its own.
      if (op.k === 'lock' || (op.k === 'unlock' && !op.whenErr)) this.lockKeysUsed.add(op.key);
      if ((op.k === 'delegOp' || op.k === 'break') && op.out?.kind === 'local') this.diVars.add(op.out.name);
    }
    return out;
  }

  private guardLockOp(cls: string, args: SNode[], site: SNode, kind: 'lock' | 'unlock'): Op | null {
    const fn = this.cat.guardLock(cls);
    if (!fn) return null;
    const entries = this.cat.calls.get(fn);
    if (!entries) return null;
    const sel = selectVariant(entries, args.length, this.opts.version);
    const eff = sel?.entry.effects.find((e) => e.op === 'lock');
    if (!eff || eff.op !== 'lock') return null;
    const k = this.ctx.key(args[0]);
    if (!k || k === NULL_KEY) return null;
    const lk = lockKey(this.cat, k, eff.class);
    if (kind === 'lock') {
      return {
        k: 'lock',
        key: lk.key,
        class: lk.class,
        mode: eff.mode ?? 'exclusive',
        result: null,
        ifNonNull: false,
        node: site,
        display: this.ctx.text(args[0]),
        api: `guard(${cls})`,
      };
    }
    return {
      k: 'unlock',
      key: lk.key,
      class: lk.class,
      ifNonNull: false,
      node: site,
      api: `guard(${cls}) scope end`,
      certain: true,
    };
  }

  // ---------------------------------------------------------------- condition atoms

  private countAtoms(): void {
    this.findIrrelevantConds();
    const counts = new Map<string, number>();
    for (const n of this.cfg.nodes) {
      if (n.kind !== 'cond' || !n.atom) continue;
      const a = this.atomInfo(n.atom);
      if (this.irrelevantConds.has(n.id) && (!a.fact || this.isManaged(a.fact))) continue;
      if (a.fact) counts.set(a.fact, (counts.get(a.fact) ?? 0) + 1);
    }
    for (const [k, c] of counts) {
      this.testedAtoms.add(k);
      if (c >= 2) this.repeatedAtoms.add(k);
    }
    // A tested errno that a `statusOf` call turns into a status (`if (err) return nfserrno(err);`) is read again there.
    for (const n of this.cfg.nodes) {
      const uses = [
        ...(n.kind === 'return' ? [this.statusArgument(n.exprs[0])] : []),
        ...this.ops[n.id].map((o) => (o.k === 'assign' && o.codeOf?.nonzero ? o.codeOf : null)),
      ];
      for (const u of uses)
        for (const f of u ? [`truthy:${u.name}`, `truthy:${u.key}`] : []) if (counts.has(f)) this.repeatedAtoms.add(f);
    }
  }

  /** Facts some relevant condition tests. */
  private readonly testedAtoms = new Set<string>();

  /** Conditions whose branches contain no event the rules look at (only logging, notifications...). */
  private readonly irrelevantConds = new Set<number>();

  /**
   * A condition matters only if something the rules observe happens between it and the point where its branches
   * join again (its immediate post-dominator): a lock, a break, a change, a return. Facts learnt at other
   * conditions only multiply paths, so they are not recorded there.
   */
  private findIrrelevantConds(): void {
    const nodes = this.cfg.nodes;
    const n = nodes.length;
    const relevantNode = (id: number) =>
      nodes[id].kind === 'return' || nodes[id].kind === 'exit' || this.ops[id].some((o) => o.k !== 'assign');
    const ipdom = immediatePostDominators(this.cfg);
    for (const c of nodes) {
      if (c.kind !== 'cond') continue;
      const stop = ipdom[c.id];
      if (stop < 0) continue;
      const seen = new Set<number>([c.id]);
      const stack = c.succ.filter((x) => x >= 0);
      let relevant = false;
      while (stack.length && !relevant) {
        const id = stack.pop()!;
        if (id === stop || seen.has(id)) continue;
        seen.add(id);
        if (relevantNode(id) || seen.size > n) relevant = true;
        else stack.push(...nodes[id].succ.filter((x) => x >= 0));
      }
      if (!relevant) this.irrelevantConds.add(c.id);
    }
  }

  private atomInfo(atom: SNode): AtomInfo {
    let info = this.atoms.get(atom);
    if (!info) {
      info = computeAtom({ ctx: this.ctx, cat: this.cat, diVars: this.diVars }, atom, 0);
      this.atoms.set(atom, info);
    }
    return info;
  }

  private shouldRecord(fact: string): boolean {
    if (this.repeatedAtoms.has(fact)) return true;
    // Whether what a documented release is about is NULL (unlock_two_nondirectories(inode1, NULL)) decides it.
    if (fact.startsWith('truthy:') && this.isReleaseSubject(fact.slice(7))) return true;
    if (fact.startsWith('isDir:') && this.contract.releasesSkipDirs.has(fact.slice(6))) return true;
    return /^(isDir|isErr|deleg|flag|eq|nodeleg):/.test(fact) || (fact.startsWith('truthy:') && fact.includes('.'));
  }

  // ---------------------------------------------------------------- fixpoint

  private initialState(): State {
    const s = emptyState();
    // Contract keys spelled for another kernel (rd->old_dir vs d_inode(rd->old_parent)) are never used here.
    // A lock the caller holds on entry.
    const callerHolds = (key: string, cls: LockClass, mode: 'exclusive' | 'shared' = 'exclusive') =>
      wr(s, 'locks').set(key, {
        class: cls,
        mode,
        count: 1,
        origin: 'entry',
        site: this.unit.nameStart,
        siteEnd: this.unit.nameEnd,
        api: 'caller',
      });
    for (const c of this.contract.selfContract.filter((c) => c.class !== 'inode' || this.opKeys.has(c.key)))
      callerHolds(c.key, c.class, c.mode);
    for (const key of [...this.contract.declaredReleases, ...this.contract.declaredErrReleases])
      if (!s.locks.has(key)) callerHolds(key, 'inode');
    if (this.contract.declaredRenameRelease) {
      // The rename lock its callers hand it, under the name its body releases it by (a body that never releases it
      // keeps the catalogue's name, and keeps the lock).
      const key =
        this.ops.flat().find((o): o is Extract<Op, { k: 'unlock' }> => o.k === 'unlock' && o.class === 'rename')?.key ??
        '@s_vfs_rename_mutex';
      this.contract.renameReleaseKey = key;
      if (!s.locks.has(key)) callerHolds(key, 'rename');
    }
    return s;
  }

  /**
   * Which branch facts can still matter at each node. A fact like `error != 0` or `lock_new_subdir` only splits
   * paths until it is tested again or the variable is reassigned; dropping it where it is dead lets paths merge.
   * Semantic facts (directory, NULL-ness of inodes, error pointers, delegation flags, equalities) are always kept.
   */
  /** Keys that locks, breaks and changes are about: equalities involving them matter. */
  private readonly opKeys = new Set<string>();

  private computeLiveness(): void {
    const n = this.cfg.nodes.length;
    const reads: (string[] | null)[] = new Array(n).fill(null);
    const kills: (string[] | null)[] = new Array(n).fill(null);
    const managedRoots = new Map<string, string[]>();
    for (const node of this.cfg.nodes) {
      if (node.kind === 'cond' && node.atom && !this.irrelevantConds.has(node.id)) {
        const a = this.atomInfo(node.atom);
        if (a.fact && this.isManaged(a.fact)) {
          reads[node.id] = [a.fact];
          managedRoots.set(a.fact, a.roots);
        }
      }
      if (node.kind === 'return' && node.exprs[0]?.type === 'identifier') {
        const v = this.ctx.text(node.exprs[0]);
        const k = this.ctx.key(node.exprs[0]) ?? v;
        reads[node.id] = [`truthy:${v}`, `truthy:${k}`];
      }
      // `return nfserrno(err)` and `status = nfserrno(err)` (a `statusOf` predicate) read whether err is nonzero.
      const status = node.kind === 'return' ? this.statusArgument(node.exprs[0]) : null;
      if (status) reads[node.id] = [`truthy:${status.name}`, `truthy:${status.key}`];
      for (const o of this.ops[node.id])
        if (o.k === 'assign' && o.codeOf?.nonzero)
          reads[node.id] = [...(reads[node.id] ?? []), `truthy:${o.codeOf.name}`, `truthy:${o.codeOf.key}`];
      // A callee's change conditional on a flag of a word this function passes: the word's flag facts are read there.
      for (const o of this.ops[node.id])
        if (o.k === 'summaryMutate' && o.onlyIf?.length)
          reads[node.id] = [...(reads[node.id] ?? []), ...o.onlyIf.map((c) => flagFact(c.flag, c.key))];
    }
    for (const node of this.cfg.nodes) {
      const roots = this.ops[node.id].filter((o) => o.k === 'assign').map((o) => (o as { root: string }).root);
      if (!roots.length) continue;
      const killed: string[] = [];
      for (const [f, rs] of managedRoots) if (rs.some((r) => roots.includes(r))) killed.push(f);
      kills[node.id] = killed;
    }
    const live: Set<string>[] = Array.from({ length: n }, () => new Set<string>());
    let changed = true;
    let rounds = 0;
    while (changed && rounds++ < 50) {
      changed = false;
      for (let i = n - 1; i >= 0; i--) {
        const out = new Set<string>();
        for (const t of this.cfg.nodes[i].succ) if (t >= 0) for (const f of live[t]) out.add(f);
        for (const k of kills[i] ?? []) out.delete(k);
        for (const r of reads[i] ?? []) out.add(r);
        if (out.size !== live[i].size) {
          live[i] = out;
          changed = true;
        }
      }
    }
    this.liveFacts = live;
    const ids = new Map<string, number>();
    this.liveIds = live.map((set) => {
      const k = [...set].sort().join('\u0001');
      let id = ids.get(k);
      if (id === undefined) ids.set(k, (id = ids.size));
      return id;
    });
  }

  private liveFacts: Set<string>[] = [];

  private readonly managedMemo = new Map<string, boolean>();

  private isManaged(fact: string): boolean {
    let m = this.managedMemo.get(fact);
    if (m === undefined) {
      m = this.computeManaged(fact);
      this.managedMemo.set(fact, m);
    }
    return m;
  }

  private computeManaged(fact: string): boolean {
    if (fact.startsWith('expr:')) return true;
    if (fact.startsWith('flag:')) {
      const flag = fact.split(':')[1];
      return (
        !this.cat.exemptFlags.has(flag) &&
        !this.cat.delegationFlags.has(flag) &&
        !this.cat.leaseFlags.has(flag) &&
        !this.cat.contexts.privateFlags.includes(flag) &&
        !this.cat.contexts.writeModeFlags.some((w) => w.flag === flag)
      );
    }
    // Equalities of lock keys, or of what a documented release is about (unlock_rename's p1 == p2), are semantic.
    if (fact.startsWith('eq:'))
      return !fact
        .slice(3)
        .split('|')
        .some((k) => this.opKeys.has(k) || this.isReleaseSubject(k));
    if (!fact.startsWith('truthy:')) return false;
    const k = fact.slice(7);
    if (this.opKeys.has(k) || this.diVars.has(k)) return false;
    if (k.includes('.')) return true;
    const v = this.ctx.vars.get(k);
    return !(v && v.type.includes('*'));
  }

  /** Live-fact sets interned per node (many nodes share one), and pruned fact maps cached per (map, set). */
  private liveIds: number[] = [];
  private readonly pruned = new WeakMap<Map<string, boolean>, Map<number, Map<string, boolean>>>();

  /** Drops dead managed facts; returns the same state when nothing is dropped. */
  private prune(node: number, s: State): State {
    if (s.facts.size === 0) return s;
    const liveId = this.liveIds[node];
    let perMap = this.pruned.get(s.facts);
    const hit = perMap?.get(liveId);
    if (hit === s.facts) return s;
    if (hit) return { ...cloneState(s), facts: hit };
    const live = this.liveFacts[node];
    let drop: string[] | null = null;
    for (const f of s.facts.keys()) {
      if (!live.has(f) && this.isManaged(f)) (drop ??= []).push(f);
    }
    if (!perMap) {
      perMap = new Map();
      this.pruned.set(s.facts, perMap);
    }
    if (!drop) {
      perMap.set(liveId, s.facts);
      return s;
    }
    const facts = new Map(s.facts);
    for (const f of drop) facts.delete(f);
    perMap.set(liveId, facts);
    return { ...cloneState(s), facts };
  }

  private fixpoint(): void {
    const n = this.cfg.nodes.length;
    this.computeLiveness();
    const seen: Set<string>[] = Array.from({ length: n }, () => new Set());
    (this as unknown as { dbgSeen: Set<string>[] }).dbgSeen = seen;
    const overflow: (State | null)[] = new Array(n).fill(null);
    const queue: [number, State][] = [];
    let head = 0;
    const budget = this.opts.maxStates ?? DEFAULT_MAX_STATES;
    const push = (node: number, s0: State) => {
      if (node < 0) return;
      const s = this.prune(node, s0);
      const h = stateHash(s);
      const m = seen[node];
      if (m.has(h)) return;
      if (m.size >= MAX_STATES_PER_NODE) {
        const prev = overflow[node];
        const joined = prev ? joinStates(prev, s) : joinStates(s, s);
        const jh = stateHash(joined);
        if (prev && stateHash(prev) === jh) return;
        overflow[node] = joined;
        queue.push([node, joined]);
        return;
      }
      m.add(h);
      queue.push([node, s]);
    };
    push(this.cfg.entry, this.initialState());
    const trace = typeof process !== 'undefined' && process.env?.VFSLOCK_TRACE === this.unit.name;
    while (head < queue.length) {
      if (this.statesProcessed++ > budget) {
        this.truncated = true;
        break;
      }
      const [id, s] = queue[head++];
      if (head > 4096 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      const node = this.cfg.nodes[id];
      if (node.kind === 'exit') {
        this.exits.push(s);
        continue;
      }
      const ops = this.ops[id];
      // States already pushed are never mutated: clone only where something changes.
      let cur: State[] = ops.length || node.kind === 'return' ? [cloneState(s)] : [s];
      for (const op of ops) {
        const next: State[] = [];
        for (const st of cur) {
          if (!st.lossy) this.noteHeld(op, st);
          next.push(...this.apply(op, st, id));
        }
        cur = next;
        if (!cur.length) break;
      }
      if (trace) {
        const line = node.ast ? this.src.slice(0, node.ast.start).split('\n').length : 0;
        for (const st of cur)
          console.log(
            'TRACE',
            id,
            node.kind,
            'line',
            line,
            node.ast
              ? this.src.slice(node.ast.start, Math.min(node.ast.end, node.ast.start + 50)).replace(/\s+/g, ' ')
              : '',
            '| locks',
            [...st.locks.keys()].join(','),
            '| pend',
            [...st.pending.keys()].join(','),
            '| facts',
            [...st.facts].map(([k, v]) => k + '=' + v).join(' '),
          );
      }
      if (node.kind === 'return') for (const st of cur) this.noteReturn(node, st);
      if (node.kind === 'cond' && node.atom) {
        const info = this.atomInfo(node.atom);
        // At a condition nothing observable depends on, skip learning facts that only serve to correlate branches.
        const irrelevant =
          this.irrelevantConds.has(id) &&
          (!info.fact || this.isManaged(info.fact)) &&
          !info.implies &&
          !info.impliesWhenFalse;
        for (const st of cur) {
          const mutates = irrelevant
            ? !!info.result && st.pending.has(info.result.name)
            : !!info.result ||
              !!info.implies ||
              !!info.impliesWhenFalse ||
              (!!info.fact && this.shouldRecord(info.fact));
          for (let slot = 0; slot < 2; slot++) {
            const target = node.succ[slot];
            if (target === undefined || target < 0) continue;
            const value = slot === 0 ? !node.negated : !!node.negated;
            if (!mutates) {
              push(target, st);
              continue;
            }
            // Deciding a pending lock (`err = start_renaming(...); if (err) ...`) ties the variable's value to the
            // lock: remember it even where nothing else depends on the condition, so a later `if (err)` agrees.
            const st2 = cloneState(st);
            if (this.applyAtom(node.atom, value, st2)) push(target, st2);
          }
        }
        continue;
      }
      for (const st of cur) for (const t of node.succ) if (t >= 0) push(t, st);
    }
  }

  /** Locks held just before each event, over all paths reaching it (for hovers and "lock state at cursor"). */
  readonly heldAt = new Map<
    number,
    {
      end: number;
      api: string;
      kind: string;
      paths: number;
      locks: Map<string, { count: number; site: number; api: string; origin: string }>;
      /** What the event acts on (its display), and for breaks and waits whether it can sleep (null: depends on flags). */
      target?: string;
      blocking?: boolean | null;
    }
  >();

  private readonly heldOwner = new Map<number, Op>();

  private noteHeld(op: Op, st: State): void {
    if (op.k === 'assign' || op.k === 'deferred' || op.k === 'unknownLockHelper' || op.k === 'unknownUnlockHelper')
      return;
    const node = (op as { node: SNode }).node;
    let rec = this.heldAt.get(node.start);
    if (!rec) {
      rec = {
        end: node.end,
        api: (op as { api?: string }).api ?? '',
        kind: op.k,
        paths: 0,
        locks: new Map(),
        ...eventDetail(op),
      };
      this.heldAt.set(node.start, rec);
      this.heldOwner.set(node.start, op);
    } else if (eventRank(op.k) < eventRank(rec.kind)) {
      // One call, several events (notify_change: requireAtCall, then delegOp): describe it by the most telling.
      Object.assign(rec, { api: (op as { api?: string }).api ?? rec.api, kind: op.k, ...eventDetail(op) });
    }
    // Paths are counted once per call, by the event that first reached it.
    if (this.heldOwner.get(node.start) !== op) return;
    rec.paths++;
    for (const [k, l] of st.locks) {
      const e = rec.locks.get(k);
      if (e) e.count++;
      else rec.locks.set(k, { count: 1, site: l.site, api: l.api, origin: l.origin });
    }
  }

  private noteReturn(node: CfgNode, st: State): void {
    st.hash = undefined;
    st.ret = this.classifyReturn(node, st);
    const e = node.exprs[0];
    if (e && this.returnsUncataloguedCall(e)) st.ret.viaCall = true;
    if (st.ret.kind !== 'err') {
      const k = e ? this.ctx.key(e) : null;
      this.returnKeys.add(k && k !== NULL_KEY ? k : '#other');
      if (e) this.noteReturnedChild(e);
    }
    // `return start_creating(...)` / `return dentry` with its success still untested: the caller decides.
    if (e) {
      const name =
        e.type === 'identifier' ? this.ctx.text(e) : e.type === 'call_expression' ? `#call@${e.start}` : null;
      const pend = name ? st.pending.get(name) : undefined;
      if (pend) st.ret.conditional = pend.filter((p) => p.lock).map((p) => ({ lock: p.lock!, when: p.when }));
      const onErr = pend?.flatMap((p) => (p.unlockOnErr ? [p.unlockOnErr.key] : []));
      if (onErr?.length) st.ret.releasesOnErr = onErr;
    }
    if (e?.type === 'identifier' && this.ctx.vars.get(this.ctx.text(e))?.isParam) {
      const name = this.ctx.text(e);
      if (!this.assignedBefore(node.id, name)) st.ret.passesParam = name;
    }
  }

  /** Whether an assignment to `name` can run before CFG node `id` (a backward walk over the graph). */
  private assignedBefore(id: number, name: string): boolean {
    this.preds ??= predecessors(this.cfg);
    const seen = new Set<number>([id]);
    const stack = [id];
    while (stack.length) {
      const n = stack.pop()!;
      if (n !== id && this.ops[n]?.some((o) => o.k === 'assign' && o.root === name && !o.field)) return true;
      for (const p of this.preds[n])
        if (!seen.has(p)) {
          seen.add(p);
          stack.push(p);
        }
    }
    return false;
  }

  /** Learns the value of a condition atom on one edge; false if the edge is infeasible. */
  private applyAtom(atom: SNode, value: boolean, s: State): boolean {
    const info = this.atomInfo(atom);
    const v = value !== info.invert;
    // `err = PTR_ERR_OR_ZERO(x); if (err)`: the test is IS_ERR(x), for x's pending locks and later tests of x.
    if (info.result?.sense === 'truthy') {
      for (const p of s.pending.get(info.result.name) ?? []) {
        if (!p.link) continue;
        this.resolvePending(s, p.link, 'isErr', v);
        if (p.linkKey && !this.learn(s, `isErr:${p.linkKey}`, v)) return false;
      }
    }
    if (info.result && !(info.errOnlyWhenTrue && !v)) this.resolvePending(s, info.result.name, info.result.sense, v);
    if (!info.fact) return true;
    const fact = info.fact;
    // A parameter found NULL: a grant owes nothing that only a non-NULL one calls for (nfsd's name re-check).
    if (!v && fact.startsWith('truthy:')) this.dropOwedWhenNull(s, fact.slice('truthy:'.length));
    if (info.implies && v && !this.learn(s, info.implies.fact, info.implies.value)) return false;
    if (info.impliesWhenFalse && !v && !this.learn(s, info.impliesWhenFalse.fact, info.impliesWhenFalse.value))
      return false;
    // Not worth recording here, but a value already known (an assignment) still rules out the other branch.
    if (!this.shouldRecord(fact) && !info.implies) return s.facts.get(fact) !== !v;
    if (fact.startsWith('deleg:') && !v && s.deleg.has(fact.slice('deleg:'.length)))
      wr(s, 'deleg').delete(fact.slice('deleg:'.length));
    return this.learn(s, fact, v);
  }

  private dropOwedWhenNull(s: State, param: string): void {
    for (const [k, g] of s.grants) {
      if (!g.missingUnlessNull?.some(([, p]) => p === param)) continue;
      wr(s, 'grants').set(k, { ...g, missingUnlessNull: g.missingUnlessNull.filter(([, p]) => p !== param) });
    }
  }

  private learn(s: State, fact: string, v: boolean): boolean {
    const prev = s.facts.get(fact);
    if (prev !== undefined && prev !== v) return false;
    if (prev === undefined) wr(s, 'facts').set(fact, v);
    // A NULL pointer is neither an ERR_PTR nor a directory.
    if (fact.startsWith('truthy:') && !v) {
      const k = fact.slice('truthy:'.length);
      if (s.facts.get(`isErr:${k}`) === true || s.facts.get(`isDir:${k}`) === true) return false;
      // A locked object is not NULL (`if (inode) inode_unlock(inode)` with inode locked on this path).
      if (!s.lossy && s.locks.get(k)?.origin === 'local') return false;
    }
    if ((fact.startsWith('isDir:') || fact.startsWith('isErr:')) && v) {
      const k = fact.slice(fact.indexOf(':') + 1);
      if (s.facts.get(`truthy:${k}`) === false) return false;
      // A dentry's parent and a dentry's inode are never error pointers.
      if (fact.startsWith('isErr:') && /\.(d_parent|d_inode)$/.test(k)) return false;
    }
    return true;
  }

  private resolvePending(s: State, name: string, sense: 'truthy' | 'isErr', v: boolean): void {
    const list = s.pending.get(name);
    if (!list) return;
    const keep: typeof list = [];
    for (const p of list) {
      let success: boolean | null = null;
      if (p.link) {
        keep.push(p);
        continue;
      }
      if (p.brk || p.leaseBrk) {
        // A break (of a delegation, or a lease credited to an access) succeeded (0) or failed (-EWOULDBLOCK, -EINTR):
        // only success lets the change or open go ahead.
        const ok = sense === 'truthy' ? !v : v ? false : null;
        if (ok === null) {
          keep.push(p);
          continue;
        }
        if (p.brk) {
          const b = s.broken.get(p.brk);
          if (b?.unchecked) wr(s, 'broken').set(p.brk, { ...b, unchecked: undefined, failed: !ok });
        } else {
          const a = s.access.get(p.leaseBrk!);
          if (a?.unchecked) wr(s, 'access').set(p.leaseBrk!, { ...a, unchecked: undefined, failed: !ok });
        }
        continue;
      }
      if (p.unlockOnErr) {
        // Released if the call failed: an ERR_PTR result (NULL or a valid pointer says it did not), or a nonzero code.
        const failed = sense === 'isErr' ? v : p.unlockOnErr.whenErr?.ptr ? (v ? null : false) : v;
        if (failed) this.applyUnlock({ ...p.unlockOnErr, whenErr: undefined, certain: true }, s);
        else if (failed === null) keep.push(p);
        continue;
      }
      if (p.deleg) {
        // Success (0, or not an ERR_PTR) means nothing was recorded in the delegated inode.
        if (!v && s.deleg.has(p.deleg)) wr(s, 'deleg').delete(p.deleg);
        if (sense === 'isErr' || !v) continue;
        keep.push(p);
        continue;
      }
      if (sense === 'truthy') {
        if (p.when === 'zero') success = !v;
        else if (p.when === 'nonzero' || p.when === 'nonnull') success = v;
      } else if (sense === 'isErr') {
        if (p.when === 'nonerr' || p.when === 'nonnull') success = v ? false : p.when === 'nonerr' ? true : null;
        else if (p.when === 'zero' && v) success = false;
      }
      if (success === null) {
        keep.push(p);
        continue;
      }
      if (!success) {
        if (p.lock) {
          const l = s.locks.get(p.lock);
          if (l) {
            if (l.count > 1) wr(s, 'locks').set(p.lock, { ...l, count: l.count - 1 });
            else {
              wr(s, 'locks').delete(p.lock);
              // The acquisition failed: the lock is not held here, and was not released either.
              if (l.origin === 'local') {
                wr(s, 'facts').set(`#failedAcq:${p.lock}`, true);
                this.failedAcq.set(p.lock, { site: l.site, api: l.api });
              }
              // It was to take back a caller's lock this path had released: released it stays.
              if (l.origin === 'entry' && s.facts.get(`#retaken:${p.lock}`)) {
                wr(s, 'facts').delete(`#retaken:${p.lock}`);
                wr(s, 'facts').set(`#released:${p.lock}`, true);
              }
            }
          }
        }
        if (p.access && s.access.has(p.access)) wr(s, 'access').delete(p.access);
      } else if (p.lock && s.facts.has(`#retaken:${p.lock}`)) wr(s, 'facts').delete(`#retaken:${p.lock}`);
    }
    if (keep.length) wr(s, 'pending').set(name, keep);
    else wr(s, 'pending').delete(name);
  }

  private classifyReturn(
    node: CfgNode,
    s: State,
  ): { kind: 'err' | 'ok' | 'unknown'; hardErr?: boolean; site: number; siteEnd: number } {
    const e = node.exprs[0];
    const site = node.ast ? node.ast.start : 0;
    const siteEnd = node.ast ? node.ast.end : 0;
    if (!e) return { kind: 'unknown', site, siteEnd };
    let x = e;
    while (x.type === 'parenthesized_expression' && x.children[0]) x = x.children[0];
    const t = this.ctx.text(x).replace(/\s+/g, '');
    if (/^-E[A-Z0-9]+$/.test(t) || /^ERR_(PTR|CAST)\(/.test(t) || /^PTR_ERR\(/.test(t))
      return { kind: 'err', hardErr: true, site, siteEnd };
    if (t === 'NULL' || t === 'false') return { kind: 'err', site, siteEnd };
    if (t === '0' || t === 'true') return { kind: 'ok', site, siteEnd };
    // `return nfserrno(err)` (a `statusOf` predicate) where err is known to be an error or nonzero here.
    const status = this.statusArgument(x);
    if (status && this.knownErrorCode({ ...status, nonzero: true }, s))
      return { kind: 'err', hardErr: true, site, siteEnd };
    if (x.type === 'identifier') {
      if (this.cat.isErrorStatus(t)) return { kind: 'err', hardErr: true, site, siteEnd };
      const k = this.ctx.key(x) ?? t;
      if (s.facts.get(`isErr:${k}`) === true) return { kind: 'err', hardErr: true, site, siteEnd };
      if (s.facts.get(`isErr:${k}`) === false) return { kind: 'ok', site, siteEnd };
      const tr = s.facts.get(`truthy:${k}`) ?? s.facts.get(`truthy:${t}`);
      const v = this.ctx.vars.get(t);
      const isPtr = !!v && v.type.includes('*');
      if (tr === false) return { kind: isPtr ? 'err' : 'ok', site, siteEnd };
      if (tr === true && !isPtr) return { kind: 'err', hardErr: true, site, siteEnd };
    }
    return { kind: 'unknown', site, siteEnd };
  }

  // ---------------------------------------------------------------- transfer functions

  private apply(op: Op, s: State, nodeId: number): State[] {
    this.curNode = nodeId;
    switch (op.k) {
      case 'assign':
        if (op.havoc) {
          // Written through a pointer by a callee: forget branch facts about it, keep everything else.
          for (const k of [...s.facts.keys()])
            if (this.isManaged(k) && this.factMentions(k, op.root)) wr(s, 'facts').delete(k);
          return [s];
        }
        if (s.pending.has(op.root)) wr(s, 'pending').delete(op.root);
        if (this.ctx.isReassigned(op.root)) this.forget(s, op.root, !!op.field, op.path, !!op.flagsKept);
        this.handOver(op.node, s);
        this.assignNullable(op, s);
        if (op.errOf) wr(s, 'pending').set(op.root, [{ when: 'zero', link: op.errOf.name, linkKey: op.errOf.key }]);
        // `locked = false` next to an unlock, `bool locked = true`: a later `if (locked)` knows the value.
        if (op.constant && this.testedAtoms.has(`truthy:${op.root}`) && this.ctx.resolvePath(op.root) === op.root) {
          wr(s, 'facts').set(`truthy:${op.root}`, op.constant === 'nonzero');
        }
        if (op.value === 'err' || this.knownErrorCode(op.codeOf, s)) {
          wr(s, 'facts').set(`isErr:${op.root}`, true);
          // An error code is nonzero: a later `if (err)` / `if (status < 0)` agrees with it. Only for a variable that
          // is not another name for something else (conditions name aliases by what they alias).
          if (this.testedAtoms.has(`truthy:${op.root}`) && this.ctx.resolvePath(op.root) === op.root)
            wr(s, 'facts').set(`truthy:${op.root}`, true);
        } else if (op.value === 'null' && this.repeatedAtoms.has(`truthy:${op.root}`))
          wr(s, 'facts').set(`truthy:${op.root}`, false);
        return [s];
      case 'lock':
        return this.applyLock(op, s);
      case 'unlock':
        if (op.whenErr) {
          // Made only if the call fails: the test of its result decides (resolvePending).
          const name = op.whenErr.result;
          wr(s, 'pending').set(name, [...(s.pending.get(name) ?? []), { when: 'nonerr', unlockOnErr: op }]);
          return [s];
        }
        this.applyUnlock(op, s);
        return [s];
      case 'assertHeld':
        // A requirement on callers (they hold it), never a lock this function takes or must release.
        if (!s.locks.has(op.key)) {
          wr(s, 'locks').set(op.key, {
            class: op.class,
            mode: 'exclusive',
            count: 1,
            origin: 'assert',
            site: op.node.start,
            siteEnd: op.node.end,
            api: 'assertion',
          });
          if (op.class === 'inode' && this.ctx.paramIndexOfRoot(op.key) >= 0 && !s.lossy)
            this.noteRequire(op.key, op.node);
        }
        return [s];
      case 'context':
        wr(s, 'facts').set(`${op.kind}:${op.key}`, true);
        return [s];
      case 'flagWord':
        if (op.set === null) {
          if (s.facts.has(flagFact(op.flag, op.obj))) wr(s, 'facts').delete(flagFact(op.flag, op.obj));
        } else wr(s, 'facts').set(flagFact(op.flag, op.obj), op.set);
        return [s];
      case 'break':
        this.applyBreak(op, s);
        return [s];
      case 'wait':
        this.applyWait(op, s);
        return [s];
      case 'delegOp':
        this.noteUse(s);
        this.applyDelegOp(op, s, nodeId);
        return [s];
      case 'requireAtCall':
        if (op.changes) this.noteUse(s);
        for (const r of RULES) r.onRequireAtCall?.(this, op, s);
        return [s];
      case 'sleeps':
        this.applySleeps(op, s);
        return [s];
      case 'summaryMutate':
        // The callee changes the inode only under a flag this caller's word is known not to carry.
        if (op.onlyIf?.some((c) => s.facts.get(flagFact(c.flag, c.key)) === false)) return [s];
        this.noteUse(s);
        for (const r of RULES) r.onMutate?.(this, op, s);
        return [s];
      case 'mutate':
        this.noteUse(s);
        for (const r of RULES) r.onMutate?.(this, op, s);
        return [s];
      case 'grant':
        this.applyGrant(op, s, nodeId);
        return [s];
      case 'conflictCheck':
        if (op.check === 'opens') {
          s.checked = true;
          s.hash = undefined;
        } else if (!s.facts.get(`#checked:${op.check}`)) wr(s, 'facts').set(`#checked:${op.check}`, true);
        for (const [k, g] of s.grants) {
          const owedUnlessNull = !!g.missingUnlessNull?.some(([c]) => c === op.check);
          if (g.rechecked && !owedUnlessNull) continue;
          const missing = (g.missing ?? ['opens']).filter((c) => c !== op.check);
          const next = { ...g, missing, rechecked: missing.length === 0 };
          if (owedUnlessNull) next.missingUnlessNull = g.missingUnlessNull!.filter(([c]) => c !== op.check);
          wr(s, 'grants').set(k, next);
        }
        return [s];
      case 'access':
        for (const r of RULES) r.onAccess?.(this, op, s);
        this.applyAccess(op, s);
        return [s];
      case 'releaseAccess':
        if (s.access.has(op.key)) wr(s, 'access').delete(op.key);
        else if (s.access.size === 1) wr(s, 'access').clear();
        return [s];
      case 'open':
        for (const r of RULES) r.onOpen?.(this, op, s);
        return [s];
      case 'leaseTry':
        this.noteLeaseTry(s, op.key);
        return [s];
      case 'outerLock':
        // Freeze protection is the outermost lock (include/linux/fs.h: sb_start_write -> i_rwsem): a function that
        // takes it runs with no inode lock of its caller's, so the locks its calls require are its own to take.
        if (!s.facts.get('#outer')) wr(s, 'facts').set('#outer', true);
        return [s];
      case 'unknownLockHelper':
        if (!s.facts.get('#maybe-locked')) wr(s, 'facts').set('#maybe-locked', true);
        return [s];
      case 'takes': {
        // The callee takes this lock itself (and drops it before returning): if this path holds it, the task waits
        // for itself inside the call, as with a second inode_lock() here.
        const l = s.locks.get(op.key);
        if (!l) {
          const restores = !!s.facts.get(`#dropped:${op.key}`) || !!s.facts.get(`#released:${op.key}`);
          if (!restores) this.noteTaken(s, op.key, 'inode');
        } else if (
          !s.lossy &&
          l.origin === 'local' &&
          l.class === 'inode' &&
          (l.mode === 'exclusive' || op.mode === 'exclusive') &&
          !this.handedToUnknownCallee(op.key)
        ) {
          this.takenWhileHeld.add(op.key);
          const asLock = {
            k: 'lock' as const,
            key: op.key,
            class: 'inode' as const,
            mode: op.mode,
            ifNonNull: false,
            node: op.node,
            display: op.display,
            api: op.api,
            result: null,
          };
          for (const r of RULES) r.onLockHeld?.(this, asLock, s, l);
        }
        return [s];
      }
      case 'unknownUnlockHelper':
        // `unlock_dir(dir)`, `ovl_end_creating(d)`: an unknown helper named like an unlock releases the inode locks
        // of the objects it is given (or their parents/children paths).
        for (const a of op.args) {
          if (!a) continue;
          for (const [k, l] of [...s.locks]) {
            // Only the object itself or its inode (`unlock_dir(dir)` drops d_inode(dir)), not anything reachable from it.
            if (l.class !== 'inode' || !(k === a || k === a + '.d_inode')) continue;
            wr(s, 'locks').delete(k);
          }
        }
        return [s];
      case 'deferred':
        this.applyDeferred(op, s);
        return [s];
    }
  }

  /**
   * `inode = NULL` where `inode` otherwise names one object (`mapping->host`): tests of the variable are keyed by that
   * object, so its NULL-ness follows the variable's assignments (`if (inode) inode_unlock(inode)` after `inode = NULL`).
   */
  private assignNullable(op: Extract<Op, { k: 'assign' }>, s: State): void {
    const k = this.ctx.resolvePath(op.root);
    if (k === op.root || !this.ctx.isLocalVar(op.root)) return;
    if (!this.ctx.defsOf(op.root).some((d) => this.ctx.key(d) === NULL_KEY)) return;
    for (const f of [`truthy:${k}`, `isErr:${k}`]) if (s.facts.has(f)) wr(s, 'facts').delete(f);
    if (op.value === 'null' && this.testedAtoms.has(`truthy:${k}`)) wr(s, 'facts').set(`truthy:${k}`, false);
  }

  /** A file open for write on `key` on this path (no delegation can exist: nfsd does not grant one while it is). */
  isWriteOpen(s: State, key: string): boolean {
    if (s.facts.get(`wopen:${key}`) === true) return true;
    for (const w of this.cat.contexts.writeModeFlags) {
      for (const [fact, v] of s.facts) {
        if (!v || !fact.startsWith(`flag:${w.flag}:`)) continue;
        const obj = fact.slice(w.flag.length + 6);
        if (!obj.endsWith('.' + w.field)) continue;
        if (this.ctx.appendPath(obj.slice(0, -(w.field.length + 1)), w.inode) === key) return true;
      }
    }
    return false;
  }

  /** `key` (or the dentry it belongs to) is an inode no delegation can exist on: private, or on a pseudo filesystem. */
  noDelegation(s: State, key: string): boolean {
    const root = ExprContext.rootOf(key);
    if (
      this.opts.noDelegationGlobals?.has(root) &&
      !this.ctx.vars.has(root) &&
      (key === root || key === root + '.d_inode')
    )
      return true;
    for (const [fact, v] of s.facts) {
      if (!v) continue;
      if (fact.startsWith('nodeleg:')) {
        const k = fact.slice(8);
        if (k === key || key === k + '.d_inode') return true;
      } else if (fact.startsWith('flag:')) {
        const parts = fact.split(':');
        if (this.cat.contexts.privateFlags.includes(parts[1]) && parts.slice(2).join(':') === key) return true;
      }
    }
    return false;
  }

  /** Forget what we knew about a variable that now holds something else. */
  private forget(s: State, root: string, fieldOnly = false, path?: string, flagsKept = false): void {
    // A field written (`inode->i_mode = mode`): the variable still names the same object, so what is known of the
    // object itself (its delegation broken, no delegation possible on it, open for write) stays; facts about its
    // fields' values go.
    if (!fieldOnly) {
      for (const k of s.broken.keys()) {
        if (ExprContext.rootOf(k) === root) {
          wr(s, 'broken').delete(k);
        }
      }
    }
    for (const k of s.facts.keys()) {
      if (fieldOnly && (k.startsWith('nodeleg:') || k.startsWith('wopen:'))) continue;
      // A flag of another field (`attr.ia_file = file` leaves what is known of `attr.ia_valid`).
      // `w |= F` keeps what is known of w's other flags (the flagWord ops update F).
      if (fieldOnly && path && k.startsWith('flag:')) {
        const obj = k.split(':').slice(2).join(':');
        if (!overlaps(obj, path) || (flagsKept && obj === objectOfFlags(path))) continue;
      }
      if (this.factRoots(k).has(root)) wr(s, 'facts').delete(k);
    }
  }

  private readonly rootsMemo = new Map<string, Set<string>>();

  /** The variables a fact depends on (memoised: facts are few, tests of them many). */
  private factRoots(fact: string): Set<string> {
    let r = this.rootsMemo.get(fact);
    if (!r) {
      r = new Set<string>();
      const colon = fact.indexOf(':');
      const body = fact.slice(colon + 1);
      if (fact.startsWith('expr:')) {
        for (const m of body.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) r.add(m[0]);
      } else {
        for (const p of body.split('|')) r.add(ExprContext.rootOf(p.split(':').pop()!));
      }
      this.rootsMemo.set(fact, r);
    }
    return r;
  }

  private factMentions(fact: string, root: string): boolean {
    return this.factRoots(fact).has(root);
  }

  private applyLock(op: Extract<Op, { k: 'lock' }>, s: State): State[] {
    if (op.ifNonNull) {
      const f = s.facts.get(`truthy:${op.key}`);
      if (f === false) return [s];
      if (f === undefined && this.mayBeNull(op.key)) {
        const without = cloneState(s);
        wr(without, 'facts').set(`truthy:${op.key}`, false);
        wr(s, 'facts').set(`truthy:${op.key}`, true);
        return [this.addLock(op, s), without];
      }
    }
    return [this.addLock(op, s)];
  }

  /** The errno argument of a `statusOf` call (`nfserrno(err)`): its name and key. */
  private statusArgument(e: SNode | undefined): { name: string; key: string } | null {
    const c = errorPredicateCall(this.oc, e);
    return c?.kind === 'statusOf' ? c : null;
  }

  /**
   * `err = PTR_ERR(x)` where x is known here to be an error pointer: err is an error code; `status = nfserrno(err)`
   * (`nonzero`) where err is known here to be an error code or nonzero: status is an error status.
   */
  private knownErrorCode(codeOf: { name: string; key: string; nonzero?: boolean } | undefined, s: State): boolean {
    if (!codeOf) return false;
    if (s.facts.get(`isErr:${codeOf.key}`) === true || s.facts.get(`isErr:${codeOf.name}`) === true) return true;
    return (
      !!codeOf.nonzero &&
      (s.facts.get(`truthy:${codeOf.key}`) === true || s.facts.get(`truthy:${codeOf.name}`) === true)
    );
  }

  /** A blocking acquisition of a caller-provided inode's lock this path did not hold (for the summary's `takes`). */
  private noteTaken(s: State, key: string, cls: LockClass): void {
    if (cls !== 'inode' || s.lossy || !this.roleOf(key) || s.facts.get(`#took:${key}`)) return;
    wr(s, 'facts').set(`#took:${key}`, true);
  }

  /** A lease break of `key` on this path, or a callee's that may have been one (see `leaseTries`). */
  private noteLeaseTry(s: State, key: string): void {
    const f = LEASE_TRY + key;
    if (!s.facts.get(f)) wr(s, 'facts').set(f, true);
  }

  /** Drops the path's `eq:` facts that compare a field read (`c1.d_parent`), which another task may change. */
  private forgetFieldEqualities(s: State): void {
    for (const f of s.facts.keys()) if (f.startsWith('eq:') && f.includes('.', 3)) wr(s, 'facts').delete(f);
  }

  private mayBeNull(key: string): boolean {
    return this.repeatedAtoms.has(`truthy:${key}`);
  }

  private addLock(op: Extract<Op, { k: 'lock' }>, s: State): State {
    const l = s.locks.get(op.key);
    // Analysed as if the caller held it (a path released it without taking it), but this path has an API take it
    // while the caller would hold it: the caller cannot be holding it after all (6.19 cachefiles_get_directory
    // unlocks after a failed start_creating(), which takes that lock itself).
    if (
      l?.origin === 'entry' &&
      !s.lossy &&
      op.class === 'inode' &&
      // An API that takes the lock and fails with an error (start_creating, lock_rename_child): a plain inode_lock()
      // is often under a flag its unlock is correlated with (`if (flags & DIO_LOCKING)`), which the hypothesis covers.
      (op.when === 'nonerr' || op.when === 'zero' || op.when === 'nonnull') &&
      // A catalogued API, not a helper's summary (btrfs_inode_lock's is flag-dependent like a plain inode_lock).
      !op.helper &&
      this.entryHeld.includes(op.key) &&
      !this.contract.selfContract.some((c) => c.key === op.key && !this.entryHeld.includes(c.key))
    )
      this.refuted = true;
    if (l) {
      // A blocking acquire of an inode lock this path took itself and still holds: the task waits for
      // itself. A trylock (`when: nonzero`) fails instead; two shared holds of an rwsem are allowed.
      if (
        !s.lossy &&
        l.origin === 'local' &&
        l.class === op.class &&
        op.class === 'inode' &&
        op.when !== 'nonzero' &&
        (l.mode === 'exclusive' || op.mode === 'exclusive') &&
        // One call naming the same directory twice (`lock_rename(p, p)`, a rename within one directory) takes it once.
        !(op.again && l.site === op.node.start) &&
        !this.handedToUnknownCallee(op.key)
      ) {
        this.takenWhileHeld.add(op.key);
        for (const r of RULES) r.onLockHeld?.(this, op, s, l);
      }
      wr(s, 'locks').set(op.key, { ...l, count: Math.min(l.count + 1, 3) });
    }
    // Re-taking a lock the caller held on entry (dropped and re-acquired around a sleep) restores the caller's lock.
    // An asserted lock (`lockdep_assert_held`) re-taken after dropping it is the caller's lock too, and so is one this
    // path released without holding it (readdir's `inode_unlock_shared(); inode_lock();` upgrade of its caller's lock).
    else {
      const restores =
        this.entryHeld.includes(op.key) || !!s.facts.get(`#dropped:${op.key}`) || !!s.facts.get(`#released:${op.key}`);
      if (s.facts.get(`#released:${op.key}`)) {
        wr(s, 'facts').delete(`#released:${op.key}`);
        this.restoredCallerLocks.add(op.key);
        // If this acquisition fails (`start_renaming_dentry()` returns an error), the caller's lock stays released.
        if (op.when) wr(s, 'facts').set(`#retaken:${op.key}`, true);
      }
      if (!restores && op.when !== 'nonzero') this.noteTaken(s, op.key, op.class);
      wr(s, 'locks').set(op.key, {
        class: op.class,
        mode: op.mode,
        count: 1,
        origin: restores ? 'entry' : 'local',
        escapes: op.escapes,
        site: op.node.start,
        siteEnd: op.node.end,
        api: op.api,
      });
    }
    if (s.released.has(op.key)) wr(s, 'released').delete(op.key);
    if (s.facts.has(`#failedAcq:${op.key}`)) wr(s, 'facts').delete(`#failedAcq:${op.key}`);
    // Waiting for a lock lets other tasks run: what an equality of fields read before it said (`if (c1->d_parent ==
    // p2) { inode_lock(p2->d_inode); if (c1->d_parent == p2) ...`) is why code tests it again under the lock. Under
    // the rename lock no dentry changes its parent, so what was tested under it stays true.
    if (op.when !== 'nonzero' && ![...s.locks.values()].some((l) => l.class === 'rename'))
      this.forgetFieldEqualities(s);
    if (op.when && op.result)
      wr(s, 'pending').set(op.result, [...(s.pending.get(op.result) ?? []), { when: op.when, lock: op.key }]);
    return s;
  }

  private applyUnlock(op: Extract<Op, { k: 'unlock' }>, s: State): void {
    if (op.ifNonNull && s.facts.get(`truthy:${op.key}`) === false) return;
    // end_creating(ERR_PTR(...)) releases nothing.
    if (op.unlessErr?.some((k) => s.facts.get(`isErr:${k}`) === true)) return;
    const l = s.locks.get(op.key);
    const b = s.broken.get(op.key);
    if (b && !b.stale) wr(s, 'broken').set(op.key, { ...b, stale: true, staleSite: op.node.start });
    if (l) {
      if (l.count > 1) wr(s, 'locks').set(op.key, { ...l, count: l.count - 1 });
      else wr(s, 'locks').delete(op.key);
      // Remember certain releases only: a second release is a bug only if both were unconditional unlocks.
      if (l.origin === 'local' && (op.certain || op.always) && !l.escapes) wr(s, 'released').set(op.key, op.node.start);
      else if (l.origin === 'local' && s.released.has(op.key)) wr(s, 'released').delete(op.key);
      else if ((l.origin === 'entry' || l.origin === 'assert') && l.class === 'inode') {
        if (l.origin === 'assert') wr(s, 'facts').set(`#dropped:${op.key}`, true);
        this.noteRelease(op.key);
        this.markCallerLockRelease(op, s);
        if ((op.certain || op.always) && this.entryHeld.includes(op.key)) wr(s, 'released').set(op.key, op.node.start);
      }
      return;
    }
    const failed = s.facts.get(`#failedAcq:${op.key}`) ? this.failedAcq.get(op.key) : undefined;
    if (failed && !s.lossy && op.certain && (op.class === 'inode' || op.class === 'rename')) {
      // `d = start_creating(...); if (IS_ERR(d)) { inode_unlock(dir); ...}`: the failed call left nothing locked.
      for (const r of RULES)
        r.onUnlockUnheld?.(this, op, s, { kind: 'failedAcquire', site: failed.site, api: failed.api });
      return;
    }
    const prev = s.released.get(op.key);
    if (prev !== undefined && !s.lossy && op.certain && this.entryHeld.includes(op.key)) {
      // The same release reached again (a wait-and-retry loop): the caller cannot be holding it after all. A second
      // release elsewhere on the path releases the caller's lock twice (ovl_create_real's casefold mismatch).
      if (prev === op.node.start) this.refuted = true;
      else for (const r of RULES) r.onUnlockUnheld?.(this, op, s, { kind: 'double', prev });
      return;
    }
    if (prev !== undefined && !s.lossy && op.certain && (op.class === 'inode' || op.class === 'rename')) {
      for (const r of RULES) r.onUnlockUnheld?.(this, op, s, { kind: 'double', prev });
      return;
    }
    if (op.class === 'mutex' && this.isMutexParam(op.key)) {
      const role = this.roleOf(op.key);
      if (role && !this.summary.releases.some((r) => r.role === role))
        this.summary.releases.push({ role, class: 'mutex' });
      return;
    }
    if (op.class === 'inode') {
      this.noteRelease(op.key);
      this.markCallerLockRelease(op, s);
      if (!op.certain || s.lossy || this.ctx.paramIndexOfRoot(op.key) < 0 || this.entryHeld.includes(op.key)) return;
      // A catalogued API's contract says which locks its callers hold (and a documented acquirer's lock is never one
      // of them): releasing any other it never took is a bug, not a hint that the caller holds it (as for an
      // undocumented helper such as cachefiles_bury_object).
      if (this.contract.catalogued || this.contract.declaredLocks.has(op.key)) {
        for (const r of RULES) r.onUnlockUnheld?.(this, op, s, { kind: 'contract' });
      } else {
        this.callerHeld.add(op.key);
        if (!this.unheldReleases.some((f) => f.start === op.node.start))
          for (const r of RULES) r.onUnlockUnheld?.(this, op, s, { kind: 'callerMayHold' });
      }
    }
  }

  /**
   * `ac->ac_inode = alloc_inode` with alloc_inode locked here: the lock now travels with an object the caller holds
   * (ocfs2's allocation context, released by ocfs2_free_alloc_context), so returning with it is not a leak.
   */
  private handOver(node: SNode, s: State): void {
    if (node.type !== 'assignment_expression' || s.locks.size === 0) return;
    const [lhs, rhs] = node.children;
    if (lhs?.type !== 'field_expression' || !rhs) return;
    const path = this.ctx.rawPath(lhs);
    if (!path || this.ctx.paramIndexOfRoot(path) < 0) return;
    const k = this.ctx.key(rhs);
    const l = k ? s.locks.get(k) : undefined;
    if (k && l && l.origin === 'local' && !l.escapes) wr(s, 'locks').set(k, { ...l, escapes: true });
  }

  /** Records the locks this function itself took that a change (or a call that changes) happens under. */
  private noteUse(s: State): void {
    if (s.lossy) return;
    for (const [k, l] of s.locks)
      if (l.origin === 'local' && (l.class === 'inode' || l.class === 'rename')) this.usedUnder.add(k);
  }

  /** A `struct mutex *` parameter itself (`mutex_lock(m)` in a helper handed `&inode->i_mutex`). */
  private isMutexParam(key: string): boolean {
    return ExprContext.rootOf(key) === key && this.ctx.paramIndexOfRoot(key) >= 0;
  }

  /**
   * Mutex parameters this function locks and still holds on every return (a wrapper such as
   * `static void lock(struct mutex *m) { mutex_lock(m); }`): callers that hand it `&inode->i_mutex` hold the inode.
   */
  private mutexParamAcquires(exits: State[]): void {
    if (!exits.length) return;
    for (const [k, l] of exits[0].locks) {
      if (l.class !== 'mutex' || l.origin !== 'local' || !this.isMutexParam(k)) continue;
      if (!exits.every((x) => x.locks.get(k)?.origin === 'local')) continue;
      const role = this.roleOf(k);
      if (role && !this.summary.acquires.some((a) => a.role === role))
        this.summary.acquires.push({ role, class: 'mutex', mode: l.mode, when: 'always' });
    }
  }

  /** Marks the path, so that a release made only for some calls (a flags argument) is not summarised as made. */
  private markCallerLockRelease(op: Extract<Op, { k: 'unlock' }>, s: State): void {
    // A helper's release counts too (btrfs_inode_unlock() then btrfs_inode_lock() upgrades the caller's lock).
    const role = (op.certain || op.helper) && !s.lossy ? this.roleOf(op.key) : null;
    if (!role) return;
    this.callerLockReleases.set(op.key, role);
    wr(s, 'facts').set(`#released:${op.key}`, true);
  }

  private noteRelease(key: string): void {
    const role = this.roleOf(key);
    if (role && !this.summary.releases.some((r) => r.role === role)) this.summary.releases.push({ role });
  }

  /**
   * The path released `key`'s inode under another name it learnt only later was the same (`inode_unlock(ip2); if
   * (ip1 != ip2) inode_unlock(ip1);` with ip1 == ip2): the unlock of ip2 found nothing held under that name.
   */
  private releasedUnderAlias(s: State, key: string): boolean {
    return equalKeys(s, key).some((other) => s.facts.get(`#released:${other}`) === true);
  }

  heldExclusive(s: State, key: string): LockSt | null {
    for (const k of [key, ...equalKeys(s, key)]) {
      const l = s.locks.get(k);
      if (l && l.mode === 'exclusive') return l;
    }
    return null;
  }

  brokenOf(s: State, key: string) {
    for (const k of [key, ...equalKeys(s, key)]) {
      const b = s.broken.get(k);
      if (b) return b;
    }
    return undefined;
  }

  /**
   * An inode this function itself holds locked exclusively here (perhaps the reported one under a name the analysis
   * cannot equate): its name for the message and a related note pointing where it was locked.
   */
  otherLocalLock(s: State): { shown: string; related: Related } | undefined {
    const found = this.inodeLocksHeld(s, ['inode']).find(([, l]) => l.mode === 'exclusive' && l.origin === 'local');
    if (!found) return undefined;
    const [k, l] = found;
    const shown = this.show(k);
    return { shown, related: { start: l.site, end: l.siteEnd, message: `${shown} locked here (${l.api})` } };
  }

  inodeLocksHeld(s: State, classes: LockClass[] = ['inode', 'rename', 'spin']): [string, LockSt][] {
    return [...s.locks].filter(
      ([, l]) =>
        classes.includes(l.class) || (l.class === 'mutex' && l.origin !== 'assert' && classes.includes('mutex')),
    );
  }

  /** A parameter-derived inode the function never locks itself: its caller is responsible for the lock. */
  callerResponsible(s: State, key: string): boolean {
    if (this.ctx.paramIndexOfRoot(key) < 0) return false;
    // Freeze protection taken on this path: the caller cannot be holding an inode lock (lock order).
    if (s.facts.get('#outer')) return false;
    // A catalogued API's contract says exactly which locks its callers hold; nothing else is theirs.
    if (this.contract.catalogued) return false;
    if (this.lockKeysUsed.has(key)) return false;
    if (this.contract.selfContract.some((c) => c.key === key)) return false;
    return !s.locks.has(key);
  }

  /** `ret.d_parent.d_inode` for `ret.d_parent.d_inode` when `ret` is what every successful return returns. */
  private returnedRole(key: string): string | null {
    const root = ExprContext.rootOf(key);
    if (this.returnKeys.size !== 1 || !this.returnKeys.has(root) || !this.ctx.isLocalVar(root)) return null;
    return 'ret' + key.slice(root.length);
  }

  roleOf(key: string): string | null {
    const root = ExprContext.rootOf(key);
    const v = this.ctx.vars.get(root);
    if (!v || !v.isParam) return null;
    return `arg${v.paramIndex}${key.slice(root.length)}`;
  }

  private applyBreak(op: Extract<Op, { k: 'break' }>, s: State): void {
    for (const r of RULES) r.onBreak?.(this, op, s);
    if (op.kind === 'layout') return;
    if (op.blocking === true)
      this.noteSleeps(op.node, `${op.api}() on ${op.display} blocks until the lease or delegation is returned`, true);
    if (op.typeHasDeleg) {
      // try_break_deleg() may fail with -EWOULDBLOCK: the delegation is gone only where its result says 0.
      const unchecked = op.kind === 'deleg' && op.blocking === false && op.result ? op.result : undefined;
      wr(s, 'broken').set(op.key, {
        site: op.node.start,
        siteEnd: op.node.end,
        underLock: !!this.heldExclusive(s, op.key),
        stale: false,
        staleSite: 0,
        blocking: op.blocking === true,
        unchecked,
      });
      if (unchecked)
        wr(s, 'pending').set(unchecked, [
          ...(s.pending.get(unchecked) ?? []).filter((p) => p.brk !== op.key),
          { when: 'zero', brk: op.key },
        ]);
    }
    if (op.kind === 'lease') {
      this.noteLeaseTry(s, op.key);
      const a = s.access.get(op.key);
      const only = s.access.size === 1 ? [...s.access][0] : null;
      // break_lease() can fail (-EWOULDBLOCK for O_NONBLOCK, -EINTR): until its result is tested, the lease may stand.
      const target = a ? op.key : only && !only[1].broken ? only[0] : null;
      if (target) {
        const unchecked = op.result ?? undefined;
        wr(s, 'access').set(target, { ...s.access.get(target)!, broken: true, unchecked, failed: undefined });
        if (unchecked)
          wr(s, 'pending').set(unchecked, [
            ...(s.pending.get(unchecked) ?? []).filter((p) => p.leaseBrk !== target),
            { when: 'zero', leaseBrk: target },
          ]);
      } else wr(s, 'preBreak').set(op.key, op.node.start);
    }
    if (op.out) this.noteOut(op.out, s, op.node, op.api, [op.key]);
  }

  private noteOut(
    out: NonNullable<Extract<Op, { k: 'break' }>['out']>,
    s: State,
    node: SNode,
    api: string,
    breaks: string[],
    result: string | null = null,
  ): void {
    if (out.kind === 'local') {
      wr(s, 'deleg').set(out.name, { site: node.start, siteEnd: node.end, api });
      // The callee records the inode only when it fails with -EWOULDBLOCK: a success result clears it.
      if (result) {
        wr(s, 'pending').set(result, [...(s.pending.get(result) ?? []), { when: 'zero', deleg: out.name }]);
      }
    } else if (out.kind === 'param') {
      if (!this.summary.outParams.includes(out.index)) this.summary.outParams.push(out.index);
      for (const b of breaks) {
        const role = this.roleOf(b);
        if (role && !this.summary.breaks.includes(role)) this.summary.breaks.push(role);
      }
    }
  }

  /** The first sleep, or the first blocking one once there is one (it is what callers under an inode lock hear of). */
  private noteSleeps(node: SNode, what: string, blocking: boolean): void {
    if (!this.summary.sleeps || (blocking && !this.summary.sleeps.blocking))
      this.summary.sleeps = { site: node.start, what, blocking };
  }

  noteRequire(key: string, node: SNode, changes = false): void {
    const role = this.roleOf(key);
    if (!role) return;
    const had = this.summary.requires.find((r) => r.role === role);
    if (!had) this.summary.requires.push({ role, class: 'inode', site: node.start, ...(changes ? { changes } : {}) });
    else if (changes && !had.changes) had.changes = true;
  }

  private applyWait(op: Extract<Op, { k: 'wait' }>, s: State): void {
    for (const r of RULES) r.onWait?.(this, op, s);
    this.noteSleeps(op.node, `${op.api}() waits for a delegation to be returned`, true);
    if (op.di && s.deleg.has(op.di)) wr(s, 'deleg').delete(op.di);
  }

  private applyDelegOp(op: Extract<Op, { k: 'delegOp' }>, s: State, _nodeId: number): void {
    for (const r of RULES) r.onDelegOp?.(this, op, s);
    // NULL for delegated_inode: no break is credited to this call (rules/null-delegated-inode.ts speaks about it).
    if (op.out.kind === 'null') return;
    // A summarised helper that breaks (try_break_deleg inside, another file's or this one's) called with the inode
    // locked: its break is the caller's, at the call. (A helper that locks for itself, as lookup_open does, keeps
    // its break and change to itself.)
    if (this.oc.summaries.has(op.api) && !this.cat.calls.has(op.api)) {
      for (const k of op.breaks) {
        if (this.heldExclusive(s, k))
          wr(s, 'broken').set(k, {
            site: op.node.start,
            siteEnd: op.node.end,
            underLock: true,
            stale: false,
            staleSite: 0,
            blocking: false,
          });
        // Under a lock this function's caller holds (lookup_open, its parent locked by open_last_lookups): the break
        // is made where a direct try_break_deleg() would be, and the lock is the caller's requirement (the helper's
        // summary `requires` says so at this call).
        else if (!s.lossy && this.callerResponsible(s, k))
          wr(s, 'broken').set(k, {
            site: op.node.start,
            siteEnd: op.node.end,
            underLock: false,
            stale: false,
            staleSite: 0,
            blocking: false,
          });
      }
    }
    this.noteOut(op.out, s, op.node, op.api, op.breaks, op.result);
  }

  private applySleeps(op: Extract<Op, { k: 'sleeps' }>, s: State): void {
    this.noteSleeps(op.node, `${op.api}() ${op.why}`, op.blocking);
    for (const r of RULES) r.onSleeps?.(this, op, s);
  }

  isExempt(s: State): boolean {
    for (const [fact, v] of s.facts) {
      if (!v || !fact.startsWith('flag:')) continue;
      const flag = fact.split(':')[1];
      if (this.cat.exemptFlags.has(flag)) return true;
    }
    return false;
  }

  outParamName(): string | null {
    for (const p of this.unit.params) if (/delegated_inode/.test(p.type) || /inode \*\*/.test(p.type)) return p.name;
    for (const v of this.diVars) return '&' + v;
    // A context that must not wait (nfsd, ksmbd, NULL-passing callers): break without recording, return -EAGAIN.
    return messageContext().nonBlocking ? 'NULL' : null;
  }

  /** A local variable that names exactly this inode (`target`), else the expression the call used. */
  displayName(key: string, display: string): string {
    const id = key + '\u0000' + display;
    let name = this.displayNames.get(id);
    if (name === undefined) {
      const shown = this.show(key);
      name = /^[A-Za-z_]\w*$/.test(shown) && !this.ctx.vars.get(shown)?.isParam ? shown : display;
      this.displayNames.set(id, name);
    }
    return name;
  }

  private readonly displayNames = new Map<string, string>();

  private applyGrant(op: Extract<Op, { k: 'grant' }>, s: State, nodeId: number): void {
    if (s.lossy) return;
    // What the path knows of the grant's type: the delegation flag tested or set on the lease (or on the only one).
    let deleg: boolean | undefined;
    const obj = op.lease ? objectOfFlags(op.lease) : null;
    const delegFacts = [...s.facts].filter(
      ([f]) => f.startsWith('flag:') && this.cat.delegationFlags.has(f.split(':')[1]),
    );
    const exact = delegFacts.find(([f]) => obj !== null && f.endsWith(':' + obj));
    if (exact) deleg = exact[1];
    else if (delegFacts.length === 1) deleg = delegFacts[0][1];
    if (op.requireTypeFact && deleg === undefined) return;
    for (const r of RULES) r.onGrant?.(this, op, s, deleg, nodeId);
    // A grant that serialises itself (kernel_setlease) owes re-checks after it. From 6.19 a delegation may be on a
    // directory (nfsd_get_dir_deleg), which has no opens to conflict with: there, only a function that re-checks at
    // all (nfs4_set_delegation) is held to it. Before 6.19 every delegation is on a file.
    if (
      op.recheckAfter &&
      op.locksItself &&
      this.opts.dirRules &&
      !this.ops.some((ops) => ops.some((o) => o.k === 'conflictCheck'))
    )
      return;
    if (op.recheckAfter) {
      // What the grant owes: its conflicting-open check, plus any other verification this path made before the grant
      // (nfsd re-verifies the dentry after kernel_setlease(); doing it only before proves nothing).
      const missing = [
        ...new Set([...op.rechecks.filter((c) => c === 'opens' || s.facts.get(`#checked:${c}`)), 'opens']),
      ];
      // Not for a parameter this path already found NULL.
      const unlessNull = this.rechecksWhenParam(op).filter(([, p]) => s.facts.get(`truthy:${p}`) !== false);
      wr(s, 'grants').set(op.node.start, {
        site: op.node.start,
        siteEnd: op.node.end,
        rechecked: false,
        missing,
        ...(unlessNull.length ? { missingUnlessNull: unlessNull } : {}),
        api: op.locksItself ? op.api : undefined,
      });
    }
  }

  /**
   * The checks this grant owes where one of this function's parameters is not NULL: a parameter of the catalogued
   * type (nfsd's `struct svc_fh *parent`: the delegation is for a name), in the kernels that make the check.
   */
  private rechecksWhenParam(op: Extract<Op, { k: 'grant' }>): [string, string][] {
    // Parameter types come with their white space made single spaces (parse/units.ts).
    const bare = (t: string) =>
      t
        .split('*')
        .join(' ')
        .split(' ')
        .filter((w) => w && w !== 'const')
        .join(' ');
    const out: [string, string][] = [];
    for (const r of op.rechecksWhenParam) {
      if (r.since && compareVersions(this.opts.version, r.since) < 0) continue;
      for (const p of this.unit.params)
        if (p.name && p.type.includes('*') && bare(p.type) === bare(r.type)) out.push([r.check, p.name]);
    }
    return out;
  }

  private applyAccess(op: Extract<Op, { k: 'access' }>, s: State): void {
    wr(s, 'access').set(op.key, {
      kind: op.kind,
      site: op.node.start,
      siteEnd: op.node.end,
      broken: false,
      display: op.display,
    });
    if (op.when && op.result)
      wr(s, 'pending').set(op.result, [...(s.pending.get(op.result) ?? []), { when: op.when, access: op.key }]);
  }

  private applyDeferred(op: Extract<Op, { k: 'deferred' }>, s: State): void {
    const { ctx } = this;
    for (const d of op.callee.deferred) {
      let ruledOut = false;
      for (const role of d.unlessDir) {
        const k = ctx.instantiate(role, (i) => ctx.key(op.args[i]));
        if (k && s.facts.get(`isDir:${k}`) === true) ruledOut = true;
        if (k && (this.isWriteOpen(s, k) || this.noDelegation(s, k))) ruledOut = true;
      }
      if (s.lossy) ruledOut = true;
      this.deferredOutcomes.push({ finding: d, ruledOut });
    }
  }

  // ---------------------------------------------------------------- after the fixpoint

  /** The rules' checks at the returns: each (non-lossy) exit state, then all of them. */
  private checkExits(): void {
    if (typeof process !== 'undefined' && process.env?.VFSLOCK_DEBUG === this.unit.name) {
      for (const x of this.exits) {
        console.log(
          'EXIT',
          x.ret?.kind,
          x.ret ? this.src.slice(x.ret.site, x.ret.siteEnd) : '(end)',
          'locks',
          [...x.locks.keys()].join(','),
          'facts',
          [...x.facts].map(([k, v]) => `${k}=${v}`).join(' '),
          'deleg',
          [...x.deleg.keys()].join(','),
          x.lossy ? 'LOSSY' : '',
        );
      }
      for (const e of this.exitLocks())
        console.log('EXITLOCK', e.key, e.verdict, `held ${e.held.length} notHeld ${e.notHeld.length}`);
      console.log('SUMMARY', JSON.stringify({ ...this.summary, deferred: this.summary.deferred.length }));
    }
    for (const s of this.exits) {
      if (s.lossy) continue;
      for (const r of RULES) r.onExit?.(this, s);
    }
    for (const r of RULES) r.onExits?.(this, this.exits);
  }

  private exitLocksMemo: ExitLock[] | null = null;

  /** Which locally taken locks reach a return, and what that means (for lock/imbalance and the summary's `acquires`). */
  exitLocks(): readonly ExitLock[] {
    if (this.exitLocksMemo) return this.exitLocksMemo;
    const out: ExitLock[] = [];
    // Which locally taken locks reach a return?
    // Imbalance is checked for the VFS locks this tool is about (inode i_rwsem/i_mutex, the rename lock);
    // spinlocks and other mutexes are tracked only for "sleeping while holding".
    const keys = new Set<string>();
    for (const s of this.exits)
      for (const [k, l] of s.locks)
        if (l.origin === 'local' && (l.class === 'inode' || l.class === 'rename')) keys.add(k);
    const releasedByCallee = this.calleeReleasedLocks();
    for (const k of keys) {
      const held: State[] = [];
      const notHeld: State[] = [];
      for (const s of this.exits) {
        if (s.lossy) continue;
        const l = s.locks.get(k);
        (l && l.origin === 'local' && !this.releasedUnderAlias(s, k) ? held : notHeld).push(s);
      }
      if (!held.length || releasedByCallee.has(k)) continue;
      if (this.contract.declaredAcquires.has(k) || this.contract.declaredLocking) {
        out.push({ key: k, held, notHeld, errHeld: [], verdict: 'declared' });
        continue;
      }
      if (held.every((s) => s.locks.get(k)!.escapes)) continue;
      const errHeld = held.filter((s) => s.ret?.kind === 'err' && !s.locks.get(k)!.escapes);
      // Held where the function returns what a call made under the lock returned, untested (`inode_lock(i); err =
      // set_attr(...); return err;`): a lock helper's callers learn from its result whether it holds the lock, and
      // here it is held whatever that call returned, failure included.
      let untested: ExitLock['untested'];
      // Not for a method only an ops table names (lock/imbalance says that its callers release nothing).
      if (
        !errHeld.length &&
        notHeld.length &&
        !this.usedUnder.has(k) &&
        !this.releasesThroughHelper() &&
        !(this.opts.methodOnly && this.unit.isStatic)
      )
        for (const s of held) {
          // (Taken again while held: that is reported where it is taken, and explains what is still held here.)
          const l = s.locks.get(k)!;
          const u = l.escapes || this.takenWhileHeld.has(k) ? null : this.returnsUntestedCallResult(s, k);
          if (!u) continue;
          errHeld.push(s);
          untested ??= u;
        }
      // Held on every return, or on every successful one, after the function made a change under it: it is not
      // a helper returning locked (start_dirop takes the lock for its caller's change) but a missing unlock.
      const verdict =
        errHeld.length && notHeld.length ? 'leak' : this.usedUnder.has(k) ? 'leakAfterUse' : 'returnsLocked';
      const unreachable =
        verdict === 'returnsLocked' && this.unreachableObject(k, Math.min(...held.map((s) => s.locks.get(k)!.site)));
      out.push({
        key: k,
        held,
        notHeld,
        errHeld,
        verdict,
        ...(untested && verdict === 'leak' ? { untested } : {}),
        ...(unreachable ? { unreachable } : {}),
      });
    }
    return (this.exitLocksMemo = out);
  }

  /**
   * The object `k` belongs to is named only through a local variable no caller can see: not a parameter, never
   * returned or stored (its value is not assigned anywhere, its address not kept), and after `lockSite` handed to no
   * call that might keep it (only to catalogued or summarised calls, accessors and reference counting). A lock on it
   * held at a return can be released by nobody.
   */
  private unreachableObject(k: string, lockSite: number): boolean {
    const root = ExprContext.rootOf(k);
    if (!this.ctx.isLocalVar(root) || this.roleOf(k) || this.contract.declaredLocking) return false;
    for (const r of this.returnKeys) if (r === '#other' || ExprContext.rootOf(r) === root) return false;
    const stack: SNode[] = [this.body];
    while (stack.length) {
      const n = stack.pop()!;
      for (const c of n.children) stack.push(c);
      if (n.type === 'identifier' && this.ctx.text(n) === root && this.useMayKeep(n, root, lockSite)) return false;
    }
    return true;
  }

  /** The expression `e`, which names (part of) the local `root`, is used where its value may be kept. */
  private useMayKeep(e: SNode, root: string, lockSite: number): boolean {
    // Climb through member reads, `&`, `*`, casts and parentheses to the expression the variable is used in.
    while (
      e.parent &&
      (e.parent.type === 'field_expression' ||
        e.parent.type === 'parenthesized_expression' ||
        e.parent.type === 'pointer_expression' ||
        e.parent.type === 'subscript_expression' ||
        e.parent.type === 'cast_expression')
    )
      e = e.parent;
    const p = e.parent;
    if (!p) return true;
    // A definition of the variable (or of a member of it) keeps nothing; being assigned elsewhere keeps its value.
    if (p.type === 'assignment_expression' || p.type === 'init_declarator') return p.children[0] !== e;
    if (p.type === 'argument_list') {
      const call = p.parent;
      const fn = call?.children[0];
      const name = fn?.type === 'identifier' ? this.ctx.text(fn) : null;
      if (!call || !name) return true;
      // An accessor of the same object (`BTRFS_I(dir)`): what matters is where its result goes.
      const ck = this.ctx.key(call);
      if (ck && ExprContext.rootOf(ck) === root) return this.useMayKeep(call, root, lockSite);
      return !(call.start < lockSite || this.knownCall(name, true));
    }
    return p.type === 'return_statement' || p.type === 'initializer_list' || p.type === 'compound_literal_expression';
  }

  /**
   * `return err;` on `s` (an int-returning function), where err's value is not known on that path, no assignment of it
   * is a lock API's result, and one is the result of a call made after `k` was taken (so it can fail with `k` held).
   */
  private returnsUntestedCallResult(s: State, k: string): ExitLock['untested'] | null {
    const r = s.ret;
    if (!r || r.kind !== 'unknown' || r.conditional?.length || this.returnsPointer()) return null;
    // A callee that may lock or unlock something the analysis cannot name (`#maybe-locked`) may have released it.
    if (s.facts.get('#maybe-locked') === true) return null;
    const e = this.cfgReturnExpr(r.site);
    // `return nfserrno(host_err);` (a `statusOf` call) returns what the errno is: the errno is the value.
    const status = e?.type === 'call_expression' ? this.statusArgument(e) : null;
    const name = e?.type === 'identifier' ? this.ctx.text(e) : (status?.name ?? null);
    if (!name || !this.ctx.isLocalVar(name) || s.facts.get(`truthy:${name}`) !== undefined) return null;
    if (s.pending.has(name)) return null;
    const lockSite = s.locks.get(k)!.site;
    const defs = this.ctx.defsOf(name);
    if (!defs.length) return null;
    const lockApi = (d: SNode) => {
      const fn = d.children[0];
      // A filesystem method (`inode->i_op->getxattr(...)`) does the operation; it is not a lock helper.
      if (fn?.type === 'field_expression') return false;
      const callee = fn?.type === 'identifier' ? this.ctx.text(fn) : null;
      return !callee || this.cat.calls.has(callee) || !!this.oc.summaries.get(callee)?.acquires.length;
    };
    // No assignment of it is a lock API's result (`err = down_write_killable(...)`), and one made after the lock is
    // a call's result.
    if (defs.some((d) => d.type === 'call_expression' && lockApi(d) && this.isLockCall(d))) return null;
    const d = defs.find((x) => x.type === 'call_expression' && x.start > lockSite && !lockApi(x));
    if (!d) return null;
    // A call after the value was last set hands the locked object to a function without a summary: that one may have
    // released it (the calls before work in the locked directory, as lookups and links do).
    if (this.handedToUnknownCallee(k, true, Math.max(...defs.map((x) => x.end)))) return null;
    const callee = this.ctx.text(d.children[0]);
    return status ? { name, callee, status: this.ctx.text(e!.children[0]) } : { name, callee };
  }

  /**
   * Some call releases a lock through a helper (a summary's release, or an unknown helper named like an unlock):
   * finish_automount's unlock_mount(mp) releases the dentry's inode lock under a name the analysis cannot match.
   */
  private releasesThroughHelper(): boolean {
    return this.ops.some((ops) => ops.some((o) => (o.k === 'unlock' && o.helper) || o.k === 'unknownUnlockHelper'));
  }

  /** A call of a catalogued API that takes or releases a lock. */
  private isLockCall(d: SNode): boolean {
    const fn = d.children[0];
    const name = fn?.type === 'identifier' ? this.ctx.text(fn) : null;
    const entries = name ? this.cat.calls.get(name) : undefined;
    return !!entries?.some((e) => e.effects.some((x) => x.op === 'lock' || x.op === 'unlock'));
  }

  /** The expression a `return` at `site` returns. */
  private cfgReturnExpr(site: number): SNode | null {
    const node = this.cfg.nodes.find((n) => n.kind === 'return' && n.ast?.start === site);
    return node?.exprs[0] ?? null;
  }

  /** Locks held on successful returns only: the function returns locked (`acquires`), or may (`mayLock`). */
  private lockedReturns(): void {
    for (const { key: k, held, notHeld, verdict } of this.exitLocks()) {
      if (verdict !== 'returnsLocked') continue;
      // Held on some successful returns and not on others (`if (lock_flags & XFS_IOLOCK_EXCL) down_write(...)`): what
      // decides it is not the result, so callers cannot tell; they only learn that a lock may be held.
      const success = (x: State) =>
        !x.ret ||
        x.ret.kind === 'ok' ||
        (x.ret.kind === 'unknown' && /^return\s*;$/.test(this.src.slice(x.ret.site, x.ret.siteEnd)));
      if (notHeld.some(success) && held.some(success)) {
        this.conditionalLock = true;
        continue;
      }
      // Held on every successful return and on no failing one: the function returns locked (like start_dirop).
      const role = this.roleOf(k) ?? this.returnedRole(k);
      const l = held[0].locks.get(k)!;
      if (role) {
        const inherited = held.map((s) => s.ret?.conditional?.find((c) => c.lock === k)?.when).find((w) => w);
        const when =
          inherited === 'nonerr' || inherited === 'zero'
            ? inherited
            : notHeld.length
              ? this.returnsPointer()
                ? 'nonerr'
                : 'zero'
              : 'always';
        if (!this.summary.acquires.some((a) => a.role === role))
          this.summary.acquires.push({ role, class: l.class, mode: l.mode, when });
      }
    }
  }

  /** `k` is a documented release's or acquisition's lock key, or a prefix of one (`p1` for `p1.d_inode`). */
  private isReleaseSubject(k: string): boolean {
    if (!this.releaseSubjects) {
      this.releaseSubjects = new Set();
      for (const key of [...this.contract.declaredReleases, ...this.contract.declaredLocks.keys()]) {
        for (let i = key.indexOf('.'); i >= 0; i = key.indexOf('.', i + 1)) this.releaseSubjects.add(key.slice(0, i));
        this.releaseSubjects.add(key);
      }
    }
    return this.releaseSubjects.has(k);
  }

  /** `return f(...)`, or `return res` with `res = f(...)`, where f is not in the catalogue (its effects are a summary's). */
  private returnsUncataloguedCall(e: SNode): boolean {
    const uncatalogued = (x: SNode) =>
      x.type === 'call_expression' &&
      x.children[0]?.type === 'identifier' &&
      !this.cat.calls.has(this.ctx.text(x.children[0]));
    if (e.type === 'call_expression') return uncatalogued(e);
    if (e.type !== 'identifier') return false;
    const defs = this.ctx.defsOf(this.ctx.text(e));
    return defs.length > 0 && defs.every(uncatalogued);
  }

  /**
   * Locks whose release is guarded by a flag a callee sets through a pointer (`btrfs_encoded_read_inline(..., &unlocked)`
   * then `if (!unlocked) btrfs_inode_unlock(...)`): the callee may have released the lock itself and said so, which
   * this per-function analysis cannot see. Paths that skip the release are not reported as leaks.
   */
  private calleeReleasedLocks(): Set<string> {
    const out = new Set<string>();
    const unlocks = this.ops.flat().filter((o): o is Extract<Op, { k: 'unlock' }> => o.k === 'unlock');
    if (!unlocks.length) return out;
    let escaped: Set<string> | null = null;
    for (const u of unlocks) {
      for (let n: SNode | null = u.node; n && n !== this.body; n = n.parent) {
        const parent: SNode | null = n.parent;
        if (!parent || parent.type !== 'if_statement' || parent.children[0] === n) continue;
        escaped ??= this.addressArguments();
        const tested = identifiersOf(this.ctx, parent.children[0]);
        if ([...tested].some((id) => escaped!.has(id))) out.add(u.key);
        // `m1 = &sb->s_vfs_rename_mutex` once locked, then `if (m1) mutex_unlock(m1)`: the pointer itself records
        // whether the lock was taken, which path-by-path facts about NULL do not follow.
        const arg = u.node.children[1]?.children[0];
        if (arg?.type === 'identifier' && tested.has(this.ctx.text(arg)) && this.holdsAddress(this.ctx.text(arg)))
          out.add(u.key);
      }
    }
    return out;
  }

  private handedToUnknownMemo: Map<string, boolean> | null = null;

  /**
   * Whether the function hands the object that `key` belongs to (`cache->store` for `d_inode(cache->store)`, or
   * `cache` itself) to a call it knows nothing of: neither catalogued nor summarised (a function of another file
   * without the tree's index). Such a call may release the lock (cachefiles_bury_object unlocks the directory it is
   * given), so a second acquire after it is not known to find the lock held. `namedOnly`: only calls of functions by
   * name count, not calls through a method pointer (`->listxattr(dentry, ...)`), which never release the caller's lock.
   * `from`: only calls that start at or after that offset.
   */
  handedToUnknownCallee(key: string, namedOnly = false, from = 0): boolean {
    this.handedToUnknownMemo ??= new Map();
    const memoKey = `${namedOnly}|${from}|${key}`;
    const memo = this.handedToUnknownMemo.get(memoKey);
    if (memo !== undefined) return memo;
    let found = false;
    const stack: SNode[] = [this.body];
    while (stack.length && !found) {
      const n = stack.pop()!;
      if (n.type === 'call_expression' && n.start >= from) {
        const fn = n.children[0];
        const name = fn?.type === 'identifier' ? this.ctx.text(fn) : null;
        // An accessor, predicate or assertion (`d_inode(dir)`) releases nothing.
        if (name ? !this.knownCall(name, true) : !namedOnly)
          for (const a of n.children[1]?.children ?? []) {
            const k = this.ctx.key(a);
            if (k && (k === key || key.startsWith(k + '.'))) found = true;
          }
      }
      for (const c of n.children) stack.push(c);
    }
    this.handedToUnknownMemo.set(memoKey, found);
    return found;
  }

  /** A call the analysis knows: catalogued or summarised, or (`wide`) an accessor, predicate or assertion. */
  private knownCall(name: string, wide: boolean): boolean {
    if (this.cat.calls.has(name) || this.oc.summaries.has(name) || this.opts.knownBodies?.has(name)) return true;
    // Reference counting (dput, iput...) keeps and releases no lock.
    if (this.cat.referenceCalls.has(name)) return true;
    return (
      wide &&
      (this.cat.accessors.has(name) ||
        this.cat.transparent.has(name) ||
        this.cat.predicates.has(name) ||
        this.cat.asserts.has(name) ||
        this.cat.lockedPredicates.has(name))
    );
  }

  /** A local pointer assigned an address (`m1 = &x`) somewhere in the function. */
  private holdsAddress(name: string): boolean {
    const v = this.ctx.vars.get(name);
    if (!v || v.isParam) return false;
    return this.ctx.defsOf(name).some((d) => d.type === 'pointer_expression' && prefixOperator(this.src, d) === '&');
  }

  /** Local variables whose address is passed to a call (`f(&flag)`). */
  private addressArguments(): Set<string> {
    const out = new Set<string>();
    const stack: SNode[] = [this.body];
    while (stack.length) {
      const n = stack.pop()!;
      if (n.type === 'argument_list') {
        for (const a of n.children) {
          const operand = a.children[0];
          if (
            a.type === 'pointer_expression' &&
            operand?.type === 'identifier' &&
            prefixOperator(this.src, a) === '&'
          ) {
            const name = this.src.slice(operand.start, operand.end);
            if (this.ctx.vars.get(name) && !this.ctx.vars.get(name)!.isParam) out.add(name);
          }
        }
      }
      for (const c of n.children) stack.push(c);
    }
    return out;
  }

  /** Records what the returned dentry's parent is, when the return value comes from a childOf API. */
  private noteReturnedChild(e: SNode): void {
    if (this.childOfRet === null) return;
    let parent: string | null = null;
    if (e.type === 'call_expression') parent = childOfAlias(this.oc, e);
    else if (e.type === 'identifier') {
      const k = this.ctx.resolvePath(this.ctx.text(e) + '.d_parent');
      parent = k !== this.ctx.text(e) + '.d_parent' ? k : null;
    }
    const role = parent ? this.roleOf(parent) : null;
    if (!role || (this.childOfRet !== undefined && this.childOfRet !== role)) this.childOfRet = null;
    else this.childOfRet = role;
  }

  private returnsPointer(): boolean {
    const head = this.src.slice(this.unit.start, this.unit.nameStart);
    return head.includes('*');
  }

  private finishSummary(): void {
    const s = this.summary;
    const exits = this.exits.filter((x) => !x.lossy);
    this.lockedReturns();
    this.mutexParamAcquires(exits);
    this.takenLocks(exits);
    s.deferred = this.deferred;
    if (this.childOfRet) s.childOfRet = this.childOfRet;
    // The relations between parameters its calls require are its callers' to keep (a wrapper of vfs_mkdir()).
    for (const rel of this.argRelations) {
      const child = this.roleOf(rel.child);
      const parent = this.roleOf(rel.parent);
      if (!child || !parent) continue;
      const list = (s.argChildren ??= []);
      if (!list.some((r) => r.child === child && r.parent === parent && !!r.parentInode === rel.parentInode))
        list.push(rel.parentInode ? { child, parent, parentInode: true } : { child, parent });
    }
    if (this.returnKeys.size === 1) {
      const role = this.roleOf([...this.returnKeys][0]);
      if (role && role.includes('.')) s.returns = role;
    }
    s.leaseBreaks = this.leaseBreaksOnEveryPath(exits);
    if (!s.leaseBreaks.length) delete s.leaseBreaks;
    const tries = this.leaseBreaksOnSomePath(exits, s.leaseBreaks ?? []);
    if (tries.length) s.leaseTries = tries;
    // A caller's lock this function releases on some successful returns and not on others, whatever it returns
    // (`if (lock_flags & XFS_IOLOCK_EXCL) up_write(&VFS_I(ip)->i_rwsem)`): which calls release it depends on the
    // arguments, so it is not summarised as a release (as a lock taken only for some flags is not an acquisition).
    const success = exits.filter((x) => x.ret?.kind !== 'err');
    const failing = exits.filter((x) => x.ret?.kind === 'err');
    const noLossyExit = this.exits.every((x) => !x.lossy);
    for (const [key, role] of this.callerLockReleases) {
      // Released under an equal name counts (`inode_unlock(ip2); if (ip1 != ip2) inode_unlock(ip1);`).
      const released = (x: State) => x.facts.get(`#released:${key}`) === true || this.releasedUnderAlias(x, key);
      const made = success.filter(released).length;
      // Released and taken again on every successful path (an upgrade): the caller gets its lock back.
      const restored = !made && this.restoredCallerLocks.has(key);
      if ((made && made < success.length) || restored)
        s.releases = s.releases.filter((r) => r.role !== role || r.class === 'mutex');
      // A failing return of the ERR_PTR the caller passed as the child of the locked directory (`if
      // (IS_ERR(newdentry)) return newdentry;` where `end_creating(newdentry)` releases the lock elsewhere): the
      // caller's start_creating() failed, so it holds no lock to release.
      const vacuous = (x: State) =>
        !!x.ret?.passesParam &&
        x.facts.get(`isErr:${x.ret.passesParam}`) === true &&
        this.ctx.appendPath(x.ret.passesParam, 'd_parent.d_inode') === key;
      const releasedOnFailure = failing.filter((x) => released(x) || vacuous(x)).length;
      // Not when another unlock in the function may be the same lock under a name the analysis cannot match
      // (nfsd_create_locked: vfs_mkdir() releases `dirp` on failure, end_creating(dchild) on every other path).
      const otherUnlock = this.ops.some((ops) =>
        ops.some((o) => o.k === 'unlock' && o.class === 'inode' && o.key !== key && !o.whenErr),
      );
      if (!made && !restored && !otherUnlock && success.length && releasedOnFailure) {
        if (releasedOnFailure === failing.length) {
          // Released on every failing return and on no successful one (`if (IS_ERR(d)) { inode_unlock(dir); return
          // d; }`, or a callee that unlocks when it fails): callers learn it from the result.
          const onFailure = this.returnsPointer() ? 'errptr' : 'nonzero';
          s.releases = s.releases.map((r) => (r.role === role && r.class !== 'mutex' ? { ...r, onFailure } : r));
        } else {
          // Released on some failing returns only, never on success: which failures release it is not something
          // callers can tell, so it is not summarised as a release (a failing return keeping the lock is then the
          // callers' leak to see).
          s.releases = s.releases.filter((r) => r.role !== role || r.class === 'mutex');
        }
      }
      // Released on every return, failing ones included: a caller's later release of it is a second one.
      if (exits.length && noLossyExit && exits.every(released))
        s.releases = s.releases.map((r) =>
          r.role === role && !r.onFailure && r.class !== 'mutex' ? { ...r, always: true } : r,
        );
    }
    // `return vfs_mkdir(...)`: the caller's lock is released when this function's result is an ERR_PTR.
    for (const x of exits)
      for (const k of x.ret?.releasesOnErr ?? []) {
        const role = this.roleOf(k);
        if (role && !s.releases.some((r) => r.role === role)) s.releases.push({ role, onFailure: 'errptr' });
      }
    s.mayLock =
      this.conditionalLock ||
      (this.exits.some((x) => !x.lossy && x.ret?.kind !== 'err' && x.facts.get('#maybe-locked') === true) &&
        !this.exits.some(
          (x) => !x.lossy && x.ret?.kind !== 'err' && x.facts.get('#maybe-locked') !== true && x.locks.size === 0,
        ))
        ? true
        : undefined;
    s.isEmpty =
      !s.childOfRet &&
      !s.argChildren &&
      !s.mayLock &&
      !s.returns &&
      !s.outParams.length &&
      !s.breaks.length &&
      !s.leaseBreaks &&
      !s.leaseTries &&
      !s.requires.length &&
      !s.mutates.length &&
      !s.sleeps &&
      !s.acquires.length &&
      !s.takes?.length &&
      !s.releases.length &&
      !s.deferred.length;
    if (typeof process !== 'undefined' && process.env?.VFSLOCK_DEBUG === this.unit.name)
      console.log('FINAL SUMMARY', JSON.stringify({ ...s, deferred: s.deferred.length }));
  }

  /**
   * Caller-provided inode locks taken (blocking) on every path to a successful return and not held at it: a caller
   * holding one deadlocks in this function (`takes`). Not a lock it returns holding (`acquires` says that), requires,
   * or releases (then it drops its caller's lock first).
   */
  private takenLocks(exits: State[]): void {
    const s = this.summary;
    const success = exits.filter((x) => x.ret?.kind !== 'err');
    if (!success.length) return;
    const takes: NonNullable<Summary['takes']> = [];
    for (const f of success[0].facts.keys()) {
      if (!f.startsWith('#took:')) continue;
      const key = f.slice(6);
      const role = this.roleOf(key);
      if (!role || !success.every((x) => x.facts.get(f) === true && !x.locks.has(key))) continue;
      if (s.acquires.some((a) => a.role === role) || s.requires.some((r) => r.role === role)) continue;
      if (s.releases.some((r) => r.role === role)) continue;
      const mode = this.lockModeAt(key);
      if (!takes.some((t) => t.role === role)) takes.push({ role, mode });
    }
    if (takes.length) s.takes = takes;
  }

  /** How the function takes `key`'s lock (exclusive unless every acquisition of it is shared). */
  private lockModeAt(key: string): 'exclusive' | 'shared' {
    const modes = this.ops.flatMap((ops) =>
      ops.flatMap((o) => ((o.k === 'lock' || o.k === 'takes') && o.key === key ? [o.mode] : [])),
    );
    return modes.length && modes.every((m) => m === 'shared') ? 'shared' : 'exclusive';
  }

  /**
   * Caller-provided inodes whose leases this function breaks before any access of its own, on every path that
   * returns (`static int h(struct inode *i, unsigned m) { return break_lease(i, m); }`): a caller is credited with the
   * break at the call, as if written there. A break on some paths only is not credited.
   */
  private leaseBreaksOnEveryPath(exits: State[]): { role: string; deleg: boolean }[] {
    if (!exits.length) return [];
    const out: { role: string; deleg: boolean }[] = [];
    for (const k of exits[0].preBreak.keys()) {
      if (!exits.every((x) => x.preBreak.has(k))) continue;
      const role = this.roleOf(k);
      if (!role) continue;
      const deleg = exits.every((x) => {
        const b = x.broken.get(k);
        return !!b && !b.unchecked && !b.failed;
      });
      out.push({ role, deleg });
    }
    return out;
  }

  /** Caller-provided inodes whose leases some paths to a return break, and not every one (see `leaseTries`). */
  private leaseBreaksOnSomePath(exits: State[], everyPath: { role: string }[]): string[] {
    const roles = new Set<string>();
    for (const x of exits)
      for (const f of x.facts.keys()) {
        if (!f.startsWith(LEASE_TRY)) continue;
        const role = this.roleOf(f.slice(LEASE_TRY.length));
        if (role && !everyPath.some((b) => b.role === role)) roles.add(role);
      }
    return [...roles].sort();
  }

  // ---------------------------------------------------------------- reporting

  show(key: string): string {
    // A global lock the catalogue names (`@s_vfs_rename_mutex`): its name.
    if (key.startsWith('@')) return key.slice(1);
    const root = ExprContext.rootOf(key);
    const rest = key.slice(root.length + 1);
    // Prefer a local variable that aliases this exact key (`target` for `dentry.d_inode`); of several, the one the
    // function uses most (`inode` over `real_inode = d_real_inode(...)`, which the catalogue reads as the same inode).
    let best: string | null = null;
    for (const [name, v] of this.ctx.vars) {
      if (v.isParam || name === key) continue;
      if (this.ctx.resolvePath(name) !== key) continue;
      if (best === null || this.usesOf(name) > this.usesOf(best)) best = name;
    }
    return best ?? describePath(root, rest, this.ctx.isStructValue(root));
  }

  private identUses: Map<string, number> | null = null;

  /** How often an identifier appears in the function's body. */
  private usesOf(name: string): number {
    if (!this.identUses) {
      const m = new Map<string, number>();
      const stack = [this.body];
      while (stack.length) {
        const n = stack.pop()!;
        if (n.type === 'identifier') {
          const t = this.ctx.text(n);
          m.set(t, (m.get(t) ?? 0) + 1);
        }
        for (const c of n.children) stack.push(c);
      }
      this.identUses = m;
    }
    return this.identUses.get(name) ?? 0;
  }

  make(
    ruleId: RuleId,
    severity: Severity,
    start: number,
    end: number,
    inode: string,
    message: string,
    related: Related[],
  ): Finding {
    const configured = this.opts.severity?.[ruleId];
    const { message: headline, detail } = splitMessage(message);
    return {
      ruleId,
      severity: configured && configured !== 'off' ? configured : severity,
      start,
      end,
      function: this.unit.name,
      inode,
      message: headline,
      related,
      ...(detail ? { detail } : {}),
    };
  }

  report(
    ruleId: RuleId,
    severity: Severity,
    node: Pick<SNode, 'start' | 'end'>,
    key: string,
    message: string,
    related: Related[],
    fix?: Finding['fix'],
  ): void {
    const f = this.make(ruleId, severity, node.start, node.end, key ? this.show(key) : '', message, related);
    if (fix) f.fix = fix;
    this.add(f);
  }

  add(f: Finding): void {
    if (this.opts.severity?.[f.ruleId] === 'off') return;
    const id = `${f.ruleId}@${f.start}:${f.inode}`;
    if (!this.findings.has(id)) this.findings.set(id, f);
  }

  note(f: Finding): void {
    this.notes.push(f);
  }

  // ---------------------------------------------------------------- the rest of RuleContext

  /** A local that names different objects on different paths (`d = f(); ... d = g();`): not a stable name. */
  assignedMoreThanOnce(root: string): boolean {
    return this.ctx.isReassigned(root) && (this.ctx.assignCount.get(root) ?? 0) > 1;
  }

  isParentOf(held: string, key: string): boolean {
    const suffix = '.d_inode';
    if (!key.endsWith(suffix) || !held.endsWith(suffix)) return false;
    const dentry = key.slice(0, -suffix.length);
    const parent = this.ctx.resolvePath(dentry + '.d_parent');
    return parent !== dentry + '.d_parent' && parent + suffix === held;
  }

  hasSummary(name: string): boolean {
    return this.oc.summaries.has(name);
  }

  /**
   * A change of a caller-provided inode without a break, for the callers to break first. One entry per role and
   * kind, the most severe: an `info` change seen first (->atomic_open) must not hide an unbroken `error` change of
   * the same inode later (->create).
   */
  chargeCallers(entry: RoleMutation): void {
    // The flags of a caller's word the change happens under here: this function's own tests and the callee's.
    this.guards ??= new FlagGuards(
      this.cfg,
      this.oc,
      this.body,
      (a) => this.atomInfo(a),
      (k) => this.roleOf(k),
    );
    const onlyIf = [...this.guards.at(this.curNode), ...(entry.onlyIf ?? [])];
    const e: RoleMutation = { ...entry };
    if (onlyIf.length) e.onlyIf = onlyIf;
    else delete e.onlyIf;
    this.summary.mutates = addRoleMutation(this.summary.mutates, e);
  }

  /** The CFG node whose ops are being applied. */
  private curNode = -1;
  private guards: FlagGuards | null = null;

  markDeferrable(): void {
    this.deferrable = true;
  }

  private deferrable = false;

  deferToCallers(d: DeferredFinding): void {
    if (!this.deferred.some((x) => x.finding.start === d.finding.start && x.finding.inode === d.finding.inode))
      this.deferred.push(d);
  }

  reportUnlessCallerHolds(f: Finding): void {
    this.unheldReleases.push(f);
  }

  local<T>(name: string, init: () => T): T {
    if (!this.locals.has(name)) this.locals.set(name, init());
    return this.locals.get(name) as T;
  }
}

/** One access path is the other or lies inside it (`attr` and `attr.ia_valid`; not `attr.ia_valid` and `attr.ia_file`). */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(b + '.') || b.startsWith(a + '.');
}

const EVENT_RANK = ['wait', 'break', 'delegOp', 'mutate', 'summaryMutate', 'grant', 'access', 'open', 'lock', 'unlock'];
function eventRank(k: string): number {
  const i = EVENT_RANK.indexOf(k);
  return i < 0 ? EVENT_RANK.length : i;
}

/** The target and blocking-ness of an event, for hovers. */
function eventDetail(op: Op): { target?: string; blocking?: boolean | null } {
  switch (op.k) {
    case 'break':
      return { target: op.display, blocking: op.blocking };
    case 'wait':
      return { target: op.di ?? undefined, blocking: true };
    case 'lock':
    case 'mutate':
    case 'access':
    case 'requireAtCall':
    case 'summaryMutate':
      return { target: op.display };
    case 'delegOp':
      return { target: op.display.join(', ') };
    default:
      return {};
  }
}

/** The keys an `eq:` fact of this path says name the same object as `key` (`if (ip1 == ip2)` taken). */
function equalKeys(s: State, key: string): string[] {
  const out: string[] = [];
  for (const [fact, v] of s.facts) {
    if (!v || !fact.startsWith('eq:')) continue;
    const [a, b] = fact.slice(3).split('|');
    const other = a === key ? b : b === key ? a : null;
    if (other) out.push(other);
  }
  return out;
}
