/**
 * Which kernel a file was written for.
 *
 * 1. An explicit version (the `--kernel` option / the `kernel` setting) wins.
 * 2. A file inside a kernel tree (a parent directory with `Makefile`, `fs/` and `include/`) is read as the tree's
 *    `VERSION.PATCHLEVEL.SUBLEVEL`. The file system is reached only through an injected `TreeReader`, so hosts
 *    without one (the browser extension) skip this step.
 * 3. Otherwise every catalogued spelling the file uses bounds the version from below and above: parameter types
 *    (`struct delegated_inode *` 6.19+, `struct inode **delegated_inode` 3.13–6.18, `struct mnt_idmap *` 6.3+), APIs
 *    with a `since`/`until` in the catalogue (`start_creating()` 6.19+, `fh_lock()` ≤ 6.0), and the catalogue's
 *    `versionMarkers` (identifiers such as `is_delegated`, `i_mutex`, `mnt_userns`). A single word is not needed:
 *    nfsd/vfs.c of 6.19+ never spells `struct delegated_inode` but calls start_creating() and end_renaming().
 *
 * Only the era matters for the rules; the version picks between catalogue signatures of equal arity and the lock
 * spelling used in messages (`mutex_lock(&inode->i_mutex)` before 4.7).
 */
import { compareVersions, eraOf, type Catalogue, type Era } from './catalogue';

export type EraSource = 'detected' | 'option' | 'default' | 'tree';

export interface EraReading {
  era: Era;
  version: string;
  source: EraSource;
  /** What bounded the version, for the status line and tests (`start_creating: since 6.19`). */
  evidence?: string[];
}

/** The parts of a function the detection reads. */
export interface EraUnit {
  params: readonly { type: string; name: string }[];
}

export interface EraInput {
  /** 'auto' / undefined, or an explicit version. */
  kernel?: string;
  /** The enclosing kernel tree's Makefile version, when known. */
  treeVersion?: string | null;
  units: readonly EraUnit[];
  /** Identifiers used by each unit (same order as `units`). */
  idents: readonly ReadonlySet<string>[];
  catalogue: Catalogue;
}

interface Bound {
  since?: string;
  until?: string;
  why: string;
}

/** Reads the era of a file from its option, its tree, or its spellings (see the module comment). */
export function detectEra(input: EraInput): EraReading {
  const k = input.kernel;
  if (k && k !== 'auto') return { era: eraOf(k), version: k, source: 'option' };
  if (input.treeVersion)
    return {
      era: eraOf(input.treeVersion),
      version: input.treeVersion,
      source: 'tree',
      evidence: [`Makefile ${input.treeVersion}`],
    };
  const bounds = spellingBounds(input);
  if (!bounds.length) return { era: '3.13', version: '4.19', source: 'default' };
  let lo: string | null = null;
  let hi: string | null = null;
  for (const b of bounds) {
    if (b.since && (!lo || compareVersions(b.since, lo) > 0)) lo = b.since;
  }
  for (const b of bounds) {
    // An API introduced later is stronger evidence than an old one still spelled (compat macros, backports).
    if (b.until && (!lo || compareVersions(b.until, lo) >= 0) && (!hi || compareVersions(b.until, hi) < 0))
      hi = b.until;
  }
  // The representative version inside the bounds: the era's usual one, else the nearest bound.
  let version = lo && eraOf(lo) === '6.19' ? '6.19' : preferred(bounds);
  if (lo && compareVersions(version, lo) < 0) version = lo;
  if (hi && compareVersions(version, hi) > 0) version = hi;
  return { era: eraOf(version), version, source: 'detected', evidence: bounds.map((b) => b.why) };
}

/** Without a pinning bound: 6.12 for idmapped-mount code, 5.15 for user-namespace code, else 4.19. */
function preferred(bounds: Bound[]): string {
  if (bounds.some((b) => b.since && compareVersions(b.since, '6.3') >= 0)) return '6.12';
  if (bounds.some((b) => b.since && compareVersions(b.since, '5.12') >= 0)) return '5.15';
  return '4.19';
}

