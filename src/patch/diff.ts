/**
 * Unified diff parsing: `diff -u`, `git diff` / `git format-patch` (extended headers: new/deleted files, renames,
 * copies, modes, binary), quilt `Index:` patches. Every hunk line keeps its line number in the input, so findings can
 * be reported against the patch itself (checkpatch's `#123:`) and shown on the patch's own `+` lines.
 *
 * This parses the diff format (a line-oriented text format), never the C it carries.
 */
import { escapeForTerminal } from '../core/text/escape';

export type LineKind = ' ' | '+' | '-';

export interface HunkLine {
  kind: LineKind;
  /** The line's text without its diff marker and without the line terminator. */
  text: string;
  /** 1-based line number in the input the patch was read from. */
  patchLine: number;
  /** Followed by `\ No newline at end of file`. */
  noEol?: boolean;
}

export interface Hunk {
  /** 1-based position of the hunk within its file's diff (git apply's "hunk #2"). */
  index: number;
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  /** The text after the closing `@@` (usually the enclosing function's signature). */
  section: string;
  /** The `@@ ... @@` line as written. */
  header: string;
  patchLine: number;
  lines: HunkLine[];
}

export type FileOp = 'modify' | 'add' | 'delete' | 'rename' | 'copy';

export interface FilePatch {
  op: FileOp;
  /** Tree-relative path before the patch (null for a new file). */
  oldPath: string | null;
  /** Tree-relative path after the patch (null for a deleted file). */
  newPath: string | null;
  hunks: Hunk[];
  /** A binary change (`GIT binary patch` or `Binary files ... differ`): not applied. */
  binary: boolean;
  oldMode?: string;
  newMode?: string;
  similarity?: number;
  /** Blob ids of git's `index OLD..NEW` line (abbreviated or full; all zeros for a missing side). */
  oldId?: string;
  newId?: string;
  /** Line of the `diff --git` (or `---`) header in the input. */
  patchLine: number;
}

export class DiffParseError extends Error {
  constructor(
    message: string,
    readonly patchLine: number,
  ) {
    super(message);
  }
}

export interface ParseDiffOptions {
  /** Leading path components to strip (`patch -p1`, the default, removes `a/` and `b/`). */
  strip?: number;
  /** 1-based input line number of `lines[0]`. */
  firstLine?: number;
}

/** Hunk header numbers above this are refused: git reads them as an int, and no text has that many lines. */
export const MAX_LINE_NUMBER = 2 ** 31 - 1;

/** A string from the patch cut to a readable length for a message (a header line may be megabytes long). */
export function clipForMessage(s: string, max = 100): string {
  return s.length > max ? s.slice(0, max) + '…' : s;
}

/** clipForMessage in quotes. */
export function quoteForMessage(s: string, max = 100): string {
  // Control characters (a NUL in a name, ESC, CR) are written as escapes: the message reaches diagnostics and JSON too.
  return `'${escapeForTerminal(clipForMessage(s, max))}'`;
}

/**
 * The tree-relative path a patch name stands for, as `git apply` reads it: `strip` leading components are removed by
 * counting slashes (`/etc/passwd` with -p1 is `etc/passwd`, as with git and GNU patch), repeated slashes count as
 * one in what is kept, and the result must be a path inside the tree (git's verify_path): not absolute, no `.`,
 * `..` or `.git` component, not a directory (`x/`). A bare name without any slash is kept as it is. Names that
 * are not UTF-8, or that hold a NUL byte, are refused with a message rather than reported missing later.
 */
