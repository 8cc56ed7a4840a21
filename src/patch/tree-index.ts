/**
 * What each C file of the tree defines and calls, from its syntax tree: the analyzer's own function units
 * (definitions, including SYSCALL_DEFINEn bodies) and the functions each body calls by name. Built lazily, one file
 * at a time, and only for files whose identifiers include a name being looked up.
 */
import type { Node as TsNode } from 'web-tree-sitter';
import type { CParser } from '../core/parse/parser';
import { findFunctions, identifiersIn } from '../core/parse/units';

export interface IndexedUnit {
  name: string;
  start: number;
  end: number;
  isStatic: boolean;
  /** A SYSCALL_DEFINEn body: an entry point, never called by name. */
  isSyscall: boolean;
  params: string[];
  /** Names called directly (`name(...)`) in the body, found in the syntax tree. */
  calls: Set<string>;
}

export interface IndexedFile {
  path: string;
  text: string;
  units: IndexedUnit[];
  byName: Map<string, IndexedUnit>;
}

/** A definition other files can call: extern functions, and anything in a header (static inline helpers). */
export function visibleOutside(path: string, u: IndexedUnit): boolean {
  return !u.isSyscall && (!u.isStatic || path.endsWith('.h'));
}

export class TreeIndex {
  /** The last few texts indexed per path (a review alternates between a file's before and after text). */
  private readonly files = new Map<string, IndexedFile[]>();
  private readonly idents = new Map<string, { text: string; ids: Set<string> }>();

  constructor(private readonly parser: CParser) {}

  /** The function units of `text` (cached while the path's text stays the same). */
  unitsOf(path: string, text: string): IndexedFile {
    const recent = this.files.get(path) ?? [];
    const hit = recent.find((f) => f.text === text);
    if (hit) return hit;
    // Bounded by the parser's work budget for the text's length, not by wall time (which depends on the machine's load).
    const tree = this.parser.parse(text, null);
    let units: IndexedUnit[];
    try {
      const types = this.parser.language.types as string[];
      units = findFunctions(tree.rootNode, text, types).map((u) => ({
        name: u.name,
        start: u.start,
        end: u.end,
        isStatic: u.isStatic,
        isSyscall: u.isSyscall,
        params: u.params.map((p) => p.name),
        calls: callsIn(u.bodyTs),
      }));
    } finally {
      tree.delete();
    }
    const byName = new Map<string, IndexedUnit>();
    for (const u of units) if (!byName.has(u.name)) byName.set(u.name, u);
    const f: IndexedFile = { path, text, units, byName };
    this.files.set(path, [f, ...recent].slice(0, 3));
    return f;
  }

  /** Every identifier in the file: a cheap test of whether it can mention a name at all. */
  mentions(path: string, text: string, name: string): boolean {
    let e = this.idents.get(path);
    if (!e || e.text !== text) {
      e = { text, ids: identifiersIn(text, 0, text.length) };
      this.idents.set(path, e);
    }
    return e.ids.has(name);
  }

  /**
   * The function `name` in `file` and every function of the same file it reaches through in-file calls, in source
   * order (the context a caller elsewhere needs to see the same summary the function has in its own file).
   * Names in `exclude` (the caller's own definitions) are left out. At most `max` functions.
   */
  closure(file: IndexedFile, names: Iterable<string>, exclude: ReadonlySet<string>, max = 48): IndexedUnit[] {
    const seen = new Set<string>();
    const queue = [...names];
    while (queue.length && seen.size < max) {
      const n = queue.shift()!;
      if (seen.has(n) || exclude.has(n)) continue;
      const u = file.byName.get(n);
      if (!u) continue;
      seen.add(n);
      for (const id of u.calls) if (id !== n && file.byName.has(id) && !seen.has(id)) queue.push(id);
    }
    return file.units.filter((u) => seen.has(u.name) && file.byName.get(u.name) === u);
  }
}

/** Names of the functions called directly in a body: `f(...)`, not `x->op(...)` nor `(*fp)(...)`. */
function callsIn(body: TsNode | undefined): Set<string> {
  const out = new Set<string>();
  if (!body) return out;
  for (const call of body.descendantsOfType('call_expression')) {
    const fn = call?.child(0);
    if (fn && fn.type === 'identifier') out.add(fn.text);
  }
  return out;
}

/** Source text of `units` from `file`, to append to another file's text (see review.ts, "context"). */
export function contextText(file: IndexedFile, units: readonly IndexedUnit[]): string {
  return units.map((u) => file.text.slice(u.start, u.end)).join('\n\n');
}
