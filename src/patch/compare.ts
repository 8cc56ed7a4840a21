/**
 * Before/after comparison of findings. Findings are matched by rule id, function and inode expression, never by
 * line: a patch shifts lines, and a finding that merely moved is neither introduced nor fixed. Within one key,
 * findings with identical messages pair first, then the rest in source order.
 */
import type { Analyzer, CheckOptions, FileResult, LocatedFinding } from '../core/engine';
import type { Summary } from '../core/analysis/types';

export function findingKey(f: { ruleId: string; function: string; inode: string }): string {
  return `${f.ruleId}\u0000${f.function}\u0000${f.inode}`;
}

export interface Matched {
  introduced: LocatedFinding[];
  fixed: LocatedFinding[];
  /** Pairs [before, after] of the same finding. */
  kept: [LocatedFinding, LocatedFinding][];
}

export function matchFindings(before: readonly LocatedFinding[], after: readonly LocatedFinding[]): Matched {
  const groups = new Map<string, { b: LocatedFinding[]; a: LocatedFinding[] }>();
  const group = (k: string) => {
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { b: [], a: [] }));
    return g;
  };
  for (const f of before) group(findingKey(f)).b.push(f);
  for (const f of after) group(findingKey(f)).a.push(f);
  const out: Matched = { introduced: [], fixed: [], kept: [] };
  for (const { b, a } of groups.values()) {
    const restB = [...b];
    const restA: LocatedFinding[] = [];
    for (const f of a) {
      const i = restB.findIndex((x) => x.message === f.message);
      if (i >= 0) out.kept.push([restB.splice(i, 1)[0], f]);
      else restA.push(f);
    }
    const n = Math.min(restB.length, restA.length);
    for (let i = 0; i < n; i++) out.kept.push([restB[i], restA[i]]);
    out.fixed.push(...restB.slice(n));
    out.introduced.push(...restA.slice(n));
  }
  const byPos = (x: LocatedFinding, y: LocatedFinding) => x.start - y.start || x.ruleId.localeCompare(y.ruleId);
  out.introduced.sort(byPos);
  out.fixed.sort(byPos);
  out.kept.sort((x, y) => byPos(x[1], y[1]));
  return out;
}

export interface Analysed {
  result: FileResult;
  summaries: ReadonlyMap<string, Summary>;
}

/**
 * Analyses of the texts a review looks at, remembered per key (a tree path, or a path with appended context) for the
 * last few texts: a review alternates between a file's before and after text, and patch k's after is patch k+1's
 * before.
 *
 * Each new text gets a fresh analysis. Feeding successive texts to one engine Document would re-analyse only the
 * changed functions, but the engine's incremental results can differ from a full analysis after lines shift (a
 * deferred finding of a static callee, e.g. vfs_rename_dir's, is matched to its callers' outcomes by absolute
 * offset), and a review must not report such differences as introduced or fixed.
 */
export class Analyses {
  /** The last few texts analysed per key. */
  private readonly memo = new Map<string, { text: string; value: Analysed }[]>();
  /** Analyses run (for the benchmark). */
  runs = 0;

  constructor(
    private readonly analyzer: Analyzer,
    private readonly options: CheckOptions,
  ) {}

  run(key: string, text: string): Analysed {
    const recent = this.memo.get(key) ?? [];
    const hit = recent.find((m) => m.text === text);
    if (hit) return hit.value;
    const doc = this.analyzer.open(key, text, this.options);
    let value: Analysed;
    try {
      value = { result: doc.result(), summaries: doc.lastSummaries };
    } finally {
      doc.dispose();
    }
    this.runs++;
    this.memo.set(key, [{ text, value }, ...recent].slice(0, 3));
    return value;
  }

  /** Keeps a renamed file's remembered analyses under its new name. */
  rename(from: string, to: string): void {
    if (this.memo.has(to)) return;
    this.memo.set(to, this.memo.get(from) ?? []);
    this.memo.delete(from);
  }

  dispose(): void {
    this.memo.clear();
  }
}
