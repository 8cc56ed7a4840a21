/**
 * The race-simulation webview in headless Debian chromium (playwright-core), against the built bundle
 * (dist/webview/main.js) and the same HTML page (strict CSP) the extension serves, with a fake
 * acquireVsCodeApi that records what the panel posts (test/webview/harness.ts). Screenshots go to test-output/.
 * Skips when chromium is missing, except in CI (CI=true), where it fails. Injection, CSP and export escaping:
 * test/webview/security.test.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { simulateProgram } from '../../src/sim/run';
import { programFromFunction } from '../../src/sim/from-code';
import type { FunctionModel } from '../../src/sim/bridge';
import { OUT, builtin, openPanel, posted, show, skip, startBrowser, stopBrowser } from './harness';

before(startBrowser);
after(stopBrowser);

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
  const fields = await page
    .locator('.inode[data-name="f"] .field')
    .evaluateAll((es: { dataset: { field: string } }[]) => es.map((e) => e.dataset.field));
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
    name: evil,
    file: 'evil<b>.c',
    start: 0,
    end: 10,
    line: 1,
    entry: 0,
    exit: 1,
    entryLocks: [],
    nodes: [
      { id: 0, kind: 'entry', succ: [2], events: [], line: 1 },
      { id: 1, kind: 'exit', succ: [], events: [], line: 9 },
      {
        id: 2,
        kind: 'stmt',
        succ: [3],
        line: 3,
        events: [
          {
            kind: 'lock',
            key: 'x',
            display: evil,
            api: 'inode_lock',
            detail: 'inode:exclusive',
            start: 0,
            end: 1,
            line: 3,
            column: 2,
          },
        ],
      },
      {
        id: 3,
        kind: 'stmt',
        succ: [4],
        line: 4,
        events: [
          {
            kind: 'mutate',
            key: 'x',
            display: evil,
            api: '<script>alert(1)</script>',
            detail: 'attrs',
            start: 0,
            end: 1,
            line: 4,
            column: 2,
          },
        ],
      },
      {
        id: 4,
        kind: 'stmt',
        succ: [1],
        line: 5,
        events: [
          {
            kind: 'unlock',
            key: 'x',
            display: evil,
            api: 'inode_unlock',
            detail: 'inode',
            start: 0,
            end: 1,
            line: 5,
            column: 2,
          },
        ],
      },
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
  assert.deepEqual(
    problems.filter((p) => !p.includes('favicon')),
    [],
  );
  await page.close();
});

test(
  'manual scheduling: choosing the next thread extends the run with the simulator in the page',
  { skip },
  async () => {
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
  },
);

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

test(
  'the shown result is kept with setState at once, and a page reloaded from that state shows it again',
  { skip },
  async () => {
    const first = await openPanel();
    const r = builtin('rename-vs-grant-pre313');
    await show(first.page, r);
    // No step taken: the state must already hold the result (a reload before any click restores the panel).
    const state = (await first.page.evaluate('window.__state')) as { result: { scenario: string }; step: number };
    assert.equal(state?.result?.scenario, r.scenario);
    assert.equal(state.step, r.trace.length - 1, 'a counterexample opens at its last step');
    await first.page.close();
    const again = await openPanel(state);
    await again.page.locator('#header').waitFor();
    assert.deepEqual(await again.page.locator('th.lane-head').allTextContents(), ['CPU0: rename', 'CPU1: nfs']);
    assert.match(await again.page.locator('#message').textContent(), /un-recalled read delegation/);
    assert.equal(await again.page.locator('#position').textContent(), `step ${r.trace.length} / ${r.trace.length}`);
    assert.deepEqual(again.problems, []);
    await again.page.close();
  },
);

test(
  'a result sent again with the same id (the page reloaded behind a tab) keeps the step; a new id replaces it',
  { skip },
  async () => {
    const r = builtin('rename-vs-grant-pre313');
    const first = await openPanel();
    await show(first.page, r, { id: 'a.1' });
    await first.page.locator('#reset').click();
    await first.page.locator('#step').click();
    const state = (await first.page.evaluate('window.__state')) as { step: number; shownId: string };
    assert.deepEqual([state.step, state.shownId], [0, 'a.1']);
    await first.page.close();
    // The page comes back from its state; the host posts its current result again on `ready`.
    const again = await openPanel(state);
    await again.page.locator('#header').waitFor();
    await show(again.page, r, { id: 'a.1' });
    assert.equal(await again.page.locator('#position').textContent(), `step 1 / ${r.trace.length}`, 'the step is kept');
    const other = builtin('unlink-recall-retry');
    await show(again.page, other, { id: 'a.2' });
    await again.page.locator('#header h1 .title', { hasText: other.title }).waitFor();
    assert.deepEqual(await again.page.locator('th.lane-head').allTextContents(), ['CPU0: unlink', 'CPU1: nfs']);
    assert.deepEqual(again.problems, []);
    await again.page.close();
  },
);
