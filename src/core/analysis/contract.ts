/**
 * A function's own contract: what the catalogue says about this function when it is a kernel API (the locks its
 * callers hold, the ones it returns holding or releases, argument relations), and its sparse annotations
 * (__must_hold, __acquires). The engine starts the function's paths from it and the rules check the body against it.
 */
import type { Catalogue, LockClass } from '../catalogue/catalogue';
import { selectVariant } from '../catalogue/catalogue';
import type { FunctionUnit } from '../parse/units';
import type { ContractView } from '../rules/context';
import type { ExprContext } from './expr';
import { lockKey } from './ops';

export class Contract implements ContractView {
  /** Locks the caller holds on entry (catalogue `requires`, annotations; the engine adds those it infers). */
  readonly selfContract: { key: string; class: LockClass; mode: 'exclusive' | 'shared' }[] = [];
  readonly declaredAcquires = new Set<string>();
  /** The function is a catalogued kernel API (its contract is in the catalogue). */
  catalogued = false;
  /**
   * The catalogue describes calls of this function (any entry of its arity): its callers read that entry, never its
   * summary, so a lock it needs that the entry does not say its callers hold is its own to take.
   */
  described = false;
  /**
   * Inodes this catalogued API is documented to break a delegation of without blocking (try_break_deleg's `inode`):
   * the catalogue's entry holds every caller to that inode's exclusive lock at the call, so inside the API's own body
   * the lock is its callers' to hold, not a requirement that would vanish.
   */
  readonly callersLockForBreak = new Set<string>();
  /** The catalogue says this function returns with locks held (lock_rename, start_dirop, ...). */
  declaredLocking = false;
  /** ... and only when it succeeds (`when`: nonerr / zero). */
  declaredConditional = false;
  /** Inode locks this catalogued API is documented to return holding (lock_rename, start_dirop, ...), and when. */
  readonly declaredLocks = new Map<string, { when: string; ifNonNull: boolean }>();
  /** Inode locks this catalogued API is documented to release (end_dirop, unlock_rename, done_path_create, ...). */
  readonly declaredReleases = new Set<string>();
  /** ... and acquire, of which directories are exempt (the catalogue's `ifNonDir`). */
  readonly releasesSkipDirs = new Set<string>();
  /** Inode locks it is documented to release when it fails only (6.19 vfs_mkdir: an ERR_PTR, the parent unlocked). */
  readonly declaredErrReleases = new Set<string>();
  /**
   * This catalogued API is documented to release the rename lock (unlock_rename): held on entry unless its two
   * directories are one (lock_rename(p, p) takes no rename lock). The engine sets `renameReleaseKey` to the key it
   * seeded for it.
   */
  declaredRenameRelease = false;
  renameReleaseKey: string | null = null;
}

