/**
 * What a rule sees of the lock-state engine (analysis/function.ts), and the hooks through which the engine calls it.
 *
 * The engine owns the dataflow: the per-path State, what each event (lock, break, change, grant...) does to it, the
 * fixpoint, the function's contract and its summary for callers. A rule only reads: at an event (before the engine
 * applies it to the state, where the rule's verdict depends on the state before) or at the function's returns, it
 * asks the engine questions (is this inode locked here, was its delegation broken) and reports findings, or charges
 * an obligation to the function's callers through the summary. Adding a rule is adding a module in this directory
 * and registering it in index.ts, like an ESLint rule or a Smatch check.
 */
import type { Catalogue, LockClass } from '../catalogue/catalogue';
import type { Cfg } from '../cfg/cfg';
import type { SNode } from '../parse/syntax';
import type { FunctionUnit } from '../parse/units';
import type { Op } from '../analysis/ops';
import type { BreakSt, LockSt, State } from '../analysis/state';
import type {
  AnalyzeOptions,
  DeferredFinding,
  Finding,
  Related,
  RoleMutation,
  RuleId,
  Severity,
} from '../analysis/types';

/** The event of kind `K`. */
export type OpOf<K extends Op['k']> = Extract<Op, { k: K }>;

/** What the function's contract (catalogue entry, sparse annotations) says about its own locks. */
export interface ContractView {
  /** The function is a catalogued kernel API (its contract is in the catalogue). */
  readonly catalogued: boolean;
  /** The catalogue describes calls of it (any entry): callers read that, never its summary's `requires`. */
  readonly described: boolean;
  /** Inodes whose exclusive lock the catalogue's entry for this API holds its callers to (a non-blocking break). */
  readonly callersLockForBreak: ReadonlySet<string>;
  /** The catalogue says this function returns with locks held (lock_rename, start_dirop, ...). */
  readonly declaredLocking: boolean;
  /** ... and only when it succeeds (`when`: nonerr / zero). */
  readonly declaredConditional: boolean;
  /** Locks the function is declared to return holding (catalogue `lock`, `__acquires`). */
  readonly declaredAcquires: ReadonlySet<string>;
  /** Inode locks this catalogued API is documented to return holding (lock_rename, start_dirop, ...), and when. */
  readonly declaredLocks: ReadonlyMap<string, { when: string; ifNonNull: boolean }>;
  /** Inode locks this catalogued API is documented to release (end_dirop, unlock_rename, done_path_create, ...). */
  readonly declaredReleases: ReadonlySet<string>;
  /** ... and to release when it fails only (6.19 vfs_mkdir). */
  readonly declaredErrReleases: ReadonlySet<string>;
  /** ... and acquire, of which directories are exempt (the catalogue's `ifNonDir`). */
  readonly releasesSkipDirs: ReadonlySet<string>;
  /** The rename lock it is documented to release (unlock_rename), under the key its paths start holding it by. */
  readonly renameReleaseKey: string | null;
}

/**
 * A lock this function takes itself, as it reaches the returns (non-lossy exits): held on some, and what that means.
 * `declared`: the function is declared to return locked; `leakAfterUse`: held on every return (or every successful
 * one) after a change was made under it; `returnsLocked`: held on successful returns only (the summary's business);
 * `leak`: held on a failing return and not on another.
 */
export interface ExitLock {
  key: string;
  held: State[];
  notHeld: State[];
  errHeld: State[];
  verdict: 'declared' | 'leakAfterUse' | 'returnsLocked' | 'leak';
  /** errHeld are returns of a call's untested result made under the lock (`err = f(); return err;`), not known failures. */
  untested?: { name: string; callee: string; status?: string };
  /** `returnsLocked`, on an object only a local variable names: no caller can release it. */
  unreachable?: boolean;
}

/** Why an unlock releases a lock this path does not hold (the engine decides; lock/imbalance speaks). */
export type UnheldRelease =
  /** Released twice, both times unconditionally; `prev` is where it was first released. */
  | { kind: 'double'; prev: number }
  /** A catalogued API (or a documented acquirer) releases a parameter's lock its contract does not give it. */
  | { kind: 'contract' }
  /** A parameter's lock released without being taken: the caller may hold it (the function is analysed again so). */
  | { kind: 'callerMayHold' }
  /** Released after the conditional acquisition at `site` (`api`) failed on this path, so nothing holds it. */
  | { kind: 'failedAcquire'; site: number; api: string };

export interface RuleContext {
  readonly unit: FunctionUnit;
  readonly opts: AnalyzeOptions;
  readonly cat: Catalogue;
  readonly cfg: Cfg;
  /** The events of each CFG node, in order (index = CFG node id). */
  readonly ops: readonly Op[][];
  /** Calls of this (static) function from the same file. */
  readonly staticCallers: number;
  readonly contract: ContractView;
  /** The fixpoint stopped at its state budget. */
  readonly truncated: boolean;

