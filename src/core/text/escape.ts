/**
 * Untrusted text (file names, quoted source, scenario titles, patch subjects) made safe for a terminal and for
 * line-oriented readers of text output (CI annotations, `grep`, editors' problem matchers). Pure, no Node API.
 */

/**
 * Bidi formatting characters (ALM, LRM, RLM, LRE…RLO, LRI…PDI), zero-width and invisible characters (ZWSP, ZWNJ, ZWJ,
 * WJ, BOM, soft hyphen, Mongolian vowel separator, invisible operators U+2061…2064), line and paragraph separators
 * (U+2028/2029) and interlinear annotation marks (U+FFF9…FFFB).
 */
const INVISIBLE = new Set([
  0x00ad, 0x061c, 0x180e, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d,
  0x202e, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0x2066, 0x2067, 0x2068, 0x2069, 0xfeff, 0xfff9, 0xfffa, 0xfffb,
]);
const NAMED: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r' };

/**
 * `s` with every C0 control (ESC, CR, LF and TAB included), DEL and every C1 control written as `\xNN` (`\r`, `\n`,
 * `\t` for those three), and every bidi or zero-width control as `\u{XXXX}`; every other character is unchanged.
 * So the result is one line, cannot move the cursor, recolour or retitle a terminal, and reads in logical order.
 */
export function escapeForTerminal(s: string): string {
  let out = '';
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) rep = NAMED[c] ?? `\\x${c.toString(16).padStart(2, '0')}`;
    else if (INVISIBLE.has(c)) rep = `\\u{${c.toString(16).toUpperCase()}}`;
    if (rep === undefined) continue;
    out += s.slice(run, i) + rep;
    run = i + 1;
  }
  return run === 0 ? s : out + s.slice(run);
}