/** Every version bound the file's spellings give. */
export function spellingBounds(input: Pick<EraInput, 'units' | 'idents' | 'catalogue'>): Bound[] {
  const out = new Map<string, Bound>();
  const add = (why: string, since?: string, until?: string) => {
    if (!out.has(why)) out.set(why, { since, until, why });
  };
  const cat = input.catalogue;
  for (let i = 0; i < input.units.length; i++) {
    for (const p of input.units[i].params) {
      for (const sig of cat.versionSignatures) {
        if (sig.type.test(p.type) && (!sig.name || sig.name.test(p.name)))
          add(`${sig.label}: ${range(sig.since, sig.until)}`, sig.since, sig.until);
      }
    }
    for (const id of input.idents[i] ?? []) {
      const m = cat.versionMarkers.get(id);
      if (m) add(`${id}: ${range(m.since, m.until)}`, m.since, m.until);
      const r = cat.apiRange(id);
      if (r) add(`${id}(): ${range(r.since, r.until)}`, r.since, r.until);
    }
  }
  return [...out.values()];
}

function range(since?: string, until?: string): string {
  return since && until ? `${since}–${until}` : since ? `since ${since}` : `until ${until}`;
}

// ------------------------------------------------------------------ the enclosing kernel tree

/** File-system access for finding the enclosing kernel tree; injected so hosts without a file system can skip it. */
export interface TreeReader {
  isDir(path: string): boolean;
  isFile(path: string): boolean;
  /** The file's text, or null when it cannot be read. */
  read(path: string): string | null;
}

function parentOf(p: string): string | null {
  const trimmed = p.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  if (i < 0) return null;
  return i === 0 ? '/' : trimmed.slice(0, i);
}

function join(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** The nearest parent directory of `file` holding a kernel tree (Makefile + fs/ + include/), or null. */
export function kernelTreeRoot(file: string, reader: TreeReader): string | null {
  for (let d = parentOf(file); d; d = d === '/' ? null : parentOf(d)) {
    if (reader.isFile(join(d, 'Makefile')) && reader.isDir(join(d, 'fs')) && reader.isDir(join(d, 'include'))) return d;
  }
  return null;
}

/** `VERSION = 6`, `PATCHLEVEL = 12`, `SUBLEVEL = 3` of a top-level kernel Makefile → "6.12.3" (null if absent). */
export function makefileVersion(text: string): string | null {
  const vars = new Map<string, string>();
  for (const line of text.split('\n', 40)) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const name = line.slice(0, eq).replace(/[:?]$/, '').trim();
    if (name === 'VERSION' || name === 'PATCHLEVEL' || name === 'SUBLEVEL') vars.set(name, line.slice(eq + 1).trim());
  }
  const num = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? s : null);
  const v = num(vars.get('VERSION'));
  const p = num(vars.get('PATCHLEVEL'));
  if (!v || !p) return null;
  const s = num(vars.get('SUBLEVEL'));
  return s && s !== '0' ? `${v}.${p}.${s}` : `${v}.${p}`;
}

const treeCache = new WeakMap<TreeReader, Map<string, string | null>>();

/** Each directory's kernel tree root, per reader, remembered for `ROOT_TTL_MS` (a tree can appear or go later). */
const rootCache = new WeakMap<TreeReader, { at: number; roots: Map<string, string | null> }>();
const ROOT_TTL_MS = 2000;

function cachedTreeRoot(file: string, reader: TreeReader): string | null {
  const dir = parentOf(file);
  if (!dir) return null;
  const t = Date.now();
  let c = rootCache.get(reader);
  if (!c || t - c.at > ROOT_TTL_MS) rootCache.set(reader, (c = { at: t, roots: new Map() }));
  let root = c.roots.get(dir);
  if (root === undefined) c.roots.set(dir, (root = kernelTreeRoot(file, reader)));
  return root;
}

/** The version of the kernel tree enclosing `file` (cached per tree directory and reader), or null. */
export function kernelTreeVersion(file: string, reader: TreeReader): string | null {
  let cache = treeCache.get(reader);
  if (!cache) treeCache.set(reader, (cache = new Map()));
  const root = cachedTreeRoot(file, reader);
  if (!root) return null;
  if (cache.has(root)) return cache.get(root)!;
  const text = reader.read(join(root, 'Makefile'));
  const v = text === null ? null : makefileVersion(text);
  cache.set(root, v);
  return v;
}
