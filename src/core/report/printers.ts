/** Output formats of `vfslock check`: GCC-style text, JSON (stable contract, version 1) and SARIF 2.1.0. */
import type { FileResult, LocatedFinding } from '../engine';
import { RULES, ruleDocUrl } from '../rules/rules';
import type { FindingWithFixes } from '../fixes/offer';
import { escapeForTerminal as esc } from '../text/escape';

export interface CheckReport {
  results: FileResult[];
  errors: { file: string; message: string }[];
  ms: number;
}

export interface JsonFinding {
  ruleId: string;
  severity: string;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  function: string;
  inode: string;
  message: string;
  related: { file: string; line: number; column: number; message: string }[];
}

export function jsonFinding(file: string, f: LocatedFinding): JsonFinding {
  return {
    ruleId: f.ruleId,
    severity: f.severity,
    file,
    line: f.line,
    column: f.column,
    endLine: f.endLine,
    endColumn: f.endColumn,
    function: f.function,
    inode: f.inode,
    message: f.message,
    related: f.relatedLocated.map((r) => ({ file, line: r.line, column: r.column, message: r.message })),
  };
}

export function toJson(r: CheckReport): string {
  const findings = r.results.flatMap((res) => res.findings.map((f) => jsonFinding(res.file, f)));
  const errors = [...r.errors, ...r.results.filter((x) => x.error).map((x) => ({ file: x.file, message: x.error! }))];
  const functions = r.results.reduce((n, x) => n + (x.functionCount ?? x.functions.length), 0);
  return (
    JSON.stringify(
      { version: 1, findings, errors, stats: { files: r.results.length, functions, ms: Math.round(r.ms) } },
      null,
      2,
    ) + '\n'
  );
}

/** checkpatch.pl's words for the severities (its CHECK is the mildest). */
export const CHECKPATCH_LEVEL: Record<string, string> = { error: 'ERROR', warning: 'WARNING', info: 'CHECK' };

export interface TextOptions {
  color?: boolean;
  /** One line per finding, `FILE:LINE: SEVERITY: rule: message` (as checkpatch.pl --terse), no related lines. */
  terse?: boolean;
  /** The closing count line (default: shown). */
  summary?: boolean;
}

/** No finding and no file left unread: what --mailback and -q stay silent on. */
export function isClean(r: CheckReport): boolean {
  return !r.errors.length && r.results.every((x) => !x.findings.length && !x.error);
}

/**
 * GCC-style text: `file:line:col: error: message [rule]`, then each related place as GCC prints its notes,
 * unindented (`file:line:col: note: ...`), so Emacs' compilation-mode and vim's default 'errorformat' take every
 * line as a location. File names and messages (which quote the source) go through `escapeForTerminal`: a newline in
 * either could forge a finding line for a CI problem matcher, and an escape sequence or bidi control could hide
 * or reorder one in a terminal. JSON and SARIF carry the exact strings.
 */
export function toText(r: CheckReport, opts: TextOptions = {}): string {
  const c = (code: string, s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const out: string[] = [];
  for (const res of r.results) {
    const file = esc(res.file);
    for (const f of res.findings) {
      if (opts.terse) {
        const l = CHECKPATCH_LEVEL[f.severity] ?? 'CHECK';
        out.push(
          `${file}:${f.line}: ${c(l === 'ERROR' ? '1;31' : l === 'WARNING' ? '1;35' : '1;36', l)}: ${esc(f.ruleId)}: ${esc(f.message)}`,
        );
        continue;
      }
      const sev =
        f.severity === 'error'
          ? c('1;31', 'error')
          : f.severity === 'warning'
            ? c('1;35', 'warning')
            : c('1;36', 'note');
      out.push(`${c('1', `${file}:${f.line}:${f.column}:`)} ${sev}: ${esc(f.message)} [${f.ruleId}]`);
      for (const rel of f.relatedLocated)
        out.push(`${file}:${rel.line}:${rel.column}: ${c('1;36', 'note')}: ${esc(rel.message)}`);
    }
  }
  for (const e of [
    ...r.errors,
    ...r.results.filter((x) => x.error).map((x) => ({ file: x.file, message: x.error! })),
  ]) {
    out.push(`${esc(e.file)}: ${c('1;31', 'error')}: ${esc(e.message)}`);
  }
  if (opts.summary !== false) {
    const count = (s: string) => r.results.reduce((n, x) => n + x.findings.filter((f) => f.severity === s).length, 0);
    out.push(
      `${r.results.length} file(s), ${count('error')} error(s), ${count('warning')} warning(s), ${count('info')} note(s) in ${Math.round(r.ms)} ms`,
    );
  }
  return out.length ? out.join('\n') + '\n' : '';
}

export function toSarif(r: CheckReport, toolVersion: string): string {
  const level = (s: string) => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note');
  const results = r.results.flatMap((res) =>
    res.findings.map((f) => ({
      ruleId: f.ruleId,
      ruleIndex: RULES.findIndex((x) => x.id === f.ruleId),
      level: level(f.severity),
      message: { text: f.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: toUri(res.file) },
            region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn },
          },
          logicalLocations: [{ name: f.function, kind: 'function' }],
        },
      ],
      relatedLocations: f.relatedLocated.map((rel, i) => ({
        id: i + 1,
        physicalLocation: {
          artifactLocation: { uri: toUri(res.file) },
          region: { startLine: rel.line, startColumn: rel.column },
        },
        message: { text: rel.message },
      })),
      ...(f.detail ? { message: { text: f.message, markdown: `${f.message}\n\n${f.detail}` } } : {}),
      ...sarifFixes(res.file, f as FindingWithFixes),
      properties: { inode: f.inode, ...(f.detail ? { detail: f.detail } : {}) },
    })),
  );
  const notifications = [
    ...r.errors,
    ...r.results.filter((x) => x.error).map((x) => ({ file: x.file, message: x.error! })),
  ].map((e) => ({
    level: 'error',
    message: { text: `${e.file}: ${e.message}` },
  }));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'vfslock',
            version: toolVersion,
            informationUri: ruleDocUrl('').replace(/\/docs\/rules\/\.md$/, ''),
            rules: RULES.map((x) => ({
              id: x.id,
              name: x.name,
              shortDescription: { text: x.short },
              fullDescription: { text: x.full },
              helpUri: ruleDocUrl(x.id),
              defaultConfiguration: { level: level(x.severity) },
            })),
          },
        },
        invocations: [{ executionSuccessful: r.errors.length === 0, toolExecutionNotifications: notifications }],
        results,
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}

/** SARIF `fixes`: the verified quick fixes, as replacements of line/column regions. */
function sarifFixes(file: string, f: FindingWithFixes): { fixes?: unknown[] } {
  if (!f.fixes?.length) return {};
  return {
    fixes: f.fixes.map((x) => ({
      description: { text: x.title },
      artifactChanges: [
        {
          artifactLocation: { uri: toUri(file) },
          replacements: x.edits.map((e) => ({
            deletedRegion: {
              startLine: e.startLine,
              startColumn: e.startColumn,
              endLine: e.endLine,
              endColumn: e.endColumn,
            },
            insertedContent: { text: e.newText },
          })),
        },
      ],
    })),
  };
}

function toUri(file: string): string {
  return file
    .split('/')
    .map((p) => encodeURIComponent(p))
    .join('/');
}
