/**
 * Applies a patch's file diffs to a tree in memory, like `git apply`: every hunk's context and removed lines must
 * match the file exactly (no fuzz); a hunk may land at an offset from the line its header names (the nearest exact
 * match wins, never before the previous hunk). Either every file of the patch applies or nothing is changed.
 * Each result records, per line of the old and new text, the patch line it came from.
 */
import type { FileOp, FilePatch, Hunk } from './diff';
import { displayPath } from './diff';
import type { TreeReader } from './tree';

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
  constructor(message: string, readonly file: string, readonly hunk: number | null, readonly patchLine: number) {
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

function show(s: string): string {
  const t = s.replace(/\t/g, '\\t');
  return t.length > 72 ? `'${t.slice(0, 72)}…'` : `'${t}'`;
}

/** Applies the hunks of one file diff to `text`. */
export function applyHunks(text: string, fp: FilePatch): { text: string; newLines: Map<number, LineOrigin>; oldLines: Map<number, LineOrigin>; offsets: { hunk: number; by: number }[] } {
  const file = displayPath(fp);
  const cur = toLines(text);
  const newLines = new Map<number, LineOrigin>();
  const oldLines = new Map<number, LineOrigin>();
  const offsets: { hunk: number; by: number }[] = [];
  let shift = 0;
  let minPos = 0;
  for (const h of fp.hunks) {
    const old = h.lines.filter((l) => l.kind !== '+');
    const neu = h.lines.filter((l) => l.kind !== '-');
    const oldText = old.map((l) => l.text);
    const expected = (h.oldCount === 0 ? h.oldStart : h.oldStart - 1) + shift;
    const pos = findHunk(cur.lines, oldText, expected, minPos);
    if (pos < 0) throw new ApplyError(mismatch(file, h, cur.lines, oldText, Math.max(minPos, Math.min(expected, cur.lines.length))), file, h.index, h.patchLine);
    if (pos !== expected) offsets.push({ hunk: h.index, by: pos - expected });
    const atEnd = pos + oldText.length === cur.lines.length;
    // Line numbers of this hunk's lines in the old text and in the new text.
    let o = pos - shift;
    let n = pos;
    for (const l of h.lines) {
      if (l.kind !== '+') oldLines.set(++o, { patchLine: l.patchLine, kind: l.kind });
      if (l.kind !== '-') newLines.set(++n, { patchLine: l.patchLine, kind: l.kind });
    }
    cur.lines.splice(pos, oldText.length, ...neu.map((l) => l.text));
    if (atEnd) {
      const lastNew = neu[neu.length - 1];
      cur.eol = lastNew ? !lastNew.noEol : true;
    }
    shift += neu.length - oldText.length;
    minPos = pos + neu.length;
  }
  return { text: fromLines(cur), newLines, oldLines, offsets };
}

/** The nearest position at or after `minPos` where `old` matches exactly, searching outwards from `expected`. */
function findHunk(lines: readonly string[], old: readonly string[], expected: number, minPos: number): number {
  const last = lines.length - old.length;
  if (last < minPos) return -1;
  const matches = (p: number) => {
    for (let k = 0; k < old.length; k++) if (lines[p + k] !== old[k]) return false;
    return true;
  };
  if (old.length === 0) return expected >= minPos && expected <= lines.length ? expected : -1;
  for (let d = 0; ; d++) {
    const down = expected + d;
    const up = expected - d;
    const inDown = down >= minPos && down <= last;
    const inUp = d > 0 && up >= minPos && up <= last;
    if (!inDown && !inUp && down > last && up < minPos) return -1;
    if (inDown && matches(down)) return down;
    if (inUp && matches(up)) return up;
  }
}

function mismatch(file: string, h: Hunk, lines: readonly string[], old: readonly string[], at: number): string {
  const head = `${file}: hunk #${h.index} (${h.header}) does not apply`;
  if (old.length > lines.length) return `${head}: it needs ${old.length} line(s) of context but the file has ${lines.length}`;
  // Say where the hunk's lines stop matching at the position the header names.
  const p = Math.min(at, Math.max(0, lines.length - old.length));
  for (let k = 0; k < old.length; k++) {
    if (lines[p + k] !== old[k]) {
      const line = p + k + 1;
      return `${head}: line ${line} of ${file} is ${lines[p + k] === undefined ? 'past the end of the file' : show(lines[p + k])}, the patch expects ${show(old[k])} (patch line ${patchLineOf(h, k)}); no exact match elsewhere in the file`;
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
  const read = async (p: string) => (pending.has(p) ? pending.get(p)! : tree.read(p));
  const out: FileChange[] = [];
  for (const fp of files) {
    const name = displayPath(fp);
    const change: FileChange = {
      op: fp.op, oldPath: fp.oldPath, newPath: fp.newPath, before: null, after: null, binary: fp.binary,
      newLines: new Map(), oldLines: new Map(), offsets: [],
    };
    if (fp.oldPath !== null) {
      change.before = await read(fp.oldPath);
      if (change.before === null) throw new ApplyError(`${fp.oldPath}: ${fp.op === 'rename' || fp.op === 'copy' ? `cannot ${fp.op} it: ` : ''}no such file in ${tree.label}`, fp.oldPath, null, fp.patchLine);
    }
    if (fp.op === 'add' || fp.op === 'rename' || fp.op === 'copy') {
      const existing = await read(fp.newPath!);
      if (existing !== null) throw new ApplyError(`${fp.newPath}: already exists in ${tree.label}`, fp.newPath!, null, fp.patchLine);
    }
    if (fp.binary) {
      change.after = null;
    } else {
      const r = applyHunks(change.before ?? '', fp);
      change.newLines = r.newLines;
      change.oldLines = r.oldLines;
      change.offsets = r.offsets;
      if (fp.op === 'delete') {
        if (r.text !== '') throw new ApplyError(`${name}: the patch deletes the file but does not remove all of its content (${r.text.split('\n').length - 1} line(s) left)`, name, null, fp.patchLine);
        change.after = null;
      } else change.after = r.text;
    }
    if (fp.op === 'rename' || fp.op === 'delete') pending.set(fp.oldPath!, null);
    if (fp.newPath !== null && !fp.binary) pending.set(fp.newPath, change.after);
    out.push(change);
  }
  return out;
}
