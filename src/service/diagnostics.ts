/** Findings → plain diagnostic data (ranges from UTF-16 offsets, rule page links). No `vscode` import. */
import type { LocatedFinding } from '../core/engine';
import type { Severity } from '../core/analysis/types';
import { ruleDocUrl } from '../core/rules/rules';
import type { LineMap, Span } from './lines';

export const DIAGNOSTIC_SOURCE = 'vfslock';

export interface DiagnosticData {
  span: Span;
  message: string;
  severity: Severity;
  ruleId: string;
  /** The rule's documentation page (docs/rules/<id>.md in the repository). */
  docUrl: string;
  function: string;
  inode: string;
  related: { span: Span; message: string }[];
}

export function diagnosticData(f: LocatedFinding, map: LineMap): DiagnosticData {
  return {
    span: map.spanOf(f.start, f.end),
    message: f.message,
    severity: f.severity,
    ruleId: f.ruleId,
    docUrl: ruleDocUrl(f.ruleId),
    function: f.function,
    inode: f.inode,
    related: f.relatedLocated.map((r) => ({ span: map.spanOf(r.start, r.end), message: r.message })),
  };
}

/** Whether a rule is about delegation or lease breaking (these get a "Show the race" action). */
export function isRaceRule(ruleId: string): boolean {
  return ruleId.startsWith('deleg/') || ruleId.startsWith('lease/');
}
