// `npm run package`: production bundles, then a .vsix with @vscode/vsce (allow-list .vscodeignore, the marketplace
// page is docs/extension.md). Prints the file list and fails above 3 MB.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = process.argv[2] ?? join(root, `${pkg.name}-${pkg.version}.vsix`);
const LIMIT = 3 * 1024 * 1024;

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
const t0 = Date.now();
run(process.execPath, [join(root, 'scripts/build.mjs'), '--production']);
rmSync(out, { force: true });
const vsce = join(dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
run(process.execPath, [vsce, 'package', '--no-dependencies', '--readme-path', 'docs/extension.md', '--out', out]);
const size = statSync(out).size;
const list = spawnSync('unzip', ['-l', out], { encoding: 'utf8' });
if (list.status === 0) process.stdout.write(list.stdout);
console.log(`${out}: ${(size / 1024).toFixed(0)} KiB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
// The development build (with source maps) again, so tests and `vfslock` keep their usual dist/.
run(process.execPath, [join(root, 'scripts/build.mjs')]);
if (size > LIMIT) {
  console.error(`the .vsix is over ${LIMIT / 1048576} MB`);
  process.exit(1);
}
