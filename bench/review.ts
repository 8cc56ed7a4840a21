/**
 * `node out/bench/review.js`: the time to review a 10-patch series (real `git format-patch` output, made here from
 * edits to the v6.12 corpus files) against the whole v6.12 corpus tree, with and without following contracts into
 * other files; per patch; and, for scale, a plain `vfslock check` of the files the series touches.
 * Prints figures only (medians of BENCH_RUNS runs in one warm process); nothing is asserted.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Analyzer } from '../src/core/engine';
import { nodeWasmSource } from '../src/core/parse/node-wasm';
import { readPatchInput, type PatchMail } from '../src/patch/mbox';
import { DirectoryTree } from '../src/patch/node-tree';
import { reviewSeries, type SeriesReview } from '../src/patch/review';
import { CORPUS } from '../test/helpers/corpus';
import { Mutator } from '../test/helpers/mutate';
import { makeSeries, type Step } from '../test/helpers/patch-series';
import { median } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const VERSION = 'v6.12';

/** Ten patches over five files: breaks removed and restored, a break moved before its lock, comments, a new file. */
function steps(analyzer: Analyzer): Step[] {
  const read = (p: string) => readFileSync(join(CORPUS, VERSION, p), 'utf8');
  const files: Record<string, string> = {};
  for (const p of ['fs/namei.c', 'fs/attr.c', 'fs/open.c', 'fs/xattr.c', 'fs/utimes.c']) files[p] = read(p);
  const out: Step[] = [];
  const edit = (subject: string, path: string, fn: string, f: (m: Mutator) => void) => {
    const m = new Mutator(analyzer, files[path], fn);
    f(m);
    files[path] = m.result();
    out.push({ subject, files: { [path]: files[path] } });
  };
  const zero =
    (callee: string, i = 0) =>
    (m: Mutator) => {
      const c = m.calls(callee)[i];
      m.replace(c.start, c.end, '0');
    };
  const comment = (callee: string) => (m: Mutator) => {
    m.insert(m.calls(callee)[0].stmtStart, '/* reviewed */\n\t');
  };
  const original = (path: string) => read(path);
  edit('vfs: drop the delegation break from vfs_unlink', 'fs/namei.c', 'vfs_unlink', zero('try_break_deleg'));
  edit('attr: comment the break in notify_change', 'fs/attr.c', 'notify_change', comment('try_break_deleg'));
  edit('vfs: break the delegation before locking in vfs_link', 'fs/namei.c', 'vfs_link', (m) => {
    const c = m.calls('try_break_deleg')[0];
    m.insert(m.calls('inode_lock')[0].stmtStart, `error = ${c.text};\n\tif (error)\n\t\treturn error;\n\t`).replace(
      c.start,
      c.end,
      '0',
    );
  });
  edit('open: comment chown_common', 'fs/open.c', 'chown_common', comment('notify_change'));
  edit(
    'xattr: drop the break from __vfs_setxattr_locked',
    'fs/xattr.c',
    '__vfs_setxattr_locked',
    zero('try_break_deleg'),
  );
  edit('utimes: comment vfs_utimes', 'fs/utimes.c', 'vfs_utimes', comment('notify_change'));
  files['fs/namei.c'] = original('fs/namei.c');
  out.push({ subject: 'vfs: restore vfs_unlink and vfs_link', files: { 'fs/namei.c': files['fs/namei.c'] } });
  files['fs/xattr.c'] = original('fs/xattr.c');
  out.push({ subject: 'xattr: restore the break', files: { 'fs/xattr.c': files['fs/xattr.c'] } });
  edit('vfs: drop the target break from vfs_rename', 'fs/namei.c', 'vfs_rename', zero('try_break_deleg', 1));
  out.push({
    subject: 'fs: add a helper file',
    files: { 'fs/helper.c': '#include <linux/fs.h>\n\nint helper_count;\n' },
  });
  return out;
}

async function main(): Promise<void> {
  const analyzer = await Analyzer.create(nodeWasmSource());
  // The base tree is the whole v6.12 corpus tree (copied to a scratch directory, never into the project).
  const s = makeSeries(
    Object.fromEntries(
      ['fs/namei.c', 'fs/attr.c', 'fs/open.c', 'fs/xattr.c', 'fs/utimes.c'].map((p) => [
        p,
        readFileSync(join(CORPUS, VERSION, p), 'utf8'),
      ]),
    ),
    steps(analyzer),
    { cover: true },
  );
  cpSync(join(CORPUS, VERSION), s.tree, { recursive: true });
  try {
    const tree = new DirectoryTree(s.tree);
    const sources = await tree.listSources();
    const text = readFileSync(s.mbox, 'utf8');
    let t = performance.now();
    const input = await readPatchInput(text, s.mbox);
    const readMs = performance.now() - t;
    const mails: PatchMail[] = input.patches;
    console.log(
      `series: ${mails.length} patches (+ ${input.skipped.length} skipped), ${(text.length / 1024).toFixed(0)} KB mbox; tree: ${VERSION} corpus, ${sources.paths.length} C files`,
    );
    console.log(`read and parse the mbox: ${readMs.toFixed(1)} ms`);
    // Warm-up (JIT, parser).
    await reviewSeries(analyzer, tree, mails.slice(0, 1), { follow: false });
    const figures: Record<string, number[]> = { follow: [], noFollow: [] };
    let last: SeriesReview | null = null;
    for (let r = 0; r < RUNS; r++) {
      t = performance.now();
      last = await reviewSeries(analyzer, tree, mails, {});
      figures.follow.push(performance.now() - t);
      t = performance.now();
      await reviewSeries(analyzer, tree, mails, { follow: false });
      figures.noFollow.push(performance.now() - t);
    }
    const touched = ['fs/namei.c', 'fs/attr.c', 'fs/open.c', 'fs/xattr.c', 'fs/utimes.c'];
    const checks: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      t = performance.now();
      for (const p of touched) analyzer.check(p, readFileSync(join(s.tree, p), 'utf8'));
      checks.push(performance.now() - t);
    }
    console.log(
      `review, following contracts into the tree: ${median(figures.follow).toFixed(0)} ms (median of ${RUNS}; ${last!.stats.analyses} file analyses)`,
    );
    console.log(`review, changed files only (--no-follow):  ${median(figures.noFollow).toFixed(0)} ms`);
    console.log(`for scale, vfslock check of the 5 touched files once: ${median(checks).toFixed(0)} ms`);
    console.log('per patch (last run):');
    for (const p of last!.patches) {
      console.log(
        `  ${String(p.index).padStart(2)} ${p.ms.toFixed(0).padStart(6)} ms  ${p.introduced.length} introduced, ${p.fixed.length} fixed, ${p.remaining.length} remaining  ${p.subject}`,
      );
    }
  } finally {
    s.cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
