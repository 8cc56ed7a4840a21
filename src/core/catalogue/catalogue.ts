/**
 * The rule catalogue: what each kernel API does to locks, leases, delegations, names and attributes.
 * The analysis never names a kernel function itself; it asks the catalogue.
 */
import builtin from './kernel.json';

/** 'err' (unlock only): the call released it only if it failed, returning an ERR_PTR. */
export type When = 'always' | 'zero' | 'nonzero' | 'nonnull' | 'nonerr' | 'err';
export type LockClass = 'inode' | 'mutex' | 'spin' | 'rename';

export type Effect =
  | {
      op: 'lock';
      target: string;
      class: LockClass;
      mode?: 'exclusive' | 'shared';
      when?: Exclude<When, 'err'>;
      ifNonNull?: boolean;
      ifNonDir?: boolean;
      escapes?: boolean;
    }
  /** ifNonDir: directories are skipped (unlock_two_nondirectories before 6.19 leaves them alone). */
  /**
   * when `err`: released only when the call fails (vfs_mkdir() since 6.19 unlocks the parent when it returns an
   * ERR_PTR). unlessErr: a parameter; nothing is released when it is an error pointer (end_creating(ERR_PTR)).
   */
  | {
      op: 'unlock';
      target: string;
      class?: LockClass;
      ifNonNull?: boolean;
      ifNonDir?: boolean;
      idempotent?: boolean;
      when?: 'err';
      unlessErr?: string;
    }
  /**
   * `ret`: the returned dentry is a child of `parent` (start_dirop). A parameter: callers pass a child of `parent`
   * (end_creating_path(path, dentry) gets path->dentry's child), which the API's own body may rely on.
   */
  | { op: 'childOf'; target: string; parent: string; parentInode?: boolean }
  | {
      op: 'break';
      target: string;
      kind: 'deleg' | 'lease' | 'layout';
      blocking: 'never' | 'always' | 'flags' | 'arg';
      flags?: string;
      typeFlags?: string;
      outParam?: string;
    }
  | { op: 'wait'; outParam: string }
  | { op: 'boundedWait'; target: string }
  | { op: 'requires'; target: string; class: LockClass; mode: 'exclusive' | 'shared' }
  | { op: 'delegOp'; outParam: string; breaks: string[] }
  | { op: 'sleeps'; doc?: string }
  /** Takes a lock ordered before every inode lock (freeze protection): no inode lock is held where it is called. */
  | { op: 'outerLock'; doc?: string }
  /** dirWhen: the API changes the target only when it is a directory if this parameter is one of these constants. */
  | {
      op: 'mutate';
      target: string;
      kind: MutationKind;
      what: string;
      severity?: 'error' | 'warning' | 'info';
      note?: string;
      dirWhen?: { param: string; equals: string[] };
    }
  /**
   * locksItself: the API serialises the grant itself (kernel_setlease), the caller need hold no inode lock.
   * rechecks: checks (conflictCheck `check` names) that must follow the grant, default ["opens"].
   * rechecksWhenParam: a check owed after the grant, from kernel `since`, by a function with a parameter of type
   * `type` on the paths where that parameter is not NULL (nfsd's delegation for a name: its parent's `struct svc_fh *`).
   */
  | {
      op: 'grant';
      lease: string;
      list?: string;
      listField?: string;
      inode?: string;
      requireTypeFact?: boolean;
      recheckAfter: boolean;
      locksItself?: boolean;
      rechecks?: string[];
      rechecksWhenParam?: { type: string; check: string; since?: string }[];
    }
  /** check: what is re-verified (default "opens": conflicting opens; "dentry": the delegated name still resolves). */
  | { op: 'conflictCheck'; target: string; check?: string }
  | { op: 'access'; target: string; kind: 'write' | 'read'; when?: Exclude<When, 'err'> }
  | { op: 'releaseAccess'; target: string }
  | {
      op: 'open';
      target: string;
      what: string;
      unlessArg?: string;
      /** Only when the `flagsArg` argument mentions this flag (do_truncate's ATTR_OPEN: a truncate for open(O_TRUNC)). */
      ifFlag?: string;
      /** Not when the `flagsArg` argument mentions this flag (an open with O_NONBLOCK does not wait in its break). */
      unlessFlag?: string;
      flagsArg?: string;
      /** Rule and severity reported instead of lease/open-missing-break. */
      rule?: string;
      severity?: 'error' | 'warning' | 'info';
    };