export function stripPath(raw: string, strip: number, patchLine: number): string {
  const what = `file name ${quoteForMessage(raw)}`;
  if (raw.includes('\0')) throw new DiffParseError(`${what} contains a NUL byte: not a usable path`, patchLine);
  if (raw.includes('\uFFFD')) {
    throw new DiffParseError(
      `${what} contains U+FFFD, which stands for bytes that are not UTF-8: file names that are not UTF-8 are not supported`,
      patchLine,
    );
  }
  let start = 0;
  if (strip > 0 && raw.includes('/')) {
    let left = strip;
    start = -1;
    for (let k = 0; k < raw.length; k++) {
      if (raw.charCodeAt(k) === 47 && --left === 0) {
        start = k + 1;
        break;
      }
    }
    if (start < 0)
      throw new DiffParseError(`${what} has fewer than ${strip} leading component(s) to strip (-p${strip})`, patchLine);
  }
  const path = raw.slice(start).replace(/\/{2,}/g, '/');
  if (path === '')
    throw new DiffParseError(
      `${what} is empty once ${strip} leading component(s) are stripped (-p${strip})`,
      patchLine,
    );
  if (path.startsWith('/'))
    throw new DiffParseError(
      `${what} is an absolute path${strip ? ` even with ${strip} leading component(s) stripped` : ''}: only paths inside the tree are accepted`,
      patchLine,
    );
  if (path.endsWith('/')) throw new DiffParseError(`${what} names a directory, not a file`, patchLine);
  for (const part of path.split('/')) {
    if (part === '..') throw new DiffParseError(`${what} leaves the tree ('..')`, patchLine);
    if (part === '.') throw new DiffParseError(`${what} has a '.' component, which git apply refuses`, patchLine);
    if (part.toLowerCase() === '.git')
      throw new DiffParseError(`${what} is inside a .git directory, which git apply refuses to touch`, patchLine);
  }
  return path;
}

const C_ESCAPES: Record<string, number> = { n: 10, t: 9, '"': 34, '\\': 92, a: 7, b: 8, f: 12, r: 13, v: 11 };

/** git's C-style quoting of unusual file names: `"a/f\303\251.c"`. Bytes that are not UTF-8 become U+FFFD. */
export function unquoteGitPath(s: string, patchLine = 0): string {
  if (!s.startsWith('"')) return s;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  let closed = false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      closed = true;
      break;
    }
    if (c !== '\\') {
      const code = c.charCodeAt(0);
      if (code < 0x80) bytes.push(code);
      else {
        // A whole code point (a surrogate pair stays together).
        const cp = s.codePointAt(i)!;
        const ch = String.fromCodePoint(cp);
        for (const b of enc.encode(ch)) bytes.push(b);
        i += ch.length - 1;
      }
      continue;
    }
    const d = s[++i];
    if (d >= '0' && d <= '3' && /^[0-7]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i, i + 3), 8));
      i += 2;
    } else if (d !== undefined && C_ESCAPES[d] !== undefined) bytes.push(C_ESCAPES[d]);
    else throw new DiffParseError(`quoted file name ${quoteForMessage(s)} has a bad escape '\\${d ?? ''}'`, patchLine);
  }
  if (!closed) throw new DiffParseError(`quoted file name ${quoteForMessage(s)} has no closing quote`, patchLine);
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** The path in a `---`/`+++` line: drops the timestamp after a tab, unquotes, maps /dev/null to null. */
function headerPath(rest: string, patchLine: number): string | null {
  let p = rest;
  if (!p.startsWith('"')) {
    const tab = p.indexOf('\t');
    if (tab >= 0) p = p.slice(0, tab);
    p = p.trimEnd();
  } else p = unquoteGitPath(p, patchLine);
  return p === '/dev/null' ? null : p;
}

/** Z-function: z[k] is the length of the longest common prefix of `s` and `s.slice(k)`. Linear. */
function zArray(s: string): Int32Array {
  const n = s.length;
  const z = new Int32Array(n);
  if (n) z[0] = n;
  let l = 0;
  let r = 0;
  for (let k = 1; k < n; k++) {
    if (k < r) z[k] = Math.min(r - k, z[k - l]);
    while (k + z[k] < n && s.charCodeAt(z[k]) === s.charCodeAt(k + z[k])) z[k]++;
    if (k + z[k] > r) {
      l = k;
      r = k + z[k];
    }
  }
  return z;
}

/**
 * `diff --git a/x b/x`: the two names, when they can be told apart (quoted, or the two halves name the same path
 * once their first component is dropped). Linear in the length of the line, however many spaces it holds: each
 * space is tried with a constant-time length test and a Z-function lookup instead of comparing substrings.
 */
