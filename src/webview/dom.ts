/**
 * DOM helpers. Every kernel-derived string (function names, inode names, details) goes in through
 * `textContent` or an attribute: nothing is ever parsed as HTML. Bidi controls in text are isolated and marked
 * visibly (setText), in tooltips replaced by `<U+XXXX>` (see text.ts and docs/security.md).
 */
import { controlLabel, hasBidiControl, splitBidi, visibleControls } from './text';

/**
 * Sets an element's text. Without bidi controls: textContent. With them: the same characters (textContent is
 * still exactly `text`), but each control sits alone in a `span.bidi-control` that isolates it (so it cannot
 * reorder or swallow the text around it) and shows its code point.
 */
export function setText(e: Element, text: string): void {
  if (!hasBidiControl(text)) {
    e.textContent = text;
    return;
  }
  e.textContent = '';
  for (const part of splitBidi(text)) {
    if (!part.control) {
      e.appendChild(document.createTextNode(part.text));
      continue;
    }
    const mark = document.createElement('span');
    mark.className = 'bidi-control';
    mark.dataset.codepoint = controlLabel(part.text);
    mark.title = `invisible bidirectional control character ${controlLabel(part.text)}`;
    mark.textContent = part.text;
    e.appendChild(mark);
  }
  ensureBidiStyle();
}

let styled = false;

/**
 * The markers' style, as a constructed stylesheet (allowed by the page's CSP: no inline <style>, no style
 * attribute). `unicode-bidi: isolate` makes the span a bidi isolate: an override or isolate opened by the control
 * inside it ends at the span's end.
 */
function ensureBidiStyle(): void {
  if (styled || typeof CSSStyleSheet === 'undefined' || !('adoptedStyleSheets' in document)) return;
  styled = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`.bidi-control { unicode-bidi: isolate; direction: ltr; }
.bidi-control::before { content: attr(data-codepoint); font-family: var(--mono, monospace); font-size: 0.8em;
  padding: 0 2px; margin: 0 1px; border: 1px solid currentColor; border-radius: 2px;
  color: var(--vscode-editorWarning-foreground, #b26b00); }`);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

export interface ElOptions {
  class?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
  data?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  o?: ElOptions,
  children?: (Node | null)[],
): HTMLElementTagNameMap[K];
export function el(tag: string, o?: ElOptions, children?: (Node | null)[]): HTMLElement;
export function el(tag: string, o: ElOptions = {}, children: (Node | null)[] = []): HTMLElement {
  const e = document.createElement(tag);
  if (o.class) e.className = o.class;
  if (o.text !== undefined) setText(e, o.text);
  if (o.title) e.title = visibleControls(o.title);
  for (const [k, v] of Object.entries(o.attrs ?? {})) e.setAttribute(k, v);
  for (const [k, v] of Object.entries(o.data ?? {})) e.dataset[k] = v;
  for (const c of children) if (c) e.appendChild(c);
  return e;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag: string, attrs: Record<string, string | number> = {}, text?: string): SVGElement {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = visibleControls(text);
  return e;
}

export function clear(e: Element): void {
  while (e.firstChild) e.removeChild(e.firstChild);
}
