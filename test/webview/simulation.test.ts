/**
 * The race-simulation webview in headless Debian chromium (playwright-core), against the built bundle
 * (dist/webview/main.js) and the same HTML page (strict CSP) the extension serves, with a fake
 * acquireVsCodeApi that records what the panel posts. Screenshots go to test-output/.
 * Skips when chromium is missing, except in CI (CI=true), where it fails.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { simulationHtml } from '../../src/webview/html';
import { simulateBuiltin } from '../../src/sim/simulate';
import { simulateProgram } from '../../src/sim/run';
import { programFromFunction } from '../../src/sim/from-code';
import type { SimulationResult } from '../../src/sim/run';
import type { FunctionModel } from '../../src/core/model-extract';

const ROOT = join(__dirname, '..', '..', '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const BUNDLE = join(ROOT, 'dist', 'webview', 'main.js');
const OUT = join(ROOT, 'test-output', 'webview');
const missing = !existsSync(CHROMIUM) ? `chromium not found at ${CHROMIUM} (apt-get install -y chromium)` : !existsSync(BUNDLE) ? `no webview bundle at ${BUNDLE} (node scripts/build.mjs)` : '';
if (missing && process.env.CI === 'true') throw new Error(`webview tests cannot run in CI: ${missing}`);
const skip = missing ? `skipped: ${missing}` : false;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Page = any;
let server: Server;
let origin = '';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let context: any;
const NONCE = 'testnonce0123456789';

const FAKE_API = `
  window.__posted = [];
  window.__state = undefined;
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
    getState: () => window.__state,
    setState: (s) => { window.__state = s; },
  });`;

before(async () => {
  if (skip) return;
  mkdirSync(OUT, { recursive: true });
  server = createServer((req, res) => {
    const files: Record<string, [string, string]> = {
      '/main.js': [BUNDLE, 'text/javascript'],
      '/simulation.css': [join(ROOT, 'media', 'simulation.css'), 'text/css'],
    };
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(simulationHtml({ cspSource: origin, nonce: NONCE, scriptUri: `${origin}/main.js`, styleUri: `${origin}/simulation.css` }));
      return;
    }
    const f = files[req.url ?? ''];
    if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f[1] });
    res.end(readFileSync(f[0]));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core');
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vfslock-webview-')), {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await context?.close();
  server?.close();
});

/** A fresh page with the fake API; collects page errors and CSP reports. */
async function openPanel(): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e: Error) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m: { type(): string; text(): string }) => {
    if (m.type() === 'error' || m.text().includes('Content Security Policy')) problems.push(`console: ${m.text()}`);
  });
  await page.addInitScript(FAKE_API);
  await page.goto(`${origin}/`);
  await page.waitForFunction('window.__posted.some((m) => m.type === "ready")');
  return { page, problems };
}