/** `dirself`: the directory itself changes (rmdir's victim: its link count and ctime), not its entries. */
export type MutationKind = 'names' | 'attrs' | 'dirent' | 'dirself';

export interface Variant {
  params: string[];
  since?: string;
  until?: string;
  /** Roles derived from the parameters, e.g. `"dir": "dentry.d_parent.d_inode"`. */
  roles?: Record<string, string>;
}

export interface ApiEntry {
  name?: string | string[];
  method?: string | string[];
  /** For methods: the field the method is called through (`dir->i_op->unlink`). */
  via?: string[];
  doc?: string;
  since?: string;
  until?: string;
  variants?: Variant[];
  effects: Effect[];
}

export interface AssertCall {
  name: string;
  arg: number;
  negated: boolean;
  lockArg?: boolean;
}

export interface CatalogueData {
  version: 1;
  name?: string;
  doc?: string;
  transparentCalls?: string[];
  /**
   * LSM permission hooks (security_inode_setattr, ...): they decide whether a change may be made and write nothing the
   * caller passes; whatever an LSM does inside (EVM refreshing its own security.evm HMAC) is not the caller's change.
   * Their summaries' changes are not applied at call sites (their locks and sleeps are).
   */
  permissionHooks?: string[];
  /**
   * Calls that take or drop a reference to an object (dput, path_put, iput, fput...) and never lock, unlock or change
   * it: handing a locked object to one of them does not hand over its lock.
   */
  referenceCalls?: string[];
  assertCalls?: AssertCall[];
  lockedPredicates?: { name: string; target: string; class: 'inode' | 'lockfield' }[];
  inodeLockFields?: string[];
  accessors?: Record<string, string>;
  fieldAliases?: Record<string, string>;
  predicates?: { name: string; kind: PredicateKind; target: string; modeField?: string }[];
  flags?: {
    exempt?: { flag: string; doc?: string }[];
    /**
     * Flags only the kernel's own code sets, right before the call that breaks (notify_change()): a word of unknown
     * content is taken not to carry them, so a change a callee makes only under one is not claimed.
     */
    internal?: { flag: string; doc?: string }[];
    delegation?: string[];
    lease?: string[];
    nonblocking?: string[];
    breakDelegType?: string[];
    breakLeaseType?: string[];
    breakLayoutType?: string[];
  };
  loopMacros?: { suffixes?: string[]; contains?: string[]; prefixes?: string[] };
  guards?: { scopedMacro?: string; guardMacro?: string; classes?: Record<string, { lock: string }> };
  functions?: ApiEntry[];
  methods?: ApiEntry[];
  mutators?: ApiEntry[];
  grants?: ApiEntry[];
  conflictChecks?: ApiEntry[];
  conflictReads?: string[];
  access?: ApiEntry[];
  /**
   * One-argument calls that return the same object under another type (container_of conversions such as
   * `BTRFS_I(inode)`, `VFS_I(ip)`): by name, or by an upper-case name ending in one of `upperSuffixes`.
   */
  sameObjectCalls?: { names?: string[]; upperSuffixes?: string[] };
  /** Fields that embed the VFS inode in a filesystem's own inode (`&ei->vfs_inode` is `ei`'s inode itself). */
  sameObjectFields?: string[];
  /**
   * Facts under which no delegation can exist on an inode: `writeOpen` (a file open for write on it: NULL
   * delegated-inode arguments are fine and nothing needs breaking), `noDelegation` (pseudo-filesystem inodes nfsd
   * cannot export, private inodes).
   */
  contexts?: {
    doc?: string;
    /** `file->f_mode & FMODE_WRITE` tested true: that file is open for write on its inode (path from the file). */
    writeModeFlags?: { flag: string; field: string; inode: string }[];
    /** Open calls whose `flags` parameter with one of `writeFlags` returns a file open for write on `ret.<inode>`. */
    openCalls?: { name: string[]; flags: number; inode: string }[];
    writeFlags?: string[];
    /** Calls returning a dentry of a filesystem nfsd cannot export (securityfs_create_file, debugfs_create_dir...). */
    pseudoFsCreators?: string[];
    /**
     * Calls returning a newly allocated inode (new_inode): nothing else can reach it yet, so no delegation can exist
     * on it in the function that allocated it.
     */
    newInodeAllocators?: string[];
    /** Inode flags marking a private inode (`inode->i_flags & S_PRIVATE`). */
    privateFlags?: string[];
    /** Calls returning a lease that is a delegation (nfsd's lease allocator): as if its FL_DELEG flag were tested. */
    delegationLeaseAllocators?: string[];
  };
  /** Identifiers that exist only in some kernel versions (era detection, see era.ts). */
  versionMarkers?: { ident: string; since?: string; until?: string; doc?: string }[];
  /** Parameter spellings that exist only in some versions: `type`/`name` are regular expressions over the declaration. */
  versionSignatures?: { type: string; name?: string; label: string; since?: string; until?: string }[];
  /** Parameter types of server/kernel-internal contexts that must never wait for a recall (nfsd, ksmbd). */
  /**
   * `opensBreakFirst`: such a context opens a file only after breaking its leases without blocking (nfsd's
   * nfsd_open_break_lease()); the open's own break_lease() would otherwise wait for a recall in a thread the recall
   * may need (rule lease/server-open-blocks).
   */
  nonBlockingContexts?: { paramType: string; doc?: string; opensBreakFirst?: boolean }[];
  /**
   * Error statuses spelled as identifiers rather than negative errno constants (nfsd's `__be32` `nfserr_*`): a
   * value or return of one of these is a failure, as `-EINVAL` is.
   */
  errorStatuses?: { doc?: string; prefixes: string[] };
}

