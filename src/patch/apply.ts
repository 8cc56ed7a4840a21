/**
 * Applies a patch's file diffs to a tree in memory, like `git apply`: every hunk's context and removed lines must
 * match the file exactly (no fuzz); a hunk may land at an offset from the line its header names (the nearest exact
 * match wins, never before the previous hunk). Either every file of the patch applies or nothing is changed.
 * Each result records, per line of the old and new text, the patch line it came from.
 */
import type { FileOp, FilePatch, Hunk } from './diff';
import { clipForMessage, displayPath } from './diff';
import { TreeError, type TreeReader } from './tree';

export interface LineOrigin {
  /** 1-based line in the patch input. */
  patchLine: number;
  kind: '+' | '-' | ' ';
}

export interface FileChange {
  op: FileOp;
  oldPath: string | null;
  newPath: string | null;
  /** Text before the patch (null: the file did not exist). */
  before: string | null;
  /** Text after the patch (null: deleted). For a binary change, the text is unknown: null. */
  after: string | null;
  binary: boolean;
  /** 1-based lines of `after` that the patch shows (`+` and context), with their patch lines. */
  newLines: Map<number, LineOrigin>;
  /** 1-based lines of `before` that the patch shows (`-` and context). */
  oldLines: Map<number, LineOrigin>;
  /** Hunks that applied at an offset from their header's line. */
  offsets: { hunk: number; by: number }[];
}

export class ApplyError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly hunk: number | null,
    readonly patchLine: number,
  ) {
    super(message);
  }
}

interface Lines {
  lines: string[];
  /** The last line ends with a newline. */
  eol: boolean;
}

function toLines(text: string): Lines {
  if (text === '') return { lines: [], eol: true };
  const lines = text.split('\n');
  const eol = lines[lines.length - 1] === '';
  if (eol) lines.pop();
  return { lines, eol };
}

function fromLines(l: Lines): string {
  if (!l.lines.length) return '';
  return l.lines.join('\n') + (l.eol ? '\n' : '');
}

/** Line comparisons one file diff may spend looking for its hunks (a kernel file needs far fewer than a million). */
export const SEARCH_BUDGET = 50_000_000;

/**
 * Applies the hunks of one file diff to `text`. Hunks are searched in the old text, in order and never overlapping:
 * each at the line its header names or the nearest exact match, looking no further than the file's own lines (as
 * git apply does), so a header's line number costs nothing however large it is; a start line beyond the end of
 * the file is refused. The new text is built in one pass.
 */
export function applyHunks(
  text: string,
  fp: FilePatch,
): {
  text: string;
  newLines: Map<number, LineOrigin>;
  oldLines: Map<number, LineOrigin>;
  offsets: { hunk: number; by: number }[];
} {
  const file = displayPath(fp);
  const src = toLines(text);
  const lines = src.lines;
  const out: string[] = [];
  let eol = src.eol;
  const newLines = new Map<number, LineOrigin>();
  const oldLines = new Map<number, LineOrigin>();
  const offsets: { hunk: number; by: number }[] = [];
  /** Lines of the old text before this index are done (copied, or replaced by an earlier hunk). */
  let done = 0;
  /** Lines added minus lines removed by the hunks so far. */
  let shift = 0;
  const budget = { left: SEARCH_BUDGET };
  for (const h of fp.hunks) {
    const old = h.lines.filter((l) => l.kind !== '+');
    const neu = h.lines.filter((l) => l.kind !== '-');
    const oldText = old.map((l) => l.text);
    const head = `${file}: hunk #${h.index} (${clipForMessage(h.header, 80)}) does not apply`;
    // An empty old range (a pure insertion) names the line it goes after; otherwise its first line.
    const expected = h.oldCount === 0 ? h.oldStart : h.oldStart - 1;
    if (expected > lines.length || (oldText.length > 0 && expected >= lines.length)) {
      throw new ApplyError(
        `${head}: it starts at line ${h.oldStart}, but ${file} has ${lines.length} line(s)`,
        file,
        h.index,
        h.patchLine,
      );
    }
    const pos = findHunk(lines, oldText, expected, done, budget);
    if (pos === BUDGET_SPENT) {
      throw new ApplyError(
        `${head}: the search for its lines was stopped after ${SEARCH_BUDGET} line comparisons in this file`,
        file,
        h.index,
        h.patchLine,
      );
    }
    if (pos < 0)
      throw new ApplyError(
        mismatch(head, file, h, lines, oldText, Math.max(done, Math.min(expected, lines.length))),
        file,
        h.index,
        h.patchLine,
      );
    if (pos !== expected) offsets.push({ hunk: h.index, by: pos - expected });
    // Line numbers of this hunk's lines in the old text and in the new text.
    let o = pos;
    let n = pos + shift;
    for (const l of h.lines) {
      if (l.kind !== '+') oldLines.set(++o, { patchLine: l.patchLine, kind: l.kind });
      if (l.kind !== '-') newLines.set(++n, { patchLine: l.patchLine, kind: l.kind });
    }
    for (let k = done; k < pos; k++) out.push(lines[k]);
    for (const l of neu) out.push(l.text);
    if (pos + oldText.length === lines.length) {
      const lastNew = neu[neu.length - 1];
      eol = lastNew ? !lastNew.noEol : true;
    }
    done = pos + oldText.length;
    shift += neu.length - oldText.length;
  }
  for (let k = done; k < lines.length; k++) out.push(lines[k]);
  return { text: fromLines({ lines: out, eol }), newLines, oldLines, offsets };
}

const BUDGET_SPENT = -2;

