/**
 * The host's check of every message from the race-simulation webview, before anything is done with it. The page
 * renders kernel-derived text; were it ever subverted, it could post anything, so a message is only a request
 * the host re-checks against what it knows itself:
 *  - `reveal` opens a location only if that exact (file, line) is a step of the trace the host sent (or of the
 *    program's instructions, which manual scheduling can reach), only as a file path, an allowed URI scheme or a
 *    real built-in scenario; never `command:`, `javascript:`, `vscode:`, `http(s):`, relative paths or `..`;
 *    after a window reload (the trace then comes back from the page's own saved state, which is untrusted) also
 *    only inside a workspace folder;
 *  - `export` writes only through the save dialog, with a plain file name of the right extension, and SVG only
 *    if it is exactly the markup the SVG printer writes (allow-listed elements and attributes, escaped text);
 *  - anything else (unknown type, extra keys, wrong types, out-of-range numbers) is dropped.
 * No `vscode` import: unit-tested in test/unit/extension/webview-messages.test.ts.
 */
import type { SimulationResult } from '../../sim/run';
import { builtinNamed } from '../../sim/builtins';

export type Locations = ReadonlyMap<string, ReadonlySet<number>>;

export interface MessageContext {
  /** (file → lines) the webview may ask to reveal: traceLocations() of the result shown. */
  locations: Locations;
  /**
   * Set when `locations` came from the page's saved state (panel restored after a reload) rather than from the
   * host: files must then also lie inside one of these workspace folders (file system paths or URI strings).
   */
  workspaceRoots?: readonly string[];
  /** Whether a built-in scenario of that name exists (default: src/sim/builtins). */
  isBuiltin?: (name: string) => boolean;
}

export type RevealTarget =
  | { kind: 'builtin'; name: string; line: number; column: number }
  /** An absolute file system path (vscode.Uri.file). */
  | { kind: 'path'; path: string; line: number; column: number }
  /** A URI of an allowed scheme (vscode.Uri.parse). */
  | { kind: 'uri'; uri: string; line: number; column: number };

export type CheckedMessage =
  | { type: 'ready' }
  | { type: 'reveal'; target: RevealTarget }
  | { type: 'export'; format: 'text' | 'svg'; content: string; fileName: string };

export type Checked = { ok: true; message: CheckedMessage } | { ok: false; reason: string };

/** Schemes a document of a simulated function can have (desktop, remote, virtual and browser workspaces, untitled). */
export const REVEAL_SCHEMES: ReadonlySet<string> = new Set([
  'file',
  'untitled',
  'vscode-remote',
  'vscode-vfs',
  'vscode-test-web',
]);
export const MAX_EXPORT_CHARS = 16 * 1024 * 1024;
export const MAX_LINE = 10_000_000;
export const MAX_COLUMN = 100_000;

/** Every (file, line) of a result the webview can show: its trace's steps and its program's instructions. */
export function traceLocations(r: SimulationResult): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const add = (file: unknown, line: unknown) => {
    if (typeof file !== 'string' || !file || !Number.isInteger(line) || (line as number) < 1) return;
    let lines = out.get(file);
    if (!lines) out.set(file, (lines = new Set()));
    lines.add(line as number);
  };
  for (const s of r.trace ?? []) add(s.file, s.line);
  for (const t of r.program?.threads ?? []) for (const i of t.instrs ?? []) add(i.loc?.file, i.loc?.line);
  return out;
}

type Rec = Record<string, unknown>;
const isRec = (x: unknown): x is Rec =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;
const isIntIn = (x: unknown, lo: number, hi: number): x is number =>
  Number.isInteger(x) && (x as number) >= lo && (x as number) <= hi;
const fail = (reason: string): Checked => ({ ok: false, reason });

/** Keys other than `allowed` with a defined value. */
function extraKeys(m: Rec, allowed: string[]): string[] {
  return Object.keys(m).filter((k) => !allowed.includes(k) && m[k] !== undefined);
}

