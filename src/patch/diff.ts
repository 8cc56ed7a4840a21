/**
 * Unified diff parsing: `diff -u`, `git diff` / `git format-patch` (extended headers: new/deleted files, renames,
 * copies, modes, binary), quilt `Index:` patches. Every hunk line keeps its line number in the input, so findings can
 * be reported against the patch itself (checkpatch's `#123:`) and shown on the patch's own `+` lines.
 *
 * This parses the diff format (a line-oriented text format), never the C it carries.
 */

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
  /** Line of the `diff --git` (or `---`) header in the input. */
  patchLine: number;
}

export class DiffParseError extends Error {
  constructor(message: string, readonly patchLine: number) {
    super(message);
  }
}

export interface ParseDiffOptions {
  /** Leading path components to strip (`patch -p1`, the default, removes `a/` and `b/`). */
  strip?: number;
  /** 1-based input line number of `lines[0]`. */
  firstLine?: number;
}

/** The path or path-like part of a display name: `fs/namei.c` for `b/fs/namei.c` (strip 1). */
export function stripPath(raw: string, strip: number, patchLine: number): string {
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  const kept = parts.length > strip ? parts.slice(strip) : parts.slice(-1);
  if (raw.startsWith('/') && parts.length <= strip) throw new DiffParseError(`absolute path '${raw}' in the patch`, patchLine);
  if (kept.some((p) => p === '..')) throw new DiffParseError(`path '${raw}' leaves the tree ('..')`, patchLine);
  return kept.join('/');
}