  // ---- queries (read-only)
  /** The lock held exclusively on `key` (or on a key the path knows equal to it). */
  heldExclusive(s: State, key: string): LockSt | null;
  /** The break of `key`'s delegation on this path (or of a key the path knows equal to it). */
  brokenOf(s: State, key: string): BreakSt | undefined;
  /** A file open for write on `key` on this path (no delegation can exist: nfsd does not grant one while it is). */
  isWriteOpen(s: State, key: string): boolean;
  /** `key` (or the dentry it belongs to) is an inode no delegation can exist on: private, or on a pseudo filesystem. */
  noDelegation(s: State, key: string): boolean;
  /** The path carries an exempting flag (ATTR_DELEG: the change is made on behalf of the delegation's holder). */
  isExempt(s: State): boolean;
  /** A parameter-derived inode the function never locks itself: its caller is responsible for the lock. */
  callerResponsible(s: State, key: string): boolean;
  /** An inode this function itself holds locked exclusively here: its name and where it was locked. */
  otherLocalLock(s: State): { shown: string; related: Related } | undefined;
  /** Locks of these classes held on this path. */
  inodeLocksHeld(s: State, classes?: LockClass[]): [string, LockSt][];
  /** Whether the function's variable `root` names different objects on different paths (assigned more than once). */
  assignedMoreThanOnce(root: string): boolean;
  /** `held` is the inode of the parent of the dentry `key` is the inode of (a child is never its own parent). */
  isParentOf(held: string, key: string): boolean;
  /** Whether `name` has a summary (a function of this file or of the tree). */
  hasSummary(name: string): boolean;
  /** The fact a condition node tests (null if none the analysis remembers). */
  conditionFact(node: number): { fact: string; implies?: { fact: string; value: boolean } } | null;
  /** The locks this function takes, as they reach its returns. */
  exitLocks(): readonly ExitLock[];
  /** The function hands the object `key` belongs to to a call with neither catalogue entry nor summary. */
  handedToUnknownCallee(key: string, namedOnly?: boolean): boolean;
  /** Display name of a key in this function (`target` for `dentry.d_inode`). */
  show(key: string): string;
  /** A local variable that names exactly this inode (`target`), else the expression the call used. */
  displayName(key: string, display: string): string;
  /** `arg0.d_inode` for a parameter-derived key, else null. */
  roleOf(key: string): string | null;
  /** What to pass for delegated_inode in a fix (this function's out-parameter, a local, NULL), or null. */
  outParamName(): string | null;

  // ---- actions
  make(
    ruleId: RuleId,
    severity: Severity,
    start: number,
    end: number,
    inode: string,
    message: string,
    related: Related[],
  ): Finding;
  report(
    ruleId: RuleId,
    severity: Severity,
    node: Pick<SNode, 'start' | 'end'>,
    key: string,
    message: string,
    related: Related[],
    fix?: Finding['fix'],
  ): void;
  add(f: Finding): void;
  /** A finding about the analysis itself: listed after all others, whatever the configured severity. */
  note(f: Finding): void;
  /** Callers must hold `key`'s inode lock (the summary's `requires`). */
  noteRequire(key: string, node: SNode, changes?: boolean): void;
  /** A change of a caller-provided inode without a break: the callers must break first (the summary's `mutates`). */
  chargeCallers(entry: RoleMutation): void;
  /** A finding the static function's callers in this file may rule out (the inode is a directory at every call). */
  deferToCallers(d: DeferredFinding): void;
  /** A finding this non-static function reports could be left to its callers, were they all known (tree index). */
  markDeferrable(): void;
  /** A finding that stands only if the caller turns out not to hold the lock it assumed (see analyzeFunction). */
  reportUnlessCallerHolds(f: Finding): void;
  /** Per-function memory of a rule (rule objects are shared by all functions). */
  local<T>(name: string, init: () => T): T;
}

/**
 * A rule: the ids it reports and the events it listens to. Hooks named after events are called before the engine
 * applies the event to the state; `onExit` at each non-lossy return state, `onExits` once with all of them,
 * `onFinish` last.
 */
export interface Rule {
  readonly ids: readonly RuleId[];
  onUnlockUnheld?(ctx: RuleContext, op: OpOf<'unlock'>, s: State, why: UnheldRelease): void;
  /** A blocking acquire of a lock this path already holds (`held`: the lock as it was before this call). */
  onLockHeld?(ctx: RuleContext, op: OpOf<'lock'>, s: State, held: LockSt): void;
  onBreak?(ctx: RuleContext, op: OpOf<'break'>, s: State): void;
  onWait?(ctx: RuleContext, op: OpOf<'wait'>, s: State): void;
  onDelegOp?(ctx: RuleContext, op: OpOf<'delegOp'>, s: State): void;
  onRequireAtCall?(ctx: RuleContext, op: OpOf<'requireAtCall'>, s: State): void;
  onSleeps?(ctx: RuleContext, op: OpOf<'sleeps'>, s: State): void;
  onMutate?(ctx: RuleContext, op: OpOf<'mutate' | 'summaryMutate'>, s: State): void;
  /** `deleg`: whether the path knows the grant is of a delegation (undefined: it does not say). */
  onGrant?(ctx: RuleContext, op: OpOf<'grant'>, s: State, deleg: boolean | undefined, node: number): void;
  onAccess?(ctx: RuleContext, op: OpOf<'access'>, s: State): void;
  onOpen?(ctx: RuleContext, op: OpOf<'open'>, s: State): void;
  onExit?(ctx: RuleContext, s: State): void;
  onExits?(ctx: RuleContext, exits: readonly State[]): void;
  onFinish?(ctx: RuleContext): void;
}

/** The related note for a lock held on the changed inode: the caller's, or where this function took it. */
export function lockedHere(held: LockSt, display: string): Related {
  return {
    start: held.site,
    end: held.siteEnd,
    message: held.origin === 'entry' ? `${display} is locked by the caller` : `${display} locked here (${held.api})`,
  };
}
