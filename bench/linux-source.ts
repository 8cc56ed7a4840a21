/**
 * Debian's linux-source-6.1 for the benchmarks. Looked for, in order: $VFSLOCK_LINUX_DIR; an extracted tree under
 * /work/trees or /usr/src (linux-source-6.1/fs/namei.c); fs/ (and include/linux/fs.h) extracted once from the
 * tarball into ~/.cache/vfslock-bench.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const LINUX_TARBALL = '/usr/src/linux-source-6.1.tar.xz';
export const LINUX_DIR = process.env.VFSLOCK_LINUX_DIR ?? join(process.env.HOME ?? '/tmp', '.cache', 'vfslock-bench', 'linux-source-6.1');
/** Trees already extracted (whole kernel sources), checked before extracting the tarball. */
const EXTRACTED = ['/work/trees/linux-source-6.1', '/usr/src/linux-source-6.1'];

/** The tree root (with fs/namei.c), extracting fs/ of linux-source-6.1 on first use; null when there is none. */
export function linuxTree(): string | null {
  if (existsSync(join(LINUX_DIR, 'fs', 'namei.c'))) return LINUX_DIR;
  if (process.env.VFSLOCK_LINUX_DIR) return null;
  for (const d of EXTRACTED) if (existsSync(join(d, 'fs', 'namei.c'))) return d;
  if (!existsSync(LINUX_TARBALL)) return null;
  mkdirSync(LINUX_DIR, { recursive: true });
  const r = spawnSync('tar', ['-xJf', LINUX_TARBALL, '-C', LINUX_DIR, '--strip-components=1', 'linux-source-6.1/fs', 'linux-source-6.1/include/linux/fs.h'], { stdio: 'inherit' });
  return r.status === 0 && existsSync(join(LINUX_DIR, 'fs', 'namei.c')) ? LINUX_DIR : null;
}