/** git's C-style quoting of unusual file names: `"a/f\303\251.c"`. */
export function unquoteGitPath(s: string): string {
  if (!s.startsWith('"')) return s;
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, '"': 34, '\\': 92, a: 7, b: 8, f: 12, r: 13, v: 11 };
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (c === '"') break;
    if (c !== '\\') {
      for (const b of new TextEncoder().encode(c)) bytes.push(b);
      continue;
    }
    const d = s[++i];
    if (d >= '0' && d <= '7') {
      bytes.push(parseInt(s.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(simple[d] ?? d.charCodeAt(0));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** The path in a `---`/`+++` line: drops the timestamp after a tab, unquotes, maps /dev/null to null. */
function headerPath(rest: string): string | null {
  let p = rest;
  if (!p.startsWith('"')) {
    const tab = p.indexOf('\t');
    if (tab >= 0) p = p.slice(0, tab);
    p = p.trimEnd();
  } else p = unquoteGitPath(p);
  return p === '/dev/null' ? null : p;
}

/** `diff --git a/x b/x`: the two names, when they can be told apart (quoted, or the two halves are the same). */
function gitHeaderPaths(rest: string): [string, string] | null {
  if (rest.startsWith('"')) {
    let end = 1;
    while (end < rest.length && rest[end] !== '"') end += rest[end] === '\\' ? 2 : 1;
    return [unquoteGitPath(rest.slice(0, end + 1)), unquoteGitPath(rest.slice(end + 1).trim())];
  }
  // Unquoted names may contain spaces: split where both halves name the same path after their prefix.
  const mid = rest.length >> 1;
  for (let i = mid; i < rest.length; i++) {
    if (rest[i] !== ' ') continue;
    const a = rest.slice(0, i);
    const b = rest.slice(i + 1);
    if (a.replace(/^[^/]*\//, '') === b.replace(/^[^/]*\//, '')) return [a, b];
  }
  const sp = rest.indexOf(' ');
  return sp > 0 ? [rest.slice(0, sp), rest.slice(sp + 1)] : null;
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;

const GIT_EXTENDED = /^(old mode|new mode|deleted file mode|new file mode|similarity index|dissimilarity index|rename from|rename to|copy from|copy to|index) ?(.*)$/;

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
      if (!m) throw new DiffParseError(`${name}: malformed hunk header '${header}'`, at(i));
      const hunk: Hunk = {
        index: fp.hunks.length + 1, oldStart: +m[1], oldCount: m[2] === undefined ? 1 : +m[2], newStart: +m[3],
        newCount: m[4] === undefined ? 1 : +m[4], section: m[5].trim(), header, patchLine: at(i), lines: [],
      };
      i++;
      let oldLeft = hunk.oldCount;
      let newLeft = hunk.newCount;
      while (oldLeft > 0 || newLeft > 0) {
        if (i >= n) throw new DiffParseError(`${name}: hunk #${hunk.index} (${header}) is cut short: ${oldLeft} old and ${newLeft} new line(s) missing at the end of the input`, at(i - 1));
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
            `${name}: hunk #${hunk.index} (${header}) is malformed at patch line ${at(i)}: ${oldLeft} old and ${newLeft} new line(s) were still expected, found '${l.length > 60 ? l.slice(0, 60) + '…' : l}'`,
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
    if (line.startsWith('--- ') && i + 1 < n && lines[i + 1].startsWith('+++ ') && i + 2 < n && lines[i + 2].startsWith('@@ ')) {
      const start = i;
      const oldRaw = headerPath(line.slice(4));
      const newRaw = headerPath(lines[i + 1].slice(4));
      const oldPath = oldRaw === null ? null : stripPath(oldRaw, strip, at(i));
      const newPath = newRaw === null ? null : stripPath(newRaw, strip, at(i + 1));
      if (oldPath === null && newPath === null) throw new DiffParseError('both sides of the diff are /dev/null', at(i));
      const fp: FilePatch = {
        op: oldPath === null ? 'add' : newPath === null ? 'delete' : 'modify', oldPath, newPath, hunks: [], binary: false, patchLine: at(start),
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
    const names = gitHeaderPaths(lines[i].slice('diff --git '.length));
    const fp: FilePatch = { op: 'modify', oldPath: null, newPath: null, hunks: [], binary: false, patchLine: at(start) };
    let oldRaw: string | null | undefined = names?.[0];
    let newRaw: string | null | undefined = names?.[1];
    let renameFrom: string | null = null;
    let renameTo: string | null = null;
    let copy = false;
    i++;
    for (; i < n; i++) {
      const l = lines[i];
      const m = GIT_EXTENDED.exec(l);
      if (m) {
        const v = m[2];
        switch (m[1]) {
          case 'old mode': fp.oldMode = v; break;
          case 'new mode': fp.newMode = v; break;
          case 'deleted file mode': fp.op = 'delete'; fp.oldMode = v; break;
          case 'new file mode': fp.op = 'add'; fp.newMode = v; break;
          case 'similarity index': fp.similarity = parseInt(v, 10); break;
          case 'rename from': renameFrom = unquoteGitPath(v); break;
          case 'rename to': renameTo = unquoteGitPath(v); break;
          case 'copy from': renameFrom = unquoteGitPath(v); copy = true; break;
          case 'copy to': renameTo = unquoteGitPath(v); copy = true; break;
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
      oldRaw = headerPath(lines[i].slice(4));
      newRaw = headerPath(lines[i + 1].slice(4));
      i += 2;
    }
    const strip1 = (p: string | null | undefined, line: number) => (p === null || p === undefined ? null : stripPath(p, stripN, line));
    let oldPath = strip1(oldRaw, at(start));
    let newPath = strip1(newRaw, at(start));
    if (renameFrom !== null || renameTo !== null) {
      // `rename from` / `copy from` carry the path without the a/ b/ prefix.
      oldPath = renameFrom !== null ? stripPath(renameFrom, 0, at(start)) : oldPath;
      newPath = renameTo !== null ? stripPath(renameTo, 0, at(start)) : newPath;
      fp.op = copy ? 'copy' : 'rename';
    }
    if (fp.op === 'add') oldPath = null;
    if (fp.op === 'delete') newPath = null;
    if (oldPath === null && newPath === null) throw new DiffParseError('cannot tell which file this git diff is about', at(start));
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
