/**
 * A function's contract, as callers see it: the parts of its analysis summary that change what the analysis of a
 * caller concludes (locks taken, released or required, delegations broken, unbroken changes left to the caller,
 * sleeping, delegated-inode out-parameters, the returned object). Source positions are left out, so a change that
 * only moves code does not count.
 */
import type { Summary } from '../core/analysis/types';

export function contractKey(s: Summary | undefined): string {
  if (!s || s.isEmpty) return '';
  return JSON.stringify([
    [...s.outParams].sort(),
    [...s.breaks].sort(),
    s.requires.map((r) => `${r.role}:${r.class}`).sort(),
    s.mutates.map((m) => `${m.role}:${m.kind}:${m.dirIf ?? ''}`).sort(),
    !!s.sleeps,
    s.acquires.map((a) => `${a.role}:${a.class}:${a.mode}:${a.when}`).sort(),
    s.releases.map((r) => r.role).sort(),
    s.returns ?? '',
    s.childOfRet ?? '',
    !!s.mayLock,
  ]);
}

/** Names `arg1.d_inode` as `dentry.d_inode` when the parameter names are known. */
function roleName(role: string, params: readonly string[]): string {
  return role.replace(/^arg(\d+)/, (m, i: string) => params[+i] || m);
}

const WHEN: Record<string, string> = { always: '', zero: ' when it returns 0', nonerr: ' on success' };

/** Human-readable differences between two contracts, e.g. `no longer returns with dentry.d_inode locked`. */
export function describeContractChange(
  before: Summary | undefined,
  after: Summary | undefined,
  params: readonly string[] = [],
): string[] {
  const r = (s: string) => roleName(s, params);
  const out: string[] = [];
  const diff = <T>(
    b: readonly T[],
    a: readonly T[],
    key: (x: T) => string,
    gone: (x: T) => string,
    added: (x: T) => string,
  ) => {
    const bk = new Map(b.map((x) => [key(x), x]));
    const ak = new Map(a.map((x) => [key(x), x]));
    for (const [k, x] of bk) if (!ak.has(k)) out.push(gone(x));
    for (const [k, x] of ak) if (!bk.has(k)) out.push(added(x));
  };
  const b = before && !before.isEmpty ? before : undefined;
  const a = after && !after.isEmpty ? after : undefined;
  const lock = (role: string, cls: string, mode?: string) =>
    `${mode === 'shared' ? 'a shared ' : ''}${cls === 'inode' ? `the inode lock of ${r(role)}` : `${r(role)} (${cls})`}`;
  diff(
    b?.acquires ?? [],
    a?.acquires ?? [],
    (x) => `${x.role}:${x.class}:${x.mode}:${x.when}`,
    (x) => `no longer returns holding ${lock(x.role, x.class, x.mode)}${WHEN[x.when] ?? ''}`,
    (x) => `now returns holding ${lock(x.role, x.class, x.mode)}${WHEN[x.when] ?? ''}`,
  );
  diff(
    b?.releases ?? [],
    a?.releases ?? [],
    (x) => x.role,
    (x) => `no longer unlocks ${r(x.role)}`,
    (x) => `now unlocks ${r(x.role)}`,
  );
  diff(
    b?.requires ?? [],
    a?.requires ?? [],
    (x) => `${x.role}:${x.class}`,
    (x) => `no longer needs its callers to hold ${lock(x.role, x.class)}`,
    (x) => `now needs its callers to hold ${lock(x.role, x.class)}`,
  );
  diff(
    b?.breaks ?? [],
    a?.breaks ?? [],
    (x) => x,
    (x) => `no longer breaks the delegation of ${r(x)}`,
    (x) => `now breaks the delegation of ${r(x)}`,
  );
  diff(
    b?.mutates ?? [],
    a?.mutates ?? [],
    (x) => `${x.role}:${x.kind}:${x.dirIf ?? ''}`,
    (x) => `no longer ${x.what} ${r(x.role)} without breaking its delegation`,
    (x) => `now ${x.what} ${r(x.role)} without breaking its delegation (callers must break it)`,
  );
  diff(
    b?.outParams ?? [],
    a?.outParams ?? [],
    (x) => String(x),
    (x) => `no longer records a delegated inode in ${params[x] || `argument ${x + 1}`}`,
    (x) => `now records a delegated inode in ${params[x] || `argument ${x + 1}`}`,
  );
  if (!!b?.sleeps !== !!a?.sleeps)
    out.push(
      a?.sleeps ? `may now sleep in a blocking break (${a.sleeps.what})` : 'no longer sleeps in a blocking break',
    );
  if (
    (b?.returns ?? '') !== (a?.returns ?? '') ||
    (b?.childOfRet ?? '') !== (a?.childOfRet ?? '') ||
    !!b?.mayLock !== !!a?.mayLock
  )
    out.push('returns a different locked object');
  return out;
}
