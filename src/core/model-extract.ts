/**
 * A function as the race simulator and the editor see it: its control-flow graph with, at each node, the
 * delegation-relevant events (lock, unlock, break, wait, change, grant, access, delegated-inode calls) in order,
 * with source positions. Produced by the same analysis that produces findings; nothing is re-derived.
 */
import type { Analyzer, CheckOptions } from './engine';
import { analyzeFunction } from './analysis/function';
import type { Op } from './analysis/ops';
import { copySubtree, infixOperator, LineIndex, type SNode } from './parse/syntax';
import type { Catalogue } from './catalogue/catalogue';
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
  /** The local variable the call's value is assigned to (`error = try_break_deleg(...)`), for the simulator. */
  result?: string;
  /** break/delegOp: the delegated-inode variable the call fills (`&delegated_inode`), and whether it is a parameter. */
  out?: string;
  outIsParam?: boolean;
}

/** A condition as the simulator reads it: which variable it tests, and how (structural, from the syntax tree). */
export interface ModelTest {
  /** Tested variable; '' for a call used directly as the condition (`if (!inode_trylock(i))`). */
  subject: string;
  form: 'truthy' | 'isErr' | 'delegated' | 'call';
  negated: boolean;
}

export interface ModelNode {
  id: number;
  kind: string;
  succ: number[];
  /** For conditions: the source text of the tested atom (branches are choices for the simulator). */
  condition?: string;
  /** For conditions: the structured form of the test, when it tests one variable or call. */
  test?: ModelTest;
  /** Local variables given a value the events do not describe (`dentry = lookup(...)`; `di = NULL` is 'null'). */
  assigns?: { name: string; value?: 'null' | 'err' }[];
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
      const a = analyzeFunction(u, copySubtree(u.bodyTs!, types), text, { catalogue: analyzer.catalogue, version, era, dirRules: era === '6.19' }, summaries, 0);
      const nodes: ModelNode[] = a.cfg.nodes.map((n) => ({
        id: n.id, kind: n.kind, succ: n.succ,
        condition: n.atom ? (n.negated ? '!' : '') + text.slice(n.atom.start, n.atom.end).replace(/\s+/g, ' ') : undefined,
        line: n.ast ? lines.position(n.ast.start).line + 1 : 0,
        test: n.atom ? conditionTest(n.atom, !!n.negated, text, analyzer.catalogue) : undefined,
        assigns: assignedVariables(a.ops[n.id]),
        events: a.ops[n.id].map((op) => {
          const ev = eventOf(op, a.show);
          if (!ev) return null;
          const node = (op as { node: SNode }).node;
          const p = lines.position(node.start);
          return { ...ev, ...resultAndOut(op, node, text), start: node.start, end: node.end, line: p.line + 1, column: p.column + 1 };
        }).filter((e): e is ModelEvent => !!e),
      }));
      out.push({ name: u.name, file, start: u.start, end: u.end, line: lines.position(u.start).line + 1, entry: a.cfg.entry, exit: a.cfg.exit, entryLocks: a.entryLocks, nodes });
    }
    return out;
  } finally {
    tree.delete();
  }
}

// ---------------------------------------------------------------- simulator helpers (structural, from the tree)

function unwrap(x: SNode): SNode {
  while ((x.type === 'parenthesized_expression' || x.type === 'cast_expression') && x.children.length) x = x.children[x.children.length - 1];
  return x;
}

/** `&di` or `di` → `di`; anything else → null. */
function variableOf(x: SNode | undefined, text: string): string | null {
  if (!x) return null;
  x = unwrap(x);
  if (x.type === 'pointer_expression' && x.children[0]) x = unwrap(x.children[0]);
  return x.type === 'identifier' ? text.slice(x.start, x.end) : null;
}

function isZeroLiteral(x: SNode, text: string): boolean {
  const t = text.slice(x.start, x.end);
  return x.type === 'null' || t === 'NULL' || t === '0';
}

