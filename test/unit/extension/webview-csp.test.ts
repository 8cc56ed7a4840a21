/**
 * The Content-Security-Policy and options of every webview the extension creates, on the real page function the
 * host calls (src/extension/pure/simulation-page.ts → src/webview/html.ts): a fresh nonce per render,
 * `default-src 'none'`, scripts only through the nonce, no unsafe-inline / unsafe-eval (not even
 * wasm-unsafe-eval: no wasm runs in the webview), no command URIs or forms, resources only from dist/webview and
 * media. And the host source is checked to build its webviews only this way.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  renderSimulationPage,
  simulationWebviewOptions,
  SIMULATION_RESOURCE_ROOTS,
  SIMULATION_SCRIPT,
  SIMULATION_STYLE,
  type WebviewTarget,
} from '../../../src/extension/pure/simulation-page';
import { isCspSourceList, simulationHtml } from '../../../src/webview/html';

const ROOT = join(__dirname, '..', '..', '..', '..');
const CSP_SOURCE = 'https://*.vscode-cdn.net';
/** `webview.cspSource` as VS Code 1.139 (code-server 4.139) really gives it. */
const VSCODE_CSP_SOURCE = "'self' https://*.vscode-cdn.net";
const EXT = 'https://file+.vscode-resource.vscode-cdn.net/home/u/.vscode/extensions/vfs-lock-review';
const target: WebviewTarget = { cspSource: CSP_SOURCE, resourceUri: (segments) => `${EXT}/${segments.join('/')}` };

/** The policy of the page's single CSP meta element, as directive → source list. */
function policy(html: string): Map<string, string[]> {
  const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"\s*>/gi)];
  assert.equal(metas.length, 1, 'exactly one CSP meta element');
  assert.ok(
    html.indexOf(metas[0][0]) < html.search(/<(script|link|img|style)\b/i),
    'the policy comes before any resource',
  );
  const out = new Map<string, string[]>();
  for (const d of metas[0][1]
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, ...sources] = d.split(/\s+/);
    assert.ok(!out.has(name), `directive ${name} given once`);
    out.set(name, sources);
  }
  return out;
}

