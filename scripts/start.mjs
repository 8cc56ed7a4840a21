// `npm start`: the product for real. Shows what `vfslock` finds in examples/, builds the .vsix, installs it into a
// local VS Code (code-server, installed on first use into .e2e/ with scripts/e2e/setup.sh: Debian chromium is not
// needed for this, only Node 24 and code-server from npm) bound to 127.0.0.1, opens a demo workspace copied from
// examples/, prints the URL and keeps serving until Ctrl+C.
//   PORT=8080 npm start        choose the port (default: 8734, or the next free one)
//   npm start -- --no-server   only the CLI demo and the .vsix
//   npm start -- --smoke       start everything, check that the URL answers, stop (CI runs the README's start this way)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { E2E, ROOT, NODE24, CODE_SERVER, installVsix, listExtensions, startCodeServer } from './e2e/lib.mjs';

const args = process.argv.slice(2);
const run = (cmd, argv, opts = {}) => spawnSync(cmd, argv, { cwd: ROOT, stdio: 'inherit', ...opts });

console.log('vfslock check examples/   (small kernel-style files written for this project; see examples/README.md)\n');
const cli = run(process.execPath, [join(ROOT, 'dist/cli.js'), 'check', 'examples/']);
if (cli.status === 1)
  console.log('\nExit status 1: error-severity findings (expected: most examples are buggy on purpose).');
else if (cli.status !== 0) process.exit(cli.status ?? 2);
console.log('\nTo review a patch series (a buggy patch, then its fix) against examples/, as a reviewer would:');
console.log('    node dist/cli.js review --tree examples examples/patches/*.patch');
if (args.includes('--no-server')) process.exit(0);

console.log('\nPackaging the extension…');
const vsix = join(E2E, 'vfs-lock-review-demo.vsix');
mkdirSync(E2E, { recursive: true });
if (
  run(process.execPath, [join(ROOT, 'scripts/package.mjs'), vsix], { stdio: ['ignore', 'ignore', 'inherit'] })
    .status !== 0
)
  process.exit(1);
console.log(`  ${vsix}`);

if (!existsSync(CODE_SERVER) || !existsSync(join(NODE24, 'bin/node'))) {
  console.log(
    '\nInstalling a local VS Code (code-server 4.139 on Node 24, from the npm registry) into .e2e/ — once, a few minutes…',
  );
  if (
    run('bash', [join(ROOT, 'scripts/e2e/setup.sh')], { env: { ...process.env, VFSLOCK_SETUP_NO_BROWSER: '1' } })
      .status !== 0
  )
    process.exit(1);
}

const dir = join(E2E, 'demo');
for (const d of ['udd/User', 'exts', 'tmp', 'xdg-config', 'xdg-data', 'xdg-cache'])
  mkdirSync(join(dir, d), { recursive: true });
// A fresh copy of the demo files each time, so the quick fixes can be tried again.
const ws = join(dir, 'vfs-lock-review-demo');
rmSync(ws, { recursive: true, force: true });
cpSync(join(ROOT, 'examples'), ws, { recursive: true });
console.log(`  ${installVsix(dir, vsix).split('\n').pop()}`);

const port = await freePort(Number(process.env.PORT) || 8734);
const server = await startCodeServer(dir, {
  folder: ws,
  port,
  smokeDriver: false,
  log: join(dir, 'code-server.log'),
  settings: { 'workbench.colorTheme': 'Default Dark Modern', 'security.workspace.trust.enabled': false },
});
const url = `${server.base}/?folder=${encodeURIComponent(ws)}`;
console.log(`\nVFS Lock Review is running in VS Code (code-server, bound to 127.0.0.1):\n\n    ${url}\n`);
console.log(
  'Open a file such as missing_break.c: squiggles, the light bulb (Ctrl+.), hovers on inode_lock()/break_deleg_wait(),',
);
console.log(
  'code lenses, and "VFS Lock Review: …" in the command palette (F1). Desktop VS Code users: code --install-extension ' +
    vsix,
);
console.log(`Server log: ${server.log}. Ctrl+C stops it.`);

if (args.includes('--smoke')) {
  // What a newcomer's browser does first: the workbench page answers, and the extension is in the server's list.
  const page = await fetch(url);
  const body = await page.text();
  const extensions = listExtensions(dir);
  await server.stop();
  const ok = page.status === 200 && body.includes('vscode') && extensions.includes('vfs-lock-review.vfs-lock-review');
  console.log(
    ok
      ? `smoke: ${url} answered ${page.status} and the extension is installed; stopped.`
      : `smoke: FAILED (HTTP ${page.status}; extensions: ${extensions.join(', ') || 'none'})`,
  );
  process.exit(ok ? 0 : 1);
}

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.child.on('exit', (code) => {
  console.log(`code-server exited (${code}); see ${server.log}`);
  process.exit(code ?? 1);
});

function freePort(from) {
  const tryPort = (p) =>
    new Promise((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(null));
      s.listen(p, '127.0.0.1', () => s.close(() => resolve(p)));
    });
  return (async () => {
    for (let p = from; p < from + 50; p++) if (await tryPort(p)) return p;
    throw new Error(`no free port from ${from}`);
  })();
}
