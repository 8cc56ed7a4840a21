// Writes l10n/bundle.l10n.json: every string the extension passes to vscode.l10n.t() or the pure modules' t(),
// the file translators copy to bundle.l10n.<lang>.json (the format @vscode/l10n-dev exports).
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = [];
const walk = (d) => {
  for (const e of readdirSync(d)) {
    const p = join(d, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts')) files.push(p);
  }
};
walk(join(root, 'src/extension'));
walk(join(root, 'src/service'));
walk(join(root, 'src/core/fixes'));
const strings = new Set();
const call = /(?:\bl10n\.t|\bt|\btr|\bl10nTitle)\(\s*'((?:[^'\\]|\\.)*)'/g;
for (const f of files.sort()) {
  for (const m of readFileSync(f, 'utf8').matchAll(call)) strings.add(m[1].replace(/\\'/g, "'"));
}
const bundle = Object.fromEntries([...strings].sort().map((s) => [s, s]));
mkdirSync(join(root, 'l10n'), { recursive: true });
writeFileSync(join(root, 'l10n/bundle.l10n.json'), JSON.stringify(bundle, null, 2) + '\n');
console.log(`l10n/bundle.l10n.json: ${strings.size} strings`);
