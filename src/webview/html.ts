/**
 * The webview's HTML page: a strict Content-Security-Policy (no remote content, scripts only with the nonce, no
 * unsafe-inline, no unsafe-eval, no <base>, no form submission), the stylesheet and the bundle. Used by the
 * extension host (through src/extension/pure/simulation-page.ts, which makes a fresh nonce per render) and by the
 * browser tests, so both run the same page.
 */

export interface PageResources {
  /** `webview.cspSource` (or the origin of the test server). */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

/**
 * `webview.cspSource` as VS Code gives it: a space-separated list of source expressions, today exactly
 * `'self' https://*.vscode-cdn.net` (older releases: `https://*.vscode-cdn.net`, `vscode-resource:`, a
 * `vscode-webview://` origin; the browser tests: `http://127.0.0.1:1234`). Accepted, one token at a time:
 * the keywords `'self'` and `'none'`; a scheme source of a non-network scheme (`vscode-resource:`); a host source
 * `[scheme://]host[:port][/path]` whose host is a name or address, with at most a leading `*.` wildcard. Refused:
 * anything that could end the directive or add one (`;`, `,`, quotes outside a keyword, control characters, other
 * whitespace than single spaces), every other keyword (`'unsafe-inline'`, `'unsafe-eval'`, `'strict-dynamic'`,
 * nonces, hashes…), a bare or all-wildcard host (`*`, `https://*`), and network-wide or content schemes (`https:`,
 * `data:`, `blob:`, `javascript:`…). The value only ever lands in img-src, style-src and font-src.
 */
const CSP_KEYWORDS = new Set(["'self'", "'none'"]);
const CSP_SCHEME = /^[a-z][a-z0-9+.-]*:$/;
/** Scheme sources that would open a directive to the network or to inline content. */
const WIDE_SCHEMES = new Set([
  'http:',
  'https:',
  'ws:',
  'wss:',
  'ftp:',
  'data:',
  'blob:',
  'filesystem:',
  'javascript:',
  'mediastream:',
]);
const CSP_HOST =
  /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::(?:\d{1,5}|\*))?(?:\/[A-Za-z0-9._~%/-]*)?$/;

export function isCspSourceList(value: string): boolean {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) return false;
  const tokens = value.split(' ');
  if (tokens.length > 8) return false;
  return tokens.every(
    (t) =>
      CSP_KEYWORDS.has(t) || (CSP_SCHEME.test(t) && !WIDE_SCHEMES.has(t)) || (CSP_HOST.test(t) && narrowWildcard(t)),
  );
}

/** `*.vscode-cdn.net`, not `*.net`: a wildcard stands for a subdomain of a registrable name (two labels or more). */
function narrowWildcard(t: string): boolean {
  const host = t.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/[:/].*$/, '');
  return !host.startsWith('*.') || host.split('.').length >= 3;
}

/** base64 or hex, long enough not to be guessed (CSP nonces: base64-value). */
const NONCE = /^[A-Za-z0-9+/_-]{16,}={0,2}$/;

export function simulationHtml(r: PageResources): string {
  // Refuse what would let a value add a directive or a keyword to the policy.
  if (!isCspSourceList(r.cspSource)) throw new Error(`not a CSP source: ${JSON.stringify(r.cspSource)}`);
  if (!NONCE.test(r.nonce)) throw new Error('not a CSP nonce');
  const csp = [
    "default-src 'none'",
    `img-src ${r.cspSource} data:`,
    `style-src ${r.cspSource}`,
    `font-src ${r.cspSource}`,
    `script-src 'nonce-${r.nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(r.styleUri)}">
<title>Race simulation</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="placeholder">Waiting for a simulation…</p></main>
<script nonce="${attr(r.nonce)}" src="${attr(r.scriptUri)}"></script>
</body>
</html>
`;
}

function attr(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A random nonce (Web Crypto exists in Node 20, browsers and workers). */
export function makeNonce(): string {
  const bytes = new Uint8Array(18);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
