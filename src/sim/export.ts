/**
 * Printers for simulation results: the CLI's text (with the trace in lockdep's CPU0/CPU1 column layout, the
 * shape reviewers paste into mail), the CLI's JSON, and a stand-alone SVG of the lanes. Pure functions: the
 * webview's export buttons use the same ones.
 */
import { INVARIANT_DOC } from './program';
import { escapeForTerminal } from '../core/text/escape';
import type { SimulationResult } from './run';
import type { TraceStep } from './trace';

const LANE = 46;

function fit(s: string, width: number): string {
  return s.length <= width ? s.padEnd(width) : `${s.slice(0, width - 1)}…`;
}

export function stepText(s: TraceStep): string {
  return s.detail ? `${s.action}: ${s.detail}` : s.action;
}

function where(s: TraceStep): string {
  return s.file ? ` (${s.file}:${s.line})` : '';
}

/** The lanes of a trace, lockdep style; local steps (branches, gotos) are left out unless `all`. */
export function traceToLockdep(r: SimulationResult, all = false): string {
  const threads = r.program?.threads.map((t) => t.name) ?? [...new Set(r.trace.map((s) => s.threadName))];
  const [early, late] = r.conflict ?? [-1, -1];
  const lines: string[] = [];
  const heading = r.traceKind === 'counterexample' ? ' Possible unsafe interleaving:' : ' Example run (no violation):';
  lines.push(heading, '');
  lines.push(`       ${threads.map((t) => fit(t, LANE)).join('')}`.trimEnd());
  lines.push(`       ${threads.map(() => fit('----', LANE)).join('')}`.trimEnd());
  for (const s of r.trace) {
    if (s.local && !all && s.index !== late && s.index !== early) continue;
    const mark = s.index === early ? '  <-- (1)' : s.index === late ? '  <-- (2)' : '';
    const cycle = r.cycleStart !== undefined && s.index === r.cycleStart ? ' (repeats from here)' : '';
    const num = `[${s.index + 1}]`.padEnd(6);
    const lane = threads.indexOf(s.threadName);
    const text = fit(`${num}${stepText(s)}`, LANE - 1);
    lines.push(`  ${' '.repeat(Math.max(0, lane) * LANE)}${text}${mark}${cycle}`.trimEnd());
  }
  if (r.traceKind !== 'counterexample') return lines.join('\n') + '\n';
  lines.push('', ` *** ${r.message} ***`);
  if (early >= 0)
    lines.push(
      ` conflicting events: (1) step ${early + 1} ${r.trace[early].threadName} ${stepText(r.trace[early])}${where(r.trace[early])}`,
    );
  const last = r.trace[late];
  if (last) {
    lines.push(
      `${early >= 0 ? '                     (2)' : ' the violating event:'} step ${late + 1} ${last.threadName} ${stepText(last)}${where(last)}`,
    );
    lines.push(
      '',
      ` ${last.held.length} lock${last.held.length === 1 ? '' : 's'} held by ${last.threadName} after step ${late + 1}${last.held.length ? ':' : '.'}`,
    );
    last.held.forEach((l, i) => lines.push(`  #${i}: ${l}`));
  }
  return lines.join('\n') + '\n';
}

/**
 * A copy of `r` with every string that comes from a scenario, a C file or a file name passed through
 * `escapeForTerminal`: the CLI's text output is read in terminals and by line-oriented tools, where a newline,
 * a carriage return, an escape sequence or a bidi control in a title or step could forge or hide a line.
 */
export function terminalSafeResult(r: SimulationResult): SimulationResult {
  const e = escapeForTerminal;
  const eo = (s: string | undefined) => (s === undefined ? undefined : e(s));
  return {
    ...r,
    scenario: e(r.scenario),
    title: e(r.title),
    description: e(r.description),
    kernel: e(r.kernel),
    message: eo(r.message),
    ...(r.bound ? { bound: { ...r.bound, message: e(r.bound.message) } } : {}),
    trace: r.trace.map((s) => ({
      ...s,
      threadName: e(s.threadName),
      action: e(s.action),
      detail: e(s.detail),
      file: eo(s.file),
      held: s.held.map(e),
    })),
    others: r.others.map((o) => ({ ...o, message: e(o.message) })),
    program: r.program && {
      ...r.program,
      title: e(r.program.title),
      threads: r.program.threads.map((t) => ({ ...t, name: e(t.name), label: e(t.label) })),
    },
  };
}

/** The CLI's text output (untrusted strings escaped, see `terminalSafeResult`). */
export function resultToText(result: SimulationResult): string {
  const r = terminalSafeResult(result);
  const out: string[] = [];
  out.push(`vfslock simulate ${r.scenario}: ${r.title}${r.kernel !== '-' ? ` (kernel ${r.kernel})` : ''}`);
  if (r.cache) return out.concat(cacheTable(r)).join('\n') + '\n';
  if (r.verdict === 'violation') out.push(`VIOLATION [${r.invariant}] ${r.message}`);
  else if (r.bound) out.push(`BOUND REACHED: ${r.bound.message}`);
  else
    out.push(
      `SAFE: ${r.program?.invariants.length ?? 0} invariants hold in every interleaving${r.complete ? '' : ' explored (the search is incomplete)'}`,
    );
  if (r.verdict === 'violation' && r.bound) out.push(`  ${r.bound.message}`);
  const reduction = r.reduction === 'por' ? 'persistent + sleep sets' : r.reduction === 'sleep' ? 'sleep sets' : 'none';
  out.push(`  ${r.states} states, ${r.transitions} transitions, ${r.ms.toFixed(1)} ms (reduction: ${reduction})`);
  if (r.verdict === 'safe' && !r.bound && r.program)
    out.push(`  checked: ${r.program.invariants.map((i) => `${i} (${INVARIANT_DOC[i]})`).join('; ')}`);
  for (const o of r.others) out.push(`  also violated [${o.invariant}] ${o.message}`);
  out.push('');
  if (r.trace.length) out.push(traceToLockdep(r));
  return out.join('\n');
}

