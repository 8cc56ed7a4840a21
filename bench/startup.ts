/**
 * `npm run bench:startup`: what one `vfslock` process costs before it does any work, as `make C=1` (one process per
 * file) and b4 (one per patch) pay it. Whole-process wall times, median of BENCH_RUNS runs (default 21), the runs of
 * the two sides of each comparison interleaved so machine load hits both alike:
 *   - `vfslock --version` against `node -e 0` (a bare Node start);
 *   - `vfslock check one.c` (a one-function file) against the parse floor: a Node process that loads the same
 *     web-tree-sitter module and C grammar from dist/ and parses the same file, nothing else.
 * Prints figures and the ratios; nothing is asserted (the targets are ≤ 1.5× and ≤ 1.3×).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const ROOT = join(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');
const CLI = join(DIST, 'cli.js');

/** One whole process, its wall time in ms; fails loudly when the command fails (a benchmark of an error is none). */
function time(args: string[], ok = [0]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error || !ok.includes(r.status ?? -1)) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return ms;
}

function compare(name: string, a: string[], b: string[], ok?: number[]): { a: number; b: number } {
  const ta: number[] = [];
  const tb: number[] = [];
  time(a, ok);
  time(b, ok); // warm the file cache
  for (let i = 0; i < RUNS; i++) {
    if (i % 2) {
      ta.push(time(a, ok));
      tb.push(time(b, ok));
    } else {
      tb.push(time(b, ok));
      ta.push(time(a, ok));
    }
  }
  const r = { a: median(ta), b: median(tb) };
  console.log(
    `${name.padEnd(44)} ${r.a.toFixed(0).padStart(6)} ms vs ${r.b.toFixed(0).padStart(6)} ms  = ${(r.a / r.b).toFixed(2)}×`,
  );
  return r;
}

const dir = mkdtempSync(join(tmpdir(), 'vfslock-startup-'));
try {
  const file = join(dir, 'one.c');
  writeFileSync(
    file,
    [
      'int vfs_example(struct inode *dir, struct dentry *dentry, struct inode **delegated_inode)',
      '{',
      '\tint error;',
      '',
      '\tinode_lock(dir);',
      '\terror = try_break_deleg(d_inode(dentry), delegated_inode);',
      '\tinode_unlock(dir);',
      '\treturn error;',
      '}',
      '',
    ].join('\n'),
  );
  // The floor: what any tree-sitter based checker of this file must do (same module, grammar and text).
  const floor = join(dir, 'floor.js');
  writeFileSync(
    floor,
    `
const { readFileSync } = require('node:fs');
const { Parser, Language } = require(${JSON.stringify(join(DIST, 'web-tree-sitter.cjs'))});
(async () => {
  await Parser.init({ locateFile: () => ${JSON.stringify(join(DIST, 'web-tree-sitter.wasm'))} });
  const lang = await Language.load(${JSON.stringify(join(DIST, 'tree-sitter-c.wasm'))});
  const p = new Parser();
  p.setLanguage(lang);
  const tree = p.parse(readFileSync(process.argv[2], 'utf8'));
  if (tree.rootNode.hasError) process.exit(3);
})();
`,
  );
  console.log(`node ${process.version}, median of ${RUNS} whole-process runs each`);
  const v = compare('vfslock --version vs node -e 0', [CLI, '--version'], ['-e', '0']);
  // exit 1: the file has an error-severity finding (a blocking break under inode_lock), so the check does its work.
  const c = compare('vfslock check one.c vs parse floor', [CLI, 'check', '--no-color', file], [floor, file], [0, 1]);
  console.log(
    `targets: --version ≤ 1.5× (${(v.a / v.b).toFixed(2)}×), one-function check ≤ 1.3× (${(c.a / c.b).toFixed(2)}×)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
