/**
 * Offsets ↔ positions, and VS Code content changes → core `Document.edit` calls. No `vscode` import: the
 * extension converts these plain objects to `vscode.Position`/`Range`, and unit tests run them under Node.
 * Offsets are UTF-16 code units on both sides (VS Code's and the analyzer's), so no re-encoding is needed.
 */

import { mergeEdits as mergeCore } from '../core/fixes/offer';

/** Line starts with VS Code's line breaks (\n, \r\n and a lone \r): the core's one line index. */
export { LineIndex as LineMap, type Pos, type Span } from '../core/text/lines';

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
