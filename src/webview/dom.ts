/**
 * DOM helpers. Every kernel-derived string (function names, inode names, details) goes in through
 * `textContent` or an attribute: nothing is ever parsed as HTML.
 */

export interface ElOptions {
  class?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
  data?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, o?: ElOptions, children?: (Node | null)[]): HTMLElementTagNameMap[K];
export function el(tag: string, o?: ElOptions, children?: (Node | null)[]): HTMLElement;
export function el(tag: string, o: ElOptions = {}, children: (Node | null)[] = []): HTMLElement {
  const e = document.createElement(tag);
  if (o.class) e.className = o.class;
  if (o.text !== undefined) e.textContent = o.text;
  if (o.title) e.title = o.title;
  for (const [k, v] of Object.entries(o.attrs ?? {})) e.setAttribute(k, v);
  for (const [k, v] of Object.entries(o.data ?? {})) e.dataset[k] = v;
  for (const c of children) if (c) e.appendChild(c);
  return e;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag: string, attrs: Record<string, string | number> = {}, text?: string): SVGElement {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

export function clear(e: Element): void {
  while (e.firstChild) e.removeChild(e.firstChild);
}