export function checkWebviewMessage(m: unknown, ctx: MessageContext): Checked {
  if (!isRec(m)) return fail('not a plain object');
  switch (m.type) {
    case 'ready': {
      const extra = extraKeys(m, ['type']);
      return extra.length ? fail(`unexpected keys ${extra.join(', ')}`) : { ok: true, message: { type: 'ready' } };
    }
    case 'reveal':
      return checkReveal(m, ctx);
    case 'export':
      return checkExport(m);
    default:
      return fail(`unknown message type ${JSON.stringify(String(m.type)).slice(0, 40)}`);
  }
}

function checkReveal(m: Rec, ctx: MessageContext): Checked {
  const extra = extraKeys(m, ['type', 'file', 'line', 'column']);
  if (extra.length) return fail(`unexpected keys ${extra.join(', ')}`);
  const { file, line, column } = m;
  if (typeof file !== 'string' || !file || file.length > 4096) return fail('reveal: file is not a non-empty string');
  if (!isIntIn(line, 1, MAX_LINE)) return fail('reveal: line out of range');
  if (column !== undefined && !isIntIn(column, 1, MAX_COLUMN)) return fail('reveal: column out of range');
  const col = (column as number | undefined) ?? 1;
  if (!ctx.locations.get(file)?.has(line)) return fail('reveal: not a location of the current trace');
  const target = classify(file, line, col, ctx.isBuiltin ?? ((n) => builtinNamed(n) !== undefined));
  if (typeof target === 'string') return fail(`reveal: ${target}`);
  if (
    ctx.workspaceRoots &&
    target.kind !== 'builtin' &&
    !insideRoots(target.kind === 'path' ? target.path : target.uri, ctx.workspaceRoots)
  ) {
    return fail('reveal: outside the workspace (restored panel)');
  }
  return { ok: true, message: { type: 'reveal', target } };
}

const WINDOWS_PATH = /^(?:[A-Za-z]:[\\/]|\\\\[^\\/]+[\\/])/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/** What a trace's `file` names, or why it cannot be opened. */
function classify(
  file: string,
  line: number,
  column: number,
  isBuiltin: (name: string) => boolean,
): RevealTarget | string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(file)) return 'control character in file';
  if (file.startsWith('builtin:')) {
    const name = file.slice('builtin:'.length);
    return isBuiltin(name) ? { kind: 'builtin', name, line, column } : 'no such built-in scenario';
  }
  if (file.startsWith('/') || WINDOWS_PATH.test(file)) {
    if (hasDotSegment(file)) return 'path with . or .. segments';
    return { kind: 'path', path: file, line, column };
  }
  const scheme = SCHEME.exec(file)?.[1].toLowerCase();
  if (!scheme) return 'relative path';
  if (!REVEAL_SCHEMES.has(scheme)) return `scheme ${scheme}: is not allowed`;
  let decoded: string;
  try {
    decoded = decodeURIComponent(file.slice(scheme.length + 1));
  } catch {
    return 'malformed URI escapes';
  }
  if (hasDotSegment(decoded)) return 'URI with . or .. segments';
  if (scheme === 'file' && !file.toLowerCase().startsWith('file://')) return 'file URI without //';
  return { kind: 'uri', uri: file, line, column };
}

function hasDotSegment(p: string): boolean {
  return p.split(/[\\/]/).some((s) => s === '.' || s === '..');
}

/** `file` (a path or URI string) equals a root or lies beneath it. */
function insideRoots(file: string, roots: readonly string[]): boolean {
  return roots.some((root) => {
    if (!root) return false;
    const r = root.replace(/[\\/]+$/, '');
    const f = /^[A-Za-z]:/.test(r) ? file.toLowerCase() : file;
    const rr = /^[A-Za-z]:/.test(r) ? r.toLowerCase() : r;
    return f.startsWith(rr + '/') || f.startsWith(rr + '\\');
  });
}

// ---------------------------------------------------------------- export

/** A bare file name, no directory, no leading dot, with the format's extension. */
const EXPORT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,95}\.(txt|svg)$/;

