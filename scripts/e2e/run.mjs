// End-to-end tests in a real VS Code (code-server 4.139 = VS Code 1.139, on Node 24) driven by headless Debian
// chromium:
//   main       extension-host suite (mocha, the @vscode/test-electron contract) on a copy of examples/ + namei.c
//   patch      the patch review's extension-host suite (test/e2e/suite/patch.test.ts), same workspace layout
//   untrusted  the same extension in Restricted Mode
//   corpus     "Check Workspace" over ../shared/kernel-corpus (read in place), host responsiveness measured
//   ui         the packaged .vsix installed into code-server, driven through the workbench with playwright-core
//   web        the same .vsix run from its `browser` entry in the web-worker extension host (as on vscode.dev)
// Usage: node scripts/e2e/run.mjs [--suite main,patch,untrusted,corpus,ui,web] [--screenshots]   (npm run test:e2e)
// Output: test-output/ (reports, screenshots, e2e-metrics.json). Needs scripts/e2e/setup.sh (run on demand).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import util from 'node:util';
import {
  CORPUS,
  HARNESS,
  OUT,
  ROOT,
  ensureSetup,
  freePort,
  installVsix,
  lapper,
  launchChromium,
  makeWorkspace,
  startCodeServer,
  workDir,
} from './lib.mjs';
import { runUi } from '../../test/e2e/ui/ui.mjs';

const argv = process.argv.slice(2);
const suiteArg = argv.includes('--suite') ? argv[argv.indexOf('--suite') + 1] : 'main,patch,untrusted,corpus,ui,web';
const suites = suiteArg.split(',').filter(Boolean);
const screenshots = argv.includes('--screenshots');
const keep = !!process.env.KEEP_WORK;
const lap = lapper();
const metricsFile = join(OUT, 'e2e-metrics.json');

mkdirSync(OUT, { recursive: true });
rmSync(metricsFile, { force: true });
ensureSetup();
lap('harness ready');

