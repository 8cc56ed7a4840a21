/**
 * Offsets ↔ positions, and VS Code content changes → core `Document.edit` calls. No `vscode` import: the
 * extension converts these plain objects to `vscode.Position`/`Range`, and unit tests run them under Node.
 * Offsets are UTF-16 code units on both sides (VS Code's and the analyzer's), so no re-encoding is needed.
 */

import { mergeEdits as mergeCore } from '../../core/fixes/offer';

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

/** Line starts of a text, with VS Code's line breaks (\n, \r\n and a lone \r). */
export class LineMap {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }

  get lineCount(): number {
    return this.starts.length;
  }

  positionAt(offset: number): Pos {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    // An offset inside a \r\n pair belongs to the end of the line.
    return { line: lo, character: Math.min(o - this.starts[lo], this.lineLength(lo)) };
  }

  offsetAt(p: Pos): number {
    if (p.line < 0) return 0;
    if (p.line >= this.starts.length) return this.text.length;
    return this.starts[p.line] + Math.max(0, Math.min(p.character, this.lineLength(p.line)));
  }

  spanOf(start: number, end: number): Span {
    return { start: this.positionAt(start), end: this.positionAt(end) };
  }

  /** Length of a line without its line break. */
  lineLength(line: number): number {
    const s = this.starts[line];
    let e = line + 1 < this.starts.length ? this.starts[line + 1] : this.text.length;
    if (e > s && this.text.charCodeAt(e - 1) === 10) e--;
    if (e > s && this.text.charCodeAt(e - 1) === 13) e--;
    return e - s;
  }
}

/** A VS Code `TextDocumentContentChangeEvent` reduced to what the core needs. */
export interface ContentChange {
  rangeOffset: number;
  rangeLength: number;
  text: string;
}

export interface CoreEdit {
  start: number;
  oldEnd: number;
  newText: string;
}

/** The core edits for one `onDidChangeTextDocument` event, to apply in order (see `coreEditsFor`). */
export function toCoreEdits(changes: readonly ContentChange[]): CoreEdit[] {
  return changes.map((c) => ({ start: c.rangeOffset, oldEnd: c.rangeOffset + c.rangeLength, newText: c.text }));
}

/**
 * The core edits for one `onDidChangeTextDocument` event, checked against the new text. VS Code orders the changes of one event so that applying
 * them one after another is correct (the same contract as LSP incremental sync). Returns null when they do not
 * reproduce `expected` (the document's new text): the caller then replaces the whole text.
 */
export function coreEditsFor(before: string, changes: readonly ContentChange[], expected: string): CoreEdit[] | null {
  let text = before;
  const edits: CoreEdit[] = [];
  for (const c of changes) {
    const start = c.rangeOffset;
    const oldEnd = c.rangeOffset + c.rangeLength;
    if (start < 0 || oldEnd > text.length) return null;
    edits.push({ start, oldEnd, newText: c.text });
    text = text.slice(0, start) + c.text + text.slice(oldEnd);
  }
  return text === expected ? edits : null;
}

/** One edit covering every given edit (made against the same text, non-overlapping): the core's, throwing on overlap. */
export function mergeEdits(text: string, edits: readonly { start: number; end: number; newText: string }[]): CoreEdit {
  const m = mergeCore(text, edits);
  if (!m) throw new RangeError('overlapping edits');
  return m;
}

/** Applies non-overlapping edits to a text. */
export function applyEdits(text: string, edits: readonly { start: number; end: number; newText: string }[]): string {
  const m = mergeEdits(text, edits);
  return text.slice(0, m.start) + m.newText + text.slice(m.oldEnd);
}
