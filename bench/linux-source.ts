/** Debian's linux-source-6.1 for the benchmarks: fs/ (and include/linux/fs.h) extracted once, outside the repository. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const LINUX_TARBALL = '/usr/src/linux-source-6.1.tar.xz';
export const LINUX_DIR = process.env.VFSLOCK_LINUX_DIR ?? join(process.env.HOME ?? '/tmp', '.cache', 'vfslock-bench', 'linux-source-6.1');

/** Extracts fs/ of linux-source-6.1 on first use. Returns the tree root or null (tarball absent or not extractable). */
export function linuxTree(): string | null {
  if (existsSync(join(LINUX_DIR, 'fs', 'namei.c'))) return LINUX_DIR;
  if (!existsSync(LINUX_TARBALL)) return null;
  mkdirSync(LINUX_DIR, { recursive: true });
  const r = spawnSync('tar', ['-xJf', LINUX_TARBALL, '-C', LINUX_DIR, '--strip-components=1', 'linux-source-6.1/fs', 'linux-source-6.1/include/linux/fs.h'], { stdio: 'inherit' });
  return r.status === 0 && existsSync(join(LINUX_DIR, 'fs', 'namei.c')) ? LINUX_DIR : null;
}