// The extension under test: the development build for extension-host suites, the .vsix for the UI.
const node = process.execPath;
const sh = (args) => {
  const r = spawnSync(node, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed`);
};
let vsix = null;
if (suites.includes('ui') || suites.includes('web')) {
  vsix = join(ROOT, '.e2e', 'vfs-lock-review-e2e.vsix');
  sh([join(ROOT, 'scripts/package.mjs'), vsix]);
  lap(`packaged ${vsix}`);
} else sh([join(ROOT, 'scripts/build.mjs')]);

// Suites → .e2e/harness/suite/*.js (mocha resolves from the harness's node_modules). Each extension-host run
// loads the test files listed here in a workspace of its own (patch.test.ts is the patch review's).
const suiteDir = join(HARNESS, 'suite');
const suiteSrc = join(ROOT, 'test/e2e/suite');
const testFiles = readdirSync(suiteSrc)
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => f.replace(/\.test\.ts$/, ''));
const SUITE_FILES = { main: ['main'], patch: ['patch'], untrusted: ['untrusted'], corpus: ['corpus'] };
const filesOf = (name) =>
  process.env.VFSLOCK_E2E_FILES || SUITE_FILES[name].filter((f) => testFiles.includes(f)).join(',');
rmSync(suiteDir, { recursive: true, force: true });
await build({
  entryPoints: ['index', ...testFiles.map((f) => `${f}.test`)].map((f) => join(suiteSrc, `${f}.ts`)),
  outdir: suiteDir,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
});

const noise =
  /AgentHost|ChatModel|AccountPolicy|[Gg]allery|open-vsx|Creating a socket|connection token|grace time|telemetry|marketplace/;

async function extensionHostSuite(name, { folder, trust = true, settings = {} }) {
  const dir = workDir(name);
  const port = await freePort();
  const server = await startCodeServer(dir, { folder, port, trust, settings });
  lap(`[${name}] code-server on ${server.base} (log ${server.log})`);
  const authority = `127.0.0.1:${port}`;
  const remote = (p) => `vscode-remote://${authority}${p}`;
  const report = join(OUT, `e2e-${name}.txt`);
  const extEnv = { VFSLOCK_E2E_SUITE: filesOf(name), VFSLOCK_E2E_REPORT: report, VFSLOCK_E2E_METRICS: metricsFile };
  const payload = [
    ['extensionDevelopmentPath', remote(ROOT)],
    ['extensionTestsPath', remote(join(suiteDir, 'index.js'))],
    ['extensionEnvironment', JSON.stringify(extEnv)],
  ];
  const url = `${server.base}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const browser = await launchChromium(dir);
  let code = 'error';
  try {
    let done;
    const exited = new Promise((r) => (done = r));
    await browser.page.exposeFunction('codeAutomationLog', (type, args) => {
      const line = util.format(...(args || []));
      if (process.env.VERBOSE || !noise.test(line)) console.log(`  [${name}]`, line);
    });
    await browser.page.exposeFunction('codeAutomationExit', (c) => done(c));
    browser.page.on('pageerror', (e) => console.log(`  [${name}] pageerror`, e.message));
    await browser.page.goto(url);
    code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15 * 60000))]);
  } finally {
    await browser.close();
    await server.stop();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
  if (existsSync(report)) console.log(readFileSync(report, 'utf8').replace(/^/gm, `  [${name}] `));
  lap(`[${name}] extension tests exit=${code}`);
  return code === 0;
}

const results = {};
for (const name of suites) {
  try {
    if (name === 'main' || name === 'patch') {
      if (!filesOf(name)) continue;
      const dir = workDir('ws');
      // The patch review's working-tree test drives the built-in git extension.
      results[name] = await extensionHostSuite(name, {
        folder: makeWorkspace(dir),
        settings: name === 'patch' ? { 'git.enabled': true } : {},
      });
      if (!keep) rmSync(dir, { recursive: true, force: true });
    } else if (name === 'untrusted') {
      const dir = workDir('ws');
      const ws = makeWorkspace(dir, { namei: false });
      // What a cloned repository could ship: a catalogue that empties the APIs the examples use, named by the
      // workspace settings, excludes hiding every C file, and a base tree of "/". None of it may apply in
      // Restricted Mode (test/e2e/suite/untrusted.test.ts).
      mkdirSync(join(ws, '.vscode'), { recursive: true });
      writeFileSync(
        join(ws, 'silence.json'),
        JSON.stringify({
          version: 1,
          name: 'silence',
          functions: [{ name: ['notify_change', 'inode_lock', 'inode_unlock', 'inode_lock_nested'], effects: [] }],
        }),
      );
      writeFileSync(
        join(ws, '.vscode/settings.json'),
        JSON.stringify(
          {
            'vfsLockReview.rulesFile': 'silence.json',
            'vfsLockReview.exclude': ['**/*.c'],
            'vfsLockReview.patchReview.baseTree': '/',
            'vfsLockReview.enable': false,
            'vfsLockReview.severity': { 'deleg/missing-break': 'off', 'lock/imbalance': 'off' },
          },
          null,
          2,
        ),
      );
      results.untrusted = await extensionHostSuite('untrusted', { folder: ws, trust: false });
      if (!keep) rmSync(dir, { recursive: true, force: true });
    } else if (name === 'corpus') {
      if (!existsSync(CORPUS)) {
        console.log(`corpus suite skipped: ${CORPUS} not found`);
        continue;
      }
      results.corpus = await extensionHostSuite('corpus', { folder: CORPUS });
    } else if (name === 'ui' || name === 'web') {
      const web = name === 'web';
      const dir = workDir(name);
      const folder = makeWorkspace(dir, { namei: !web });
      console.log(`  [${name}] ${installVsix(dir, vsix).split('\n').pop()}`);
      const port = await freePort();
      // Dark theme: the marketplace screenshots show theme colours; `web` runs the browser entry in the web worker host.
      const settings = {
        'workbench.colorTheme': 'Default Dark Modern',
        ...(web ? { 'remote.extensionKind': { 'vfs-lock-review.vfs-lock-review': ['web'] } } : {}),
      };
      const server = await startCodeServer(dir, { folder, port, smokeDriver: false, settings });
      const browser = await launchChromium(dir);
      try {
        results[name] = await runUi({
          page: browser.page,
          url: `${server.base}/?folder=${encodeURIComponent(folder)}`,
          folder,
          out: OUT,
          screenshots: screenshots ? join(ROOT, 'media/screenshots') : null,
          metricsFile,
          web,
        });
      } catch (e) {
        console.error(`  [${name}] FAILED:`, e.stack ?? e);
        await browser.page.screenshot({ path: join(OUT, `${name}-failure.png`) }).catch(() => undefined);
        results[name] = false;
      } finally {
        await browser.close();
        await server.stop();
        if (!keep) rmSync(dir, { recursive: true, force: true });
      }
    } else throw new Error(`unknown suite ${name}`);
  } catch (e) {
    console.error(`suite ${name} failed to run:`, e.stack ?? e);
    results[name] = false;
  }
}

const metrics = existsSync(metricsFile) ? JSON.parse(readFileSync(metricsFile, 'utf8')) : {};
const summary = { results, metrics, seconds: Math.round(process.uptime()) };
writeFileSync(join(OUT, 'e2e-summary.json'), JSON.stringify(summary, null, 2) + '\n');
console.log('\ne2e summary:', JSON.stringify(summary, null, 2));
process.exit(Object.values(results).every(Boolean) && Object.keys(results).length ? 0 : 1);