/**
 * The nearest position in [minPos, lines.length - old.length] where `old` matches exactly, searching outwards from
 * `expected` clamped into that range: -1 when there is none, BUDGET_SPENT when the budget ran out first.
 */
function findHunk(
  lines: readonly string[],
  old: readonly string[],
  expected: number,
  minPos: number,
  budget: { left: number },
): number {
  if (old.length === 0) return expected >= minPos && expected <= lines.length ? expected : -1;
  const last = lines.length - old.length;
  if (last < minPos) return -1;
  const matches = (p: number) => {
    for (let k = 0; k < old.length; k++) {
      budget.left--;
      if (lines[p + k] !== old[k]) return false;
    }
    return true;
  };
  const from = Math.min(Math.max(expected, minPos), last);
  for (let d = 0; from + d <= last || from - d >= minPos; d++) {
    if (budget.left <= 0) return BUDGET_SPENT;
    if (from + d <= last && matches(from + d)) return from + d;
    if (d > 0 && from - d >= minPos && matches(from - d)) return from - d;
  }
  return -1;
}

/**
 * Why a hunk does not apply, in git apply's terms ("patch failed: FILE:LINE"): which line of the file differs and
 * which patch line expected something else there, never what the file's line holds. The file may be one the
 * patch's author cannot read (.git/config, a credentials file in the tree): an error message must not hand its
 * content back to them.
 */
function mismatch(
  head: string,
  file: string,
  h: Hunk,
  lines: readonly string[],
  old: readonly string[],
  at: number,
): string {
  if (old.length > lines.length)
    return `${head}: it needs ${old.length} line(s) of context but ${file} has ${lines.length}`;
  // Say where the hunk's lines stop matching at the position the header names.
  const p = Math.min(at, Math.max(0, lines.length - old.length));
  for (let k = 0; k < old.length; k++) {
    if (lines[p + k] !== old[k]) {
      const line = p + k + 1;
      return `${head}: patch failed: ${file}:${line}: that line differs from what patch line ${patchLineOf(h, k)} expects, and the hunk matches nowhere else in the file`;
    }
  }
  return `${head}: its lines match only before an earlier hunk`;
}

function patchLineOf(h: Hunk, oldIndex: number): number {
  let k = -1;
  for (const l of h.lines) {
    if (l.kind === '+') continue;
    if (++k === oldIndex) return l.patchLine;
  }
  return h.patchLine;
}

/**
 * Applies every file diff of one patch against `tree` (which is not modified). Throws ApplyError naming the file and
 * hunk when something does not apply.
 */
export async function applyPatch(tree: TreeReader, files: readonly FilePatch[]): Promise<FileChange[]> {
  // Several diffs of one patch may touch the same path: later ones see the earlier ones' result.
  const pending = new Map<string, string | null>();
  const out: FileChange[] = [];
  for (const fp of files) {
    const name = displayPath(fp);
    const read = async (p: string): Promise<string | null> => {
      if (pending.has(p)) return pending.get(p)!;
      try {
        return await tree.read(p);
      } catch (e) {
        if (e instanceof TreeError) throw new ApplyError(e.message, p, null, fp.patchLine);
        throw e;
      }
    };
    const isDirectory = async (p: string): Promise<boolean> => {
      if (pending.has(p)) return false;
      const prefix = p + '/';
      for (const [q, t] of pending) if (t !== null && q.startsWith(prefix)) return true;
      return (await tree.isDirectory?.(p)) ?? false;
    };
    const change: FileChange = {
      op: fp.op,
      oldPath: fp.oldPath,
      newPath: fp.newPath,
      before: null,
      after: null,
      binary: fp.binary,
      newLines: new Map(),
      oldLines: new Map(),
      offsets: [],
    };
    if (fp.oldPath !== null) {
      change.before = await read(fp.oldPath);
      if (change.before === null) {
        const what = (await isDirectory(fp.oldPath))
          ? `it is a directory in ${tree.label}, not a file`
          : `no such file in ${tree.label}`;
        throw new ApplyError(
          `${fp.oldPath}: ${fp.op === 'rename' || fp.op === 'copy' ? `cannot ${fp.op} it: ` : ''}${what}`,
          fp.oldPath,
          null,
          fp.patchLine,
        );
      }
    }
    if (fp.op === 'add' || fp.op === 'rename' || fp.op === 'copy') {
      const existing = await read(fp.newPath!);
      if (existing !== null)
        throw new ApplyError(`${fp.newPath}: already exists in ${tree.label}`, fp.newPath!, null, fp.patchLine);
      if (await isDirectory(fp.newPath!))
        throw new ApplyError(
          `${fp.newPath}: already exists in ${tree.label} as a directory`,
          fp.newPath!,
          null,
          fp.patchLine,
        );
    }
    if (fp.binary) {
      change.after = null;
    } else {
      const r = applyHunks(change.before ?? '', fp);
      change.newLines = r.newLines;
      change.oldLines = r.oldLines;
      change.offsets = r.offsets;
      if (fp.op === 'delete') {
        if (r.text !== '')
          throw new ApplyError(
            `${name}: the patch deletes the file but does not remove all of its content (${r.text.split('\n').length - 1} line(s) left)`,
            name,
            null,
            fp.patchLine,
          );
        change.after = null;
      } else change.after = r.text;
    }
    if (fp.op === 'rename' || fp.op === 'delete') pending.set(fp.oldPath!, null);
    if (fp.newPath !== null && !fp.binary) pending.set(fp.newPath, change.after);
    out.push(change);
  }
  return out;
}
