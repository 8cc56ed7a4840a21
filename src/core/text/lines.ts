/**
 * The one line index: UTF-16 offsets ↔ 0-based line and column, shared by the analyzer's findings, the fix writer, the
 * simulator's bridge, the CLI's output and the editor. Lines end at `\n`, `\r\n` or a lone `\r`, as in VS Code, the
 * Language Server Protocol and GCC, so `vfslock check` and the editor name the same line of a file with old Mac line
 * ends. Patches are the exception: git and `diff` end lines only at `\n` (a `\r` is part of the line), so the patch
 * reviewer builds its index with `breaks: 'lf'`. Tree-sitter is given lone `\r`s as `\n` (`lineEndsForParser`),
 * so its rows are these lines.
 */

export interface Pos {
  /** 0-based line. */
  line: number;
  /** 0-based UTF-16 column. */
  character: number;
}

export interface Span {
  start: Pos;
  end: Pos;
}

/** Which characters end a line: `any` (`\n`, `\r\n`, lone `\r`: editors, compilers) or `lf` (git, diff). */
export type LineBreaks = 'any' | 'lf';

/** Whether a line starts at `p` of `text` (0 always does). */
function startsLine(text: string, p: number, breaks: LineBreaks): boolean {
  if (p === 0) return true;
  const c = text.charCodeAt(p - 1);
  return c === 10 || (breaks === 'any' && c === 13 && text.charCodeAt(p) !== 10);
}

export class LineIndex {
  private starts: number[] = [0];

  constructor(
    readonly text: string,
    readonly breaks: LineBreaks = 'any',
  ) {
    for (let p = 1; p <= text.length; p++) if (startsLine(text, p, breaks)) this.starts.push(p);
  }

  /**
   * The index of `newFullText`, which is this index's text with [start, oldEnd) replaced by `newText`, without
   * rescanning the whole text: only line starts that can depend on the edited characters are looked at again.
   */
  afterEdit(start: number, oldEnd: number, newText: string, newFullText?: string): LineIndex {
    const text = newFullText ?? this.text.slice(0, start) + newText + this.text.slice(oldEnd);
    const delta = newText.length - (oldEnd - start);
    const out = Object.create(LineIndex.prototype) as LineIndex;
    Object.assign(out, { text, breaks: this.breaks });
    // Whether p starts a line depends on text[p - 1] and text[p], so only starts in [start, start + newText.length + 1]
    // can differ; before that range they are kept, after it they move by delta.
    const last = Math.min(start + newText.length + 1, text.length);
    const kept = this.starts.filter((s) => s < start || s === 0);
    const fresh: number[] = [];
    for (let p = Math.max(start, 1); p <= last; p++) if (startsLine(text, p, this.breaks)) fresh.push(p);
    const after = this.starts
      .filter((s) => s > oldEnd + 1)
      .map((s) => s + delta)
      .filter((s) => s > last);
    out.starts = [...kept, ...fresh, ...after];
    return out;
  }

  /** 0-based line and column of an offset (not clamped: an offset between `\r` and `\n` is one past the line's end). */
  position(offset: number): { line: number; column: number } {
    const line = this.lineOf(offset);
    return { line, column: offset - this.starts[line] };
  }

  /** The editor's position of an offset: clamped to the text, and to the end of its line inside a `\r\n` pair. */
  positionAt(offset: number): Pos {
    const o = Math.max(0, Math.min(offset, this.text.length));
    const line = this.lineOf(o);
    return { line, character: Math.min(o - this.starts[line], this.lineLength(line)) };
  }

  offsetAt(p: Pos): number {
    if (p.line < 0) return 0;
    if (p.line >= this.starts.length) return this.text.length;
    return this.starts[p.line] + Math.max(0, Math.min(p.character, this.lineLength(p.line)));
  }

  spanOf(start: number, end: number): Span {
    return { start: this.positionAt(start), end: this.positionAt(end) };
  }

  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line, this.starts.length - 1))];
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** Length of a line without its line break. */
  lineLength(line: number): number {
    const s = this.starts[line];
    let e = line + 1 < this.starts.length ? this.starts[line + 1] : this.text.length;
    if (e > s && this.text.charCodeAt(e - 1) === 10) e--;
    if (e > s && this.breaks === 'any' && this.text.charCodeAt(e - 1) === 13) e--;
    return e - s;
  }

  private lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
