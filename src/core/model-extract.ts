/**
 * A function as the race simulator and the editor see it: its control-flow graph with, at each node, the
 * delegation-relevant events (lock, unlock, break, wait, change, grant, access, delegated-inode calls) in order,
 * with source positions. Produced by the same analysis that produces findings; nothing is re-derived.
 */
import type { Analyzer, CheckOptions } from './engine';
import { analyzeFunction } from './analysis/function';
import type { Op } from './analysis/ops';
import { copySubtree, LineIndex } from './parse/syntax';
import { findFunctions, identifiersIn } from './parse/units';
import { eraOf } from './catalogue/catalogue';

export type ModelEventKind = 'lock' | 'unlock' | 'break' | 'wait' | 'mutate' | 'grant' | 'access' | 'releaseAccess' | 'delegOp' | 'open' | 'sleeps' | 'conflictCheck';

export interface ModelEvent {
  kind: ModelEventKind;
  /** Canonical key of the inode/lock (`rd.old_dentry.d_inode`), and how the source names it (`source`). */
  key: string;
  display: string;
  api: string;
  /** lock: exclusive/shared; break: blocking; mutate: names/attrs/dirent; access: write/read. */
  detail: string;
  /** Held only if the call succeeds (trylock, start_dirop, ...). */
  conditional?: boolean;
  start: number;
  end: number;
  line: number;
  column: number;
}

export interface ModelNode {
  id: number;
  kind: string;
  succ: number[];
  /** For conditions: the source text of the tested atom (branches are choices for the simulator). */
  condition?: string;
  events: ModelEvent[];
  line: number;
}

export interface FunctionModel {
  name: string;
  file: string;
  start: number;
  end: number;
  line: number;
  entry: number;
  exit: number;
  entryLocks: string[];
  nodes: ModelNode[];
}

function eventOf(op: Op, show: (k: string) => string): Omit<ModelEvent, 'start' | 'end' | 'line' | 'column'> | null {
  switch (op.k) {
    case 'lock':
      return { kind: 'lock', key: op.key, display: op.display, api: op.api, detail: `${op.class}:${op.mode}`, conditional: !!op.when };
    case 'unlock':
      return { kind: 'unlock', key: op.key, display: show(op.key), api: op.api, detail: op.class };
    case 'break':
      return { kind: 'break', key: op.key, display: op.display, api: op.api, detail: `${op.kind}:${op.blocking === true ? 'blocking' : op.blocking === false ? 'nonblocking' : 'maybe-blocking'}` };
    case 'wait':
      return { kind: 'wait', key: op.di ?? '', display: op.di ?? '', api: op.api, detail: 'blocking' };
    case 'mutate':
    case 'summaryMutate':
      return { kind: 'mutate', key: op.key, display: op.display, api: op.api, detail: op.kind };
    case 'grant':
      return { kind: 'grant', key: op.inode ?? '', display: op.inode ? show(op.inode) : 'lease', api: op.api, detail: op.recheckAfter ? 'recheck-after' : 'check-before' };
    case 'access':
      return { kind: 'access', key: op.key, display: op.display, api: op.api, detail: op.kind };
    case 'releaseAccess':
      return { kind: 'releaseAccess', key: op.key, display: show(op.key), api: 'release', detail: '' };
    case 'delegOp':
      return { kind: 'delegOp', key: op.breaks[0] ?? '', display: op.display.join(', '), api: op.api, detail: op.out.kind };
    case 'open':
      return { kind: 'open', key: op.key ?? '', display: op.key ? show(op.key) : '', api: op.api, detail: op.what };
    case 'sleeps':
      return { kind: 'sleeps', key: '', display: '', api: op.api, detail: op.why };
    case 'conflictCheck':
      return { kind: 'conflictCheck', key: '', display: '', api: 'check', detail: '' };
    default:
      return null;
  }
}

/** The model of every analysed function of a file (or just `only`). */
export function extractModels(analyzer: Analyzer, file: string, text: string, options: CheckOptions = {}, only?: string): FunctionModel[] {
  const result = analyzer.check(file, text, options);
  const tree = analyzer.parser.parse(text);
  try {
    const types = tree.language.types as string[];
    const units = findFunctions(tree.rootNode, text, types);
    const lines = new LineIndex(text);
    const version = options.kernel && options.kernel !== 'auto' ? options.kernel : result.era === '6.19' ? '6.19' : '6.12';
    const era = options.kernel && options.kernel !== 'auto' ? eraOf(options.kernel) : result.era;
    // Summaries of the file's functions come from a full check; re-run the per-function analysis for the models.
    const summaries = analyzer.summariesOf(file, text, options);
    const out: FunctionModel[] = [];
    for (const u of units) {
      if (only && u.name !== only) continue;
      const info = result.functions.find((f) => f.start === u.start);
      if (!info?.analyzed && !only) continue;
      if (!analyzer.catalogue.isInteresting(identifiersIn(text, u.start, u.end)) && !only) continue;
      const a = analyzeFunction(u, copySubtree(u.bodyTs, types), text, { catalogue: analyzer.catalogue, version, era, dirRules: era === '6.19' }, summaries, 0);
      const nodes: ModelNode[] = a.cfg.nodes.map((n) => ({
        id: n.id, kind: n.kind, succ: n.succ,
        condition: n.atom ? (n.negated ? '!' : '') + text.slice(n.atom.start, n.atom.end).replace(/\s+/g, ' ') : undefined,
        line: n.ast ? lines.position(n.ast.start).line + 1 : 0,
        events: a.ops[n.id].map((op) => {
          const ev = eventOf(op, a.show);
          if (!ev) return null;
          const node = (op as { node: { start: number; end: number } }).node;
          const p = lines.position(node.start);
          return { ...ev, start: node.start, end: node.end, line: p.line + 1, column: p.column + 1 };
        }).filter((e): e is ModelEvent => !!e),
      }));
      out.push({ name: u.name, file, start: u.start, end: u.end, line: lines.position(u.start).line + 1, entry: a.cfg.entry, exit: a.cfg.exit, entryLocks: a.entryLocks, nodes });
    }
    return out;
  } finally {
    tree.delete();
  }
}
