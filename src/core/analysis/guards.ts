/**
 * The flags a change is made under, for summaries: which flags of a caller-provided flags word every path to a CFG
 * node has tested set (`if (attr->ia_valid & ATTR_MODE)` dominating an ACL change), and how the changes a function
 * charges its callers are kept apart by those flags (one summary entry per set of conditions), so that a caller whose
 * word is known not to carry them is not told of the change.
 */
import type { Cfg } from '../cfg/cfg';
import { immediateDominators, predecessors } from '../cfg/graph';
import type { SNode } from '../parse/syntax';
import type { AtomInfo } from './atoms';
import { writesFlag, type OpContext } from './ops';
import type { RoleMutation, Severity } from './types';

export type FlagGuard = { role: string; flag: string };

/** Entries kept apart per role and kind of change, each under its own flags, before they are merged into one. */
const MAX_CONDITIONAL_CHANGES = 4;

export class FlagGuards {
  private idom: number[] | null = null;
  private preds: number[][] | null = null;
  private readonly memo = new Map<number, FlagGuard[]>();
  /** `word\u0000flag` → the function sets that flag in that word itself (one walk of the body per pair). */
  private readonly written = new Map<string, boolean>();

  constructor(
    private readonly cfg: Cfg,
    private readonly oc: OpContext,
    private readonly body: SNode,
    private readonly atomInfo: (atom: SNode) => AtomInfo,
    private readonly roleOf: (key: string) => string | null,
  ) {}

  /**
   * Flags of caller-provided words that every path to CFG node `id` has tested set, unless the function sets the flag
   * in that word itself (then the test says nothing about what the caller passed).
   */
  at(id: number): FlagGuard[] {
    if (id < 0) return [];
    const memo = this.memo.get(id);
    if (memo) return memo;
    this.idom ??= immediateDominators(this.cfg);
    this.preds ??= predecessors(this.cfg);
    const out: FlagGuard[] = [];
    // Up the dominator tree: a node whose only way in is one edge of a condition is reached only when that edge is.
    for (let a = id, steps = 0; a >= 0 && steps < this.cfg.nodes.length; steps++) {
      const ps = this.preds[a];
      const p = ps.length === 1 ? this.cfg.nodes[ps[0]] : undefined;
      if (p && p.kind === 'cond' && p.atom && p.succ[0] !== p.succ[1]) {
        const slot = p.succ.indexOf(a);
        const info = this.atomInfo(p.atom);
        const edge = slot === 0 ? !p.negated : !!p.negated;
        if (info.fact?.startsWith('flag:') && edge !== info.invert) {
          const [, flag, ...rest] = info.fact.split(':');
          const word = rest.join(':');
          const role = this.roleOf(word);
          if (role && !this.writes(word, flag) && !out.some((c) => c.role === role && c.flag === flag))
            out.push({ role, flag });
        }
      }
      const up = this.idom[a];
      if (up === a) break;
      a = up;
    }
    this.memo.set(id, out);
    return out;
  }

  private writes(word: string, flag: string): boolean {
    const k = `${word}\u0000${flag}`;
    let w = this.written.get(k);
    if (w === undefined) this.written.set(k, (w = writesFlag(this.oc, this.body, word, flag)));
    return w;
  }
}

/**
 * Adds a change charged to callers to a summary's `mutates`. One entry per set of conditions: a change made under
 * ATTR_MODE on one path and under ATTR_KILL_PRIV on another happens when either is set (callers test each entry). An
 * unconditional entry covers every conditional one.
 */
export function addRoleMutation(mutates: RoleMutation[], e: RoleMutation): RoleMutation[] {
  const sig = (m: RoleMutation) =>
    (m.onlyIf ?? [])
      .map((c) => `${c.role}&${c.flag}`)
      .sort()
      .join(',');
  const same = mutates.filter((m) => m.role === e.role && m.kind === e.kind);
  const twin = same.find((m) => sig(m) === sig(e)) ?? same.find((m) => !m.onlyIf);
  if (twin) {
    if (rank(e.severity) > rank(twin.severity)) Object.assign(twin, { ...e, onlyIf: twin.onlyIf });
    return mutates;
  }
  if (!e.onlyIf || same.length >= MAX_CONDITIONAL_CHANGES) {
    // Unconditional (or too many conditions to keep apart): one entry for the role and kind.
    const merged: RoleMutation = { ...e };
    delete merged.onlyIf;
    return [...mutates.filter((m) => !(m.role === e.role && m.kind === e.kind)), merged];
  }
  return [...mutates, e];
}

/** Severity order of a catalogue effect (absent means error). */
function rank(s: Severity | undefined): number {
  return s === 'info' ? 0 : s === 'warning' ? 1 : 2;
}
