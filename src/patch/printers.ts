/**
 * Output of `vfslock review`: checkpatch-like text (ready to paste into a mail reply), JSON (version 1, findings
 * shaped as in `vfslock check`), and SARIF 2.1.0 built by the check printer and annotated with each result's
 * baselineState (introduced: new, remaining: unchanged, fixed: absent) and the patch it belongs to.
 */
import { jsonFinding, toSarif, type CheckReport, type JsonFinding } from '../core/report/printers';
import type { FileResult } from '../core/engine';
import type { PatchReview, ReviewFinding, SeriesReview } from './review';
import { escapeForTerminal } from '../core/text/escape';

const LEVEL: Record<string, string> = { error: 'ERROR', warning: 'WARNING', info: 'CHECK' };

export interface ReviewJsonFinding extends JsonFinding {
  /** `before` for fixed findings: their position is in the file as it was before the patch. */
  side: 'before' | 'after';
  /** Line in the patch input the finding is shown on. */
  patchLine?: number;
  /** The finding's own line is in the patch (otherwise patchLine is the nearest changed line). */
  inPatch: boolean;
  /** Changed functions whose contract change caused the finding. */
  via?: string[];
}

export function reviewJsonFinding(r: ReviewFinding): ReviewJsonFinding {
  return {
    ...jsonFinding(r.file, r.finding),
    side: r.side,
    ...(r.patchLine !== undefined ? { patchLine: r.patchLine } : {}),
    inPatch: r.exact,
    ...(r.via ? { via: r.via } : {}),
  };
}

