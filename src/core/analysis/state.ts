/**
 * The abstract state of one path through a function: locks held, delegations broken, write access taken,
 * delegated inodes awaiting a wait, leases granted, and the branch facts learnt so far.
 * States are kept per path (disjunctively) and only merged when a node accumulates too many.
 */
import type { LockClass } from '../catalogue/catalogue';
import type { Op } from './ops';

export interface LockSt {
  class: LockClass;
  mode: 'exclusive' | 'shared';
  count: number;
  origin: 'local' | 'entry' | 'assert';
  /** Owned by an object (nfsd's fh_lock): released later by someone else, so returning with it is fine. */
  escapes?: boolean;
  site: number;
  siteEnd: number;
  api: string;
}

export interface BreakSt {
  site: number;
  siteEnd: number;
  underLock: boolean;
  stale: boolean;
  staleSite: number;
  blocking: boolean;
  /** A non-blocking break whose result has not been tested yet (the result's name): it may have failed. */
  unchecked?: string;
  /** Its result was tested and it failed (-EWOULDBLOCK): the delegation is still there. */
  failed?: boolean;
}

export interface AccessSt {
  kind: 'write' | 'read';
  site: number;
  siteEnd: number;
  broken: boolean;
  display: string;
  /** The lease break's result (its name) has not been tested yet: it may have failed (-EWOULDBLOCK, -EINTR). */
  unchecked?: string;
  /** The lease break's result was tested and it failed: the lease is still there. */
  failed?: boolean;
}

export interface PendingSt {
  when: 'zero' | 'nonzero' | 'nonnull' | 'nonerr';
  lock?: string;
  access?: string;
  /** A delegated-inode variable the call sets only when it fails. */
  deleg?: string;
  /** `err = PTR_ERR_OR_ZERO(x)`: a test of err is a test of IS_ERR(x) (x as tests name it, and its key). */
  link?: string;
  linkKey?: string;
  /** The result of a non-blocking break of this key: zero means it succeeded. */
  brk?: string;
  /** The result of a lease break credited to this access: zero means it succeeded. */
  leaseBrk?: string;
  /** An unlock the call makes only when it fails, i.e. returns an ERR_PTR (vfs_mkdir() since 6.19). */
  unlockOnErr?: Extract<Op, { k: 'unlock' }>;
}

export interface DelegSt {
  site: number;
  siteEnd: number;
  api: string;
}

export interface GrantSt {
  site: number;
  siteEnd: number;
  rechecked: boolean;
  /** Checks still owed after this grant (`opens`, `dentry`): rechecked once none is left. */
  missing?: string[];
  /** Checks owed only where a parameter is not NULL (`check` → the parameter): judged at the exit. */
  missingUnlessNull?: [check: string, param: string][];
  /** The granting API, when it is not an insertion on flc_lease (kernel_setlease). */
  api?: string;
}

export interface RetSt {
  kind: 'err' | 'ok' | 'unknown';
  /** The returned value is an error code or ERR_PTR (not merely NULL/false). */
  hardErr?: boolean;
  site: number;
  siteEnd: number;
  /** The returned value is a call's result (`return lock_two_directories(p1, p2)`). */
  viaCall?: boolean;
  /** Locks whose success condition is the returned value itself (`return start_creating(...)`). */
  conditional?: { lock: string; when: PendingSt['when'] }[];
  /** Locks a call whose result is returned releases if it failed (`return vfs_mkdir(...)`): so does this function. */
  releasesOnErr?: string[];
  /** The returned value is a parameter as the caller passed it (`if (IS_ERR(dentry)) return dentry;`): its name. */
  passesParam?: string;
}

/** Fact prefix: a lease break of the inode `#leasetry:<key>` on this path, or a callee's that may have been one. */
export const LEASE_TRY = '#leasetry:';

export interface State {
  locks: Map<string, LockSt>;
  released: Map<string, number>;
  broken: Map<string, BreakSt>;
  facts: Map<string, boolean>;
  pending: Map<string, PendingSt[]>;
  access: Map<string, AccessSt>;
  preBreak: Map<string, number>;
  deleg: Map<string, DelegSt>;
  grants: Map<number, GrantSt>;
  checked: boolean;
  ret: RetSt | null;
  lossy: boolean;
  /** Cached stateHash (states are immutable once queued). */
  hash?: string;
  /** Copy-on-write: bit set = this state owns (may mutate) that map. */
  owned: number;
}

export type MapField =
  'locks' | 'released' | 'broken' | 'facts' | 'pending' | 'access' | 'preBreak' | 'deleg' | 'grants';
