/**
 * What the panel's "Export text" / "Export SVG" write: the shown trace through the shared printers
 * (src/sim/export.ts), after every bidi and C0/C1 control in its strings is replaced by a visible `<U+XXXX>`.
 * Exported files are read outside any renderer this extension controls (a mail reply, an image viewer), where
 * such characters would reorder the text, and XML 1.0 forbids C0 controls (the SVG would not parse). Markup
 * characters are left to the printers: traceToSvg escapes them, lockdep text is plain text.
 */
import { traceToLockdep, traceToSvg } from '../sim/export';
import type { SimulationResult } from '../sim/run';
import { visibleControls } from './text';

const v = (s: string) => visibleControls(s, true);
const vo = (s: string | undefined) => (s === undefined ? undefined : v(s));

/** A copy of `r` with every string an exporter prints made visible. */
export function exportableResult(r: SimulationResult): SimulationResult {
  return {
    ...r,
    scenario: v(r.scenario),
    title: v(r.title),
    description: v(r.description),
    kernel: v(r.kernel),
    message: vo(r.message),
    trace: r.trace.map((s) => ({
      ...s,
      threadName: v(s.threadName),
      action: v(s.action),
      detail: v(s.detail),
      file: vo(s.file),
      held: s.held.map(v),
    })),
    others: r.others.map((o) => ({ ...o, message: v(o.message) })),
    program: r.program && {
      ...r.program,
      title: v(r.program.title),
      threads: r.program.threads.map((t) => ({ ...t, name: v(t.name), label: v(t.label) })),
    },
  };
}

export function exportTrace(r: SimulationResult, format: 'text' | 'svg', all: boolean): string {
  const safe = exportableResult(r);
  return format === 'text' ? traceToLockdep(safe, all) : traceToSvg(safe, all);
}