export type PredicateKind =
  | 'isDir'
  | 'isNull'
  | 'nonNull'
  | 'isErr'
  | 'isErrOrNull'
  | 'delegated'
  | 'errOrZero'
  | 'errCode'
  | 'statusOf'
  | 'private';

/** Kernel eras the analysis distinguishes; a version string like "5.15" is mapped into one. */
export type Era = '3.12' | '3.13' | '6.19';

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

export function eraOf(version: string): Era {
  if (compareVersions(version, '3.13') < 0) return '3.12';
  if (compareVersions(version, '6.19') < 0) return '3.13';
  return '6.19';
}

/** A representative version for an era, used to choose between catalogue variants. */
export function eraVersion(era: Era): string {
  return era === '3.12' ? '3.12' : era === '3.13' ? '6.12' : '6.19';
}

export interface Catalogue {
  readonly data: Required<Pick<CatalogueData, 'version'>> & CatalogueData;
  readonly transparent: ReadonlySet<string>;
  readonly permissionHooks: ReadonlySet<string>;
  readonly referenceCalls: ReadonlySet<string>;
  readonly asserts: ReadonlyMap<string, AssertCall>;
  readonly lockedPredicates: ReadonlyMap<string, { target: string; class: 'inode' | 'lockfield' }>;
  readonly inodeLockFields: ReadonlySet<string>;
  readonly accessors: ReadonlyMap<string, string>;
  readonly fieldAliases: ReadonlyMap<string, string>;
  readonly predicates: ReadonlyMap<string, { kind: PredicateKind; target: string; modeField?: string }>;
  readonly exemptFlags: ReadonlyMap<string, string>;
  readonly internalFlags: ReadonlyMap<string, string>;
  readonly delegationFlags: ReadonlySet<string>;
  readonly leaseFlags: ReadonlySet<string>;
  readonly nonblockingFlags: ReadonlySet<string>;
  /** Whether an identifier names an error status (`errorStatuses`: `nfserr_stale`). */
  isErrorStatus(name: string): boolean;
  readonly breakDelegTypeFlags: ReadonlySet<string>;
  readonly breakLeaseTypeFlags: ReadonlySet<string>;
  readonly breakLayoutTypeFlags: ReadonlySet<string>;
  readonly conflictReads: ReadonlySet<string>;
  /** `BTRFS_I(x)` denotes x (see CatalogueData.sameObjectCalls). */
  isSameObjectCall(name: string): boolean;
  readonly sameObjectFields: ReadonlySet<string>;
  readonly contexts: Required<Omit<NonNullable<CatalogueData['contexts']>, 'doc'>>;
  /** Plain function calls by name. */
  readonly calls: ReadonlyMap<string, ApiEntry[]>;
  /** Method calls (`x->i_op->unlink(...)`) by method name. */
  readonly methods: ReadonlyMap<string, ApiEntry[]>;
  /** Identifiers whose presence makes a function worth analysing (see also `isInteresting`). */
  readonly interesting: ReadonlySet<string>;
  /** Whether a function mentioning these identifiers is worth analysing. */
  isInteresting(ids: ReadonlySet<string>): boolean;
  isLoopMacro(name: string): boolean;
  guardLock(cls: string): string | undefined;
  readonly scopedGuardMacro: string;
  readonly guardMacro: string;
  readonly versionMarkers: ReadonlyMap<string, { since?: string; until?: string }>;
  readonly versionSignatures: readonly { type: RegExp; name?: RegExp; label: string; since?: string; until?: string }[];
  /** Catalogued API `name`'s version range (entries' since/until), or null when it has none. */
  apiRange(name: string): { since?: string; until?: string } | null;
  /** Struct tags whose presence in a parameter type marks a server context that must not block (svc_rqst, ksmbd_work). */
  readonly nonBlockingTypes: ReadonlySet<string>;
  /** Of those, the ones whose opens must break leases without blocking first (`opensBreakFirst`). */
  readonly openBreakFirstTypes: ReadonlySet<string>;
}

