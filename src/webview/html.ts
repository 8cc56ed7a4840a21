/**
 * The webview's HTML page: a strict Content-Security-Policy (no remote content, scripts only with the nonce, no
 * unsafe-inline, no unsafe-eval), the stylesheet and the bundle. Used by the extension host and by the browser
 * tests, so both run the same page.
 */

export interface PageResources {
  /** `webview.cspSource` (or the origin of the test server). */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

export function simulationHtml(r: PageResources): string {
  const csp = [
    "default-src 'none'",
    `img-src ${r.cspSource} data:`,
    `style-src ${r.cspSource}`,
    `font-src ${r.cspSource}`,
    `script-src 'nonce-${r.nonce}'`,
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