function checkExport(m: Rec): Checked {
  const extra = extraKeys(m, ['type', 'format', 'content', 'suggestedName']);
  if (extra.length) return fail(`unexpected keys ${extra.join(', ')}`);
  const { format, content, suggestedName } = m;
  if (format !== 'text' && format !== 'svg') return fail('export: unknown format');
  if (typeof content !== 'string' || content.length > MAX_EXPORT_CHARS)
    return fail('export: content is not a string of at most 16 Mi characters');
  if (typeof suggestedName !== 'string') return fail('export: suggestedName is not a string');
  const name = EXPORT_NAME.exec(suggestedName);
  if (!name || name[1] !== (format === 'svg' ? 'svg' : 'txt'))
    return fail('export: suggestedName is not a plain .txt/.svg file name');
  if (content.includes('\u0000')) return fail('export: NUL in content');
  if (format === 'svg' && !isSafeSvgExport(content)) return fail('export: SVG is not what the trace printer writes');
  return { ok: true, message: { type: 'export', format, content, fileName: suggestedName } };
}

/** The elements and attributes src/sim/export.ts traceToSvg writes; nothing else may appear. */
const SVG_ELEMENTS = new Set(['svg', 'rect', 'text', 'title', 'line']);
const SVG_ATTRIBUTES = new Set([
  'xmlns',
  'width',
  'height',
  'viewBox',
  'font-family',
  'font-size',
  'font-weight',
  'x',
  'y',
  'x1',
  'y1',
  'x2',
  'y2',
  'rx',
  'fill',
  'stroke',
  'stroke-dasharray',
  'text-anchor',
]);
const SVG_NS = 'http://www.w3.org/2000/svg';
/** Attribute values: numbers, lengths, colours, keywords. No `url(`, no entity, no colon (except the namespace). */
const ATTR_VALUE = /^[#A-Za-z0-9.,% -]*$/;
const TOKEN = /<(\/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z][A-Za-z0-9-]*="[^"]*")*)\s*(\/?)>|[^<]+/y;
const ATTR = /\s+([A-Za-z][A-Za-z0-9-]*)="([^"]*)"/g;
const ENTITY = /&(?:amp|lt|gt|quot|#39);/g;

/**
 * Whether `svg` is a stand-alone SVG made only of the trace printer's elements and attributes, with every
 * character of text escaped: no script, no event handler, no link, no foreignObject, no DOCTYPE / entity /
 * processing instruction / CDATA / comment, no style. A strict allow-list, so a forged export cannot write a
 * file that runs script when opened in a browser.
 */
export function isSafeSvgExport(svg: string): boolean {
  if (!svg.startsWith(`<svg xmlns="${SVG_NS}"`) || !/<\/svg>\s*$/.test(svg)) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(svg)) return false;
  TOKEN.lastIndex = 0;
  const open: string[] = [];
  let closedRoot = false;
  while (TOKEN.lastIndex < svg.length) {
    const at = TOKEN.lastIndex;
    const t = TOKEN.exec(svg);
    if (!t || t.index !== at) return false;
    if (t[2] === undefined) {
      // Text: only whitespace outside the root; `&` only as the printer's entities; no `>`.
      if (!open.length && t[0].trim()) return false;
      if (t[0].replace(ENTITY, '').includes('&') || t[0].includes('>')) return false;
      continue;
    }
    const [, closing, name, attrs, selfClosing] = t;
    if (!SVG_ELEMENTS.has(name) || closedRoot) return false;
    if (closing) {
      if (attrs || selfClosing || open.pop() !== name) return false;
      if (!open.length) closedRoot = true;
      continue;
    }
    // <svg> is the root and only the root.
    if ((name === 'svg') !== (open.length === 0)) return false;
    for (const [, attr, value] of attrs.matchAll(ATTR)) {
      if (!SVG_ATTRIBUTES.has(attr)) return false;
      if (attr === 'xmlns' ? value !== SVG_NS : !ATTR_VALUE.test(value)) return false;
    }
    if (!selfClosing) open.push(name);
    else if (!open.length) return false;
  }
  return closedRoot && open.length === 0;
}