/** The variable and kind of test of a condition atom, if it tests one variable (or is a call). */
export function conditionTest(atom: SNode, negated: boolean, text: string, cat: Catalogue): ModelTest | undefined {
  const x = unwrap(atom);
  if (x.type === 'identifier') return { subject: text.slice(x.start, x.end), form: 'truthy', negated };
  if (x.type === 'unary_expression' && x.children[0] && text.slice(x.start, x.children[0].start).trim() === '!') {
    return conditionTest(x.children[0], !negated, text, cat);
  }
  if (x.type === 'call_expression' && x.children[0]?.type === 'identifier') {
    const p = cat.predicates.get(text.slice(x.children[0].start, x.children[0].end));
    const arg = variableOf(x.children[1]?.children[0], text);
    if (p && arg) {
      if (p.kind === 'isErr' || p.kind === 'isErrOrNull') return { subject: arg, form: 'isErr', negated };
      if (p.kind === 'delegated') return { subject: arg, form: 'delegated', negated };
      if (p.kind === 'nonNull') return { subject: arg, form: 'truthy', negated };
      if (p.kind === 'isNull') return { subject: arg, form: 'truthy', negated: !negated };
    }
    return p ? undefined : { subject: '', form: 'call', negated };
  }
  if (x.type === 'binary_expression' && x.children.length === 2) {
    const [l, r] = x.children;
    const op = infixOperator(text, x);
    if ((op === '==' || op === '!=') && (isZeroLiteral(l, text) || isZeroLiteral(r, text))) {
      const inner = conditionTest(isZeroLiteral(l, text) ? r : l, negated, text, cat);
      return inner && { ...inner, negated: op === '==' ? !inner.negated : inner.negated };
    }
    const v = variableOf(l, text);
    if (op === '<' && v && isZeroLiteral(r, text)) return { subject: v, form: 'isErr', negated };
  }
  return undefined;
}

/** The variable receiving a call's value, and the delegated-inode variable it fills. */
function resultAndOut(op: Op, node: SNode, text: string): Pick<ModelEvent, 'result' | 'out' | 'outIsParam'> {
  const r: Pick<ModelEvent, 'result' | 'out' | 'outIsParam'> = {};
  let up: SNode = node;
  while (up.parent && (up.parent.type === 'parenthesized_expression' || up.parent.type === 'cast_expression')) up = up.parent;
  const p = up.parent;
  if (p?.type === 'assignment_expression' && p.children[1] === up && infixOperator(text, p) === '=') r.result = variableOf(p.children[0], text) ?? undefined;
  else if (p?.type === 'init_declarator' && p.children[1] === up) r.result = firstIdentifier(p.children[0], text) ?? undefined;
  const out = op.k === 'break' || op.k === 'delegOp' ? op.out : null;
  if (out?.kind === 'local') r.out = out.name;
  if (out?.kind === 'param') r.outIsParam = true;
  return r;
}

function firstIdentifier(d: SNode | undefined, text: string): string | null {
  while (d && d.type !== 'identifier') d = d.children.find((c) => c.type.endsWith('declarator') || c.type === 'identifier');
  return d ? text.slice(d.start, d.end) : null;
}

/** Variables a node assigns other than through an event's result or out-parameter. */
function assignedVariables(ops: Op[]): ModelNode['assigns'] {
  const outs = new Set<string>();
  for (const op of ops) {
    if ((op.k === 'break' || op.k === 'delegOp') && op.out?.kind === 'local') outs.add(op.out.name);
    if (op.k === 'wait' && op.di) outs.add(op.di);
  }
  const roots = ops.filter((op): op is Extract<Op, { k: 'assign' }> => op.k === 'assign' && !outs.has(op.root)).map((op) => (op.value ? { name: op.root, value: op.value } : { name: op.root }));
  return roots.length ? roots : undefined;
}