function names(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Builds the lookup tables from the built-in catalogue plus any user catalogues (later ones win per name). */
export function buildCatalogue(extra: CatalogueData[] = []): Catalogue {
  const all = [builtin as unknown as CatalogueData, ...extra];
  const calls = new Map<string, ApiEntry[]>();
  const methods = new Map<string, ApiEntry[]>();
  const merged: CatalogueData = { version: 1 };
  const transparent = new Set<string>();
  const permissionHooks = new Set<string>();
  const referenceCalls = new Set<string>();
  const asserts = new Map<string, AssertCall>();
  const lockedPredicates = new Map<string, { target: string; class: 'inode' | 'lockfield' }>();
  const inodeLockFields = new Set<string>();
  const accessors = new Map<string, string>();
  const fieldAliases = new Map<string, string>();
  const predicates = new Map<string, { kind: PredicateKind; target: string; modeField?: string }>();
  const exemptFlags = new Map<string, string>();
  const internalFlags = new Map<string, string>();
  const sets = {
    delegation: new Set<string>(),
    lease: new Set<string>(),
    nonblocking: new Set<string>(),
    breakDelegType: new Set<string>(),
    breakLeaseType: new Set<string>(),
    breakLayoutType: new Set<string>(),
  };
  const conflictReads = new Set<string>();
  const loop = { suffixes: [] as string[], contains: [] as string[], prefixes: [] as string[] };
  let guards: Record<string, { lock: string }> = {};
  const sameNames = new Set<string>();
  const sameSuffixes: string[] = [];
  const sameObjectFields = new Set<string>();
  const contexts: Required<Omit<NonNullable<CatalogueData['contexts']>, 'doc'>> = {
    writeModeFlags: [],
    openCalls: [],
    writeFlags: [],
    pseudoFsCreators: [],
    newInodeAllocators: [],
    privateFlags: [],
    delegationLeaseAllocators: [],
  };
  let scopedGuardMacro = 'scoped_guard';
  const versionMarkers = new Map<string, { since?: string; until?: string }>();
  const versionSignatures: Catalogue['versionSignatures'][number][] = [];
  const nonBlockingTypes = new Set<string>();
  const openBreakFirstTypes = new Set<string>();
  const errorPrefixes: string[] = [];
  let guardMacro = 'guard';

  for (const c of all) {
    for (const t of c.transparentCalls ?? []) transparent.add(t);
    for (const t of c.permissionHooks ?? []) permissionHooks.add(t);
    for (const t of c.referenceCalls ?? []) referenceCalls.add(t);
    for (const a of c.assertCalls ?? []) asserts.set(a.name, a);
    for (const p of c.lockedPredicates ?? []) lockedPredicates.set(p.name, p);
    for (const f of c.inodeLockFields ?? []) inodeLockFields.add(f);
    for (const [k, v] of Object.entries(c.accessors ?? {})) accessors.set(k, v);
    for (const [k, v] of Object.entries(c.fieldAliases ?? {})) fieldAliases.set(k, v);
    for (const p of c.predicates ?? []) predicates.set(p.name, p);
    for (const e of c.flags?.exempt ?? []) exemptFlags.set(e.flag, e.doc ?? '');
    for (const e of c.flags?.internal ?? []) internalFlags.set(e.flag, e.doc ?? '');
    for (const key of Object.keys(sets) as (keyof typeof sets)[])
      for (const f of c.flags?.[key] ?? []) sets[key].add(f);
    for (const r of c.conflictReads ?? []) conflictReads.add(r);
    for (const n of c.sameObjectCalls?.names ?? []) sameNames.add(n);
    sameSuffixes.push(...(c.sameObjectCalls?.upperSuffixes ?? []));
    for (const f of c.sameObjectFields ?? []) sameObjectFields.add(f);
    errorPrefixes.push(...(c.errorStatuses?.prefixes ?? []));
    for (const k of Object.keys(contexts) as (keyof typeof contexts)[])
      (contexts[k] as unknown[]).push(...((c.contexts?.[k] ?? []) as unknown[]));
    loop.suffixes.push(...(c.loopMacros?.suffixes ?? []));
    loop.contains.push(...(c.loopMacros?.contains ?? []));
    loop.prefixes.push(...(c.loopMacros?.prefixes ?? []));
    for (const m of c.versionMarkers ?? []) versionMarkers.set(m.ident, { since: m.since, until: m.until });
    for (const v of c.versionSignatures ?? []) {
      versionSignatures.push({
        type: new RegExp(v.type),
        name: v.name ? new RegExp(v.name) : undefined,
        label: v.label,
        since: v.since,
        until: v.until,
      });
    }
    for (const n of c.nonBlockingContexts ?? []) {
      nonBlockingTypes.add(n.paramType);
      if (n.opensBreakFirst) openBreakFirstTypes.add(n.paramType);
    }
    if (c.guards?.classes) guards = { ...guards, ...c.guards.classes };
    if (c.guards?.scopedMacro) scopedGuardMacro = c.guards.scopedMacro;
    if (c.guards?.guardMacro) guardMacro = c.guards.guardMacro;
    const seenHere = new Set<string>();
    for (const list of [c.functions, c.mutators, c.grants, c.conflictChecks, c.access]) {
      for (const entry of list ?? []) {
        for (const n of names(entry.name)) {
          // A later catalogue replaces an earlier one's entries for the same name.
          if (!seenHere.has(n)) {
            if (c !== all[0]) calls.delete(n);
            seenHere.add(n);
          }
          const arr = calls.get(n) ?? [];
          arr.push(entry);
          calls.set(n, arr);
        }
      }
    }
    for (const entry of c.methods ?? []) {
      for (const n of names(entry.method)) {
        const key = 'method:' + n;
        if (!seenHere.has(key)) {
          if (c !== all[0]) methods.delete(n);
          seenHere.add(key);
        }
        const arr = methods.get(n) ?? [];
        arr.push(entry);
        methods.set(n, arr);
      }
    }
  }
  // Functions worth analysing mention one of these. Generic locks (spinlocks, mutexes), lookups and predicates
  // only matter next to one of them, so they do not make a function interesting on their own.
  const interesting = new Set<string>([...inodeLockFields]);
  const secondary = (e: Effect) =>
    e.op === 'childOf' || ((e.op === 'lock' || e.op === 'unlock') && (e.class === 'spin' || e.class === 'mutex'));
  for (const [name, entries] of calls)
    if (entries.some((en) => en.effects.some((e) => !secondary(e)))) interesting.add(name);
  // Methods count only when called through their `via` field: both names must appear (see `isInteresting`).
  const methodVia = new Map<string, string[]>();
  for (const [name, entries] of methods)
    methodVia.set(
      name,
      entries.flatMap((en) => en.via ?? []),
    );

  return {
    data: merged as Catalogue['data'],
    transparent,
    permissionHooks,
    referenceCalls,
    asserts,
    lockedPredicates,
    inodeLockFields,
    accessors,
    fieldAliases,
    predicates,
    exemptFlags,
    internalFlags,
    delegationFlags: sets.delegation,
    leaseFlags: sets.lease,
    nonblockingFlags: sets.nonblocking,
    breakDelegTypeFlags: sets.breakDelegType,
    breakLeaseTypeFlags: sets.breakLeaseType,
    breakLayoutTypeFlags: sets.breakLayoutType,
    conflictReads,
    calls,
    methods,
    interesting,
    scopedGuardMacro,
    guardMacro,
    sameObjectFields,
    contexts,
    versionMarkers,
    versionSignatures,
    nonBlockingTypes,
    openBreakFirstTypes,
    isErrorStatus(name: string): boolean {
      return errorPrefixes.some((x) => name.length > x.length && name.startsWith(x));
    },
    isSameObjectCall(name: string): boolean {
      return sameNames.has(name) || (/^[A-Z][A-Z0-9_]*$/.test(name) && sameSuffixes.some((x) => name.endsWith(x)));
    },
    apiRange(name: string): { since?: string; until?: string } | null {
      const entries = calls.get(name);
      if (!entries?.length) return null;
      // The widest range over the name's entries; a bound only when every entry has one.
      let since: string | undefined;
      let until: string | undefined;
      if (entries.every((e) => e.since)) since = entries.map((e) => e.since!).sort(compareVersions)[0];
      if (entries.every((e) => e.until))
        until = entries
          .map((e) => e.until!)
          .sort(compareVersions)
          .reverse()[0];
      return since || until ? { since, until } : null;
    },
    isInteresting(ids: ReadonlySet<string>): boolean {
      for (const id of ids) {
        if (interesting.has(id)) return true;
        const via = methodVia.get(id);
        if (via && via.some((v) => ids.has(v))) return true;
      }
      return false;
    },
    isLoopMacro(name: string): boolean {
      return (
        loop.suffixes.some((s) => name.endsWith(s)) ||
        loop.contains.some((s) => name.includes(s)) ||
        loop.prefixes.some((s) => name.startsWith(s))
      );
    },
    guardLock(cls: string): string | undefined {
      return guards[cls]?.lock;
    },
  };
}

/**
 * Chooses the entry and variant for a call with `arity` arguments in a file of kernel version `version`.
 * Returns the role → argument-index map (or derived-role paths) to resolve effect targets.
 */
export function selectVariant(
  entries: readonly ApiEntry[],
  arity: number,
  version: string,
  argTexts?: readonly string[],
): { entry: ApiEntry; variant: Variant | null } | null {
  // Arity decides; then arguments that look like an idmap (`&nop_mnt_idmap`, `mnt_userns`) where a variant expects
  // one; then the version range (a call outside its documented range still counts: backports, mutants).
  let best: { entry: ApiEntry; variant: Variant | null; score: number } | null = null;
  for (const entry of entries) {
    const entryScore = inRange(version, entry.since, entry.until) ? 2 : 0;
    const candidates: (Variant | null)[] = entry.variants
      ? entry.variants.filter((v) => v.params.length === arity)
      : [null];
    for (const v of candidates) {
      let score = 1 + entryScore + (v && inRange(version, v.since, v.until) ? 4 : 0);
      if (v && argTexts) {
        v.params.forEach((p, i) => {
          const looks = IDMAP_ARG.test(argTexts[i] ?? '');
          const wants = IDMAP_PARAM.test(p);
          if (looks && wants) score += 8;
          else if (looks !== wants && looks) score -= 8;
        });
      }
      if (!best || score > best.score) best = { entry, variant: v, score };
    }
  }
  return best ? { entry: best.entry, variant: best.variant } : null;
}

const IDMAP_ARG = /idmap|userns/;
const IDMAP_PARAM = /^(idmap|mnt_userns)$/;

function inRange(version: string, since: string | undefined, until: string | undefined): boolean {
  if (since && compareVersions(version, since) < 0) return false;
  if (until && compareVersions(version, until) > 0) return false;
  return true;
}
