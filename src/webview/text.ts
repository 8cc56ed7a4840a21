/**
 * Invisible characters in untrusted text (kernel sources, patch mails, .vfsrace files): bidirectional controls
 * ("Trojan Source", CVE-2021-42574) can make a name or a step read differently from what it is, and C0/C1
 * controls are invalid in XML and can rewrite a terminal line. Pure (no DOM), shared by the webview and the host.
 *
 * Policy (docs/security.md):
 *  - in the panel, text keeps its exact characters (textContent is the original string, so search, selection
 *    and accessibility see the real name), but each bidi control is put in its own isolating span that shows a
 *    visible `U+202E` marker (src/webview/dom.ts), so it cannot reorder anything around it;
 *  - where no markup is possible (tooltips, tree labels, exported text and SVG) every such character is replaced
 *    by a visible `<U+XXXX>`.
 */

/** The Unicode bidi formatting characters: ALM, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI. */
export const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
const BIDI_CONTROLS = new RegExp(BIDI_CONTROL.source, 'g');
/** Bidi controls plus C0 controls other than tab and newline, DEL and C1 controls (invalid or dangerous in exports). */
const ALL_CONTROLS = new RegExp(`${BIDI_CONTROL.source}|[\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]`, 'g');

const ABBREV: Record<number, string> = {
  0x061c: 'ALM',
  0x200e: 'LRM',
  0x200f: 'RLM',
  0x202a: 'LRE',
  0x202b: 'RLE',
  0x202c: 'PDF',
  0x202d: 'LRO',
  0x202e: 'RLO',
  0x2066: 'LRI',
  0x2067: 'RLI',
  0x2068: 'FSI',
  0x2069: 'PDI',
};

/** `U+202E` for a character. */
export function codePoint(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** `U+202E RLO` — what the panel's marker shows. */
export function controlLabel(ch: string): string {
  const abbrev = ABBREV[ch.codePointAt(0)!];
  return abbrev ? `${codePoint(ch)} ${abbrev}` : codePoint(ch);
}

export function hasBidiControl(s: string): boolean {
  return BIDI_CONTROL.test(s);
}

/**
 * The string with every bidi control (and, with `allControls`, every C0/C1 control but tab and newline) replaced
 * by a visible `<U+XXXX>`. Everything else, markup included, is left as it is: escaping is the job of whoever
 * puts the text into markup.
 */
export function visibleControls(s: string, allControls = false): string {
  return s.replace(allControls ? ALL_CONTROLS : BIDI_CONTROLS, (c) => `<${codePoint(c)}>`);
}

/** Splits text into plain runs and single bidi controls, in order (for the panel's isolating markers). */
export function splitBidi(s: string): { text: string; control: boolean }[] {
  const out: { text: string; control: boolean }[] = [];
  let run = '';
  for (const ch of s) {
    if (BIDI_CONTROL.test(ch)) {
      if (run) out.push({ text: run, control: false });
      run = '';
      out.push({ text: ch, control: true });
    } else run += ch;
  }
  if (run) out.push({ text: run, control: false });
  return out;
}