describe("the simulation page's CSP", () => {
  test('a fresh, unguessable nonce on every render', () => {
    const pages = Array.from({ length: 50 }, () => renderSimulationPage(target));
    const nonces = pages.map((p) => p.nonce);
    assert.equal(new Set(nonces).size, nonces.length, 'no nonce repeats');
    for (const n of nonces) assert.match(n, /^[0-9a-f]{32,}$/, '≥128 bits');
    for (const p of pages) {
      assert.deepEqual(policy(p.html).get('script-src'), [`'nonce-${p.nonce}'`]);
      // The nonce appears in the policy and on the script element, nowhere else.
      assert.equal(p.html.split(p.nonce).length - 1, 2);
    }
  });

  test("default-src 'none'; scripts only by nonce; no unsafe keyword; no remote or wildcard source", () => {
    const { html, nonce } = renderSimulationPage(target);
    const csp = policy(html);
    assert.deepEqual(csp.get('default-src'), ["'none'"]);
    assert.deepEqual(csp.get('script-src'), [`'nonce-${nonce}'`]);
    assert.deepEqual(csp.get('style-src'), [CSP_SOURCE]);
    assert.deepEqual(csp.get('img-src'), [CSP_SOURCE, 'data:']);
    assert.deepEqual(csp.get('font-src'), [CSP_SOURCE]);
    assert.deepEqual(csp.get('base-uri'), ["'none'"]);
    assert.deepEqual(csp.get('form-action'), ["'none'"]);
    assert.deepEqual(
      [...csp.keys()].sort(),
      ['base-uri', 'default-src', 'font-src', 'form-action', 'img-src', 'script-src', 'style-src'],
      "nothing else: connect, frame, worker, media, object fall back to default-src 'none'",
    );
    const all = [...csp.values()].flat();
    for (const bad of [
      "'unsafe-inline'",
      "'unsafe-eval'",
      "'unsafe-hashes'",
      "'wasm-unsafe-eval'",
      "'strict-dynamic'",
      "'self'",
      '*',
      'http:',
      'https:',
      'blob:',
      'filesystem:',
    ]) {
      assert.ok(!all.includes(bad), `no ${bad}`);
    }
    assert.ok(!/unsafe/i.test(html), 'no unsafe-anything anywhere in the page');
  });

  test(
    'no wasm runs in the webview, so none is allowed (the bundle does not touch WebAssembly)',
    { skip: !existsSync(join(ROOT, 'dist/webview/main.js')) && 'no dist/webview/main.js' },
    () => {
      const bundle = readFileSync(join(ROOT, 'dist/webview/main.js'), 'utf8');
      assert.ok(!/WebAssembly\s*\.\s*(instantiate|compile|Module)/.test(bundle));
      assert.ok(
        !/\beval\s*\(|new Function\s*\(/.test(bundle.replace(/\/\/.*$/gm, '')),
        'no eval / new Function in the bundle (unsafe-eval is not granted)',
      );
    },
  );

  test('every script has the nonce and a src inside the resource roots; no inline script, handler or style', () => {
    const { html, nonce } = renderSimulationPage(target);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.equal(scripts.length, 1);
    for (const [, attrs, body] of scripts) {
      assert.equal(body.trim(), '', 'no inline script');
      assert.match(attrs, new RegExp(`\\bnonce="${nonce}"`));
      const src = /\bsrc="([^"]*)"/.exec(attrs)?.[1];
      assert.equal(src, `${EXT}/${SIMULATION_SCRIPT.join('/')}`);
    }
    assert.equal(
      /<script\b/gi.test(html.replace(/<script\b[^>]*nonce="[^"]*"[^>]*><\/script>/g, '')),
      false,
      'no script element without the nonce',
    );
    assert.ok(!/\son[a-z]+\s*=/i.test(html), 'no inline event handler');
    assert.ok(!/<style\b|\sstyle\s*=/i.test(html), 'no inline style');
    assert.ok(!/<base\b|<form\b|<iframe\b|<object\b|<embed\b/i.test(html));
    const links = [...html.matchAll(/<link\b[^>]*href="([^"]*)"/gi)].map((m) => m[1]);
    assert.deepEqual(links, [`${EXT}/${SIMULATION_STYLE.join('/')}`]);
    const inRoot = (segments: readonly string[]) =>
      SIMULATION_RESOURCE_ROOTS.some((r) => r.every((s, i) => segments[i] === s) && segments.length > r.length);
    assert.ok(
      inRoot(SIMULATION_SCRIPT) && inRoot(SIMULATION_STYLE),
      'the script and the stylesheet lie inside localResourceRoots',
    );
  });

  test('nothing given to the page function can widen the policy', () => {
    for (const cspSource of [
      "https://x; script-src 'unsafe-inline'",
      "'unsafe-inline'",
      'https://x,https://y',
      'https://x\nscript-src *',
      '',
      ' ',
    ]) {
      assert.throws(() => renderSimulationPage({ ...target, cspSource }), /not a CSP source/, cspSource);
    }
    for (const nonce of ["abc' 'unsafe-inline", 'short', 'x'.repeat(20) + "'", 'a b c d e f g h i j k', '']) {
      assert.throws(
        () => simulationHtml({ cspSource: CSP_SOURCE, nonce, scriptUri: 'x', styleUri: 'y' }),
        /not a CSP nonce/,
      );
    }
    // Resource URIs are attribute-escaped.
    const html = simulationHtml({
      cspSource: CSP_SOURCE,
      nonce: 'a'.repeat(32),
      scriptUri: '"><script>alert(1)</script>',
      styleUri: "x' onload='alert(1)",
    });
    assert.equal(html.match(/<script\b/g)!.length, 1);
    assert.match(
      html,
      /<link rel="stylesheet" href="x&#39; onload=&#39;alert\(1\)">/,
      'the quote cannot end the attribute',
    );
    // The forms VS Code has given cspSource.
    for (const s of [
      'https://*.vscode-cdn.net',
      'vscode-webview://abc123',
      'http://127.0.0.1:4567',
      'https://*.vscode-cdn.net vscode-resource:',
      VSCODE_CSP_SOURCE,
    ])
      renderSimulationPage({ ...target, cspSource: s });
  });

  test("VS Code's real cspSource (1.139: 'self' https://*.vscode-cdn.net) renders, only in img/style/font-src", () => {
    assert.ok(isCspSourceList(VSCODE_CSP_SOURCE));
    const { html, nonce } = renderSimulationPage({ ...target, cspSource: VSCODE_CSP_SOURCE });
    const csp = policy(html);
    assert.deepEqual(csp.get('style-src'), ["'self'", 'https://*.vscode-cdn.net']);
    assert.deepEqual(csp.get('font-src'), ["'self'", 'https://*.vscode-cdn.net']);
    assert.deepEqual(csp.get('img-src'), ["'self'", 'https://*.vscode-cdn.net', 'data:']);
    assert.deepEqual(csp.get('script-src'), [`'nonce-${nonce}'`], 'scripts still only by nonce');
    assert.deepEqual(csp.get('default-src'), ["'none'"]);
    assert.deepEqual([...csp.keys()].sort(), [
      'base-uri',
      'default-src',
      'font-src',
      'form-action',
      'img-src',
      'script-src',
      'style-src',
    ]);
    assert.ok(!/unsafe/i.test(html));
  });

  test('a hostile cspSource is refused: no directive, separator, unsafe keyword, wide scheme or wildcard host gets in', () => {
    const hostile = [
      "'self' https://*.vscode-cdn.net; script-src 'unsafe-inline'",
      "'self';script-src *",
      "'self' https://*.vscode-cdn.net;",
      "'self','unsafe-inline'",
      "'self' 'unsafe-inline'",
      "'self' 'unsafe-eval'",
      "'unsafe-hashes'",
      "'wasm-unsafe-eval'",
      "'strict-dynamic'",
      "'nonce-abcdefabcdefabcdef'",
      "'sha256-AAAA'",
      "'report-sample'",
      "'self",
      "self'",
      '"self"',
      "'self'  https://*.vscode-cdn.net",
      "'self'\thttps://*.vscode-cdn.net",
      "'self'\nscript-src *",
      "'self'\r\nhttps://x.y",
      " 'self'",
      "'self' ",
      '*',
      'https://*',
      '*.net',
      'https://*.net',
      'https:',
      'http:',
      'data:',
      'blob:',
      'filesystem:',
      'javascript:',
      'ws:',
      "https://x.y/'",
      'https://x.y/a;b',
      'https://x.y/a,b',
      'https://x.y/<',
      'https://x.y"',
      'https://x.y\u0000',
      'https://a.b:99999999',
      'https://*.*.net',
      'https://a.*.net',
      'a b c d e f g h i',
      'x'.repeat(600),
    ];
    for (const cspSource of hostile) {
      assert.equal(isCspSourceList(cspSource), false, JSON.stringify(cspSource));
      assert.throws(
        () => renderSimulationPage({ ...target, cspSource }),
        /not a CSP source/,
        JSON.stringify(cspSource),
      );
    }
  });
});

describe('webview options', () => {
  test('scripts on; command URIs and forms off; resources only from dist/webview and media', () => {
    const o = simulationWebviewOptions();
    assert.deepEqual(o, {
      enableScripts: true,
      enableCommandUris: false,
      enableForms: false,
      localResourceRoots: [['dist', 'webview'], ['media']],
    });
    for (const r of o.localResourceRoots) {
      assert.ok(r.length > 0, 'never the extension root itself');
      assert.ok(!r.includes('..') && !r.includes('.') && !r.some((s) => s.includes('/')));
    }
  });

  test('the extension creates webviews only through these functions', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) files.push(p);
      }
    };
    walk(join(ROOT, 'src/extension'));
    const creating = files.filter((f) =>
      /createWebviewPanel|registerWebviewViewProvider|registerCustomEditorProvider|registerWebviewPanelSerializer|\.html\s*=/.test(
        readFileSync(f, 'utf8'),
      ),
    );
    assert.deepEqual(
      creating.map((f) => f.slice(ROOT.length + 1)),
      ['src/extension/simulation/panel.ts'],
      'a new webview needs its own CSP test',
    );
    const panel = readFileSync(join(ROOT, 'src/extension/simulation/panel.ts'), 'utf8');
    assert.match(panel, /\.html = renderSimulationPage\(/);
    assert.equal(panel.match(/\.html\s*=/g)!.length, 1);
    assert.match(panel, /simulationWebviewOptions\(\)/);
    assert.ok(
      !/enableCommandUris:\s*true|enableForms:\s*true|localResourceRoots:\s*\[/.test(panel),
      'no options of its own',
    );
    assert.match(panel, /checkWebviewMessage\(m, this\.allowed\)/, 'every message goes through the check');
    assert.ok(!/onDidReceiveMessage\(\(m[^)]*\)\s*=>\s*this\.handle/.test(panel));
  });
});
