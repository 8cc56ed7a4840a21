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

/** A CSP source expression list (`https://*.vscode-cdn.net`, `http://127.0.0.1:1234`): no quotes, `;` or `,`. */
const CSP_SOURCE = /^[A-Za-z0-9*][A-Za-z0-9+.\-:/*\[\]]*( [A-Za-z0-9*][A-Za-z0-9+.\-:/*\[\]]*)*$/;
/** base64 or hex, long enough not to be guessed (CSP nonces: base64-value). */
const NONCE = /^[A-Za-z0-9+/_-]{16,}={0,2}$/;

export function simulationHtml(r: PageResources): string {
  // Refuse what would let a value add a directive or a keyword to the policy.
  if (!CSP_SOURCE.test(r.cspSource)) throw new Error(`not a CSP source: ${JSON.stringify(r.cspSource)}`);
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
