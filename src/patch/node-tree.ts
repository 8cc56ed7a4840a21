/** The base tree as a directory on disk (the CLI, tests, the benchmark). Read-only. */
import { readdir, realpath, stat } from 'node:fs/promises';
import { readRegularFileAsync } from '../core/node-read';
import { MAX_FILE_BYTES } from '../core/engine';
import { join, resolve, sep } from 'node:path';
import { SOURCE_FILE, TreeError, type TreeReader } from './tree';

export class DirectoryTree implements TreeReader {
  readonly root: string;
  private realRoot: Promise<string> | undefined;

  /** `maxFiles` bounds the listing used to follow callers and callees (a full kernel tree has ~60,000 C files). */
  constructor(root: string, private readonly maxFiles = 20000) {
    this.root = resolve(root);
  }

  get label(): string {
    return this.root;
  }

  /**
   * The real path of a tree-relative path: null when it does not exist. Symbolic links are followed only while
   * they stay inside the tree's own real path (a link to /etc, to ~/.ssh or to /dev/zero is refused, not read).
   */
  private async resolveInside(path: string): Promise<string | null> {
    if (path.includes('\0')) throw new TreeError(`${JSON.stringify(path)}: a file name cannot contain a NUL byte`, path);
    const full = resolve(this.root, path);
    if (full !== this.root && !full.startsWith(this.root + sep)) throw new TreeError(`${path}: not inside ${this.root}`, path);
    let real: string;
    try {
      real = await realpath(full);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      if (code === 'ELOOP') throw new TreeError(`${path}: not read: a symbolic link loop in ${this.root}`, path);
      throw new TreeError(`${path}: cannot read it in ${this.root}: ${code ?? (e as Error).message}`, path);
    }
    this.realRoot ??= realpath(this.root).catch(() => this.root);
    const root = await this.realRoot;
    if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep)) {
      throw new TreeError(`${path}: not read: it is a symbolic link (or lies under one) that leads outside ${this.root}`, path);
    }
    return real;
  }

  async read(path: string): Promise<string | null> {
    const real = await this.resolveInside(path);
    if (real === null) return null;
    // Only regular files, and no more than the analyzer accepts: a FIFO would block the read forever, a device would
    // never end, and the size is checked before reading (src/core/node-read.ts).
    const r = await readRegularFileAsync(real, MAX_FILE_BYTES);
    if ('bytes' in r) {
      let text = new TextDecoder('utf-8').decode(r.bytes);
      if (text.charCodeAt(0) === 0xfeff) text = ' ' + text.slice(1);
      return text;
    }
    if (r.kind === 'missing' || (r.kind === 'not-regular' && (await this.isDirectory(path)))) return null;
    throw new TreeError(`${path}: ${r.error} (in ${this.root})`, path);
  }

  async isDirectory(path: string): Promise<boolean> {
    const real = await this.resolveInside(path);
    if (real === null) return false;
    try {
      return (await stat(real)).isDirectory();
    } catch {
      return false;
    }
  }

  async listSources(): Promise<{ paths: string[]; truncated: boolean }> {
    const paths: string[] = [];
    let truncated = false;
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(join(this.root, rel), { withFileTypes: true });
      } catch {
        return;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        if (truncated) return;
        if (e.name.startsWith('.') || e.name === 'node_modules') continue;
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(p);
        else if (e.isFile() && SOURCE_FILE.test(e.name)) {
          if (paths.length >= this.maxFiles) {
            truncated = true;
            return;
          }
          paths.push(p);
        }
      }
    };
    await walk('');
    return { paths, truncated };
  }
}

/** True when `dir` exists and is a directory. */
export async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
