/** The base tree as a directory on disk (the CLI, tests, the benchmark). Read-only. */
import { readdir, realpath, stat } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { readRegularFile, readRegularFileAsync } from '../core/node-read';
import { MAX_FILE_BYTES } from '../core/engine';
import { join, resolve, sep } from 'node:path';
import {
  definitionShaped,
  isWordChar,
  SOURCE_FILE,
  TreeError,
  type MentionOptions,
  type MentionSearch,
  type TreeReader,
} from './tree';
import { gitRepository, GitError, worktreeMentioning } from './git';

/** Where callers and callees of VFS code live: searched first, before the rest of the tree (drivers/, arch/, ...). */
export const FIRST_DIRS = ['fs', 'include', 'kernel', 'mm', 'security'];

export interface DirectoryTreeOptions {
  /** Files listSources returns at most (a full kernel tree has ~60,000 C files). */
  maxFiles?: number;
  /** Bytes of C sources filesMentioning reads when it walks the directory (default 160 MB; FIRST_DIRS are read whole). */
  maxSearchBytes?: number;
  /** Use `git grep` when the directory is in a git working tree (default true). */
  git?: boolean;
}

export class DirectoryTree implements TreeReader {
  readonly root: string;
  private realRoot: Promise<string> | undefined;

  private readonly maxFiles: number;
  private readonly maxSearchBytes: number;
  private inGit: Promise<boolean> | undefined;

  constructor(
    root: string,
    private readonly options: DirectoryTreeOptions = {},
  ) {
    this.root = resolve(root);
    this.maxFiles = options.maxFiles ?? 20000;
    this.maxSearchBytes = options.maxSearchBytes ?? 160 * 1024 * 1024;
  }

  get label(): string {
    return this.root;
  }

  /**
   * The real path of a tree-relative path: null when it does not exist. Symbolic links are followed only while
   * they stay inside the tree's own real path (a link to /etc, to ~/.ssh or to /dev/zero is refused, not read).
   */
  private async resolveInside(path: string): Promise<string | null> {
    if (path.includes('\0'))
      throw new TreeError(`${JSON.stringify(path)}: a file name cannot contain a NUL byte`, path);
    const full = resolve(this.root, path);
    if (full !== this.root && !full.startsWith(this.root + sep))
      throw new TreeError(`${path}: not inside ${this.root}`, path);
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
      throw new TreeError(
        `${path}: not read: it is a symbolic link (or lies under one) that leads outside ${this.root}`,
        path,
      );
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

  /**
   * Files mentioning one of `names`: `git grep` when the directory is in a git working tree (tracked and untracked
   * files), else a streaming walk (walkMentioning) that stops after maxSearchBytes.
   */
  async filesMentioning(names: readonly string[], options: MentionOptions = {}): Promise<MentionSearch> {
    if (this.options.git !== false) {
      this.inGit ??= gitRepository(this.root).then((r) => r !== null);
      if (await this.inGit) {
        try {
          return await worktreeMentioning(this.root, names, options, (p) => this.read(p));
        } catch (e) {
          if (!(e instanceof GitError)) throw e;
        }
      }
    }
    return walkMentioning(this.root, names, this.maxSearchBytes, options);
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

/**
 * Streams the C files of `root` (FIRST_DIRS first, then the rest, each in name order): each file is read, searched
 * and dropped, and only the names of those that mention a name are kept. The walk stops once `maxBytes` have been
 * read in all, except within FIRST_DIRS (searched whole unless they alone pass four times the budget). Reads are
 * synchronous (from the page cache that is several times faster than one promise per file), with a turn of the
 * event loop every 256 files.
 */
export async function walkMentioning(
  root: string,
  names: readonly string[],
  maxBytes: number,
  options: MentionOptions = {},
): Promise<MentionSearch> {
  const needles = names.filter((n) => n).map((n) => Buffer.from(n, 'utf8'));
  const paths: string[] = [];
  let bytes = 0;
  let files = 0;
  let truncated = false;
  const firstDone: string[] = [];
  const rank = (name: string) => {
    const i = FIRST_DIRS.indexOf(name);
    return i < 0 ? FIRST_DIRS.length : i;
  };
  const walk = async (rel: string, first: boolean): Promise<void> => {
    let entries;
    try {
      entries = readdirSync(rel ? join(root, rel) : root, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (!rel) entries.sort((a, b) => rank(a.name) - rank(b.name));
    for (const e of entries) {
      if (truncated) return;
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        const isFirst = first || (!rel && FIRST_DIRS.includes(e.name));
        await walk(p, isFirst);
        if (!rel && isFirst && !truncated) firstDone.push(e.name);
      } else if (e.isFile() && SOURCE_FILE.test(e.name)) {
        if (bytes >= (first ? 4 * maxBytes : maxBytes)) {
          truncated = true;
          return;
        }
        const r = readRegularFile(join(root, p), MAX_FILE_BYTES);
        if (!('bytes' in r)) continue;
        bytes += r.bytes.length;
        if (++files % 256 === 0) await new Promise<void>((res) => setImmediate(res));
        if (bufferMentions(r.bytes, needles, options)) paths.push(p);
      }
    }
  };
  await walk('', false);
  paths.sort();
  return {
    paths,
    truncated,
    how: 'a walk of the directory',
    ...(truncated
      ? {
          searched: `${files} C files${firstDone.length ? ` (${firstDone.map((d) => d + '/').join(', ')} first)` : ''}, stopping after ${Math.round(maxBytes / 1048576)} MB`,
        }
      : {}),
  };
}

/** `bufferMentions`: mentionsAny on bytes (a name is ASCII; a byte of a multi-byte character is never a word byte). */
export function bufferMentions(buf: Buffer, needles: readonly Buffer[], options: MentionOptions = {}): boolean {
  const len = buf.length;
  const at = (i: number) => buf[i];
  for (const n of needles) {
    for (let i = buf.indexOf(n); i >= 0; i = buf.indexOf(n, i + 1)) {
      const before = i > 0 ? buf[i - 1] : 32;
      const after = i + n.length < len ? buf[i + n.length] : 32;
      if (isWordChar(before) || isWordChar(after)) continue;
      if (!options.definitions || definitionShaped(at, len, i, n.length)) return true;
    }
  }
  return false;
}

/** True when `dir` exists and is a directory. */
export async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
