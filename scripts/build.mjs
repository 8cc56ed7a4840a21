// Bundles the CLI (and, when present, the extension and webview) with esbuild and copies the wasm files
// next to the bundles. Runs from `npm install` (prepare), so `npx vfslock` works right after install.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, existsSync, chmodSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

// web-tree-sitter's ESM build breaks when bundled to CommonJS (import.meta.url becomes {}): use its CJS build.
const alias = { 'web-tree-sitter': require.resolve('web-tree-sitter') }; // the "require" export: web-tree-sitter.cjs
// --production (npm run package): minified bundles without source maps, for the .vsix.
const production = process.argv.includes('--production');
// What the analysis is built from (sources and catalogue): caches of analysis results (the summary index under
// ~/.cache/vfslock) are keyed by it, so a rebuilt analyzer never reads what an older one computed.
const buildId = (() => {
  const h = createHash('sha256');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|json)$/.test(e.name)) h.update(p.slice(root.length)).update(readFileSync(p));
    }
  };
  walk(join(root, 'src'));
  return h.digest('hex').slice(0, 16);
})();
const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  alias,
  absWorkingDir: root,
  define: { VFSLOCK_BUILD: JSON.stringify(buildId) },
};

const jobs = [
  // `vfslock` is a small entry (--version without loading anything) and the CLI proper beside it, loaded on demand:
  // make C=1 starts one process per file, b4 one per patch (bench/startup.ts).
  build({
    ...common,
    entryPoints: ['src/cli/entry.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    external: ['./cli-main.js'],
  }),
  build({
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli-main.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  }),
];
const optional = [
  // The analysis thread (a Session in a worker thread): the desktop extension's, and every pool's threads
  // (`vfslock check --jobs N`, the summary index built in the background).
  ['src/service/worker-main.ts', { outfile: 'dist/worker.js', platform: 'node', format: 'cjs', target: 'node20' }],
  [
    'src/extension/extension.ts',
    {
      outfile: 'dist/extension.js',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode'],
      define: { ...common.define, 'process.env.VFSLOCK_WEB': '""' },
    },
  ],
  // vscode.dev / github.dev: no Node built-ins. web-tree-sitter's Node-only branches (fs) never run there.
  [
    'src/extension/extension.ts',
    {
      outfile: 'dist/web/extension.js',
      platform: 'browser',
      format: 'cjs',
      target: 'es2022',
      external: ['vscode', 'fs', 'fs/promises', 'module', 'node:*'],
      define: { ...common.define, 'process.env.VFSLOCK_WEB': '"1"' },
    },
  ],
  // The browser host's analysis worker (a Session in a web worker).
  [
    'src/service/web-worker-main.ts',
    {
      outfile: 'dist/web/worker.js',
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      external: ['fs', 'fs/promises', 'module', 'node:*'],
      define: { ...common.define, 'process.env.VFSLOCK_WEB': '"1"' },
    },
  ],
  ['src/webview/main.ts', { outfile: 'dist/webview/main.js', platform: 'browser', format: 'iife', target: 'es2022' }],
];
for (const [entry, opts] of optional) {
  if (existsSync(join(root, entry))) jobs.push(build({ ...common, entryPoints: [entry], ...opts }));
}
await Promise.all(jobs);
chmodSync(join(dist, 'cli.js'), 0o755);

const wasm = [
  require.resolve('web-tree-sitter/web-tree-sitter.wasm'),
  require.resolve('tree-sitter-c/tree-sitter-c.wasm'),
];
for (const dir of [dist, join(dist, 'web')]) {
  mkdirSync(dir, { recursive: true });
  for (const file of wasm) copyFileSync(file, join(dir, file.split('/').pop()));
}
// web-tree-sitter's CommonJS module beside the Node bundles: after a wasm abort the parser loads a new copy of it
// (its wasm instance is module state; src/core/parse/node-wasm.ts).
copyFileSync(require.resolve('web-tree-sitter'), join(dist, 'web-tree-sitter.cjs'));

// l10n/bundle.l10n.json: the extension's localisable strings (what translators copy), kept in step with the code.
if (existsSync(join(root, 'src/extension'))) await import('./l10n.mjs');
