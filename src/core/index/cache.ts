/**
 * On-disk cache of a tree's summary index (Node only), so that checking one file of a kernel tree builds the index
 * once: stored under $VFSLOCK_CACHE_DIR, $XDG_CACHE_HOME/vfslock or ~/.cache/vfslock, keyed by the tree, the
 * options and the catalogue, and valid while no file it was built from changed size or modification time.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { IndexData } from './summary-index';

export function cacheDir(): string {
  if (process.env.VFSLOCK_CACHE_DIR) return process.env.VFSLOCK_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'vfslock');
}

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Size and modification time of every file the index was built from (the sources, the headers it read). */
export function fingerprint(files: Iterable<string>): string {
  const lines: string[] = [];
  for (const f of [...new Set(files)].sort()) {
    try {
      const st = statSync(f);
      lines.push(`${f}\u0000${st.size}\u0000${st.mtimeMs}`);
    } catch {
      lines.push(`${f}\u0000-`);
    }
  }
  return sha(lines.join('\n'));
}

interface Stored {
  key: string;
  sources: string[];
  stamp: string;
  data: IndexData;
}

export class IndexCache {
  private readonly file: string;

  /** `key`: everything besides the files that the index depends on (tree, scope, version, options, catalogue). */
  constructor(
    private readonly key: string,
    dir = cacheDir(),
  ) {
    this.file = join(dir, `index-${sha(key).slice(0, 24)}.json`);
  }

  get path(): string {
    return this.file;
  }

  /** The stored index when it was built from exactly `sources` and none of its files changed, else null. */
  load(sources: string[]): IndexData | null {
    let stored: Stored;
    try {
      stored = JSON.parse(readFileSync(this.file, 'utf8')) as Stored;
    } catch {
      return null;
    }
    if (stored.key !== this.key || stored.sources.length !== sources.length) return null;
    const want = [...sources].sort();
    if ([...stored.sources].sort().some((f, i) => f !== want[i])) return null;
    const files = [...stored.sources, ...stored.data.includes.map(([f]) => f)];
    return fingerprint(files) === stored.stamp ? stored.data : null;
  }

  /** Stores the index built from `sources` (headers are taken from the index's include table). Failures are ignored. */
  save(sources: string[], data: IndexData): void {
    const stamp = fingerprint([...sources, ...data.includes.map(([f]) => f)]);
    const stored: Stored = { key: this.key, sources, stamp, data };
    try {
      mkdirSync(join(this.file, '..'), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(stored));
      renameSync(tmp, this.file);
    } catch {
      /* a cache that cannot be written is only slower */
    }
  }
}