const FIELDS: MapField[] = ['locks', 'released', 'broken', 'facts', 'pending', 'access', 'preBreak', 'deleg', 'grants'];
const BIT: Record<MapField, number> = Object.fromEntries(FIELDS.map((f, i) => [f, 1 << i])) as Record<MapField, number>;

export function emptyState(): State {
  return {
    locks: new Map(),
    released: new Map(),
    broken: new Map(),
    facts: new Map(),
    pending: new Map(),
    access: new Map(),
    preBreak: new Map(),
    deleg: new Map(),
    grants: new Map(),
    checked: false,
    ret: null,
    lossy: false,
    owned: 0x1ff,
  };
}

/** O(1): the maps are shared until written through `wr`. Map values are never mutated in place. */
export function cloneState(s: State): State {
  // Both now share every map: neither may write one in place any more.
  s.owned = 0;
  return { ...s, hash: undefined, owned: 0 };
}

/** The writable map `f` of `s` (copied on first write). */
export function wr<F extends MapField>(s: State, f: F): State[F] {
  if (!(s.owned & BIT[f])) {
    (s as unknown as Record<F, unknown>)[f] = new Map(s[f] as Map<unknown, unknown>);
    s.owned |= BIT[f];
  }
  s.hash = undefined;
  return s[f];
}

const componentHash = new WeakMap<object, string>();

function component<T>(m: Map<string | number, T>, f: (k: string | number, v: T) => string): string {
  if (m.size === 0) return '';
  let h = componentHash.get(m);
  if (h === undefined) {
    const parts: string[] = [];
    for (const [k, v] of m) parts.push(f(k, v));
    parts.sort();
    h = parts.join(',');
    componentHash.set(m, h);
  }
  return h;
}

/** Identity of a state for deduplication (sites are left out: two paths holding the same locks are one state). */
export function stateHash(s: State): string {
  if (s.hash !== undefined) return s.hash;
  s.hash = [
    component(s.locks, (k, v) => `${k}:${v.class[0]}${v.mode[0]}${v.count}${v.origin[0]}`),
    component(s.released, (k) => String(k)),
    component(
      s.broken,
      (k, v) => `${k}:${v.underLock ? 1 : 0}${v.stale ? 1 : 0}${v.unchecked ? 'u' : ''}${v.failed ? 'f' : ''}`,
    ),
    component(s.facts, (k, v) => `${k}=${v ? 1 : 0}`),
    component(
      s.pending,
      (k, v) =>
        `${k}:${v.map((p) => p.when + (p.lock ?? '') + (p.access ?? '') + (p.deleg ?? '') + (p.link ? '~' + p.link : '') + (p.brk ? '!' + p.brk : '')).join('+')}`,
    ),
    component(
      s.access,
      (k, v) => `${k}:${v.kind[0]}${v.broken ? 1 : 0}${v.unchecked ? 'u' : ''}${v.failed ? 'f' : ''}`,
    ),
    component(s.preBreak, (k) => String(k)),
    component(s.deleg, (k) => String(k)),
    component(
      s.grants,
      (k, v) =>
        `${k}:${v.rechecked ? 1 : 0}${(v.missing ?? []).join('/')}${(v.missingUnlessNull ?? []).map((m) => '?' + m.join('=')).join('')}`,
    ),
    s.checked ? 'c' : '',
    s.ret ? `${s.ret.kind}@${s.ret.site}` : '',
    s.lossy ? 'L' : '',
  ].join('|');
  return s.hash;
}

/**
 * Over-approximating merge used when a node has seen too many distinct states: facts that are not common
 * are forgotten and the result is marked lossy (rules stay silent on lossy states rather than guess).
 */
export function joinStates(a: State, b: State): State {
  const r = cloneState(a);
  r.lossy = true;
  for (const [k, v] of b.locks) if (!r.locks.has(k)) wr(r, 'locks').set(k, v);
  for (const [k] of r.broken) if (!b.broken.has(k)) wr(r, 'broken').delete(k);
  for (const [k, v] of r.facts) if (b.facts.get(k) !== v) wr(r, 'facts').delete(k);
  for (const [k, v] of b.released) wr(r, 'released').set(k, v);
  for (const [k, v] of b.pending) if (!r.pending.has(k)) wr(r, 'pending').set(k, v);
  for (const [k, v] of b.access) if (!r.access.has(k)) wr(r, 'access').set(k, v);
  for (const [k, v] of b.preBreak) wr(r, 'preBreak').set(k, v);
  for (const [k, v] of b.deleg) wr(r, 'deleg').set(k, v);
  for (const [k, v] of b.grants) if (!r.grants.has(k)) wr(r, 'grants').set(k, v);
  r.checked = a.checked && b.checked;
  if (!b.ret || (r.ret && r.ret.site !== b.ret.site)) r.ret = null;
  return r;
}
