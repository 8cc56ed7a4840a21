/**
 * Do `check` and `simulate` agree on a function? A finding of a rule the simulator models (error or warning) must
 * come with a violation whose counterexample reaches the finding's line; no such finding must come with SAFE.
 * Used by `npm run bench:agreement` and the corpus verdict tests.
 */
import type { LocatedFinding } from '../core/engine';
import type { RuleId } from '../core/analysis/types';
import type { Outcome } from './simulate';

/** Rules whose findings the simulator's invariants stand for (deleg-change, deleg-writer, sleep-under-lock, leaked-ref, lock-balance). */
export const MODELLED_RULES: ReadonlySet<RuleId> = new Set<RuleId>([
  'deleg/missing-break',
  'deleg/break-unlocked',
  'deleg/blocking-break-locked',
  'deleg/unhandled-delegated-inode',
  'deleg/dir-missing-break',
  'deleg/dir-self-break',
  'lease/grant-unserialized',
  'lease/open-missing-break',
  'lock/imbalance',
]);

export interface Agreement {
  fn: string;
  /** Modelled findings of the check in this function. */
  findings: number;
  verdict: 'safe' | 'violation';
  invariant?: string;
  /** The search ended at its state limit (a SAFE verdict then covers only what was explored). */
  bounded: boolean;
  agree: boolean;
  /** Why they disagree (or '' when they agree). */
  why: string;
}

/** Findings the comparison counts: modelled rules, error or warning. */
export function modelledFindings(findings: readonly LocatedFinding[]): LocatedFinding[] {
  return findings.filter((f) => MODELLED_RULES.has(f.ruleId) && (f.severity === 'error' || f.severity === 'warning'));
}

/** The comparison for one function, or null if the simulator has nothing to simulate there (no delegation events). */
export function compareFunction(fn: string, findings: readonly LocatedFinding[], outcome: Outcome): Agreement | null {
  if ('error' in outcome) return null;
  const r = outcome.result;
  const modelled = modelledFindings(findings);
  const base = { fn, findings: modelled.length, verdict: r.verdict, invariant: r.invariant, bounded: !r.complete };
  if (!modelled.length) {
    if (r.verdict === 'safe') return { ...base, agree: true, why: '' };
    return { ...base, agree: false, why: `no finding, but ${r.invariant}: ${r.message}` };
  }
  const lines = modelled.map((f) => f.line);
  if (r.verdict === 'safe') {
    return {
      ...base,
      agree: false,
      why: `${modelled.map((f) => `${f.ruleId} (line ${f.line})`).join(', ')}, but SAFE${r.complete ? '' : ' (state limit reached)'}`,
    };
  }
  const reached = r.trace.some((s) => s.thread === 0 && s.line !== undefined && lines.includes(s.line));
  if (reached) return { ...base, agree: true, why: '' };
  return {
    ...base,
    agree: false,
    why: `${modelled.map((f) => `${f.ruleId} (line ${f.line})`).join(', ')}; ${r.invariant} (${r.message}) does not reach ${lines.length > 1 ? 'those lines' : 'that line'}`,
  };
}
