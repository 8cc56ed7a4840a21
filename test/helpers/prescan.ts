/** Checking a text with and without the token pre-scan (parse/prescan.ts), for the tests that compare the two. */
import { Document, type Analyzer, type CheckOptions, type LocatedFinding } from '../../src/core/engine';

const key = (f: LocatedFinding) => `${f.ruleId}|${f.line}:${f.column}|${f.message}`;

/** Findings with the pre-scan and with every function parsed, and how the pre-scanned check parsed. */
export function bothWays(
  analyzer: Analyzer,
  file: string,
  text: string,
  options: CheckOptions = {},
): { pre: string[]; full: string[]; mode: string } {
  const doc = new Document(analyzer, file, text, options, true);
  let pre: string[];
  let mode: string;
  try {
    const r = doc.result();
    pre = r.error ? [`error: ${r.error}`] : r.findings.map(key);
    mode = doc.parseMode;
  } finally {
    doc.dispose();
  }
  const r = analyzer.check(file, text, { ...options, prescan: false });
  return { pre, full: r.error ? [`error: ${r.error}`] : r.findings.map(key), mode };
}