function gitHeaderPaths(rest: string, patchLine: number): [string, string] | null {
  if (rest.startsWith('"')) {
    let end = 1;
    while (end < rest.length && rest[end] !== '"') end += rest[end] === '\\' ? 2 : 1;
    return [unquoteGitPath(rest.slice(0, end + 1), patchLine), unquoteGitPath(rest.slice(end + 1).trim(), patchLine)];
  }
  // Unquoted names may contain spaces: split at the first space where both halves name the same path after their
  // prefix. With the first half's prefix ending at pa and the second's at q, that is rest[pa, i) === rest[q, L).
  const L = rest.length;
  const firstSlash = rest.indexOf('/');
  const nextSlash = new Int32Array(L + 1);
  nextSlash[L] = L;
  for (let k = L - 1; k >= 0; k--) nextSlash[k] = rest.charCodeAt(k) === 47 ? k : nextSlash[k + 1];
  let zFrom0: Int32Array | null = null;
  let zFromPrefix: Int32Array | null = null;
  for (let i = 0; i < L; i++) {
    if (rest.charCodeAt(i) !== 32) continue;
    const pa = firstSlash >= 0 && firstSlash < i ? firstSlash + 1 : 0;
    const q = nextSlash[i + 1] < L ? nextSlash[i + 1] + 1 : i + 1;
    const len = i - pa;
    if (len <= 0 || L - q !== len) continue;
    const z = pa ? (zFromPrefix ??= zArray(rest.slice(pa))) : (zFrom0 ??= zArray(rest));
    if (z[q - pa] >= len) return [rest.slice(0, i), rest.slice(i + 1)];
  }
  const sp = rest.indexOf(' ');
  return sp > 0 ? [rest.slice(0, sp), rest.slice(sp + 1)] : null;
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;

const GIT_EXTENDED =
  /^(old mode|new mode|deleted file mode|new file mode|similarity index|dissimilarity index|rename from|rename to|copy from|copy to|index) ?(.*)$/;

/** Parses every file diff found in `lines` (text before, between and after them is ignored). */
export function parseDiff(lines: readonly string[], options: ParseDiffOptions = {}): FilePatch[] {
  const strip = options.strip ?? 1;
  const first = options.firstLine ?? 1;
  const at = (i: number) => first + i;
  const out: FilePatch[] = [];
  let i = 0;
  const n = lines.length;

  const readHunks = (fp: FilePatch, name: string) => {
    while (i < n && lines[i].startsWith('@@ ')) {
      const header = lines[i];
      const m = HUNK_HEADER.exec(header);
      const index = fp.hunks.length + 1;
      if (!m) throw new DiffParseError(`${name}: malformed hunk header ${quoteForMessage(header)}`, at(i));
      const num = (digits: string | undefined, dflt: number) => {
        if (digits === undefined) return dflt;
        // More than ten digits cannot be at most MAX_LINE_NUMBER; `+digits` of 400 digits would be Infinity.
        const v = digits.length > 10 ? Infinity : +digits;
        if (v > MAX_LINE_NUMBER)
          throw new DiffParseError(
            `${name}: hunk #${index} header ${quoteForMessage(header)} has a line number or count above ${MAX_LINE_NUMBER}`,
            at(i),
          );
        return v;
      };
      const hunk: Hunk = {
        index,
        oldStart: num(m[1], 0),
        oldCount: num(m[2], 1),
        newStart: num(m[3], 0),
        newCount: num(m[4], 1),
        section: m[5].trim(),
        header,
        patchLine: at(i),
        lines: [],
      };
      // git: a range of lines starts at line 1 or later; only an empty range (an insertion at the top) sits at 0.
      for (const [side, startLine, count] of [
        ['old', hunk.oldStart, hunk.oldCount],
        ['new', hunk.newStart, hunk.newCount],
      ] as const) {
        if (startLine === 0 && count > 0)
          throw new DiffParseError(
            `${name}: hunk #${index} header ${quoteForMessage(header)} has a non-empty ${side} range starting at line 0 (lines are numbered from 1)`,
            at(i),
          );
      }
      i++;
      let oldLeft = hunk.oldCount;
      let newLeft = hunk.newCount;
      while (oldLeft > 0 || newLeft > 0) {
        if (i >= n)
          throw new DiffParseError(
            `${name}: hunk #${hunk.index} (${clipForMessage(header, 80)}) is cut short: ${oldLeft} old and ${newLeft} new line(s) missing at the end of the input`,
            at(i - 1),
          );
        const l = lines[i];
        const c = l === '' ? ' ' : l[0];
        if (c === '\\') {
          markNoEol(hunk);
          i++;
          continue;
        }
        if (c === ' ' && oldLeft > 0 && newLeft > 0) {
          oldLeft--;
          newLeft--;
        } else if (c === '-' && oldLeft > 0) oldLeft--;
        else if (c === '+' && newLeft > 0) newLeft--;
        else {
          throw new DiffParseError(
            `${name}: hunk #${hunk.index} (${clipForMessage(header, 80)}) is malformed at patch line ${at(i)}: ${oldLeft} old and ${newLeft} new line(s) were still expected, found ${quoteForMessage(l, 60)}`,
            at(i),
          );
        }
        hunk.lines.push({ kind: c as LineKind, text: l.slice(1), patchLine: at(i) });
        i++;
      }
      if (i < n && lines[i].startsWith('\\')) {
        markNoEol(hunk);
        i++;
      }
      fp.hunks.push(hunk);
    }
  };

  while (i < n) {
    const line = lines[i];
    if (line.startsWith('diff --git ')) {
      const fp = parseGitFile(strip);
      if (fp) out.push(fp);
      continue;
    }
    if (
      line.startsWith('--- ') &&
      i + 1 < n &&
      lines[i + 1].startsWith('+++ ') &&
      i + 2 < n &&
      lines[i + 2].startsWith('@@ ')
    ) {
      const start = i;
      const oldRaw = headerPath(line.slice(4), at(i));
      const newRaw = headerPath(lines[i + 1].slice(4), at(i + 1));
      const oldPath = oldRaw === null ? null : stripPath(oldRaw, strip, at(i));
      const newPath = newRaw === null ? null : stripPath(newRaw, strip, at(i + 1));
      if (oldPath === null && newPath === null) throw new DiffParseError('both sides of the diff are /dev/null', at(i));
      const fp: FilePatch = {
        op: oldPath === null ? 'add' : newPath === null ? 'delete' : 'modify',
        oldPath,
        newPath,
        hunks: [],
        binary: false,
        patchLine: at(start),
      };
      // Plain diffs name the same file with different prefixes (`linux.orig/fs/x.c`, `linux/fs/x.c`): the new name wins.
      if (fp.op === 'modify' && oldPath !== newPath) fp.oldPath = newPath;
      i += 2;
      readHunks(fp, newPath ?? oldPath!);
      out.push(fp);
      continue;
    }
    i++;
  }
  return out;

  function parseGitFile(stripN: number): FilePatch | null {
    const start = i;
    const names = gitHeaderPaths(lines[i].slice('diff --git '.length), at(start));
    const fp: FilePatch = {
      op: 'modify',
      oldPath: null,
      newPath: null,
      hunks: [],
      binary: false,
      patchLine: at(start),
    };
    let oldRaw: string | null | undefined = names?.[0];
    let newRaw: string | null | undefined = names?.[1];
    let oldLine = at(start);
    let newLine = at(start);
    let renameFrom: string | null = null;
    let renameTo: string | null = null;
    let fromLine = at(start);
    let toLine = at(start);
    let copy = false;
    i++;
    for (; i < n; i++) {
      const l = lines[i];
      const m = GIT_EXTENDED.exec(l);
      if (m) {
        const v = m[2];
        switch (m[1]) {
          case 'old mode':
            fp.oldMode = v;
            break;
          case 'new mode':
            fp.newMode = v;
            break;
          case 'deleted file mode':
            fp.op = 'delete';
            fp.oldMode = v;
            break;
          case 'new file mode':
            fp.op = 'add';
            fp.newMode = v;
            break;
          case 'similarity index':
            fp.similarity = parseInt(v, 10);
            break;
          case 'index': {
            // `index 1a2b3c4..5d6e7f8 100644`: object ids, read from the diff header (never from the C it carries).
            const ids = /^([0-9a-f]{4,64})\.\.([0-9a-f]{4,64})(?: |$)/.exec(v);
            if (ids) {
              fp.oldId = ids[1];
              fp.newId = ids[2];
            }
            break;
          }
          case 'rename from':
            renameFrom = unquoteGitPath(v, at(i));
            fromLine = at(i);
            break;
          case 'rename to':
            renameTo = unquoteGitPath(v, at(i));
            toLine = at(i);
            break;
          case 'copy from':
            renameFrom = unquoteGitPath(v, at(i));
            fromLine = at(i);
            copy = true;
            break;
          case 'copy to':
            renameTo = unquoteGitPath(v, at(i));
            toLine = at(i);
            copy = true;
            break;
        }
        continue;
      }
      if (l.startsWith('Binary files ') || l === 'GIT binary patch') {
        fp.binary = true;
        if (l === 'GIT binary patch') {
          // Two base85 blocks (forward and reverse), each ended by an empty line.
          let blanks = 0;
          for (i++; i < n && blanks < 2; i++) if (lines[i] === '') blanks++;
          i--;
        }
        continue;
      }
      break;
    }
    if (i < n && lines[i].startsWith('--- ') && i + 1 < n && lines[i + 1].startsWith('+++ ')) {
      oldRaw = headerPath(lines[i].slice(4), at(i));
      newRaw = headerPath(lines[i + 1].slice(4), at(i + 1));
      oldLine = at(i);
      newLine = at(i + 1);
      i += 2;
    }
    const strip1 = (p: string | null | undefined, line: number) =>
      p === null || p === undefined ? null : stripPath(p, stripN, line);
    let oldPath: string | null;
    let newPath: string | null;
    if (renameFrom !== null || renameTo !== null) {
      // `rename from` / `copy from` carry the path without the a/ b/ prefix: git strips one component less there.
      const renameStrip = Math.max(stripN - 1, 0);
      oldPath = renameFrom !== null ? stripPath(renameFrom, renameStrip, fromLine) : strip1(oldRaw, oldLine);
      newPath = renameTo !== null ? stripPath(renameTo, renameStrip, toLine) : strip1(newRaw, newLine);
      fp.op = copy ? 'copy' : 'rename';
    } else {
      oldPath = strip1(oldRaw, oldLine);
      newPath = strip1(newRaw, newLine);
    }
    if (fp.op === 'add') oldPath = null;
    if (fp.op === 'delete') newPath = null;
    if (oldPath === null && newPath === null)
      throw new DiffParseError('cannot tell which file this git diff is about', at(start));
    // git writes a rename or copy header whenever the two names differ; without one, applying would silently copy.
    if (fp.op === 'modify' && oldPath !== newPath) {
      throw new DiffParseError(
        `git diff names two files, ${quoteForMessage(oldPath!)} before and ${quoteForMessage(newPath!)} after, without a rename or copy header: refused rather than read as a copy`,
        at(start),
      );
    }
    fp.oldPath = oldPath;
    fp.newPath = newPath;
    readHunks(fp, newPath ?? oldPath!);
    return fp;
  }
}

function markNoEol(hunk: Hunk): void {
  const last = hunk.lines[hunk.lines.length - 1];
  if (last) last.noEol = true;
}

/** Splits text into lines without terminators; a CRLF patch (every line) loses its CRs. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length && lines.every((l) => l.endsWith('\r'))) return lines.map((l) => l.slice(0, -1));
  return lines;
}

/** The tree path a file diff is about, for messages: the new name, or the old one for a deletion. */
export function displayPath(fp: FilePatch): string {
  return fp.newPath ?? fp.oldPath ?? '?';
}