function cacheTable(r: SimulationResult): string[] {
  const rows = r.cache!;
  const base = rows[0];
  const out = [r.description, '', '  extra  object  per slab  capacity   Δcapacity  hit rate   Δhit rate  evictions'];
  for (const row of rows) {
    const dc = ((row.capacity - base.capacity) / base.capacity) * 100;
    const dh = (row.hitRate - base.hitRate) * 100;
    out.push(
      `  ${`+${row.extraBytes}`.padStart(5)}  ${String(row.objectBytes).padStart(6)}  ${String(row.perSlab).padStart(8)}  ${String(row.capacity).padStart(8)}  ${`${dc.toFixed(1)}%`.padStart(10)}  ${`${(row.hitRate * 100).toFixed(2)}%`.padStart(8)}  ${`${dh.toFixed(2)} pt`.padStart(10)}  ${String(row.evictions).padStart(9)}`,
    );
  }
  out.push(
    '',
    '  Sizes are assumptions (x86_64 ext4-like); pass --set vfs_inode=BYTES,fs_inode=BYTES,budget_mib=N to change them.',
  );
  return out;
}

/** The CLI's JSON: the issue's shape, plus a few more fields. */
export function resultToJson(r: SimulationResult): string {
  const trace = r.traceKind === 'counterexample' ? r.trace : [];
  const json = {
    version: 1,
    scenario: r.scenario,
    verdict: r.verdict,
    ...(r.invariant ? { invariant: r.invariant } : {}),
    states: r.states,
    ms: Math.round(r.ms * 100) / 100,
    trace: trace.map((s) => ({
      thread: s.threadName,
      action: s.action,
      detail: s.detail,
      ...(s.file ? { file: s.file, line: s.line } : {}),
    })),
    title: r.title,
    kernel: r.kernel,
    ...(r.message ? { message: r.message } : {}),
    transitions: r.transitions,
    reduction: r.reduction,
    complete: r.complete,
    ...(r.bound ? { bound: r.bound } : {}),
    ...(r.conflict ? { conflict: r.conflict } : {}),
    ...(r.cycleStart !== undefined ? { cycleStart: r.cycleStart } : {}),
    ...(r.others.length ? { others: r.others } : {}),
    ...(r.cache ? { cache: r.cache } : {}),
  };
  return JSON.stringify(json, null, 2) + '\n';
}

// ---------------------------------------------------------------- SVG

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A stand-alone SVG of the lanes: one column per thread, one row per step, the conflicting pair outlined. */
export function traceToSvg(r: SimulationResult, all = false): string {
  const threads = r.program?.threads.map((t) => t.name) ?? [...new Set(r.trace.map((s) => s.threadName))];
  const steps = r.trace.filter((s) => all || !s.local || r.conflict?.includes(s.index));
  const colW = 320;
  const rowH = 26;
  const top = 64;
  const width = 60 + threads.length * colW;
  const height = top + steps.length * rowH + 50;
  const [early, late] = r.conflict ?? [-1, -1];
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="12">`,
  );
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(
    `<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(`${r.title} — ${r.verdict === 'violation' ? `VIOLATION [${r.invariant}]` : r.bound ? 'no violation in the part explored (bound reached)' : 'safe'}`)}</text>`,
  );
  threads.forEach((t, i) => {
    const x = 60 + i * colW;
    out.push(`<text x="${x}" y="${top - 16}" font-weight="bold">${escapeXml(t)}</text>`);
    out.push(
      `<line x1="${x - 6}" y1="${top - 8}" x2="${x - 6}" y2="${top + steps.length * rowH}" stroke="#999" stroke-dasharray="3,3"/>`,
    );
  });
  steps.forEach((s, row) => {
    const lane = Math.max(0, threads.indexOf(s.threadName));
    const x = 60 + lane * colW;
    const y = top + row * rowH;
    const conflict = s.index === early || s.index === late;
    out.push(`<text x="10" y="${y + 16}" fill="#666">${s.index + 1}</text>`);
    out.push(
      `<rect x="${x - 2}" y="${y + 2}" width="${colW - 14}" height="${rowH - 4}" rx="3" fill="${conflict ? '#fde2e2' : s.sleeps ? '#fff4d6' : '#eef3fb'}" stroke="${conflict ? '#c0392b' : '#b8c7e0'}"/>`,
    );
    const text = stepText(s);
    out.push(
      `<text x="${x + 4}" y="${y + 17}"><title>${escapeXml(text + where(s))}</title>${escapeXml(text.length > 44 ? text.slice(0, 43) + '…' : text)}</text>`,
    );
  });
  if (r.message) out.push(`<text x="10" y="${height - 20}" fill="#c0392b">${escapeXml(r.message)}</text>`);
  else if (r.bound) out.push(`<text x="10" y="${height - 20}" fill="#8a6d00">${escapeXml(r.bound.message)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