export function toReviewJson(s: SeriesReview): string {
  return (
    JSON.stringify(
      {
        version: 1,
        tree: s.tree,
        patches: s.patches.map((p) => ({
          index: p.index,
          subject: p.subject,
          source: { file: p.source, line: p.line },
          files: p.files,
          functions: p.functions,
          applied: p.applied,
          checked: p.checked,
          ...(p.error ? { error: p.error } : {}),
          ...(p.errorLine ? { errorLine: p.errorLine } : {}),
          introduced: p.introduced.map(reviewJsonFinding),
          fixed: p.fixed.map(reviewJsonFinding),
          remaining: p.remaining.map(reviewJsonFinding),
          contracts: p.contracts,
          notes: p.notes,
        })),
        skipped: s.skipped,
        stats: { patches: s.patches.length, ms: Math.round(s.stats.ms), analyses: s.stats.analyses },
      },
      null,
      2,
    ) + '\n'
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export interface ReviewTextOptions {
  color?: boolean;
  /**
   * checkpatch.pl --terse: one line per finding the series introduces (and per patch that does not apply),
   * `PATCH:LINE: SEVERITY: rule: message`; implies `emacs` and `quiet`, as in checkpatch.pl.
   */
  terse?: boolean;
  /** checkpatch.pl --emacs: each finding's first line starts `PATCH:LINE: ` (the line in the patch input). */
  emacs?: boolean;
  /** checkpatch.pl --showfile: `FILE:LINE: ` of the patched file instead (tree-relative), and no `#N: FILE:` line. */
  showfile?: boolean;
  /** checkpatch.pl -q: only patches with something introduced or that do not apply; no summary when clean. */
  quiet?: boolean;
  /** The count lines (per patch and for the series; default: shown). */
  summary?: boolean;
}

/** Nothing introduced and every patch applied: what --mailback and -q stay silent on. */
export function isReviewClean(s: SeriesReview): boolean {
  return s.patches.every((p) => (p.applied || !p.checked) && !p.introduced.length);
}

/** A patch input's name in `FILE:LINE:` positions: standard input is `-`, as checkpatch.pl (and b4) name it. */
function inputName(source: string): string {
  return source === '<stdin>' ? '-' : source;
}

/**
 * Checkpatch-like text. Everything in it that comes from the input (subjects, file names, messages naming functions
 * and expressions, notes, quoted lines) goes through escapeForTerminal, so an ESC sequence, a carriage return, a
 * newline that would forge a finding line of its own, or a bidi control shows as visible text. Quoted source lines
 * keep their tabs (kernel indentation); JSON and SARIF keep the exact strings. Related places are GCC note lines,
 * unindented (`file:line:col: note: ...`), so editors' error parsers take them as locations.
 */
export function toReviewText(s: SeriesReview, opts: ReviewTextOptions = {}): string {
  const c = (code: string, t: string) => (opts.color ? `\u001b[${code}m${t}\u001b[0m` : t);
  const e = escapeForTerminal;
  const emacs = opts.emacs || opts.terse;
  const quiet = opts.quiet || opts.terse;
  const summary = opts.summary !== false && !(quiet && isReviewClean(s));
  const sev = (f: ReviewFinding) => {
    const l = LEVEL[f.finding.severity] ?? 'CHECK';
    return c(l === 'ERROR' ? '1;31' : l === 'WARNING' ? '1;35' : '1;36', l);
  };
  const prefix = (f: ReviewFinding, p: PatchReview) => {
    if (opts.showfile) return `${e(f.file)}:${f.finding.line}: `;
    if (!emacs) return '';
    return f.patchLine !== undefined
      ? `${e(inputName(p.source))}:${f.patchLine}: `
      : `${e(f.file)}:${f.finding.line}: `;
  };
  const block = (head: string, f: ReviewFinding, p: PatchReview) =>
    opts.terse ? [prefix(f, p) + head] : findingBlock(prefix(f, p) + head, f, !!opts.showfile, c);
  const out: string[] = [];
  for (const p of s.patches) {
    const failed = p.checked && !p.applied;
    if (quiet && !failed && !p.introduced.length) continue;
    if (!p.checked && quiet) continue; // a patch after one that did not apply: that one is reported
    const at = `${e(inputName(p.source))}:${p.errorLine ?? p.line}: `;
    if (opts.terse) {
      if (failed) out.push(`${at}${c('1;31', 'ERROR')}: patch does not apply: ${e(p.error ?? '')}`);
      for (const f of p.introduced)
        out.push(...block(`${sev(f)}: ${e(f.finding.ruleId)}: ${e(f.finding.message)}`, f, p));
      continue;
    }
    out.push(c('1', e(p.subject)) + `  (${e(p.source)}:${p.line})`);
    if (!p.applied) {
      if (p.checked) {
        out.push(`${emacs || opts.showfile ? at : ''}${c('1;31', 'ERROR')}: patch does not apply: ${e(p.error ?? '')}`);
        if (p.errorLine && !emacs && !opts.showfile) out.push(`#${p.errorLine}: FILE: ${e(p.source)}`);
      } else out.push(e(p.error ?? 'not checked'));
      out.push('');
      continue;
    }
    for (const f of p.introduced)
      out.push(...block(`${sev(f)}: ${e(f.finding.ruleId)}: ${e(f.finding.message)}`, f, p));
    if (!quiet) {
      for (const f of p.fixed)
        out.push(...block(`${c('1;32', 'FIXED')}: ${e(f.finding.ruleId)}: ${e(f.finding.message)}`, f, p));
      if (p.remaining.length) {
        out.push(`Still present in the functions this patch touches:`);
        for (const f of p.remaining)
          out.push(
            `  ${e(f.file)}:${f.finding.line}: ${LEVEL[f.finding.severity] ?? 'CHECK'}: ${e(f.finding.ruleId)} in ${e(f.finding.function)}()`,
          );
        out.push('');
      }
      // A changed contract matters to the reader when callers were re-checked or the patch changed the function itself.
      for (const k of p.contracts.filter((x) => x.callers.length || p.functions.includes(x.function))) {
        out.push(
          e(
            `NOTE: ${k.function}() (${k.file}) ${k.changes.join('; ')}${k.callers.length ? `; re-checked callers in ${k.callers.join(', ')}` : '; no callers elsewhere in the tree'}`,
          ),
        );
      }
      for (const n of p.notes) out.push(`NOTE: ${e(n)}`);
    }
    if (opts.summary !== false) {
      const fns = p.functions.length
        ? ` in ${p.functions.length === 1 ? 'function' : 'functions'} ${p.functions.map((x) => `${e(x)}()`).join(', ')}`
        : '';
      out.push(
        `total: ${p.introduced.length} introduced, ${p.fixed.length} fixed, ${p.remaining.length} remaining${fns}`,
      );
    }
    out.push('');
  }
  if (!quiet)
    for (const k of s.skipped) out.push(`skipped: ${e(k.subject)} (${e(k.reason)}; ${e(k.source)}:${k.line})`);
  if (summary) {
    const applied = s.patches.filter((p) => p.applied).length;
    const failed = s.patches.filter((p) => p.checked && !p.applied).length;
    const notChecked = s.patches.filter((p) => !p.checked).length;
    const count = (k: 'introduced' | 'fixed') => s.patches.reduce((n, p) => n + p[k].length, 0);
    const errors = s.patches.reduce((n, p) => n + p.introduced.filter((f) => f.finding.severity === 'error').length, 0);
    out.push(
      `${plural(s.patches.length, 'patch').replace('patchs', 'patches')} (${applied} applied${failed ? `, ${failed} did not apply` : ''}${notChecked ? `, ${notChecked} not checked` : ''}): ` +
        `${count('introduced')} introduced (${plural(errors, 'error')}), ${count('fixed')} fixed, against ${e(s.tree)} in ${Math.round(s.stats.ms)} ms`,
    );
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return out.length ? out.join('\n') + '\n' : '';
}

/** A quoted source or patch line: escaped, but its tabs kept. */
export function quotedLine(line: string): string {
  return line.split('\t').map(escapeForTerminal).join('\t');
}

/** `showfile`: no `#N: FILE:` line (the head already names the file and line), as checkpatch.pl --showfile. */
function findingBlock(
  head: string,
  f: ReviewFinding,
  showfile: boolean,
  c: (code: string, t: string) => string,
): string[] {
  const e = escapeForTerminal;
  const lines = [head];
  const where = `FILE: ${e(f.file)}:${f.finding.line}:`;
  const via = f.via ? `  via ${f.via.map((v) => `${e(v)}()`).join(', ')}, changed by this patch` : undefined;
  if (f.patchLine !== undefined) {
    if (!showfile) lines.push(`#${f.patchLine}: ${where}${f.exact ? '' : ` (nearest patch line)`}`);
    lines.push(`${f.exact ? (f.patchLineKind ?? ' ') : ' '}${quotedLine(f.sourceLine)}`);
    if (via) lines.push(via);
  } else {
    if (!showfile)
      lines.push(
        `${where}${f.via ? ` (calls ${f.via.map((v) => `${e(v)}()`).join(', ')}, changed by this patch)` : ''}`,
      );
    lines.push(` ${quotedLine(f.sourceLine)}`);
    if (showfile && via) lines.push(via);
  }
  for (const r of f.finding.relatedLocated)
    lines.push(`${e(f.file)}:${r.line}:${r.column}: ${c('1;36', 'note')}: ${e(r.message)}`);
  lines.push('');
  return lines;
}

const BASELINE = { introduced: 'new', remaining: 'unchanged', fixed: 'absent' } as const;

/** SARIF 2.1.0: one run for the series; `treeUri` (a file: URI of the tree, with a trailing slash) anchors paths. */
export function toReviewSarif(s: SeriesReview, toolVersion: string, treeUri?: string): string {
  const all: { f: ReviewFinding; status: keyof typeof BASELINE; p: PatchReview }[] = [];
  for (const p of s.patches) {
    for (const status of ['introduced', 'remaining', 'fixed'] as const)
      for (const f of p[status]) all.push({ f, status, p });
  }
  const errors = s.patches
    .filter((p) => p.checked && !p.applied)
    .map((p) => ({ file: p.source, message: p.error ?? 'does not apply' }));
  const report: CheckReport = {
    results: all.map(({ f }): FileResult => ({
      file: f.file,
      findings: [f.finding],
      era: '3.13',
      eraSource: 'default',
      functions: [],
      analyzedFunctions: 0,
      ms: 0,
    })),
    errors: [],
    ms: s.stats.ms,
  };
  const log = JSON.parse(toSarif(report, toolVersion));
  const run = log.runs[0];
  run.results.forEach(
    (
      res: Record<string, unknown> & {
        relatedLocations: { id: number }[];
        locations: { physicalLocation: { artifactLocation: Record<string, string> } }[];
        properties: Record<string, unknown>;
      },
      i: number,
    ) => {
      const { f, status, p } = all[i];
      res.baselineState = BASELINE[status];
      if (status === 'fixed') res.level = 'none';
      if (treeUri)
        for (const l of [...res.locations, ...(res.relatedLocations as never[])] as {
          physicalLocation: { artifactLocation: Record<string, string> };
        }[])
          l.physicalLocation.artifactLocation.uriBaseId = 'SRCROOT';
      res.partialFingerprints = {
        'vfslockFinding/v1': `${f.finding.ruleId}|${f.file}|${f.finding.function}|${f.finding.inode}`,
      };
      if (f.patchLine !== undefined) {
        res.relatedLocations.push({
          id: res.relatedLocations.length + 1,
          physicalLocation: { artifactLocation: { uri: encodeUri(p.source) }, region: { startLine: f.patchLine } },
          message: { text: `${status} by ${p.subject}` },
        } as never);
      }
      res.properties = {
        ...res.properties,
        status,
        side: f.side,
        patch: p.index,
        subject: p.subject,
        ...(f.via ? { via: f.via } : {}),
      };
    },
  );
  const invocation = run.invocations[0];
  invocation.executionSuccessful = errors.length === 0;
  invocation.toolExecutionNotifications = s.patches
    .filter((p) => p.checked && !p.applied)
    .map((p) => ({
      level: 'error',
      message: { text: `${p.subject}: ${p.error}` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: encodeUri(p.source) },
            region: { startLine: p.errorLine ?? p.line },
          },
        },
      ],
    }));
  if (treeUri) run.originalUriBaseIds = { SRCROOT: { uri: treeUri } };
  run.automationDetails = { description: { text: `Patch review of ${s.patches.length} patch(es) against ${s.tree}` } };
  return JSON.stringify(log, null, 2) + '\n';
}

/** A patch input's name as a URI reference: absolute paths become file: URIs. */
function encodeUri(file: string): string {
  const enc = file
    .split('/')
    .map((p) => encodeURIComponent(p))
    .join('/');
  return file.startsWith('/') ? `file://${enc}` : enc;
}
