/**
 * The base tree a series is applied to, seen through an overlay: patches change files in memory only. The reader is
 * an interface so the CLI (node:fs), the editor (vscode.workspace.fs, also in virtual workspaces) and tests supply
 * their own.
 */

export interface TreeReader {
  /** What to call the tree in messages (a directory, a workspace folder). */
  readonly label: string;
  /**
   * Text of a tree-relative path (`fs/namei.c`), or null when there is no such file (or it is a directory). Throws
   * TreeError for a path the tree refuses to read (a symbolic link leading out of it, a device or FIFO).
   */
  read(path: string): Promise<string | null>;
  /** True when the path is a directory of the tree (a new file cannot be created there). */
  isDirectory?(path: string): Promise<boolean>;
  /**
   * Tree-relative paths of the C sources and headers, for following callers and callees across files; null when
   * the tree cannot be listed. Implementations may stop at a limit and say so with `truncated`.
   */
  listSources?(): Promise<{ paths: string[]; truncated: boolean } | null>;
}

export const SOURCE_FILE = /\.[ch]$/;

/** A path of the tree that exists but is not read: the message says which and why, never what it holds. */
export class TreeError extends Error {
  constructor(message: string, readonly path: string) {
    super(message);
  }
}

/** True when some non-deleted path of `paths` lies under `dir`. */
function hasUnder(paths: Iterable<[string, string | null]>, dir: string): boolean {
  const prefix = dir + '/';
  for (const [p, t] of paths) if (t !== null && p.startsWith(prefix)) return true;
  return false;
}

/** A tree with in-memory changes on top: a path maps to its new text, or to null once deleted. */
export class OverlayTree implements TreeReader {
  private readonly changes = new Map<string, string | null>();
  private listing: Promise<{ paths: string[]; truncated: boolean } | null> | null = null;
  /** The base never changes during a review: each of its files is read once (following callers reads many). */
  private readonly baseReads = new Map<string, Promise<string | null>>();

  constructor(readonly base: TreeReader) {}

  get label(): string {
    return this.base.label;
  }

  async read(path: string): Promise<string | null> {
    if (this.changes.has(path)) return this.changes.get(path)!;
    let r = this.baseReads.get(path);
    if (!r) {
      r = this.base.read(path);
      this.baseReads.set(path, r);
    }
    return r;
  }

  async isDirectory(path: string): Promise<boolean> {
    if (this.changes.has(path)) return false;
    if (hasUnder(this.changes, path)) return true;
    return (await this.base.isDirectory?.(path)) ?? false;
  }

  set(path: string, text: string | null): void {
    this.changes.set(path, text);
  }

  async listSources(): Promise<{ paths: string[]; truncated: boolean } | null> {
    if (!this.base.listSources) return null;
    if (!this.listing) this.listing = this.base.listSources();
    const base = await this.listing;
    if (!base) return null;
    const paths = new Set(base.paths);
    for (const [p, t] of this.changes) {
      if (!SOURCE_FILE.test(p)) continue;
      if (t === null) paths.delete(p);
      else paths.add(p);
    }
    return { paths: [...paths].sort(), truncated: base.truncated };
  }
}

/** A tree held in memory (tests, the editor's unsaved documents). */
export class MemoryTree implements TreeReader {
  constructor(private readonly files: ReadonlyMap<string, string>, readonly label = '<memory>') {}

  async read(path: string): Promise<string | null> {
    return this.files.get(path) ?? null;
  }

  async isDirectory(path: string): Promise<boolean> {
    return !this.files.has(path) && hasUnder(this.files, path);
  }

  async listSources(): Promise<{ paths: string[]; truncated: boolean }> {
    return { paths: [...this.files.keys()].filter((p) => SOURCE_FILE.test(p)).sort(), truncated: false };
  }
}
