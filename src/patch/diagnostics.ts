/**
 * What the editor shows on a patch file: each introduced finding on the patch line it concerns (the `+` line, or the
 * context line the finding is on, or the nearest changed line of the function), a hunk that does not apply on its
 * header, and fixed findings as hints. Positions are 0-based, for vscode.Range.
 */
import type { ReviewFinding, SeriesReview } from './review';

export interface PatchDiagnostic {
  line: number;
  /** Column range on the patch line (end null: to the end of the line). */
  start: number;
  end: number | null;
  severity: 'error' | 'warning' | 'info' | 'hint';
  message: string;
  ruleId?: string;
  patchIndex: number;
  finding?: ReviewFinding;
}

const SEVERITY: Record<string, PatchDiagnostic['severity']> = { error: 'error', warning: 'warning', info: 'info' };

/** Diagnostics for the patch input named `source` (several inputs may make up one series). */
export function patchDiagnostics(review: SeriesReview, source: string): PatchDiagnostic[] {
  const out: PatchDiagnostic[] = [];
  for (const p of review.patches) {
    if (p.source !== source) continue;
    if (!p.applied) {
      const line = (p.checked ? p.errorLine : undefined) ?? p.line;
      out.push({
        line: line - 1,
        start: 0,
        end: null,
        severity: p.checked ? 'error' : 'info',
        message: p.checked ? `patch does not apply: ${p.error}` : (p.error ?? 'not checked'),
        patchIndex: p.index,
      });
      continue;
    }
    for (const f of p.introduced) {
      if (f.patchLine === undefined) continue;
      out.push({
        ...place(f),
        severity: SEVERITY[f.finding.severity] ?? 'info',
        message: message(f, ''),
        ruleId: f.finding.ruleId,
        patchIndex: p.index,
        finding: f,
      });
    }
    for (const f of p.fixed) {
      if (f.patchLine === undefined) continue;
      out.push({
        ...place(f),
        severity: 'hint',
        message: message(f, 'fixed by this patch: '),
        ruleId: f.finding.ruleId,
        patchIndex: p.index,
        finding: f,
      });
    }
  }
  return out.sort((a, b) => a.line - b.line || a.start - b.start);
}

/** The finding's columns when its own line is in the patch (the marker shifts them by one), else the whole line. */
function place(f: ReviewFinding): { line: number; start: number; end: number | null } {
  const line = f.patchLine! - 1;
  if (!f.exact) return { line, start: 0, end: null };
  const start = f.finding.column; // 1-based source column + 1 marker - 1
  const end = f.finding.endLine === f.finding.line ? f.finding.endColumn : null;
  return { line, start, end };
}

function message(f: ReviewFinding, prefix: string): string {
  const where = f.exact ? '' : ` (at ${f.file}:${f.finding.line})`;
  const via = f.via ? ` [via ${f.via.map((v) => `${v}()`).join(', ')}]` : '';
  return `${prefix}${f.finding.message}${where}${via}`;
}