async function show(page: Page, result: SimulationResult, extra: Record<string, unknown> = {}): Promise<void> {
  await page.evaluate((msg: unknown) => (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(msg, '*'), { type: 'show', result, ...extra });
  await page.locator('#header').waitFor();
}

function builtin(name: string, set?: Record<string, string>): SimulationResult {
  const o = simulateBuiltin(name, { set });
  if ('error' in o) throw new Error(o.error);
  return JSON.parse(JSON.stringify(o.result));
}

const posted = (page: Page) => page.evaluate('window.__posted') as Promise<{ type: string; [k: string]: unknown }[]>;

test('lanes and steps render, one lane per thread, the conflicting pair marked', { skip }, async () => {
  const { page, problems } = await openPanel();
  const r = builtin('rename-vs-grant-pre313');
  await show(page, r);
  const heads = await page.locator('th.lane-head').allTextContents();
  assert.deepEqual(heads, ['CPU0: rename', 'CPU1: nfs']);
  const rows = await page.locator('tr.step').count();
  assert.ok(rows >= 4, `expected visible steps, got ${rows}`);
  assert.equal(await page.locator('tr.step.conflict').count(), 2);
  assert.match(await page.locator('#message').textContent(), /un-recalled read delegation/);
  assert.match(await page.locator('#conflict').textContent(), /\(1\) step 6, nfs: locks_insert_lease/);
  await page.screenshot({ path: join(OUT, 'counterexample.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('stepping moves the current step and highlights what changed in the inode state', { skip }, async () => {
  const { page } = await openPanel();
  await show(page, builtin('rename-vs-grant-pre313'));
  await page.locator('#reset').click();
  assert.equal(await page.locator('#position').textContent(), 'step 0 / 7');
  assert.equal(await page.locator('.inode .field.changed').count(), 0, 'nothing changed before the first step');
  // Step until the delegation is granted (step 6): the lease list of f changes.
  for (let i = 0; i < 6; i++) await page.locator('#step').click();
  assert.equal(await page.locator('#position').textContent(), 'step 6 / 7');
  assert.equal(await page.locator('tr.step.current').getAttribute('data-index'), '5');
  const changed = page.locator('.inode[data-name="f"] .field.changed[data-field="leases"]');
  assert.equal(await changed.count(), 1);
  assert.match(await changed.textContent(), /read delegation \(nfs\)/);
  // Hide unchanged: only changed fields remain (the lease list, and flc_lock released by the insertion).
  await page.locator('#hide-unchanged').click();
  const fields = await page.locator('.inode[data-name="f"] .field').evaluateAll((es: { dataset: { field: string } }[]) => es.map((e) => e.dataset.field));
  assert.deepEqual(fields, ['leases', 'locks']);
  assert.equal(await page.locator('.inode[data-name="dir"] .field').count(), 0);
  await page.screenshot({ path: join(OUT, 'stepping.png'), fullPage: true });
  await page.locator('#back').click();
  assert.equal(await page.locator('#position').textContent(), 'step 5 / 7');
  const state = await page.evaluate('window.__state');
  assert.equal((state as { step: number }).step, 4, 'the step is kept with setState');
  await page.close();
});

test('clicking a step posts its source location', { skip }, async () => {
  const { page } = await openPanel();
  await show(page, builtin('rename-vs-grant-pre313'));
  await page.locator('tr.step[data-index="6"]').click();
  const reveal = (await posted(page)).filter((m) => m.type === 'reveal');
  assert.deepEqual(reveal.at(-1), { type: 'reveal', file: 'builtin:rename-vs-grant-pre313', line: 14, column: 3 });
  await page.close();
});

test('a <script> in a function name renders as text and never runs', { skip }, async () => {
  const { page, problems } = await openPanel();
  const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  const model: FunctionModel = {
    name: evil, file: 'evil<b>.c', start: 0, end: 10, line: 1, entry: 0, exit: 1, entryLocks: [],
    nodes: [
      { id: 0, kind: 'entry', succ: [2], events: [], line: 1 },
      { id: 1, kind: 'exit', succ: [], events: [], line: 9 },
      { id: 2, kind: 'stmt', succ: [3], line: 3, events: [{ kind: 'lock', key: 'x', display: evil, api: 'inode_lock', detail: 'inode:exclusive', start: 0, end: 1, line: 3, column: 2 }] },
      { id: 3, kind: 'stmt', succ: [4], line: 4, events: [{ kind: 'mutate', key: 'x', display: evil, api: '<script>alert(1)</script>', detail: 'attrs', start: 0, end: 1, line: 4, column: 2 }] },
      { id: 4, kind: 'stmt', succ: [1], line: 5, events: [{ kind: 'unlock', key: 'x', display: evil, api: 'inode_unlock', detail: 'inode', start: 0, end: 1, line: 5, column: 2 }] },
    ],
  };
  const program = programFromFunction(model, { kernel: '6.12' });
  assert.ok(!('error' in program));
  const r = JSON.parse(JSON.stringify(simulateProgram(program)));
  await show(page, r);
  assert.equal(await page.evaluate('window.__pwned'), undefined);
  assert.equal(await page.locator('#app img, #app script').count(), 0);
  assert.ok((await page.locator('th.lane-head').first().textContent()).includes('<script>'));
  assert.ok((await page.locator('#header .title').textContent()).includes('<img src=x'));
  await page.screenshot({ path: join(OUT, 'escaped-names.png'), fullPage: true });
  assert.deepEqual(problems.filter((p) => !p.includes('favicon')), []);
  await page.close();
});

test('manual scheduling: choosing the next thread extends the run with the simulator in the page', { skip }, async () => {
  const { page } = await openPanel();
  await show(page, builtin('rename-vs-grant-313'));
  await page.locator('#reset').click();
  await page.locator('#manual').click();
  assert.equal(await page.locator('#position').textContent(), 'step 0 / 0');
  const choices = page.locator('#choices vscode-button.choice');
  assert.equal(await choices.count(), 2, 'both threads can start');
  await page.locator('#choose-1-0').click(); // nfs: inode_trylock
  await page.locator('#choose-1-0').click(); // nfs: branch
  assert.equal(await page.locator('#position').textContent(), 'step 2 / 2');
  assert.match(await page.locator('tr.step[data-index="0"]').textContent(), /inode_trylock/);
  await page.screenshot({ path: join(OUT, 'manual.png'), fullPage: true });
  await page.close();
});

test('export posts the trace as lockdep-style text and as SVG', { skip }, async () => {
  const { page } = await openPanel();
  await show(page, builtin('blocking-break-stall'));
  await page.locator('#export-text').click();
  await page.locator('#export-svg').click();
  const exports = (await posted(page)).filter((m) => m.type === 'export');
  assert.equal(exports.length, 2);
  assert.match(exports[0].content as string, /Possible unsafe interleaving:[\s\S]*truncate[\s\S]*samba/);
  assert.match(exports[1].content as string, /^<svg xmlns/);
  assert.equal(exports[1].suggestedName, 'builtin-blocking-break-stall.svg');
  await page.close();
});

test('the inode-cache scenario shows its capacity / hit-rate chart', { skip }, async () => {
  const { page } = await openPanel();
  await show(page, builtin('inode-field-cost', { files: '3000', accesses: '20000', budget_mib: '1' }));
  assert.equal(await page.locator('svg.cache-chart rect.bar').count(), 9);
  assert.equal(await page.locator('table.cache-table tbody tr').count(), 9);
  await page.screenshot({ path: join(OUT, 'inode-cache.png'), fullPage: true });
  await page.close();
});

test('a malformed message is ignored and the panel keeps working', { skip }, async () => {
  const { page, problems } = await openPanel();
  await page.evaluate(`window.postMessage({ type: 'show', result: { version: 1, trace: 'nope' } }, '*')`);
  await page.evaluate(`window.postMessage({ type: 'show', result: '<b>x</b>' }, '*')`);
  assert.equal(await page.locator('.placeholder').count(), 1);
  await show(page, builtin('rename-vs-grant-pre313'));
  assert.equal(await page.locator('th.lane-head').count(), 2);
  assert.deepEqual(problems, []);
  await page.close();
});