/** Locks the caller must hold: catalogue `requires` for this function's own API, annotations, __must_hold. */
export function collectContract(unit: FunctionUnit, ctx: ExprContext, cat: Catalogue, version: string): Contract {
  const c = new Contract();
  const entries = cat.calls.get(unit.name);
  // Every variant of this arity: they are spellings of the same contract in different kernels (rd->old_dir in
  // 6.12, d_inode(rd->old_parent) in 6.19); only the ones naming fields this code has will match its events.
  // Parameter names disambiguate like call arguments do (start_creating(idmap, parent, name) vs (parent, name, flags)).
  const chosen = entries
    ? selectVariant(
        entries,
        unit.params.length,
        version,
        unit.params.map((p) => p.name),
      )
    : null;
  c.catalogued = !!chosen?.variant && chosen.entry.effects.some((e) => e.op === 'requires' || e.op === 'delegOp');
  c.described = !!chosen?.variant;
  // A function whose parameters are the catalogue's in another order (debugfs's own static start_creating(name,
  // parent) vs the VFS's start_creating(parent, name)) is a namesake, not this API: its body is not held to it.
  const vparams = chosen?.variant?.params ?? [];
  const ownSpelling = !unit.params.some((p, i) => vparams.includes(p.name) && vparams.indexOf(p.name) !== i);
  const candidates =
    !entries || !chosen
      ? []
      : entries.flatMap((entry) =>
          (entry.variants ?? [])
            .filter((v) => v.params.length === unit.params.length)
            .map((variant) => ({ entry, variant })),
        );
  for (const sel of candidates) {
    {
      const role = (path: string): string | null => {
        const dot = path.indexOf('.');
        const head = dot < 0 ? path : path.slice(0, dot);
        const rest = dot < 0 ? '' : path.slice(dot + 1);
        const i = sel.variant!.params.indexOf(head);
        let base: string | null = null;
        if (i >= 0 && unit.params[i]) base = ctx.resolvePath(unit.params[i].name);
        else if (sel.variant!.roles?.[head]) base = role(sel.variant!.roles[head]);
        if (!base) return null;
        return rest ? ctx.appendPath(base, rest) : base;
      };
      for (const eff of sel.entry.effects) {
        if (eff.op === 'requires') {
          const k = role(eff.target);
          if (k) c.selfContract.push({ key: k, class: eff.class, mode: eff.mode });
        }
        // A delegation break the catalogue describes as non-blocking (or as the flags say): break-unlocked checks the
        // target's exclusive lock at every call of this API.
        if (eff.op === 'break' && eff.kind === 'deleg' && eff.blocking !== 'always') {
          const k = role(eff.target);
          if (k) c.callersLockForBreak.add(k);
        }
        // A precondition on the arguments: `dentry` is a child of `path.dentry`, so dentry->d_parent is path->dentry.
        if (eff.op === 'childOf' && eff.target !== 'ret') {
          const child = role(eff.target);
          const parent = role(eff.parent);
          // `parentInode`: the parameter names the parent's inode (vfs_mkdir's dir), not its dentry.
          if (child && parent) ctx.addAlias(child + (eff.parentInode ? '.d_parent.d_inode' : '.d_parent'), parent);
        }
        // This kernel's spelling only (the version-selected variant): the body must release what callers rely on.
        if (
          eff.op === 'unlock' &&
          eff.class === 'rename' &&
          sel.entry === chosen?.entry &&
          sel.variant === chosen?.variant &&
          ownSpelling
        )
          c.declaredRenameRelease = true;
        // A release on failure only (`when: err`): the body must release it on its failing returns, by whatever name
        // (vfs_mkdir's end_creating(dentry) releases dir, its dentry's parent by the catalogue's childOf).
        if (
          eff.op === 'unlock' &&
          eff.class === 'inode' &&
          eff.when === 'err' &&
          sel.entry === chosen?.entry &&
          sel.variant === chosen?.variant &&
          ownSpelling
        ) {
          const k = role(eff.target);
          if (k) c.declaredErrReleases.add(lockKey(cat, k, eff.class).key);
        }
        if (
          eff.op === 'unlock' &&
          eff.class === 'inode' &&
          !eff.when &&
          sel.entry === chosen?.entry &&
          sel.variant === chosen?.variant &&
          ownSpelling
        ) {
          const k = role(eff.target);
          if (k) {
            const key = lockKey(cat, k, eff.class).key;
            c.declaredReleases.add(key);
            if (eff.ifNonDir) c.releasesSkipDirs.add(key);
          }
        }
        if (eff.op === 'lock') {
          c.declaredLocking = true;
          if (eff.when && eff.when !== 'always') c.declaredConditional = true;
          const k = role(eff.target);
          if (k) c.declaredAcquires.add(lockKey(cat, k, eff.class).key);
          if (
            k &&
            eff.class === 'inode' &&
            sel.entry === chosen?.entry &&
            sel.variant === chosen?.variant &&
            ownSpelling
          ) {
            const key = lockKey(cat, k, eff.class).key;
            c.declaredLocks.set(key, { when: eff.when ?? 'always', ifNonNull: !!eff.ifNonNull });
            if (eff.ifNonDir) c.releasesSkipDirs.add(key);
          }
        }
      }
    }
  }
  for (const a of unit.annotations) {
    // The annotation argument is source text of an expression over the parameters: key it via a tiny lookup.
    const k = annotationKey(ctx, cat, a.arg);
    if (!k) continue;
    if (a.kind === '__acquires') c.declaredAcquires.add(k);
    // Sparse annotations name spinlocks and mutexes; an inode's i_rwsem/i_mutex becomes the inode lock.
    else
      c.selfContract.push({ key: k, class: isInodeLockAnnotation(cat, a.arg) ? 'inode' : 'spin', mode: 'exclusive' });
  }
  return c;
}

function isInodeLockAnnotation(cat: Catalogue, text: string): boolean {
  const last = text.replace(/\s+/g, '').split(/->|\./).pop() ?? '';
  return cat.inodeLockFields.has(last);
}

function annotationKey(ctx: ExprContext, cat: Catalogue, text: string): string | null {
  // `&inode->i_lock`, `inode->i_lock`, `&ctx->flc_lock`: an access path over identifiers.
  const path = text.replace(/^&\s*/, '').replace(/->/g, '.').replace(/\s+/g, '');
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(path)) return null;
  const [root, ...rest] = path.split('.');
  const base = ctx.resolvePath(root);
  const k = rest.length ? ctx.appendPath(base, rest.join('.')) : base;
  return lockKey(cat, k, 'mutex').key;
}
