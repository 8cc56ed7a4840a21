/**
 * Fixes offered for a file's findings, each re-analysed on the whole file before it is offered: a candidate that
 * leaves its finding in place or adds any finding anywhere in the file (another rule, another function, a caller
 * whose summary changed) is dropped. Used by the editor's quick fixes and by the CLI's SARIF `fixes`.
 */
import type { Analyzer, CheckOptions, Document, FileResult, LocatedFinding } from '../engine';
import { fixesFor, type Fix, type TextEditP, type Translator } from './writer';

export type { Fix, TextEditP } from './writer';

/** Findings whose rule or hint has a fix writer. */
export function hasFixWriter(f: LocatedFinding): boolean {
  return !!f.fix || f.ruleId === 'deleg/blocking-break-locked' || f.ruleId === 'deleg/break-unlocked';
}

/**
 * The whole file's findings with `edits` applied to an open document (one incremental edit, then reverted), or
 * null if the edited text cannot be analysed.
 */
export function probeFile(doc: Document, edits: readonly TextEditP[]): LocatedFinding[] | null {
  if (!edits.length) return doc.result().findings;
  const before = doc.source;
  const m = mergeEdits(before, edits);
  if (!m) return null;
  try {
    doc.edit(m.start, m.oldEnd, m.newText);
    const r = doc.result();
    return r.error ? null : r.findings;
  } catch {
    return null;
  } finally {
    try {
      doc.edit(m.start, m.start + m.newText.length, before.slice(m.start, m.oldEnd));
    } catch {
      // fall through to the full replacement below
    }
    if (doc.source !== before) doc.replace(before);
  }
}

/** The verified fixes for one finding of `result` (the document's current result). */
export function verifiedFixes(
  analyzer: Analyzer,
  doc: Document,
  result: FileResult,
  f: LocatedFinding,
  t?: Translator,
): Fix[] {
  const fn = result.functions.find((x) => x.name === f.function && x.start <= f.start && f.start <= x.end);
  if (!fn) return [];
  return fixesFor(f, {
    text: doc.source,
    fn,
    era: result.era,
    t,
    parse: (s) => analyzer.parser.parse(s),
    eventsAt: (offset) => doc.eventsAt(offset),
    verify: (edits) => probeFile(doc, edits),
  });
}

/** Every finding's verified fixes (index into `findings` → fixes), for a one-shot check (the CLI). */
export function offerFixes(
  analyzer: Analyzer,
  file: string,
  text: string,
  options: CheckOptions = {},
): { result: FileResult; fixes: Map<number, Fix[]> } {
  const doc = analyzer.open(file, text, options);
  try {
    const result = doc.result();
    return { result, fixes: fixesOfDocument(analyzer, doc, result) };
  } finally {
    doc.dispose();
  }
}

/** Every finding's verified fixes for an open document's current result (a tree check's document, with its index). */
export function fixesOfDocument(analyzer: Analyzer, doc: Document, result: FileResult): Map<number, Fix[]> {
  const fixes = new Map<number, Fix[]>();
  result.findings.forEach((f, i) => {
    if (!hasFixWriter(f)) return;
    const list = verifiedFixes(analyzer, doc, result, f);
    if (list.length) fixes.set(i, list);
  });
  return fixes;
}

/**
 * One edit covering every given edit (made against the same text, non-overlapping), for a single incremental step:
 * null when two overlap.
 */
export function mergeEdits(
  text: string,
  edits: readonly { start: number; end: number; newText: string }[],
): { start: number; oldEnd: number; newText: string } | null {
  if (!edits.length) return { start: 0, oldEnd: 0, newText: '' };
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const start = sorted[0].start;
  const oldEnd = Math.max(...sorted.map((e) => e.end));
  let out = '';
  let at = start;
  for (const e of sorted) {
    if (e.start < at) return null;
    out += text.slice(at, e.start) + e.newText;
    at = e.end;
  }
  out += text.slice(at, oldEnd);
  return { start, oldEnd, newText: out };
}

/** An edit with 1-based line/column positions (SARIF regions; columns in UTF-16 code units, as the offsets). */
export interface LocatedEdit extends TextEditP {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

export interface OfferedFix {
  title: string;
  edits: LocatedEdit[];
}

/** A finding that carries its verified fixes (set by the CLI when SARIF output is asked for). */
export interface FindingWithFixes extends LocatedFinding {
  fixes?: OfferedFix[];
}

/** Attaches each finding's verified fixes to it (`fixes`), with line/column positions computed from `text`. */
export function attachFixes(result: FileResult, fixes: ReadonlyMap<number, Fix[]>, text: string): void {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  const pos = (o: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - starts[lo] + 1 };
  };
  for (const [i, list] of fixes) {
    const f = result.findings[i] as FindingWithFixes | undefined;
    if (!f) continue;
    f.fixes = list.map((x) => ({
      title: x.title,
      edits: x.edits.map((e) => {
        const s = pos(e.start);
        const en = pos(e.end);
        return { ...e, startLine: s.line, startColumn: s.column, endLine: en.line, endColumn: en.column };
      }),
    }));
  }
}
