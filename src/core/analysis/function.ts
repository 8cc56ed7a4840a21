/**
 * Analysis of one function: build its CFG, run the path-sensitive dataflow over lock/break/change events, check
 * the rules on every path, and summarise what callers in the same file need to know.
 */
import type { Catalogue, LockClass } from '../catalogue/catalogue';
import { selectVariant } from '../catalogue/catalogue';
import { buildCfg, type Cfg, type CfgNode } from '../cfg/cfg';
import { prefixOperator, type SNode } from '../parse/syntax';
import type { FunctionUnit } from '../parse/units';
import { ExprContext, NULL_KEY, identifiersOf } from './expr';
import { childOfAlias, declaredName, lockKey, opsOf, describePath, type Op, type OpContext } from './ops';
import { cloneState, emptyState, joinStates, stateHash, wr, type State, type LockSt } from './state';
import type { AnalyzeOptions, DeferredFinding, Finding, Related, RuleId, Severity, Summary } from './types';
import { beginFunction, messageContext, messages, splitMessage } from '../rules/messages';
import { dirSelfChange } from '../rules/dir-self-break';
import { factMessages } from './fact-messages';

export interface FunctionAnalysis {
  findings: Finding[];
  summary: Summary;
  /** Outcome of checking callees' deferred findings at this function's call sites. */
  deferredOutcomes: { finding: DeferredFinding; ruledOut: boolean }[];
  statesProcessed: number;
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
export const PHASES: Record<string, number> | null = typeof process !== 'undefined' && process.env?.VFSLOCK_PHASES ? {} : null;
const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

interface AtomInfo {
  /** Fact key, or null if this atom's value is not worth remembering. */
  fact: string | null;
  /** Roots the fact depends on. */
  roots: string[];
  /** A call result / variable whose pending conditional effects this test resolves. */
  result: { name: string; sense: 'truthy' | 'isErr' } | null;
  /** Fact value = edge value XOR invert. */
  invert: boolean;
  /** When the atom is true (or false), this fact also holds (`new_is_dir` true ⇒ the target is a directory). */
  implies?: { fact: string; value: boolean };
  impliesWhenFalse?: { fact: string; value: boolean };
  /** `x == ERR_PTR(e)`: true means x is an error pointer; false says nothing. */
  errOnlyWhenTrue?: boolean;
}

export function analyzeFunction(unit: FunctionUnit, body: SNode, src: string, opts: AnalyzeOptions,
  summaries: ReadonlyMap<string, Summary>, staticCallers: number): FunctionAnalysis {
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
  result.findings.push(...first.unheldReleases);
  return result;
}

class FunctionAnalyzer {
  private readonly cat: Catalogue;
  private readonly ctx: ExprContext;
  private readonly oc: OpContext;
  private cfg!: Cfg;
  private ops: Op[][] = [];
  private readonly atoms = new Map<SNode, AtomInfo>();
  private readonly findings = new Map<string, Finding>();
  private readonly deferred: DeferredFinding[] = [];
  private readonly deferredOutcomes: { finding: DeferredFinding; ruledOut: boolean }[] = [];
  private readonly lockKeysUsed = new Set<string>();
  private readonly diVars = new Set<string>();
  private readonly exits: State[] = [];
  private readonly waitSites: { node: number; di: string | null; op: SNode }[] = [];
  private readonly delegCallNodes = new Map<string, number[]>();
  private readonly repeatedAtoms = new Set<string>();
  private readonly summary: Summary;
  private statesProcessed = 0;
  private truncated = false;
  private readonly selfContract: { key: string; class: LockClass; mode: 'exclusive' | 'shared' }[] = [];
  private readonly declaredAcquires = new Set<string>();
  /** Call sites whose required lock is missing on some path, and sites where some path does hold it. */
  private readonly requireCandidates = new Map<string, Finding>();
  private readonly requireHeldSomewhere = new Set<string>();
  /** Parent role of the returned dentry: undefined = none seen yet, null = unknown or inconsistent. */
  private childOfRet: string | null | undefined = undefined;
  /** Keys returned on non-error returns (for the `returns` summary). */
  private readonly returnKeys = new Set<string>();
  /** The function is a catalogued kernel API (its contract is in the catalogue). */
  private catalogued = false;
  /** The catalogue says this function returns with locks held (lock_rename, start_dirop, ...). */
  private declaredLocking = false;
  /** ... and only when it succeeds (`when`: nonerr / zero). */
  private declaredConditional = false;

  /** Some lock is held on some successful returns only, for a reason the result does not tell (a flags argument). */
  private conditionalLock = false;

  /** Locks taken here that some change was made under (a lock-taking helper returns before using its lock). */
  private readonly usedUnder = new Set<string>();

  /** Inode locks this catalogued API is documented to return holding (lock_rename, start_dirop, ...), and when. */
  private readonly declaredLocks = new Map<string, { when: string; ifNonNull: boolean }>();
  /** Inode locks this catalogued API is documented to release (end_dirop, unlock_rename, done_path_create, ...). */
  private readonly declaredReleases = new Set<string>();
  /** Those keys and their prefixes (filled once the contract is known). */
  private releaseSubjects: Set<string> | null = null;
  /** ... and acquire, of which directories are exempt (the catalogue's `ifNonDir`). */
  private readonly releasesSkipDirs = new Set<string>();

  /** Parameter-derived inode locks released on some path without being taken first. */
  readonly callerHeld = new Set<string>();
  /** Where those are released (reported if the caller turns out not to hold them). */
  readonly unheldReleases: Finding[] = [];
  /** A path released a lock assumed held on entry twice: the assumption is wrong. */
  refuted = false;

  constructor(private readonly unit: FunctionUnit, private readonly body: SNode, private readonly src: string,
    private readonly opts: AnalyzeOptions, summaries: ReadonlyMap<string, Summary>, private readonly staticCallers: number,
    private readonly entryHeld: string[]) {
    this.cat = opts.catalogue;
    this.ctx = new ExprContext(src, this.cat);
    this.oc = { ctx: this.ctx, cat: this.cat, version: opts.version, summaries };
    this.ctx.returnsOf = (name) => summaries.get(name)?.returns;
    this.summary = {
      name: unit.name, arity: unit.params.length, outParams: [], breaks: [], requires: [], mutates: [], sleeps: null,
      acquires: [], releases: [], deferred: [], isEmpty: true,
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
    this.collectDefinitions();
    // The contract first: argument relations it states (childOf) are aliases the events below are keyed through.
    this.collectContract();
    lap('defs');
    this.cfg = buildCfg(this.body, {
      text: (n) => this.ctx.text(n), isLoopMacro: (n) => this.cat.isLoopMacro(n), transparent: this.cat.transparent,
      scopedGuard: this.cat.scopedGuardMacro, guard: this.cat.guardMacro, maxNodes: 20000,
    });
    lap('cfg');
    this.ops = this.cfg.nodes.map((n) => this.nodeOps(n));
    for (const ops of this.ops) for (const o of ops) if ('key' in o && typeof o.key === 'string') this.opKeys.add(o.key);
    beginFunction(this.unit.params, this.ops, this.opts.version, this.opts.era, this.cat);
    lap('ops');
    for (const key of this.entryHeld) if (!this.selfContract.some((c) => c.key === key)) this.selfContract.push({ key, class: 'inode', mode: 'exclusive' });
    this.countAtoms();
    lap('atoms');
    this.fixpoint();
    lap('fixpoint');
    this.checkExits();
    this.checkRetries();
    this.reportRequirements();
    this.finishSummary();
    lap('post');
    if (typeof process !== 'undefined' && process.env?.VFSLOCK_STATS) console.log('STATS', this.unit.name, this.cfg.nodes.length, this.statesProcessed);
    if (typeof process !== 'undefined' && process.env?.VFSLOCK_STATES === this.unit.name) {
      const seen = (this as unknown as { dbgSeen: Set<string>[] }).dbgSeen;
      let best = 0;
      seen.forEach((m, i) => { if (m.size > seen[best].size) best = i; });
      console.log('NODE', best, this.cfg.nodes[best].kind, this.cfg.nodes[best].ast ? this.src.slice(this.cfg.nodes[best].ast!.start, this.cfg.nodes[best].ast!.start + 60) : '');
      for (const h of [...seen[best]].slice(0, 40)) console.log('  ', h);
    }
    const findings = [...this.findings.values()];
    if (this.truncated || this.cfg.truncated) {
      findings.push(this.make('analysis/truncated', 'info', this.unit.nameStart, this.unit.nameEnd, '', messages.truncated(this.unit.name, this.cfg.truncatedBy === 'depth' ? 'its statements are nested too deeply' : this.cfg.truncated ? 'its body is too long' : 'it has too many paths'), []));
    }
    return { findings, summary: this.summary, deferredOutcomes: this.deferredOutcomes, statesProcessed: this.statesProcessed,
      truncated: this.truncated || this.cfg.truncated, cfg: this.cfg,
      lockApis: this.ops.flat().filter((o) => o.k === 'lock').map((o) => (o as { api: string }).api),
      breakApis: this.ops.flat().filter((o) => o.k === 'break' || o.k === 'wait' || o.k === 'delegOp').map((o) => (o as { api: string }).api),
      ops: this.ops, entryLocks: this.selfContract.filter((c) => this.opKeys.has(c.key)).map((c) => c.key), show: (k) => this.show(k),
      heldAt: this.heldAt, conditionFact: (id) => this.conditionFact(id) };
  }

  private conditionFact(id: number): ConditionFact | null {
    const n = this.cfg.nodes[id];
    if (n?.kind !== 'cond' || !n.atom) return null;
    const a = this.atomInfo(n.atom);
    if (!a.fact) return null;
    return { fact: a.fact, invert: a.invert, roots: a.roots, implies: a.implies, impliesWhenFalse: a.impliesWhenFalse };
  }

  // ---------------------------------------------------------------- definitions and aliases

  private collectDefinitions(): void {
    const { ctx } = this;
    this.unit.params.forEach((p, i) => ctx.declareVar({ name: p.name, type: p.type, isParam: true, paramIndex: i }));
    const calls: { lhs: string; call: SNode }[] = [];
    const stores: { lhs: SNode; rhs: SNode }[] = [];
    const stack: SNode[] = [this.body];
    while (stack.length) {
      const n = stack.pop()!;
      if (n.type === 'declaration') {
        const typeNode = n.children.find((c) => c.type.endsWith('_specifier') || c.type === 'primitive_type' || c.type === 'type_identifier');
        const typeText = typeNode ? ctx.text(typeNode) : '';
        for (const d of n.children) {
          if (d === typeNode) continue;
          const name = declaredName(ctx, d);
          if (!name) continue;
          const stars = starsOf(d);
          ctx.declareVar({ name, type: typeText + (stars ? ' ' + '*'.repeat(stars) : ''), isParam: false, paramIndex: -1 });
          if (d.type === 'init_declarator') {
            const value = d.children[1];
            if (!value) continue;
            if (value.type === 'initializer_list') this.designated(name, value);
            else {
              ctx.addDefKey(name, value);
              ctx.assignCount.set(name, (ctx.assignCount.get(name) ?? 0) + 1);
              if (value.type === 'call_expression') calls.push({ lhs: name, call: value });
            }
          }
        }
      } else if (n.type === 'assignment_expression') {
        const [lhs, rhs] = n.children;
        if (lhs && rhs && lhs.type === 'pointer_expression') stores.push({ lhs, rhs });
        else if (lhs && rhs) {
          if (ctx.binaryOp(n) === '=') {
            ctx.addDef(lhs, rhs);
            const p = ctx.rawPath(lhs);
            if (p && rhs.type === 'call_expression') calls.push({ lhs: p, call: rhs });
          } else ctx.addDef(lhs, n);
        }
      } else if (n.type === 'update_expression' && n.children[0]) {
        ctx.addDef(n.children[0], n);
      }
      for (const c of n.children) stack.push(c);
    }
    // `*path = nd.path` (every declaration is known now): the caller's struct becomes a copy of a local one, so its
    // fields name the same objects.
    for (const { lhs, rhs } of stores) {
      const out = this.structOutParam(lhs, rhs);
      if (out) ctx.addAlias(out.param, out.value);
    }
    // `d = start_dirop(parent, ...)`: d's parent is `parent` (end_dirop(d) unlocks d_inode(d->d_parent)).
    for (const { lhs, call } of calls) {
      const parent = childOfAlias(this.oc, call);
      if (parent) ctx.addAlias(lhs + '.d_parent', parent);
    }
  }

  /** `*p = local.field` where `p` is a `struct X *` parameter (an out-parameter filled by copying a local struct). */
  private structOutParam(lhs: SNode, rhs: SNode): { param: string; value: string } | null {
    const operand = lhs.children[0];
    if (lhs.type !== 'pointer_expression' || operand?.type !== 'identifier' || prefixOperator(this.src, lhs) !== '*') return null;
    const name = this.ctx.text(operand);
    const v = this.ctx.vars.get(name);
    if (!v?.isParam || !/^struct \w+ \*$/.test(v.type) || v.type === 'struct inode *') return null;
    const value = this.ctx.rawPath(rhs);
    const root = value ? ExprContext.rootOf(value) : '';
    const local = this.ctx.vars.get(root);
    if (!value || !value.includes('.') || !local || local.isParam || local.type.includes('*')) return null;
    return { param: name, value };
  }

  private designated(name: string, list: SNode): void {
    for (const item of list.children) {
      if (item.type !== 'initializer_pair') continue;
      const designator = item.children[0];
      const value = item.children[item.children.length - 1];
      if (designator && value && designator.type === 'field_designator') {
        const f = designator.children[0];
        if (f) this.ctx.addDefKey(`${name}.${this.ctx.text(f)}`, value);
      }
    }
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
      if (op.k === 'lock' || op.k === 'unlock') this.lockKeysUsed.add(op.key);
      if ((op.k === 'delegOp' || op.k === 'break') && op.out?.kind === 'local') {
        this.diVars.add(op.out.name);
        const list = this.delegCallNodes.get(op.out.name) ?? [];
        list.push(n.id);
        this.delegCallNodes.set(op.out.name, list);
      }
      if (op.k === 'wait') this.waitSites.push({ node: n.id, di: op.di, op: op.node });
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
      return { k: 'lock', key: lk.key, class: lk.class, mode: eff.mode ?? 'exclusive', result: null, ifNonNull: false, node: site,
        display: this.ctx.text(args[0]), api: `guard(${cls})` };
    }
    return { k: 'unlock', key: lk.key, class: lk.class, ifNonNull: false, node: site, api: `guard(${cls}) scope end`, certain: true };
  }

