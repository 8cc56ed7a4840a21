/**
 * Debian's linux-source-6.1 for the benchmarks. Looked for, in order: $VFSLOCK_LINUX_DIR; an extracted tree under
 * /work/trees or /usr/src (linux-source-6.1/fs/namei.c); fs/ (and include/linux/fs.h) extracted once from the
 * tarball into ~/.cache/vfslock-bench.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const LINUX_TARBALL = '/usr/src/linux-source-6.1.tar.xz';
export const LINUX_DIR =
  process.env.VFSLOCK_LINUX_DIR ?? join(process.env.HOME ?? '/tmp', '.cache', 'vfslock-bench', 'linux-source-6.1');
/** Trees already extracted (whole kernel sources), checked before extracting the tarball. */
const EXTRACTED = ['/work/trees/linux-source-6.1', '/usr/src/linux-source-6.1'];

/** The tree root (with fs/namei.c), extracting fs/ of linux-source-6.1 on first use; null when there is none. */
export function linuxTree(): string | null {
  const found = linuxTrees().find((t) => t.version.startsWith('6.1.') || t.version === '6.1');
  if (found) return found.dir;
  if (existsSync(join(LINUX_DIR, 'fs', 'namei.c'))) return LINUX_DIR;
  if (process.env.VFSLOCK_LINUX_DIR) return null;
  for (const d of EXTRACTED) if (existsSync(join(d, 'fs', 'namei.c'))) return d;
  if (!existsSync(LINUX_TARBALL)) return null;
  mkdirSync(LINUX_DIR, { recursive: true });
  const r = spawnSync(
    'tar',
    [
      '-xJf',
      LINUX_TARBALL,
      '-C',
      LINUX_DIR,
      '--strip-components=1',
      'linux-source-6.1/fs',
      'linux-source-6.1/include/linux/fs.h',
    ],
    { stdio: 'inherit' },
  );
  return r.status === 0 && existsSync(join(LINUX_DIR, 'fs', 'namei.c')) ? LINUX_DIR : null;
}

export interface LinuxTree {
  dir: string;
  /** VERSION.PATCHLEVEL.SUBLEVEL from the tree's Makefile, or the directory name when it has none. */
  version: string;
}

/** Directories searched for extracted kernel trees (linux-source-X.Y/ inside them), besides VFSLOCK_LINUX_SRC. */
export const TREE_PARENTS = ['/work/trees', '/usr/src', join(process.env.HOME ?? '/tmp', '.cache', 'vfslock-bench')];

function makefileVersion(dir: string): string | null {
  try {
    const text = readFileSync(join(dir, 'Makefile'), 'utf8').slice(0, 2000);
    // Makefile header fields, not C source: VERSION = 6, PATCHLEVEL = 12, SUBLEVEL = 38
    const field = (name: string) => new RegExp(`^${name}\\s*=\\s*(\\d+)`, 'm').exec(text)?.[1];
    const [v, p, s] = [field('VERSION'), field('PATCHLEVEL'), field('SUBLEVEL')];
    return v && p ? `${v}.${p}${s ? `.${s}` : ''}` : null;
  } catch {
    return null;
  }
}

/**
 * Extracted kernel trees with an fs/ directory: VFSLOCK_LINUX_SRC (one tree or several, separated by ':'), else every
 * linux-source-* directory under TREE_PARENTS (Debian's linux-source packages extracted there), in version order.
 */
export function linuxTrees(): LinuxTree[] {
  const candidates: string[] = [];
  const env = process.env.VFSLOCK_LINUX_SRC;
  if (env)
    candidates.push(
      ...env
        .split(':')
        .filter(Boolean)
        .map((d) => resolve(d)),
    );
  else {
    for (const parent of TREE_PARENTS) {
      let names: string[] = [];
      try {
        names = readdirSync(parent).filter((n) => n.startsWith('linux-source-'));
      } catch {
        continue;
      }
      candidates.push(...names.map((n) => join(parent, n)));
    }
  }
  const seen = new Set<string>();
  const out: LinuxTree[] = [];
  for (const dir of candidates) {
    if (seen.has(dir) || !existsSync(join(dir, 'fs', 'namei.c'))) continue;
    seen.add(dir);
    out.push({ dir, version: makefileVersion(dir) ?? dir.replace(/^.*linux-source-/, '') });
  }
  const key = (v: string) => v.split('.').map((x) => Number(x) || 0);
  return out.sort((a, b) => {
    const [x, y] = [key(a.version), key(b.version)];
    for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  });
}
