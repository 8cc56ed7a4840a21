/**
 * The race-simulation webview outside VS Code: headless Debian chromium (playwright-core) on a local server that
 * serves the page exactly as the extension host renders it (renderSimulationPage: strict CSP, a fresh nonce per
 * load), the built bundle and the stylesheet, with a fake acquireVsCodeApi that records what the panel posts.
 * Every page records, from before its first script runs: page errors, console errors, CSP violations
 * (`securitypolicyviolation`) and dialogs (alert/confirm/prompt).
 * Skips when chromium is missing, except in CI (CI=true), where it fails.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { renderSimulationPage } from '../../src/extension/pure/simulation-page';
import { simulateBuiltin } from '../../src/sim/simulate';
import type { SimulationResult } from '../../src/sim/run';

export const ROOT = join(__dirname, '..', '..', '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const BUNDLE = join(ROOT, 'dist', 'webview', 'main.js');
export const OUT = join(ROOT, 'test-output', 'webview');
const missing = !existsSync(CHROMIUM)
  ? `chromium not found at ${CHROMIUM} (apt-get install -y chromium)`
  : !existsSync(BUNDLE)
    ? `no webview bundle at ${BUNDLE} (node scripts/build.mjs)`
    : '';
if (missing && process.env.CI === 'true') throw new Error(`webview tests cannot run in CI: ${missing}`);
export const skip: string | false = missing ? `skipped: ${missing}` : false;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Page = any;
let server: Server | undefined;
let origin = '';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let context: any;
/** Every page the server rendered (the CSP nonce of each load). */
export const renderedNonces: string[] = [];
/** Extra documents the tests serve: path → [content type, body]. */
export const extraDocuments = new Map<string, [string, string]>();

/**
 * VS Code injects its theme as --vscode-* variables into every webview; outside it the page would fall back to
 * @vscode-elements' dark defaults. These are VS Code's Light Modern values, so screenshots show what users see.
 */
const LIGHT_THEME: Record<string, string> = {
  '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-font-weight': 'normal',
  '--vscode-editor-font-family': '"Droid Sans Mono", monospace',
  '--vscode-foreground': '#3b3b3b',
  '--vscode-descriptionForeground': '#3b3b3b',
  '--vscode-editor-background': '#ffffff',
  '--vscode-focusBorder': '#005fb8',
  '--vscode-errorForeground': '#f85149',
  '--vscode-textLink-foreground': '#005fb8',
  '--vscode-panel-border': '#e5e5e5',
  '--vscode-badge-background': '#cccccc',
  '--vscode-badge-foreground': '#3b3b3b',
  '--vscode-button-background': '#005fb8',
  '--vscode-button-foreground': '#ffffff',
  '--vscode-button-border': '#0000001a',
  '--vscode-button-secondaryBackground': '#e5e5e5',
  '--vscode-button-secondaryForeground': '#3b3b3b',
  '--vscode-settings-checkboxBackground': '#f8f8f8',
  '--vscode-settings-checkboxBorder': '#cecece',
  '--vscode-settings-checkboxForeground': '#3b3b3b',
  '--vscode-list-activeSelectionBackground': '#e8e8e8',
  '--vscode-list-activeSelectionForeground': '#000000',
  '--vscode-list-hoverBackground': '#f2f2f2',
  '--vscode-diffEditor-insertedTextBackground': '#9ccc2c40',
  '--vscode-inputValidation-errorBackground': '#f2dede',
  '--vscode-inputValidation-errorBorder': '#be1100',
  '--vscode-inputValidation-warningBackground': '#f6f5d2',
  '--vscode-charts-blue': '#1a85ff',
  '--vscode-charts-orange': '#d18616',
  '--vscode-testing-iconPassed': '#388a34',
};

const INSTRUMENT = `
  window.__posted = [];
  const applyTheme = () => { for (const [k, v] of Object.entries(${JSON.stringify(LIGHT_THEME)})) document.documentElement.style.setProperty(k, v); };
  if (document.documentElement) applyTheme(); else document.addEventListener('DOMContentLoaded', applyTheme, { once: true });
  window.__state = undefined;
  window.__csp = [];
  const recordCsp = (e) => window.__csp.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
  document.addEventListener('securitypolicyviolation', recordCsp, true);
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
    getState: () => window.__state,
    setState: (s) => { window.__state = s; },
  });`;

export function pageOrigin(): string {
  return origin;
}

export async function startBrowser(): Promise<void> {
  if (skip) return;
  mkdirSync(OUT, { recursive: true });
  const files: Record<string, [string, string]> = {
    '/dist/webview/main.js': [BUNDLE, 'text/javascript'],
    '/media/simulation.css': [join(ROOT, 'media', 'simulation.css'), 'text/css'],
  };
  server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/') {
      // The shape of VS Code's own cspSource (1.139: `'self' https://*.vscode-cdn.net`): a keyword and a host.
      const page = renderSimulationPage({
        cspSource: `'self' ${origin}`,
        resourceUri: (segments) => `${origin}/${segments.join('/')}`,
      });
      renderedNonces.push(page.nonce);
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(page.html);
      return;
    }
    const extra = extraDocuments.get(url);
    if (extra) {
      res.writeHead(200, { 'content-type': extra[0] });
      res.end(extra[1]);
      return;
    }
    const f = files[url];
    if (!f) {
      res.writeHead(url === '/favicon.ico' ? 204 : 404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f[1] });
    res.end(readFileSync(f[0]));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core');
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vfslock-webview-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function stopBrowser(): Promise<void> {
  await context?.close();
  server?.close();
}

export interface Panel {
  page: Page;
  /** Page errors, console errors and console messages about the Content Security Policy. */
  problems: string[];
  /** Messages of dialogs the page opened (each dismissed). */
  dialogs: string[];
}

/**
 * A fresh page with the instrumentation and the fake API, the panel loaded and ready. `state`: what getState()
 * returns at load, as VS Code gives a webview back its setState value after a reload or when its tab is shown again.
 */
export async function openPanel(state?: unknown): Promise<Panel> {
  const page = await context.newPage();
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (e: Error) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m: { type(): string; text(): string }) => {
    if (m.type() === 'error' || m.text().includes('Content Security Policy')) problems.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d: { message(): string; dismiss(): Promise<void> }) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.addInitScript(INSTRUMENT);
  if (state !== undefined) await page.addInitScript(`window.__state = ${JSON.stringify(state)};`);
  await page.goto(`${origin}/`);
  await page.waitForFunction('window.__posted.some((m) => m.type === "ready")');
  return { page, problems, dialogs };
}

/** Posts a `show` message to the panel, as the host does. */
export async function show(page: Page, result: SimulationResult, extra: Record<string, unknown> = {}): Promise<void> {
  await page.evaluate(
    (msg: unknown) => (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(msg, '*'),
    { type: 'show', result, ...extra },
  );
  await page.locator('#header').waitFor();
}

export function builtin(name: string, set?: Record<string, string>): SimulationResult {
  const o = simulateBuiltin(name, { set });
  if ('error' in o) throw new Error(o.error);
  return JSON.parse(JSON.stringify(o.result));
}

export const posted = (page: Page) =>
  page.evaluate('window.__posted') as Promise<{ type: string; [k: string]: unknown }[]>;
export const cspViolations = (page: Page) =>
  page.evaluate('window.__csp') as Promise<{ directive: string; blocked: string; sample: string }[]>;