  /** Locks the caller must hold: catalogue `requires` for this function's own API, annotations, __must_hold. */
  private collectContract(): void {
    const entries = this.cat.calls.get(this.unit.name);
    // Every variant of this arity: they are spellings of the same contract in different kernels (rd->old_dir in
    // 6.12, d_inode(rd->old_parent) in 6.19); only the ones naming fields this code has will match its events.
    // Parameter names disambiguate like call arguments do (start_creating(idmap, parent, name) vs (parent, name, flags)).
    const chosen = entries ? selectVariant(entries, this.unit.params.length, this.opts.version, this.unit.params.map((p) => p.name)) : null;
    this.catalogued = !!chosen?.variant && chosen.entry.effects.some((e) => e.op === 'requires' || e.op === 'delegOp');
    // A function whose parameters are the catalogue's in another order (debugfs's own static start_creating(name,
    // parent) vs the VFS's start_creating(parent, name)) is a namesake, not this API: its body is not held to it.
    const vparams = chosen?.variant?.params ?? [];
    const ownSpelling = !this.unit.params.some((p, i) => vparams.includes(p.name) && vparams.indexOf(p.name) !== i);
    const candidates = !entries || !chosen ? [] : entries.flatMap((entry) => (entry.variants ?? []).filter((v) => v.params.length === this.unit.params.length).map((variant) => ({ entry, variant })));
    for (const sel of candidates) {
      {
        const role = (path: string): string | null => {
          const dot = path.indexOf('.');
          const head = dot < 0 ? path : path.slice(0, dot);
          const rest = dot < 0 ? '' : path.slice(dot + 1);
          const i = sel.variant!.params.indexOf(head);
          let base: string | null = null;
          if (i >= 0 && this.unit.params[i]) base = this.ctx.resolvePath(this.unit.params[i].name);
          else if (sel.variant!.roles?.[head]) base = role(sel.variant!.roles[head]);
          if (!base) return null;
          return rest ? this.ctx.appendPath(base, rest) : base;
        };
        for (const eff of sel.entry.effects) {
          if (eff.op === 'requires') {
            const k = role(eff.target);
            if (k) this.selfContract.push({ key: k, class: eff.class, mode: eff.mode });
          }
          // A precondition on the arguments: `dentry` is a child of `path.dentry`, so dentry->d_parent is path->dentry.
          if (eff.op === 'childOf' && eff.target !== 'ret') {
            const child = role(eff.target);
            const parent = role(eff.parent);
            if (child && parent) this.ctx.addAlias(child + '.d_parent', parent);
          }
          // This kernel's spelling only (the version-selected variant): the body must release what callers rely on.
          if (eff.op === 'unlock' && eff.class === 'inode' && sel.entry === chosen?.entry && sel.variant === chosen?.variant && ownSpelling) {
            const k = role(eff.target);
            if (k) {
              const key = lockKey(this.cat, k, eff.class).key;
              this.declaredReleases.add(key);
              if (eff.ifNonDir) this.releasesSkipDirs.add(key);
            }
          }
          if (eff.op === 'lock') {
            this.declaredLocking = true;
            if (eff.when && eff.when !== 'always') this.declaredConditional = true;
            const k = role(eff.target);
            if (k) this.declaredAcquires.add(lockKey(this.cat, k, eff.class).key);
            if (k && eff.class === 'inode' && sel.entry === chosen?.entry && sel.variant === chosen?.variant && ownSpelling) {
              const key = lockKey(this.cat, k, eff.class).key;
              this.declaredLocks.set(key, { when: eff.when ?? 'always', ifNonNull: !!eff.ifNonNull });
              if (eff.ifNonDir) this.releasesSkipDirs.add(key);
            }
          }
        }
      }
    }
    for (const a of this.unit.annotations) {
      // The annotation argument is source text of an expression over the parameters: key it via a tiny lookup.
      const k = this.annotationKey(a.arg);
      if (!k) continue;
      if (a.kind === '__acquires') this.declaredAcquires.add(k);
      // Sparse annotations name spinlocks and mutexes; an inode's i_rwsem/i_mutex becomes the inode lock.
      else this.selfContract.push({ key: k, class: this.isInodeLockAnnotation(a.arg) ? 'inode' : 'spin', mode: 'exclusive' });
    }
  }

  private isInodeLockAnnotation(text: string): boolean {
    const last = text.replace(/\s+/g, '').split(/->|\./).pop() ?? '';
    return this.cat.inodeLockFields.has(last);
  }

