/**
 * vfslock against Coccinelle on the same files: time of each, the ratio, and what each reports as a missing
 * delegation break (bench/coccinelle/missing-break.cocci is the Coccinelle side of deleg/missing-break).
 *   node out/bench/compare.js            corpus files, plus the 68 top-level fs/*.c of Debian's linux-source-6.1 if present
 * Needs `spatch` (Debian package coccinelle); prints a note and skips what is missing.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Analyzer } from '../src/core/engine';
import { nodeWasmSource } from '../src/core/parse/node-wasm';
import { CORPUS, PROJECT_ROOT } from '../test/helpers/corpus';
import { collectFiles } from '../src/cli/files';
import { linuxTree } from './linux-source';

const COCCI = join(PROJECT_ROOT, 'bench', 'coccinelle', 'missing-break.cocci');

function spatch(files: string[], jobs: number): { ms: number; hits: Set<string> } | null {
  const which = spawnSync('spatch', ['--version'], { encoding: 'utf8' });
  if (which.status !== 0) return null;
  const t = performance.now();
  const r = spawnSync('spatch', ['--very-quiet', '--sp-file', COCCI, '-D', 'report', '-j', String(jobs), ...files], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = performance.now() - t;
  const hits = new Set<string>();
  for (const line of (r.stdout + r.stderr).split('\n')) {
    const m = /^(.*?):(\d+):\d+-\d+: deleg\/missing-break/.exec(line);
    if (m) hits.add(`${m[1]}:${m[2]}`);
  }
  return { ms, hits };
}

async function vfslock(analyzer: Analyzer, files: string[]): Promise<{ ms: number; hits: Set<string>; all: number }> {
  const t = performance.now();
  const hits = new Set<string>();
  let all = 0;
  for (const f of files) {
    const r = analyzer.check(f, readFileSync(f, 'utf8'));
    for (const x of r.findings) {
      if (x.severity === 'info') continue;
      all++;
      if (x.ruleId === 'deleg/missing-break') hits.add(`${f}:${x.line}`);
    }
  }
  return { ms: performance.now() - t, hits, all };
}

async function compare(label: string, files: string[], analyzer: Analyzer, base: string): Promise<void> {
  console.log(`\n== ${label}: ${files.length} files`);
  const v = await vfslock(analyzer, files);
  const c = spatch(files, 2);
  console.log(
    `vfslock check: ${v.ms.toFixed(0)} ms (1 process), ${v.hits.size} deleg/missing-break, ${v.all} error/warning findings in all`,
  );
  if (!c) {
    console.log('spatch not installed (Debian package coccinelle): Coccinelle side skipped');
    return;
  }
  console.log(
    `spatch (2 jobs): ${c.ms.toFixed(0)} ms, ${c.hits.size} reports; time ratio spatch/vfslock ${(c.ms / v.ms).toFixed(1)}x`,
  );
  const both = [...v.hits].filter((h) => c.hits.has(h));
  const onlyV = [...v.hits].filter((h) => !c.hits.has(h));
  const onlyC = [...c.hits].filter((h) => !v.hits.has(h));
  console.log(`agree on ${both.length}; only vfslock ${onlyV.length}; only Coccinelle ${onlyC.length}`);
  for (const h of onlyV.slice(0, 12)) console.log(`  only vfslock:     ${relative(base, h)}`);
  for (const h of onlyC.slice(0, 12)) console.log(`  only Coccinelle:  ${relative(base, h)}`);
}

async function main(): Promise<void> {
  const analyzer = await Analyzer.create(nodeWasmSource());
  const corpus = collectFiles([CORPUS]).files.filter((p) =>
    /\/fs\/(namei|attr|xattr|open|utimes|posix_acl)\.c$/.test(p),
  );
  await compare(
    'kernel corpus, VFS core files (namei, attr, xattr, open, utimes, posix_acl)',
    corpus,
    analyzer,
    CORPUS,
  );
  const tree = linuxTree();
  if (!tree) {
    console.log(`\nlinux-source-6.1 not available (apt-get install linux-source-6.1): whole-fs comparison skipped`);
    return;
  }
  const top = readdirSync(join(tree, 'fs'))
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => join(tree, 'fs', f));
  await compare('linux-source-6.1 fs/*.c (top level)', top, analyzer, tree);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
