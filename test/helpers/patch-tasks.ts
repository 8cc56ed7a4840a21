/**
 * Patch reading and applying as plain functions of strings, for runBounded (helpers/bounded.ts): the worker calls
 * them by name, so a hostile input that would loop forever is stopped by the test's time limit.
 */
import { parseDiff, splitLines } from '../../src/patch/diff';
import { applyHunks } from '../../src/patch/apply';

/** Parses `diff` and applies its first file diff to `fileText`. */
export function applyDiff(diff: string, fileText: string): { text: string; offsets: { hunk: number; by: number }[] } {
  const files = parseDiff(splitLines(diff));
  const r = applyHunks(fileText, files[0]);
  return { text: r.text, offsets: r.offsets };
}

/** The file diffs `diff` holds: operation and paths. */
export function parseNames(diff: string, strip = 1): { op: string; oldPath: string | null; newPath: string | null }[] {
  return parseDiff(splitLines(diff), { strip }).map((f) => ({ op: f.op, oldPath: f.oldPath, newPath: f.newPath }));
}

/** `lines` copies of `line`, each ended by a newline (a generated file). */
export function repeatedLines(line: string, lines: number): string {
  return `${line}\n`.repeat(lines);
}

/**
 * applyDiff on a file of `lines` copies of `line` made in the worker (not copied in from the test), with line
 * `at` (1-based) replaced by `other` when given.
 */
export function applyToRepeated(
  diff: string,
  line: string,
  lines: number,
  at?: number,
  other?: string,
): { offsets: { hunk: number; by: number }[]; length: number } {
  let text = repeatedLines(line, lines);
  if (at !== undefined && other !== undefined) {
    const all = text.split('\n');
    all[at - 1] = other;
    text = all.join('\n');
  }
  const r = applyDiff(diff, text);
  return { offsets: r.offsets, length: r.text.length };
}