  private annotationKey(text: string): string | null {
    // `&inode->i_lock`, `inode->i_lock`, `&ctx->flc_lock`: an access path over identifiers.
    const path = text.replace(/^&\s*/, '').replace(/->/g, '.').replace(/\s+/g, '');
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(path)) return null;
    const [root, ...rest] = path.split('.');
    const base = this.ctx.resolvePath(root);
    const k = rest.length ? this.ctx.appendPath(base, rest.join('.')) : base;
    return lockKey(this.cat, k, 'mutex').key;
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
    const relevantNode = (id: number) => nodes[id].kind === 'return' || nodes[id].kind === 'exit' || this.ops[id].some((o) => o.k !== 'assign');
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
      info = this.computeAtom(atom, 0);
      this.atoms.set(atom, info);
    }
    return info;
  }

  private computeAtom(x: SNode, depth: number): AtomInfo {
    const { ctx, cat } = this;
    const none: AtomInfo = { fact: null, roots: [], result: null, invert: false };
    if (depth > 4) return none;
    while (x.type === 'parenthesized_expression' && x.children[0]) x = x.children[0];
    if (x.type === 'unary_expression' && ctx.unaryOp(x) === '!' && x.children[0]) {
      const inner = this.computeAtom(x.children[0], depth + 1);
      return { ...inner, invert: !inner.invert };
    }
    if (x.type === 'call_expression' && x.children[0]?.type === 'identifier') {
      const name = ctx.text(x.children[0]);
      const args = x.children[1]?.children ?? [];
      if (cat.transparent.has(name) && args.length === 1) return this.computeAtom(args[0], depth + 1);
      const p = cat.predicates.get(name);
      if (p) {
        const k = ctx.instantiate(p.target, (i) => ctx.key(args[i]));
        const target = p.modeField && k && k.endsWith('.' + p.modeField) ? k.slice(0, -(p.modeField.length + 1)) : k;
        if (!target || target === NULL_KEY) return none;
        const roots = [ExprContext.rootOf(target)];
        switch (p.kind) {
          case 'isDir':
            return { fact: `isDir:${target}`, roots, result: null, invert: false };
          case 'isNull':
            return { fact: `truthy:${target}`, roots, result: null, invert: true };
          case 'nonNull':
            return { fact: `truthy:${target}`, roots, result: null, invert: false };
          case 'private':
            return { fact: `nodeleg:${target}`, roots, result: null, invert: false };
          case 'isErr':
          case 'errOrZero':
          case 'isErrOrNull': {
            const name0 = args[0]?.type === 'identifier' ? ctx.text(args[0]) : target;
            return { fact: `isErr:${target}`, roots, result: { name: name0, sense: 'isErr' }, invert: false };
          }
          case 'delegated':
            return { fact: `deleg:${ExprContext.rootOf(target)}`, roots, result: null, invert: false };
        }
      }
      // A conditional acquisition used directly as the condition: `if (!inode_trylock(inode))`.
      return { fact: null, roots: [], result: { name: `#call@${x.start}`, sense: 'truthy' }, invert: false };
    }
    if (x.type === 'identifier') {
      const name = ctx.text(x);
      if (this.diVars.has(name)) return { fact: `deleg:${name}`, roots: [name], result: null, invert: false };
      const v = ctx.vars.get(name);
      const defs = ctx.defsOf(name);
      if (v && !v.isParam && defs.length > 0 && /\bbool\b|^int$/.test(v.type) && !v.type.includes('*')) {
        // A boolean computed once (`bool is_dir = d_is_dir(dentry)`): the test is a test of its definition.
        const infos = defs.filter((d) => !isConstant(ctx.text(d))).map((d) => this.computeAtom(d, depth + 1));
        const constants = defs.filter((d) => isConstant(ctx.text(d)));
        if (infos.length === 1 && infos[0].fact && constants.every((c) => isFalse(ctx.text(c)))) {
          const info = infos[0];
          // The variable keeps its value even if what it was computed from changes later (`*flp = ...`): the fact
          // is about the variable, and implies the fact about its definition.
          if (constants.length === 0) {
            return { fact: `truthy:${name}`, roots: [name], result: { name, sense: 'truthy' }, invert: false,
              implies: { fact: info.fact!, value: !info.invert }, impliesWhenFalse: { fact: info.fact!, value: info.invert } };
          }
          // `new_is_dir = false; ... new_is_dir = d_is_dir(d)`: the variable itself is a fact (tests of it correlate),
          // and only "true" tells us something about the directory.
          return { fact: `truthy:${name}`, roots: [name], result: null, invert: false, implies: { fact: info.fact!, value: !info.invert } };
        }
      }
      const k = ctx.key(x) ?? name;
      return { fact: `truthy:${k}`, roots: [ExprContext.rootOf(k), name], result: { name, sense: 'truthy' }, invert: false };
    }
    if (x.type === 'assignment_expression' && x.children[0]) {
      const p = ctx.rawPath(x.children[0]);
      if (p) return { fact: `truthy:${p}`, roots: [ExprContext.rootOf(p)], result: { name: p, sense: 'truthy' }, invert: false };
      return none;
    }
    if (x.type === 'binary_expression') {
      const op = ctx.binaryOp(x);
      const [l, r] = x.children;
      if (!l || !r) return none;
      if (op === '||' || op === '&&') {
        // `d_is_directory(d) || d_is_autodir(d)`: both sides test the same fact.
        const a = this.computeAtom(l, depth + 1);
        const b = this.computeAtom(r, depth + 1);
        if (a.fact && a.fact === b.fact && a.invert === b.invert) return { ...a, result: null };
        return none;
      }
      const isZero = (n: SNode) => n.type === 'null' || ctx.text(n) === 'NULL' || ctx.text(n) === '0';
      if ((op === '==' || op === '!=') && (isZero(l) || isZero(r))) {
        const other = isZero(l) ? r : l;
        const inner = this.computeAtom(other, depth + 1);
        return { ...inner, invert: op === '==' ? !inner.invert : inner.invert };
      }
      const isErrPtr = (n: SNode) => n.type === 'call_expression' && n.children[0]?.type === 'identifier' && /^ERR_(PTR|CAST)$/.test(ctx.text(n.children[0]));
      if ((op === '==' || op === '!=') && (isErrPtr(l) || isErrPtr(r))) {
        // `dentry == ERR_PTR(-ENOENT)`: true only for an error pointer.
        const other = isErrPtr(l) ? r : l;
        const k = ctx.key(other);
        if (k && other.type === 'identifier' && op === '==') {
          return { fact: null, roots: [ExprContext.rootOf(k)], result: { name: ctx.text(other), sense: 'isErr' }, invert: false, errOnlyWhenTrue: true };
        }
      }
      if (op === '<' && isZero(r) && l.type === 'identifier') {
        const name = ctx.text(l);
        return { fact: `truthy:${name}`, roots: [name], result: { name, sense: 'truthy' }, invert: false };
      }
      if (op === '==' || op === '!=') {
        const a = ctx.key(l);
        const b = ctx.key(r);
        if (a && b && a !== NULL_KEY && b !== NULL_KEY) {
          const [p, q] = a < b ? [a, b] : [b, a];
          return { fact: `eq:${p}|${q}`, roots: [ExprContext.rootOf(a), ExprContext.rootOf(b)], result: null, invert: op === '!=' };
        }
      }
      if (op === '&') {
        const flagSide = [l, r].find((s) => s.type === 'identifier' && /^[A-Z_][A-Z0-9_]*$/.test(ctx.text(s)));
        if (flagSide) {
          const flag = ctx.text(flagSide);
          const other = flagSide === l ? r : l;
          // `fmode_t mode = file->f_mode; if (mode & FMODE_WRITE)`: a flags word copied once is the word itself.
          const copied = other.type === 'identifier' && ctx.isLocalVar(ctx.text(other)) && ctx.defsOf(ctx.text(other)).length === 1
            ? ctx.key(ctx.defsOf(ctx.text(other))[0]) : null;
          const k = copied && copied !== NULL_KEY ? copied : ctx.key(other);
          const obj = k ? objectOfFlags(k) : ctx.text(other).replace(/\s+/g, '');
          return { fact: `flag:${flag}:${obj}`, roots: k ? [ExprContext.rootOf(k)] : [], result: null, invert: false };
        }
      }
    }
    // Anything else side-effect free: remembered only if tested more than once (correlated branches).
    if (isPure(x)) {
      const text = ctx.text(x).replace(/\s+/g, '');
      const roots = [...identifierRoots(ctx, x)];
      return { fact: `expr:${text}`, roots, result: null, invert: false };
    }
    return none;
  }

  private shouldRecord(fact: string): boolean {
    if (this.repeatedAtoms.has(fact)) return true;
    // Whether what a documented release is about is NULL (unlock_two_nondirectories(inode1, NULL)) decides it.
    if (fact.startsWith('truthy:') && this.isReleaseSubject(fact.slice(7))) return true;
    if (fact.startsWith('isDir:') && this.releasesSkipDirs.has(fact.slice(6))) return true;
    return /^(isDir|isErr|deleg|flag|eq|nodeleg):/.test(fact) || (fact.startsWith('truthy:') && fact.includes('.'));
  }

  // ---------------------------------------------------------------- fixpoint

  private initialState(): State {
    const s = emptyState();
    // Contract keys spelled for another kernel (rd->old_dir vs d_inode(rd->old_parent)) are never used here.
    for (const c of this.selfContract.filter((c) => c.class !== 'inode' || this.opKeys.has(c.key))) {
      wr(s, 'locks').set(c.key, { class: c.class, mode: c.mode, count: 1, origin: 'entry', site: this.unit.nameStart, siteEnd: this.unit.nameEnd, api: 'caller' });
    }
    for (const key of this.declaredReleases) {
      if (!s.locks.has(key)) wr(s, 'locks').set(key, { class: 'inode', mode: 'exclusive', count: 1, origin: 'entry', site: this.unit.nameStart, siteEnd: this.unit.nameEnd, api: 'caller' });
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
      return !this.cat.exemptFlags.has(flag) && !this.cat.delegationFlags.has(flag) && !this.cat.leaseFlags.has(flag) &&
        !this.cat.contexts.privateFlags.includes(flag) && !this.cat.contexts.writeModeFlags.some((w) => w.flag === flag);
    }
    // Equalities of lock keys, or of what a documented release is about (unlock_rename's p1 == p2), are semantic.
    if (fact.startsWith('eq:')) return !fact.slice(3).split('|').some((k) => this.opKeys.has(k) || this.isReleaseSubject(k));
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
        for (const st of cur) console.log('TRACE', id, node.kind, 'line', line, node.ast ? this.src.slice(node.ast.start, Math.min(node.ast.end, node.ast.start + 50)).replace(/\s+/g, ' ') : '', '| locks', [...st.locks.keys()].join(','), '| pend', [...st.pending.keys()].join(','), '| facts', [...st.facts].map(([k, v]) => k + '=' + v).join(' '));
      }
      if (node.kind === 'return') for (const st of cur) this.noteReturn(node, st);
      if (node.kind === 'cond' && node.atom) {
        const info = this.atomInfo(node.atom);
        // At a condition nothing observable depends on, skip learning facts that only serve to correlate branches.
        const irrelevant = this.irrelevantConds.has(id) && (!info.fact || this.isManaged(info.fact)) && !info.implies && !info.impliesWhenFalse;
        for (const st of cur) {
          const mutates = irrelevant ? !!info.result && st.pending.has(info.result.name)
            : !!info.result || !!info.implies || !!info.impliesWhenFalse || (!!info.fact && this.shouldRecord(info.fact));
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
  readonly heldAt = new Map<number, { end: number; api: string; kind: string; paths: number; locks: Map<string, { count: number; site: number; api: string; origin: string }>;
    /** What the event acts on (its display), and for breaks and waits whether it can sleep (null: depends on flags). */
    target?: string; blocking?: boolean | null }>();

  private readonly heldOwner = new Map<number, Op>();

  private noteHeld(op: Op, st: State): void {
    if (op.k === 'assign' || op.k === 'deferred' || op.k === 'unknownLockHelper' || op.k === 'unknownUnlockHelper') return;
    const node = (op as { node: SNode }).node;
    let rec = this.heldAt.get(node.start);
    if (!rec) {
      rec = { end: node.end, api: (op as { api?: string }).api ?? '', kind: op.k, paths: 0, locks: new Map(), ...eventDetail(op) };
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
      const name = e.type === 'identifier' ? this.ctx.text(e) : e.type === 'call_expression' ? `#call@${e.start}` : null;
      const pend = name ? st.pending.get(name) : undefined;
      if (pend) st.ret.conditional = pend.filter((p) => p.lock).map((p) => ({ lock: p.lock!, when: p.when }));
    }
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
    if (info.implies && v && !this.learn(s, info.implies.fact, info.implies.value)) return false;
    if (info.impliesWhenFalse && !v && !this.learn(s, info.impliesWhenFalse.fact, info.impliesWhenFalse.value)) return false;
    // Not worth recording here, but a value already known (an assignment) still rules out the other branch.
    if (!this.shouldRecord(fact) && !info.implies) return s.facts.get(fact) !== !v;
    if (fact.startsWith('deleg:') && !v && s.deleg.has(fact.slice('deleg:'.length))) wr(s, 'deleg').delete(fact.slice('deleg:'.length));
    return this.learn(s, fact, v);
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
            else wr(s, 'locks').delete(p.lock);
          }
        }
        if (p.access && s.access.has(p.access)) wr(s, 'access').delete(p.access);
      }
    }
    if (keep.length) wr(s, 'pending').set(name, keep);
    else wr(s, 'pending').delete(name);
  }

  private classifyReturn(node: CfgNode, s: State): { kind: 'err' | 'ok' | 'unknown'; hardErr?: boolean; site: number; siteEnd: number } {
    const e = node.exprs[0];
    const site = node.ast ? node.ast.start : 0;
    const siteEnd = node.ast ? node.ast.end : 0;
    if (!e) return { kind: 'unknown', site, siteEnd };
    let x = e;
    while (x.type === 'parenthesized_expression' && x.children[0]) x = x.children[0];
    const t = this.ctx.text(x).replace(/\s+/g, '');
    if (/^-E[A-Z0-9]+$/.test(t) || /^ERR_(PTR|CAST)\(/.test(t) || /^PTR_ERR\(/.test(t)) return { kind: 'err', hardErr: true, site, siteEnd };
    if (t === 'NULL' || t === 'false') return { kind: 'err', site, siteEnd };
    if (t === '0' || t === 'true') return { kind: 'ok', site, siteEnd };
    if (x.type === 'identifier') {
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
    switch (op.k) {
      case 'assign':
        if (op.havoc) {
          // Written through a pointer by a callee: forget branch facts about it, keep everything else.
          for (const k of [...s.facts.keys()]) if (this.isManaged(k) && this.factMentions(k, op.root)) wr(s, 'facts').delete(k);
          return [s];
        }
        if (s.pending.has(op.root)) wr(s, 'pending').delete(op.root);
        if (this.ctx.isReassigned(op.root)) this.forget(s, op.root);
        this.handOver(op.node, s);
        this.assignNullable(op, s);
        if (op.errOf) wr(s, 'pending').set(op.root, [{ when: 'zero', link: op.errOf.name, linkKey: op.errOf.key }]);
        // `locked = false` next to an unlock, `bool locked = true`: a later `if (locked)` knows the value.
        if (op.constant && this.testedAtoms.has(`truthy:${op.root}`) && this.ctx.resolvePath(op.root) === op.root) {
          wr(s, 'facts').set(`truthy:${op.root}`, op.constant === 'nonzero');
        }
        if (op.value === 'err') {
          wr(s, 'facts').set(`isErr:${op.root}`, true);
          // An error code is nonzero: a later `if (err)` / `if (status < 0)` agrees with it. Only for a variable that
          // is not another name for something else (conditions name aliases by what they alias).
          if (this.testedAtoms.has(`truthy:${op.root}`) && this.ctx.resolvePath(op.root) === op.root) wr(s, 'facts').set(`truthy:${op.root}`, true);
        }
        else if (op.value === 'null' && this.repeatedAtoms.has(`truthy:${op.root}`)) wr(s, 'facts').set(`truthy:${op.root}`, false);
        return [s];
      case 'lock':
        return this.applyLock(op, s);
      case 'unlock':
        this.applyUnlock(op, s);
        return [s];
      case 'assertHeld':
        // A requirement on callers (they hold it), never a lock this function takes or must release.
        if (!s.locks.has(op.key)) {
          wr(s, 'locks').set(op.key, { class: op.class, mode: 'exclusive', count: 1, origin: 'assert', site: op.node.start, siteEnd: op.node.end, api: 'assertion' });
          if (op.class === 'inode' && this.ctx.paramIndexOfRoot(op.key) >= 0 && !s.lossy) this.noteRequire(op.key, op.node);
        }
        return [s];
      case 'context':
        wr(s, 'facts').set(`${op.kind}:${op.key}`, true);
        return [s];
      case 'flagWord':
        wr(s, 'facts').set(`flag:${op.flag}:${objectOfFlags(op.obj)}`, op.set);
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
        this.applyRequire(op, s);
        return [s];
      case 'sleeps':
        this.applySleeps(op, s);
        return [s];
      case 'mutate':
      case 'summaryMutate':
        this.noteUse(s);
        this.applyMutate(op, s);
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
          if (g.rechecked) continue;
          const missing = (g.missing ?? ['opens']).filter((c) => c !== op.check);
          wr(s, 'grants').set(k, { ...g, missing, rechecked: missing.length === 0 });
        }
        return [s];
      case 'access':
        this.applyAccess(op, s);
        return [s];
      case 'releaseAccess':
        if (s.access.has(op.key)) wr(s, 'access').delete(op.key);
        else if (s.access.size === 1) wr(s, 'access').clear();
        return [s];
      case 'open':
        this.applyOpen(op, s);
        return [s];
      case 'unknownLockHelper':
        if (!s.facts.get('#maybe-locked')) wr(s, 'facts').set('#maybe-locked', true);
        return [s];
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
  private isWriteOpen(s: State, key: string): boolean {
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
  private noDelegation(s: State, key: string): boolean {
    const root = ExprContext.rootOf(key);
    if (this.opts.noDelegationGlobals?.has(root) && !this.ctx.vars.has(root) && (key === root || key === root + '.d_inode')) return true;
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
  private forget(s: State, root: string): void {
    for (const k of s.broken.keys()) {
      if (ExprContext.rootOf(k) === root) {
        wr(s, 'broken').delete(k);
      }
    }
    for (const k of s.facts.keys()) if (this.factRoots(k).has(root)) wr(s, 'facts').delete(k);
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

  private mayBeNull(key: string): boolean {
    return this.repeatedAtoms.has(`truthy:${key}`);
  }

  private addLock(op: Extract<Op, { k: 'lock' }>, s: State): State {
    const l = s.locks.get(op.key);
    if (l) wr(s, 'locks').set(op.key, { ...l, count: Math.min(l.count + 1, 3) });
    // Re-taking a lock the caller held on entry (dropped and re-acquired around a sleep) restores the caller's lock.
    // An asserted lock (`lockdep_assert_held`) re-taken after dropping it is the caller's lock too.
    else wr(s, 'locks').set(op.key, { class: op.class, mode: op.mode, count: 1, origin: this.entryHeld.includes(op.key) || s.facts.get(`#dropped:${op.key}`) ? 'entry' : 'local', escapes: op.escapes, site: op.node.start, siteEnd: op.node.end, api: op.api });
    if (s.released.has(op.key)) wr(s, 'released').delete(op.key);
    if (op.when && op.result) wr(s, 'pending').set(op.result, [...(s.pending.get(op.result) ?? []), { when: op.when, lock: op.key }]);
    return s;
  }

  private applyUnlock(op: Extract<Op, { k: 'unlock' }>, s: State): void {
    if (op.ifNonNull && s.facts.get(`truthy:${op.key}`) === false) return;
    const l = s.locks.get(op.key);
    const b = s.broken.get(op.key);
    if (b && !b.stale) wr(s, 'broken').set(op.key, { ...b, stale: true, staleSite: op.node.start });
    if (l) {
      if (l.count > 1) wr(s, 'locks').set(op.key, { ...l, count: l.count - 1 });
      else wr(s, 'locks').delete(op.key);
      // Remember certain releases only: a second release is a bug only if both were unconditional unlocks.
      if (l.origin === 'local' && op.certain && !l.escapes) wr(s, 'released').set(op.key, op.node.start);
      else if (l.origin === 'local' && s.released.has(op.key)) wr(s, 'released').delete(op.key);
      else if ((l.origin === 'entry' || l.origin === 'assert') && l.class === 'inode') {
        if (l.origin === 'assert') wr(s, 'facts').set(`#dropped:${op.key}`, true);
        this.noteRelease(op.key);
        if (op.certain && this.entryHeld.includes(op.key)) wr(s, 'released').set(op.key, op.node.start);
      }
      return;
    }
    const prev = s.released.get(op.key);
    if (prev !== undefined && !s.lossy && op.certain && this.entryHeld.includes(op.key)) {
      this.refuted = true;
      return;
    }
    if (prev !== undefined && !s.lossy && op.certain && (op.class === 'inode' || op.class === 'rename')) {
      this.report('lock/imbalance', 'warning', op.node, op.key, messages.doubleUnlock(this.unit.name, this.show(op.key), op.api),
        [{ start: prev, end: prev, message: 'first released here' }]);
      return;
    }
    if (op.class === 'mutex' && this.isMutexParam(op.key)) {
      const role = this.roleOf(op.key);
      if (role && !this.summary.releases.some((r) => r.role === role)) this.summary.releases.push({ role, class: 'mutex' });
      return;
    }
    if (op.class === 'inode') {
      this.noteRelease(op.key);
      if (!op.certain || s.lossy || this.ctx.paramIndexOfRoot(op.key) < 0 || this.entryHeld.includes(op.key)) return;
      // A catalogued API's contract says which locks its callers hold (and a documented acquirer's lock is never one
      // of them): releasing any other it never took is a bug, not a hint that the caller holds it (as for an
      // undocumented helper such as cachefiles_bury_object).
      if (this.catalogued || this.declaredLocks.has(op.key)) {
        this.report('lock/imbalance', 'warning', op.node, op.key, messages.unlockNotHeld(this.unit.name, this.show(op.key), op.api), []);
      } else {
        this.callerHeld.add(op.key);
        if (!this.unheldReleases.some((f) => f.start === op.node.start)) {
          this.unheldReleases.push(this.make('lock/imbalance', 'warning', op.node.start, op.node.end, this.show(op.key),
            messages.unlockNotHeldRetry(this.unit.name, this.show(op.key), op.api), []));
        }
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
    for (const [k, l] of s.locks) if (l.origin === 'local' && (l.class === 'inode' || l.class === 'rename')) this.usedUnder.add(k);
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
      if (role && !this.summary.acquires.some((a) => a.role === role)) this.summary.acquires.push({ role, class: 'mutex', mode: l.mode, when: 'always' });
    }
  }

  private noteRelease(key: string): void {
    const role = this.roleOf(key);
    if (role && !this.summary.releases.some((r) => r.role === role)) this.summary.releases.push({ role });
  }

  private heldExclusive(s: State, key: string): LockSt | null {
    const l = s.locks.get(key);
    if (l && l.mode === 'exclusive') return l;
    for (const [fact, v] of s.facts) {
      if (!v || !fact.startsWith('eq:')) continue;
      const [a, b] = fact.slice(3).split('|');
      const other = a === key ? b : b === key ? a : null;
      if (other) {
        const o = s.locks.get(other);
        if (o && o.mode === 'exclusive') return o;
      }
    }
    return null;
  }

  private brokenOf(s: State, key: string) {
    const b = s.broken.get(key);
    if (b) return b;
    for (const [fact, v] of s.facts) {
      if (!v || !fact.startsWith('eq:')) continue;
      const [a, c] = fact.slice(3).split('|');
      const other = a === key ? c : c === key ? a : null;
      if (other && s.broken.has(other)) return s.broken.get(other)!;
    }
    return undefined;
  }

  /**
   * An inode this function itself holds locked exclusively here (perhaps the reported one under a name the analysis
   * cannot equate): its name for the message and a related note pointing where it was locked.
   */
  private otherLocalLock(s: State): { shown: string; related: Related } | undefined {
    const found = this.inodeLocksHeld(s, ['inode']).find(([, l]) => l.mode === 'exclusive' && l.origin === 'local');
    if (!found) return undefined;
    const [k, l] = found;
    const shown = this.show(k);
    return { shown, related: { start: l.site, end: l.siteEnd, message: `${shown} locked here (${l.api})` } };
  }

  private inodeLocksHeld(s: State, classes: LockClass[] = ['inode', 'rename', 'spin']): [string, LockSt][] {
    return [...s.locks].filter(([, l]) => classes.includes(l.class) || (l.class === 'mutex' && l.origin !== 'assert' && classes.includes('mutex')));
  }

  /** A parameter-derived inode the function never locks itself: its caller is responsible for the lock. */
  private callerResponsible(s: State, key: string): boolean {
    if (this.ctx.paramIndexOfRoot(key) < 0) return false;
    // A catalogued API's contract says exactly which locks its callers hold; nothing else is theirs.
    if (this.catalogued) return false;
    if (this.lockKeysUsed.has(key)) return false;
    if (this.selfContract.some((c) => c.key === key)) return false;
    return !s.locks.has(key);
  }

  private roleOf(key: string): string | null {
    const root = ExprContext.rootOf(key);
    const v = this.ctx.vars.get(root);
    if (!v || !v.isParam) return null;
    return `arg${v.paramIndex}${key.slice(root.length)}`;
  }

  private applyBreak(op: Extract<Op, { k: 'break' }>, s: State): void {
    if (op.kind === 'layout') {
      if (op.blocking === true) this.blockingCheck(s, op.node, op.api, op.display);
      return;
    }
    if (op.blocking === true) {
      this.blockingCheck(s, op.node, op.api, op.display);
      this.noteSleeps(op.node, `${op.api}() on ${op.display} blocks until the lease or delegation is returned`);
    } else if (op.kind === 'deleg' && !s.lossy && !this.heldExclusive(s, op.key)) {
      if (this.callerResponsible(s, op.key)) this.noteRequire(op.key, op.node);
      else {
        const other = this.otherLocalLock(s);
        this.report('deleg/break-unlocked', 'error', op.node, op.key, other
          ? messages.breakUnlockedOtherLock(this.unit.name, op.display, op.api, other.shown)
          : messages.breakUnlocked(this.unit.name, op.display, op.api), other ? [other.related] : []);
      }
    }
    if (op.typeHasDeleg) {
      // try_break_deleg() may fail with -EWOULDBLOCK: the delegation is gone only where its result says 0.
      const unchecked = op.kind === 'deleg' && op.blocking === false && op.result ? op.result : undefined;
      wr(s, 'broken').set(op.key, { site: op.node.start, siteEnd: op.node.end, underLock: !!this.heldExclusive(s, op.key), stale: false, staleSite: 0, blocking: op.blocking === true, unchecked });
      if (unchecked) wr(s, 'pending').set(unchecked, [...(s.pending.get(unchecked) ?? []).filter((p) => p.brk !== op.key), { when: 'zero', brk: op.key }]);
    }
    if (op.kind === 'lease') {
      const a = s.access.get(op.key);
      const only = s.access.size === 1 ? [...s.access][0] : null;
      // break_lease() can fail (-EWOULDBLOCK for O_NONBLOCK, -EINTR): until its result is tested, the lease may stand.
      const target = a ? op.key : only && !only[1].broken ? only[0] : null;
      if (target) {
        const unchecked = op.result ?? undefined;
        wr(s, 'access').set(target, { ...s.access.get(target)!, broken: true, unchecked, failed: undefined });
        if (unchecked) wr(s, 'pending').set(unchecked, [...(s.pending.get(unchecked) ?? []).filter((p) => p.leaseBrk !== target), { when: 'zero', leaseBrk: target }]);
      } else wr(s, 'preBreak').set(op.key, op.node.start);
    }
    if (op.out) this.noteOut(op.out, s, op.node, op.api, [op.key]);
  }

  private noteOut(out: NonNullable<Extract<Op, { k: 'break' }>['out']>, s: State, node: SNode, api: string, breaks: string[], result: string | null = null): void {
    if (out.kind === 'local') {
      wr(s, 'deleg').set(out.name, { site: node.start, siteEnd: node.end, api });
      // The callee records the inode only when it fails with -EWOULDBLOCK: a success result clears it.
      if (result) {
        wr(s, 'pending').set(result, [...(s.pending.get(result) ?? []), { when: 'zero', deleg: out.name }]);
      }
    }
    else if (out.kind === 'param') {
      if (!this.summary.outParams.includes(out.index)) this.summary.outParams.push(out.index);
      for (const b of breaks) {
        const role = this.roleOf(b);
        if (role && !this.summary.breaks.includes(role)) this.summary.breaks.push(role);
      }
    }
  }

  private blockingCheck(s: State, node: SNode, api: string, what: string): void {
    if (s.lossy) return;
    const held = this.inodeLocksHeld(s);
    if (!held.length) return;
    const [k, l] = held[0];
    this.report('deleg/blocking-break-locked', 'error', node, what, messages.blockingLocked(this.unit.name, api, what, this.show(k), l.class),
      held.map(([hk, hl]) => ({ start: hl.site, end: hl.siteEnd, message: `${this.show(hk)} locked here (${hl.api})` })));
  }

  private noteSleeps(node: SNode, what: string): void {
    if (!this.summary.sleeps) this.summary.sleeps = { site: node.start, what };
  }

  private noteRequire(key: string, node: SNode): void {
    const role = this.roleOf(key);
    if (role && !this.summary.requires.some((r) => r.role === role)) this.summary.requires.push({ role, class: 'inode', site: node.start });
  }

  private applyWait(op: Extract<Op, { k: 'wait' }>, s: State): void {
    this.blockingCheck(s, op.node, op.api, op.di ?? 'the delegated inode');
    this.noteSleeps(op.node, `${op.api}() waits for a delegation to be returned`);
    if (op.di && s.deleg.has(op.di)) wr(s, 'deleg').delete(op.di);
  }

  private applyDelegOp(op: Extract<Op, { k: 'delegOp' }>, s: State, _nodeId: number): void {
    if (op.out.kind === 'null') {
      // ATTR_DELEG (on behalf of the holder), or a file open for write on the inode: NULL is what the API asks for.
      if (this.isExempt(s) || op.breaks.some((b) => this.isWriteOpen(s, b) || this.noDelegation(s, b))) return;
      this.report('deleg/null-delegated-inode', 'info', op.node, op.display[0] ?? '', messages.nullOut(this.unit.name, op.api, op.display[0] ?? 'the inode'), []);
      return;
    }
    // A summarised helper that breaks (try_break_deleg inside, another file's or this one's) called with the inode
    // locked: its break is the caller's, at the call. (A helper that locks for itself, as lookup_open does, keeps
    // its break and change to itself.)
    if (this.oc.summaries.has(op.api) && !this.cat.calls.has(op.api)) {
      for (const k of op.breaks) {
        if (this.heldExclusive(s, k)) wr(s, 'broken').set(k, { site: op.node.start, siteEnd: op.node.end, underLock: true, stale: false, staleSite: 0, blocking: false });
        // Under a lock this function's caller holds (lookup_open, its parent locked by open_last_lookups): the break
        // is made where a direct try_break_deleg() would be, and the lock is the caller's requirement (the helper's
        // summary `requires` says so at this call).
        else if (!s.lossy && this.callerResponsible(s, k)) wr(s, 'broken').set(k, { site: op.node.start, siteEnd: op.node.end, underLock: false, stale: false, staleSite: 0, blocking: false });
      }
    }
    this.noteOut(op.out, s, op.node, op.api, op.breaks, op.result);
  }

  private applyRequire(op: Extract<Op, { k: 'requireAtCall' }>, s: State): void {
    if (s.lossy) return;
    const siteKey = `${op.node.start}:${op.key}`;
    if (this.heldExclusive(s, op.key)) {
      this.requireHeldSomewhere.add(siteKey);
      return;
    }
    if (s.facts.get('#maybe-locked')) return;
    if (!op.owner) {
      if (this.callerResponsible(s, op.key)) {
        this.noteRequire(op.key, op.node);
        return;
      }
      // Inferred requirements (from an in-file callee) and NULL-out-parameter callers are weaker evidence: speak only
      // when no inode lock at all is held and the inode is named by a stable expression.
      if (op.derived || this.inodeLocksHeld(s, ['inode', 'rename']).length) return;
      if (this.ctx.isReassigned(ExprContext.rootOf(op.key))) return;
    }
    if (!this.requireCandidates.has(siteKey)) {
      const f = this.make('deleg/break-unlocked', 'error', op.node.start, op.node.end, this.show(op.key), messages.callUnlocked(this.unit.name, op.api, op.display), []);
      this.requireCandidates.set(siteKey, f);
    }
  }

  private applySleeps(op: Extract<Op, { k: 'sleeps' }>, s: State): void {
    const inFile = this.oc.summaries.has(op.api);
    this.noteSleeps(op.node, `${op.api}() ${op.why}`);
    if (s.lossy) return;
    const held = this.inodeLocksHeld(s, inFile ? ['inode', 'rename', 'spin'] : ['spin']);
    if (!held.length) return;
    const [k, l] = held[0];
    this.report('deleg/blocking-break-locked', 'error', op.node, op.api, messages.sleepsLocked(this.unit.name, op.api, op.why, this.show(k), l.class),
      held.map(([hk, hl]) => ({ start: hl.site, end: hl.siteEnd, message: `${this.show(hk)} locked here (${hl.api})` })));
  }

  private isExempt(s: State): boolean {
    for (const [fact, v] of s.facts) {
      if (!v || !fact.startsWith('flag:')) continue;
      const flag = fact.split(':')[1];
      if (this.cat.exemptFlags.has(flag)) return true;
    }
    return false;
  }

  private applyMutate(op: Extract<Op, { k: 'mutate' | 'summaryMutate' }>, s: State): void {
    if (s.lossy) return;
    const key = op.key;
    if (s.facts.get(`truthy:${key}`) === false) return;
    if (this.isExempt(s)) return;
    // A directory moved or removed itself (6.19+ self-delegations): its own rule, a warning (rules/dir-self-break.ts).
    if (dirSelfChange(op.kind, s.facts.get(`isDir:${key}`) === true || (!!op.dirIf && s.facts.get(`isDir:${op.dirIf}`) === true))) {
      if (this.opts.dirRules) this.applyDirSelf(op, s);
      return;
    }
    const isDirRule = op.kind === 'dirent';
    if (isDirRule && !this.opts.dirRules) return;
    // No delegation can exist: a private or pseudo-filesystem inode, or a file this path holds open for write.
    if (this.noDelegation(s, key)) return;
    if (!isDirRule && this.isWriteOpen(s, key)) return;
    if (!isDirRule) {
      const dirOnly = op.k === 'mutate' && op.dirOnly;
      if ((s.facts.get(`isDir:${key}`) === true || dirOnly) && (op.kind === 'names' || this.opts.era !== '6.19')) return;
      if (op.dirIf && s.facts.get(`isDir:${op.dirIf}`) === true) return;
    }
    const b = this.brokenOf(s, key);
    // One name for the inode in the whole report (message, related, fix): a local that names it, else the call's expression.
    op = { ...op, display: this.displayName(key, op.display) };
    const rule: RuleId = isDirRule ? 'deleg/dir-missing-break' : 'deleg/missing-break';
    if (b && (b.unchecked || b.failed)) {
      const related: Related[] = [{ start: b.site, end: b.siteEnd, message: b.failed ? 'the break fails here (-EWOULDBLOCK) on this path' : 'the result of this break is never tested' }];
      this.report(rule, op.severity ?? 'error', op.node, key, factMessages.breakIgnored(this.unit.name, op.api, op.what, op.display, !!b.failed), related);
      return;
    }
    const severity: Severity = op.severity ?? 'error';
    const related: Related[] = [];
    const held = this.heldExclusive(s, key);
    if (held) related.push({ start: held.site, end: held.siteEnd, message: held.origin === 'entry' ? `${op.display} is locked by the caller` : `${op.display} locked here (${held.api})` });
    if (b) {
      if (held && b.underLock && !b.stale) return;
      if (this.callerResponsible(s, key) && !b.stale) {
        this.noteRequire(key, op.node);
        return;
      }
      const why = b.stale ? 'dropped' : 'not held';
      related.push({ start: b.site, end: b.siteEnd, message: 'delegation broken here' });
      if (b.stale) related.push({ start: b.staleSite, end: b.staleSite, message: 'lock released here' });
      const other = b.stale || held ? undefined : this.otherLocalLock(s);
      if (other) related.push(other.related);
      this.report('deleg/break-unlocked', 'error', op.node, key, other
        ? messages.changeAfterBreakOtherLock(this.unit.name, op.api, op.what, op.display, other.shown)
        : messages.changeAfterUnlockedBreak(this.unit.name, op.api, op.what, op.display, why), related);
      return;
    }
    // No break before the change.
    if (!held && !this.opts.noCallers && this.callerResponsible(s, key)) {
      const role = this.roleOf(key)!;
      const entry = { role, kind: op.kind, what: op.what, dirIf: op.dirIf ? this.roleOf(op.dirIf) ?? undefined : undefined, site: op.node.start,
        severity: op.severity, note: op.note };
      // One entry per role and kind, the most severe: an `info` change seen first (->atomic_open) must not hide an
      // unbroken `error` change of the same inode later (->create).
      const at = this.summary.mutates.findIndex((m) => m.role === role && m.kind === op.kind);
      if (at < 0) this.summary.mutates.push(entry);
      else if (rank(op.severity) > rank(this.summary.mutates[at].severity)) this.summary.mutates[at] = entry;
      return;
    }
    const note = op.note;
    // Another inode locked by this function here may be this one under a name the analysis cannot equate: the message
    // then says so rather than claiming this inode is unlocked.
    const other = held ? undefined : this.otherLocalLock(s);
    if (other) related.push(other.related);
    const message = isDirRule
      ? messages.dirMissingBreak(this.unit.name, op.api, op.what, op.display, note, !!held)
      : messages.missingBreak(this.unit.name, op.api, op.what, op.display, !!held, this.opts.era, other?.shown);
    const finding = this.make(rule, severity, op.node.start, op.node.end, op.display, message, related);
    finding.fix = { kind: 'insert-try-break', inode: op.display, before: op.node.start, indent: 0, outParam: this.outParamName() };
    // In a static function with callers in this file, a parameter-derived inode may be a directory at every call
    // site (files-only delegations): let the callers decide.
    const unlessDir = [this.roleOf(key), op.dirIf ? this.roleOf(op.dirIf) : null].filter((r): r is string => !!r);
    if (!isDirRule && this.unit.isStatic && this.staticCallers > 0 && unlessDir.length) {
      if (!this.deferred.some((d) => d.finding.start === finding.start && d.finding.inode === finding.inode)) this.deferred.push({ finding, unlessDir });
      return;
    }
    this.add(finding);
  }

  private outParamName(): string | null {
    for (const p of this.unit.params) if (/delegated_inode/.test(p.type) || /inode \*\*/.test(p.type)) return p.name;
    for (const v of this.diVars) return '&' + v;
    // A context that must not wait (nfsd, ksmbd, NULL-passing callers): break without recording, return -EAGAIN.
    return messageContext().nonBlocking ? 'NULL' : null;
  }

  /** A local variable that names exactly this inode (`target`), else the expression the call used. */
  private displayName(key: string, display: string): string {
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

  /** A directory's own delegation, unbroken while the directory is moved or removed (deleg/dir-self-break). */
  private applyDirSelf(op: Extract<Op, { k: 'mutate' | 'summaryMutate' }>, s: State): void {
    op = { ...op, display: this.displayName(op.key, op.display) };
    const held = this.heldExclusive(s, op.key);
    const b = this.brokenOf(s, op.key);
    if (b && !b.stale && (b.underLock || !held)) return;
    if (!held && this.callerResponsible(s, op.key)) return;
    const related: Related[] = held ? [{ start: held.site, end: held.siteEnd, message: held.origin === 'entry' ? `${op.display} is locked by the caller` : `${op.display} locked here (${held.api})` }] : [];
    const f = this.make('deleg/dir-self-break', 'warning', op.node.start, op.node.end, op.display, messages.dirSelfBreak(this.unit.name, op.api, op.what, op.display, !!held), related);
    f.fix = { kind: 'insert-try-break', inode: op.display, before: op.node.start, indent: 0, outParam: this.outParamName() };
    this.add(f);
  }

  /** Whether some conflicting-open check can run before CFG node `id` (the check need not be on every path). */
  private checkPrecedes(id: number): boolean {
    for (let i = 0; i < this.ops.length; i++) {
      if (i !== id && this.ops[i].some((o) => o.k === 'conflictCheck') && reachable(this.cfg, i).has(id)) return true;
    }
    return false;
  }

  private applyGrant(op: Extract<Op, { k: 'grant' }>, s: State, nodeId: number): void {
    if (s.lossy) return;
    let deleg: boolean | undefined;
    const obj = op.lease ? objectOfFlags(op.lease) : null;
    const delegFacts = [...s.facts].filter(([f]) => f.startsWith('flag:') && this.cat.delegationFlags.has(f.split(':')[1]));
    const exact = delegFacts.find(([f]) => obj !== null && f.endsWith(':' + obj));
    if (exact) deleg = exact[1];
    else if (delegFacts.length === 1) deleg = delegFacts[0][1];
    if (op.requireTypeFact && deleg === undefined) return;
    // Not yet tested on this path, but the function does distinguish delegations: this may be one.
    if (deleg === undefined && this.testsDelegationFlag()) deleg = true;
    if (deleg === true && !op.locksItself) {
      // The grant's own trylock: a lock the analysis assumed the caller holds does not count (vfs_setlease holds none).
      const held = op.inode ? this.heldExclusive(s, op.inode) : [...s.locks.values()].find((l) => l.class === 'inode' && l.mode === 'exclusive');
      if (!held || held.origin === 'entry') {
        this.report('lease/grant-unserialized', 'error', op.node, op.inode ?? '', messages.grantUnlocked(this.unit.name, op.api, op.inode ? this.show(op.inode) : 'the inode'), []);
      }
    }
    // A grant that serialises itself (kernel_setlease) owes re-checks only in a function that re-checks at all (nfsd's
    // nfs4_set_delegation); a directory delegation (nfsd_get_dir_deleg) has no opens to conflict with.
    if (op.recheckAfter && op.locksItself && !this.ops.some((ops) => ops.some((o) => o.k === 'conflictCheck'))) return;
    if (op.recheckAfter) {
      // What the grant owes: its conflicting-open check, plus any other verification this path made before the grant
      // (nfsd re-verifies the dentry after kernel_setlease(); doing it only before proves nothing).
      const missing = [...new Set([...op.rechecks.filter((c) => c === 'opens' || s.facts.get(`#checked:${c}`)), 'opens'])];
      wr(s, 'grants').set(op.node.start, { site: op.node.start, siteEnd: op.node.end, rechecked: false, missing, api: op.locksItself ? op.api : undefined });
    }
    else if (!s.checked && !this.checkPrecedes(nodeId)) this.report('lease/grant-unserialized', 'error', op.node, op.inode ?? '', messages.grantNoCheck(this.unit.name, op.api), []);
  }

  private testsDelegationFlag(): boolean {
    for (const n of this.cfg.nodes) {
      if (n.kind !== 'cond' || !n.atom) continue;
      const a = this.atomInfo(n.atom);
      for (const f of [a.fact, a.implies?.fact]) if (f && f.startsWith('flag:') && this.cat.delegationFlags.has(f.split(':')[1])) return true;
    }
    return false;
  }

  private applyAccess(op: Extract<Op, { k: 'access' }>, s: State): void {
    // Read access (i_readcount) is not what generic_add_lease checks in every kernel; write access always is.
    const pre = op.kind !== 'write' ? undefined : s.preBreak.get(op.key) ?? (s.preBreak.size === 1 ? [...s.preBreak.values()][0] : undefined);
    if (pre !== undefined && !s.lossy) {
      this.report('lease/open-missing-break', 'error', op.node, op.key, messages.breakBeforeAccess(this.unit.name, op.api, op.display),
        [{ start: pre, end: pre, message: 'lease broken here, before the access is taken' }]);
    }
    wr(s, 'access').set(op.key, { kind: op.kind, site: op.node.start, siteEnd: op.node.end, broken: false, display: op.display });
    if (op.when && op.result) wr(s, 'pending').set(op.result, [...(s.pending.get(op.result) ?? []), { when: op.when, access: op.key }]);
  }

  private applyOpen(op: Extract<Op, { k: 'open' }>, s: State): void {
    if (s.lossy) return;
    for (const [k, a] of s.access) {
      if (op.key && k !== op.key && s.access.size > 1) continue;
      if (a.broken && (a.unchecked || a.failed)) {
        if (op.rule) continue;
        this.report('lease/open-missing-break', 'error', op.node, k, factMessages.leaseBreakIgnored(this.unit.name, `${op.api} ${op.what} ${a.display}`, a.display, !!a.failed),
          [{ start: a.site, end: a.siteEnd, message: `${a.kind} access to ${a.display} taken here` }]);
        continue;
      }
      if (a.broken) continue;
      if (op.rule) {
        this.report(op.rule as RuleId, op.severity ?? 'warning', op.node, k, messages.otruncReadLease(this.unit.name, op.api, a.display), [{ start: a.site, end: a.siteEnd, message: `${a.kind} access to ${a.display} taken here` }]);
        continue;
      }
      this.report('lease/open-missing-break', 'error', op.node, k, messages.openMissingBreak(this.unit.name, `${op.api} ${op.what} ${a.display}`, a.display),
        [{ start: a.site, end: a.siteEnd, message: `${a.kind} access to ${a.display} taken here` }]);
    }
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

  private checkExits(): void {
    if (typeof process !== 'undefined' && process.env?.VFSLOCK_DEBUG === this.unit.name) {
      for (const x of this.exits) {
        console.log('EXIT', x.ret?.kind, x.ret ? this.src.slice(x.ret.site, x.ret.siteEnd) : '(end)', 'locks', [...x.locks.keys()].join(','), 'facts', [...x.facts].map(([k, v]) => `${k}=${v}`).join(' '), 'deleg', [...x.deleg.keys()].join(','), x.lossy ? 'LOSSY' : '');
      }
      console.log('SUMMARY', JSON.stringify({ ...this.summary, deferred: this.summary.deferred.length }));
    }
    const localLocks = new Map<string, { held: State[]; notHeld: State[] }>();
    for (const s of this.exits) {
      if (s.lossy) continue;
      for (const [di, d] of s.deleg) {
        this.report('deleg/unhandled-delegated-inode', 'error', { start: d.site, end: d.siteEnd } as SNode, di,
          messages.unhandledDeleg(this.unit.name, d.api, di, this.opts.era), [], { kind: 'add-wait-retry', after: d.siteEnd, diVar: di, label: null, era: this.opts.era });
      }
      for (const g of s.grants.values()) {
        if (!g.rechecked && s.ret?.kind !== 'err') {
          this.report('lease/grant-unserialized', 'error', { start: g.site, end: g.siteEnd } as SNode, '',
            g.api ? factMessages.grantNoRecheckAfter(this.unit.name, g.api, g.missing ?? ['opens']) : messages.grantNoRecheck(this.unit.name), []);
        }
      }
    }
    // Which locally taken locks reach a return?
    // Imbalance is checked for the VFS locks this tool is about (inode i_rwsem/i_mutex, the rename lock);
    // spinlocks and other mutexes are tracked only for "sleeping while holding".
    const keys = new Set<string>();
    for (const s of this.exits) for (const [k, l] of s.locks) if (l.origin === 'local' && (l.class === 'inode' || l.class === 'rename')) keys.add(k);
    for (const k of keys) {
      const rec = { held: [] as State[], notHeld: [] as State[] };
      for (const s of this.exits) {
        if (s.lossy) continue;
        const l = s.locks.get(k);
        (l && l.origin === 'local' ? rec.held : rec.notHeld).push(s);
      }
      localLocks.set(k, rec);
    }
    this.checkDeclaredReleases();
    this.checkDeclaredAcquires();
    const releasedByCallee = this.calleeReleasedLocks();
    for (const [k, { held, notHeld }] of localLocks) {
      if (!held.length || releasedByCallee.has(k)) continue;
      if (this.declaredAcquires.has(k) || this.declaredLocking) {
        // A declared conditional acquirer (start_dirop: locked unless it returns an ERR_PTR) must not keep the lock
        // on a failing return.
        const failing = this.declaredConditional ? held.find((s) => s.ret?.hardErr && !s.locks.get(k)!.escapes) : undefined;
        if (failing) {
          const l = failing.locks.get(k)!;
          const at = failing.ret!;
          this.report('lock/imbalance', 'warning', { start: at.site, end: at.siteEnd } as SNode, k, messages.leakedLock(this.unit.name, this.show(k), l.api),
            [{ start: l.site, end: l.siteEnd, message: `${this.show(k)} locked here` }], { kind: 'add-unlock', before: at.site, unlockCall: unlockFor(l.api, this.show(k)) });
        }
        continue;
      }
      if (held.every((s) => s.locks.get(k)!.escapes)) continue;
      const errHeld = held.filter((s) => s.ret?.kind === 'err' && !s.locks.get(k)!.escapes);
      if ((!errHeld.length || !notHeld.length) && this.usedUnder.has(k)) {
        // Held on every return, or on every successful one, after the function made a change under it: it is not
        // a helper returning locked (start_dirop takes the lock for its caller's change) but a missing unlock.
        const bad = held.find((s) => !s.locks.get(k)!.escapes && s.ret?.kind !== 'err') ?? held.find((s) => !s.locks.get(k)!.escapes)!;
        const l = bad.locks.get(k)!;
        const at = this.exitSite(bad);
        this.report('lock/imbalance', 'warning', { start: at.site, end: at.siteEnd } as SNode, k,
          messages.leakedLockAfterUse(this.unit.name, this.show(k), l.api, notHeld.length === 0),
          [{ start: l.site, end: l.siteEnd, message: `${this.show(k)} locked here` }], { kind: 'add-unlock', before: at.site, unlockCall: unlockFor(l.api, this.show(k)) });
        continue;
      }
      if (!errHeld.length || !notHeld.length) {
        // Held on some successful returns and not on others (`if (lock_flags & XFS_IOLOCK_EXCL) down_write(...)`): what
        // decides it is not the result, so callers cannot tell; they only learn that a lock may be held.
        const success = (x: State) => !x.ret || x.ret.kind === 'ok' || (x.ret.kind === 'unknown' && /^return\s*;$/.test(this.src.slice(x.ret.site, x.ret.siteEnd)));
        if (notHeld.some(success) && held.some(success)) {
          this.conditionalLock = true;
          continue;
        }
        // Held on every successful return and on no failing one: the function returns locked (like start_dirop).
        const role = this.roleOf(k);
        const l = held[0].locks.get(k)!;
        if (role) {
          const inherited = held.map((s) => s.ret?.conditional?.find((c) => c.lock === k)?.when).find((w) => w);
          const when = inherited === 'nonerr' || inherited === 'zero' ? inherited
            : notHeld.length ? (this.returnsPointer() ? 'nonerr' : 'zero') : 'always';
          if (!this.summary.acquires.some((a) => a.role === role)) this.summary.acquires.push({ role, class: l.class, mode: l.mode, when });
        }
        continue;
      }
      const bad = errHeld[0];
      const l = bad.locks.get(k)!;
      const at = this.exitSite(bad);
      this.report('lock/imbalance', 'warning', { start: at.site, end: at.siteEnd } as SNode, k, messages.leakedLock(this.unit.name, this.show(k), l.api),
        [{ start: l.site, end: l.siteEnd, message: `${this.show(k)} locked here` }], { kind: 'add-unlock', before: at.site, unlockCall: unlockFor(l.api, this.show(k)) });
    }
  }

  /**
   * A catalogued releaser (end_dirop, unlock_rename, done_path_create) must release what its callers hand it on every
   * path, except where the inode is absent: an error pointer or NULL (end_dirop of a failed start_dirop), or the same
   * inode as another one it released (unlock_rename with p1 == p2).
   */
  /** The code spells inode locks as i_mutex (before 4.5): a fix should too. */
  private usesMutexApi(): boolean {
    return this.ops.flat().some((o) => (o.k === 'lock' || o.k === 'unlock') && o.api.startsWith('mutex_'));
  }

  /** `k` is a documented release's or acquisition's lock key, or a prefix of one (`p1` for `p1.d_inode`). */
  private isReleaseSubject(k: string): boolean {
    if (!this.releaseSubjects) {
      this.releaseSubjects = new Set();
      for (const key of [...this.declaredReleases, ...this.declaredLocks.keys()]) {
        for (let i = key.indexOf('.'); i >= 0; i = key.indexOf('.', i + 1)) this.releaseSubjects.add(key.slice(0, i));
        this.releaseSubjects.add(key);
      }
    }
    return this.releaseSubjects.has(k);
  }

  /** Where a finding about an exit goes: its return statement, or the closing brace. */
  private exitSite(s: State): { site: number; siteEnd: number } {
    return s.ret ?? { site: this.unit.end - 1, siteEnd: this.unit.end };
  }

  /**
   * A catalogued acquirer (lock_rename, start_dirop, lock_two_nondirectories) must return holding what its callers
   * are told it holds: on every path, or on its successful ones (`when`), except for an absent or aliased inode.
   */
  private checkDeclaredAcquires(): void {
    for (const [k, { when }] of this.declaredLocks) {
      for (const s of this.exits) {
        if (s.lossy || s.locks.has(k) || this.absentOrAliased(s, k, true)) continue;
        // Returned straight from another acquirer (`return start_dirop(...)`, `return __start_removing_path(...)`):
        // that callee's own contract is checked where it is defined.
        if (s.ret?.conditional?.some((c) => c.lock === k) || s.ret?.viaCall) continue;
        // Held on success: `nonerr` is anything but an ERR_PTR (NULL is a success of lock_rename); `zero` is `return 0`.
        if (when === 'nonerr' && s.ret?.hardErr) continue;
        if (when === 'zero' && s.ret?.kind !== 'ok') continue;
        if (when !== 'always' && when !== 'nonerr' && when !== 'zero') continue;
        const at = this.exitSite(s);
        this.report('lock/imbalance', 'warning', { start: at.site, end: at.siteEnd } as SNode, k, messages.acquirerMissesLock(this.unit.name, this.show(k), when !== 'always'), []);
        break;
      }
    }
  }

  private checkDeclaredReleases(): void {
    for (const k of this.declaredReleases) {
      for (const s of this.exits) {
        if (s.lossy || s.locks.get(k)?.origin !== 'entry' || this.absentOrAliased(s, k)) continue;
        const at = this.exitSite(s);
        this.report('lock/imbalance', 'warning', { start: at.site, end: at.siteEnd } as SNode, k, messages.releaserKeepsLock(this.unit.name, this.show(k)), [],
          { kind: 'add-unlock', before: at.site, unlockCall: unlockFor(this.usesMutexApi() ? 'mutex_lock' : 'inode_lock', this.show(k)) });
        break;
      }
    }
  }

  /** `return f(...)`, or `return res` with `res = f(...)`, where f is not in the catalogue (its effects are a summary's). */
  private returnsUncataloguedCall(e: SNode): boolean {
    const uncatalogued = (x: SNode) => x.type === 'call_expression' && x.children[0]?.type === 'identifier' && !this.cat.calls.has(this.ctx.text(x.children[0]));
    if (e.type === 'call_expression') return uncatalogued(e);
    if (e.type !== 'identifier') return false;
    const defs = this.ctx.defsOf(this.ctx.text(e));
    return defs.length > 0 && defs.every(uncatalogued);
  }

  /**
   * Whether `key` need not be in the expected state at this exit: its inode is absent (ERR_PTR, NULL, or a directory
   * where the catalogue exempts them), or it is the same inode as another key that is (`expectHeld`: held, else
   * released) — unlock_rename(p, p) releases p->d_inode once, under one of its two names.
   */
  private absentOrAliased(s: State, key: string, expectHeld = false): boolean {
    for (const [fact, v] of s.facts) {
      if (!v || !fact.startsWith('eq:')) continue;
      const [a, b] = fact.slice(3).split('|');
      for (const [x, y] of [[a, b], [b, a]]) {
        if (!x || !y || !(key === x || key.startsWith(x + '.'))) continue;
        const other = y + key.slice(x.length);
        if (s.locks.has(other) === expectHeld || this.absent(s, other)) return true;
      }
    }
    return this.absent(s, key);
  }

  /** The inode a key names is not there on this path (ERR_PTR, NULL, or an exempt directory). */
  private absent(s: State, key: string): boolean {
    for (const [fact, v] of s.facts) {
      const [kind, rest] = [fact.slice(0, fact.indexOf(':')), fact.slice(fact.indexOf(':') + 1)];
      if (kind === 'isDir' && v && rest === key && this.releasesSkipDirs.has(key)) return true;
      if ((kind === 'isErr' && v) || (kind === 'truthy' && !v)) {
        if (key === rest || key.startsWith(rest + '.')) return true;
      }
    }
    return false;
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
        if (arg?.type === 'identifier' && tested.has(this.ctx.text(arg)) && this.holdsAddress(this.ctx.text(arg))) out.add(u.key);
      }
    }
    return out;
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
          if (a.type === 'pointer_expression' && operand?.type === 'identifier' && prefixOperator(this.src, a) === '&') {
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

  /** After break_deleg_wait(), the operation must be retried: some path must lead back to the call. */
  private checkRetries(): void {
    for (const w of this.waitSites) {
      if (!w.di) continue;
      const calls = this.delegCallNodes.get(w.di) ?? [];
      if (!calls.length) continue;
      const reach = reachable(this.cfg, w.node);
      if (!calls.some((c) => reach.has(c))) {
        this.report('deleg/unhandled-delegated-inode', 'warning', w.op, w.di, messages.noRetry(this.unit.name, w.di), []);
      }
    }
  }

  /** A required lock held on no path through the call site: conditional locking elsewhere means "caller already locked". */
  private reportRequirements(): void {
    for (const [site, f] of this.requireCandidates) if (!this.requireHeldSomewhere.has(site)) this.add(f);
  }

  private finishSummary(): void {
    const s = this.summary;
    const exits = this.exits.filter((x) => !x.lossy);
    this.mutexParamAcquires(exits);
    s.deferred = this.deferred;
    if (this.childOfRet) s.childOfRet = this.childOfRet;
    if (this.returnKeys.size === 1) {
      const role = this.roleOf([...this.returnKeys][0]);
      if (role && role.includes('.')) s.returns = role;
    }
    s.leaseBreaks = this.leaseBreaksOnEveryPath(exits);
    if (!s.leaseBreaks.length) delete s.leaseBreaks;
    s.mayLock = this.conditionalLock || this.exits.some((x) => !x.lossy && x.ret?.kind !== 'err' && x.facts.get('#maybe-locked') === true) && !this.exits.some((x) => !x.lossy && x.ret?.kind !== 'err' && x.facts.get('#maybe-locked') !== true && x.locks.size === 0) ? true : undefined;
    s.isEmpty = !s.childOfRet && !s.mayLock && !s.returns && !s.outParams.length && !s.breaks.length && !s.leaseBreaks && !s.requires.length && !s.mutates.length && !s.sleeps && !s.acquires.length && !s.releases.length && !s.deferred.length;
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

  // ---------------------------------------------------------------- reporting

  private show(key: string): string {
    const root = ExprContext.rootOf(key);
    const rest = key.slice(root.length + 1);
    // Prefer a local variable that aliases this exact key (`target` for `dentry.d_inode`).
    for (const [name, v] of this.ctx.vars) {
      if (v.isParam || name === key) continue;
      if (this.ctx.resolvePath(name) === key) return name;
    }
    return describePath(root, rest);
  }

  private make(ruleId: RuleId, severity: Severity, start: number, end: number, inode: string, message: string, related: Related[]): Finding {
    const configured = this.opts.severity?.[ruleId];
    const { message: headline, detail } = splitMessage(message);
    return { ruleId, severity: configured && configured !== 'off' ? configured : severity, start, end, function: this.unit.name, inode, message: headline, related, ...(detail ? { detail } : {}) };
  }

  private report(ruleId: RuleId, severity: Severity, node: Pick<SNode, 'start' | 'end'>, key: string, message: string, related: Related[], fix?: Finding['fix']): void {
    const f = this.make(ruleId, severity, node.start, node.end, key ? this.show(key) : '', message, related);
    if (fix) f.fix = fix;
    this.add(f);
  }

  private add(f: Finding): void {
    if (this.opts.severity?.[f.ruleId] === 'off') return;
    const id = `${f.ruleId}@${f.start}:${f.inode}`;
    if (!this.findings.has(id)) this.findings.set(id, f);
  }
}

function starsOf(d: SNode): number {
  let n = 0;
  let cur: SNode | undefined = d;
  while (cur) {
    if (cur.type === 'pointer_declarator') n++;
    cur = cur.children.find((c) => c.type.endsWith('declarator'));
  }
  return n;
}

function isConstant(t: string): boolean {
  return /^(true|false|0|1|NULL)$/.test(t.trim());
}

function isFalse(t: string): boolean {
  return /^(false|0|NULL)$/.test(t.trim());
}

function isPure(x: SNode): boolean {
  const stack = [x];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'call_expression' || n.type === 'assignment_expression' || n.type === 'update_expression' || n.type === 'ERROR') return false;
    for (const c of n.children) stack.push(c);
  }
  return true;
}

function identifierRoots(ctx: ExprContext, x: SNode): Set<string> {
  const out = new Set<string>();
  const stack = [x];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'identifier') {
      const k = ctx.key(n);
      out.add(ctx.text(n));
      if (k) out.add(ExprContext.rootOf(k));
    } else for (const c of n.children) stack.push(c);
  }
  return out;
}

/** `lease.c.flc_flags` → `lease.c`: the object whose flags word is tested. */
function objectOfFlags(key: string): string {
  const i = key.lastIndexOf('.');
  if (i < 0) return key;
  const last = key.slice(i + 1);
  return /flags$/.test(last) ? key.slice(0, i) : key;
}

/** Immediate post-dominator of each node (-1 if none: the node cannot reach the exit). Cooper-Harvey-Kennedy. */
function immediatePostDominators(cfg: Cfg): number[] {
  const n = cfg.nodes.length;
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (const node of cfg.nodes) for (const t of node.succ) if (t >= 0) preds[t].push(node.id);
  // Reverse post-order of the reverse graph, from the exit.
  const order: number[] = [];
  const visited = new Uint8Array(n);
  const stack: [number, number][] = [[cfg.exit, 0]];
  visited[cfg.exit] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [v, i] = top;
    if (i < preds[v].length) {
      top[1]++;
      const w = preds[v][i];
      if (!visited[w]) {
        visited[w] = 1;
        stack.push([w, 0]);
      }
    } else {
      order.push(v);
      stack.pop();
    }
  }
  order.reverse();
  const rank = new Array(n).fill(-1);
  order.forEach((v, i) => (rank[v] = i));
  const idom = new Array(n).fill(-1);
  idom[cfg.exit] = cfg.exit;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (rank[a] > rank[b]) a = idom[a];
      while (rank[b] > rank[a]) b = idom[b];
    }
    return a;
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const v of order) {
      if (v === cfg.exit) continue;
      let nd = -1;
      for (const s of cfg.nodes[v].succ) {
        if (s < 0 || idom[s] === -1) continue;
        nd = nd === -1 ? s : intersect(s, nd);
      }
      if (nd !== -1 && idom[v] !== nd) {
        idom[v] = nd;
        changed = true;
      }
    }
  }
  return idom;
}

function reachable(cfg: Cfg, from: number): Set<number> {
  const seen = new Set<number>();
  const stack = [...cfg.nodes[from].succ];
  while (stack.length) {
    const n = stack.pop()!;
    if (n < 0 || seen.has(n)) continue;
    seen.add(n);
    stack.push(...cfg.nodes[n].succ);
  }
  return seen;
}

function unlockFor(api: string, inode: string): string {
  if (api.startsWith('inode_lock')) return `inode_unlock(${inode});`;
  if (api.startsWith('mutex_lock')) return `mutex_unlock(&${inode}->i_mutex);`;
  if (api.startsWith('spin_lock')) return `spin_unlock(&${inode});`;
  if (api === 'lock_rename') return `unlock_rename(...);`;
  return `/* release ${inode} (${api}) */`;
}

const EVENT_RANK = ['wait', 'break', 'delegOp', 'mutate', 'summaryMutate', 'grant', 'access', 'open', 'lock', 'unlock'];
function eventRank(k: string): number {
  const i = EVENT_RANK.indexOf(k);
  return i < 0 ? EVENT_RANK.length : i;
}

/** The target and blocking-ness of an event, for hovers. */
function eventDetail(op: Op): { target?: string; blocking?: boolean | null } {
  switch (op.k) {
    case 'break': return { target: op.display, blocking: op.blocking };
    case 'wait': return { target: op.di ?? undefined, blocking: true };
    case 'lock': case 'mutate': case 'access': case 'requireAtCall': case 'summaryMutate': return { target: op.display };
    case 'delegOp': return { target: op.display.join(', ') };
    default: return {};
  }
}

/** Severity order of a catalogue effect (absent means error). */
function rank(s: Severity | undefined): number {
  return s === 'info' ? 0 : s === 'warning' ? 1 : 2;
}

