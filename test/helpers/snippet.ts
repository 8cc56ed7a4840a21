/** Analyse a small C snippet written in a test. */
import { sharedAnalyzer } from './corpus';
import type { CheckOptions, LocatedFinding } from '../../src/core/engine';

export async function check(code: string, options: CheckOptions = {}): Promise<LocatedFinding[]> {
  const a = await sharedAnalyzer();
  const r = a.check('snippet.c', code, options);
  if (r.error) throw new Error(r.error);
  return r.findings;
}

/** "ruleId@function" for each error/warning finding, sorted: compact to assert on. */
export async function rules(code: string, options: CheckOptions = {}): Promise<string[]> {
  return (await warnings(code, options)).map((f) => `${f.ruleId}@${f.function}`).sort();
}

/** The error and warning findings (notes left out). */
export async function warnings(code: string, options: CheckOptions = {}): Promise<LocatedFinding[]> {
  return (await check(code, options)).filter((f) => f.severity !== 'info');
}
