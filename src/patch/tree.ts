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
  /**
   * Tree-relative C sources and headers whose text holds one of `names` as a whole word (a superset of the files that
   * call or define them: comments and strings count too), found without reading the whole tree into memory (`git
   * grep`, a bounded streaming search). `truncated` says the search stopped before the end of the tree. Trees without
   * it are searched through listSources and read.
   */
  filesMentioning?(names: readonly string[], options?: MentionOptions): Promise<MentionSearch | null>;
}

export interface MentionOptions {
  /**
   * Only files where a name is written as functions are defined and declared in kernel style: followed by `(`, on a
   * line that starts with neither a blank nor `#` (`int name(`, `static inline struct inode *name(`, `name(` after a
   * line with the return type). A pre-filter for finding definitions; the syntax tree decides.
   */
  definitions?: boolean;
}

export interface MentionSearch {
  paths: string[];
  /** The search stopped at a limit before the whole tree was searched. */
  truncated: boolean;
  /** How it searched, for notes (`git grep`, `a walk of the directory`). */
  how: string;
  /** With `truncated`: what was searched, in words (`fs/, include/, kernel/, mm/, security/ and 12,000 other files`). */
  searched?: string;
}

const WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) WORD[c] = /[A-Za-z0-9_$]/.test(String.fromCharCode(c)) ? 1 : 0;

/**
 * True when `text` holds one of `names` as a whole word (with `definitions`, only where definitionShaped holds): a
 * cheap pre-filter that never decides a finding (files it keeps are parsed; see tree-index.ts).
 */
export function mentionsAny(text: string, names: readonly string[], options: MentionOptions = {}): boolean {
  const len = text.length;
  const at = (i: number) => text.charCodeAt(i);
  for (const name of names) {
    if (!name) continue;
    for (let i = text.indexOf(name); i >= 0; i = text.indexOf(name, i + 1)) {
      const before = i > 0 ? at(i - 1) : 32;
      const after = i + name.length < len ? at(i + name.length) : 32;
      if (isWordChar(before) || isWordChar(after)) continue;
      if (!options.definitions || definitionShaped(at, len, i, name.length)) return true;
    }
  }
  return false;
}

/**
 * The occurrence of a name at `i` (of `n` characters) is followed by blanks and `(`, and its line starts with
 * neither a blank nor `#`. `at` reads a character code (of a string or of UTF-8 bytes).
 */
export function definitionShaped(at: (i: number) => number, len: number, i: number, n: number): boolean {
  let k = i + n;
  while (k < len && (at(k) === 32 || at(k) === 9)) k++;
  if (k >= len || at(k) !== 40) return false;
  let s = i;
  while (s > 0 && at(s - 1) !== 10) s--;
  const c = at(s);
  return c !== 32 && c !== 9 && c !== 35 && c !== 13 && c !== 12 && c !== 11;
}

/** A character of a C identifier (ASCII letters, digits, `_`, `$`). */
export function isWordChar(c: number): boolean {
  return c < 128 && WORD[c] === 1;
}

export const SOURCE_FILE = /\.[ch]$/;

/** A path of the tree that exists but is not read: the message says which and why, never what it holds. */
export class TreeError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
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

  /**
   * The base's search with this overlay's changes applied; for a base without one, every listed file is read (and
   * kept, as reads of the base are) and searched.
   */
  async filesMentioning(names: readonly string[], options: MentionOptions = {}): Promise<MentionSearch | null> {
    let base: MentionSearch | null = null;
    if (this.base.filesMentioning) base = await this.base.filesMentioning(names, options);
    else {
      const listing = await this.base.listSources?.();
      if (!listing) return null;
      const paths: string[] = [];
      for (const p of listing.paths) {
        if (this.changes.has(p)) continue;
        let text: string | null;
        try {
          text = await this.read(p);
        } catch (e) {
          if (e instanceof TreeError) continue;
          throw e;
        }
        if (text !== null && mentionsAny(text, names, options)) paths.push(p);
      }
      base = {
        paths,
        truncated: listing.truncated,
        how: 'a search of the listed files',
        searched: listing.truncated ? `the first ${listing.paths.length} C files` : undefined,
      };
    }
    if (!base) return null;
    const paths = new Set(base.paths.filter((p) => !this.changes.has(p)));
    for (const [p, t] of this.changes)
      if (t !== null && SOURCE_FILE.test(p) && mentionsAny(t, names, options)) paths.add(p);
    return { ...base, paths: [...paths].sort() };
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
  constructor(
    private readonly files: ReadonlyMap<string, string>,
    readonly label = '<memory>',
  ) {}

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
