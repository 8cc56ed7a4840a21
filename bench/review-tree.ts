/**
 * `npm run bench:review-tree`: `vfslock review` of a small patch touching `vfs_unlink` (it drops the delegation break,
 * three lines) against a whole Debian kernel tree, as a user runs it: the built CLI in a child process, its wall
 * time and peak RSS from `/usr/bin/time -f '%e %M'`.
 *
 *  - `--tree DIR PATCH`: the extracted tree as a directory (callers and callees found by the streaming walk);
 *  - `--git HEAD`: the same tree committed once into a git repository in the benchmark's cache, with the patch as
 *    HEAD, checked out as a reviewer's kernel tree is (vfslock reads the commits as blobs; `git grep` searches the
 *    files the working tree has unchanged there, the others in the parent commit's tree).
 *
 * Trees: every linux-source-* tree found by bench/linux-source.ts (VFSLOCK_LINUX_SRC to choose). The cache is
 * $VFSLOCK_BENCH_CACHE or ~/.cache/vfslock-bench/review-tree; building a tree's repository takes a minute or two,
 * once. Prints figures (median time, largest RSS of BENCH_RUNS runs, default 3) and the target; asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { linuxTrees } from './linux-source';
import { median } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CACHE = process.env.VFSLOCK_BENCH_CACHE ?? join(homedir(), '.cache', 'vfslock-bench', 'review-tree');
const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const TARGET = { seconds: 5, mb: 400 };

/** The lines the patch removes from vfs_unlink (the same in 6.1 and 6.12). */
const BREAK = '\t\t\terror = try_break_deleg(target, delegated_inode);\n\t\t\tif (error)\n\t\t\t\tgoto out;\n';

const GIT_ENV = {
  ...process.env,
  // No automatic gc in the background while the benchmark reads the repository (it is packed once, below).
  GIT_CONFIG_COUNT: '1',
  GIT_CONFIG_KEY_0: 'gc.auto',
  GIT_CONFIG_VALUE_0: '0',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.org',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.org',
  GIT_AUTHOR_DATE: '2025-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2025-01-01T00:00:00Z',
};

function git(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): string {
  const cwd = env.GIT_WORK_TREE ?? process.cwd();
  const r = spawnSync('git', args, {
    cwd,
    env: { ...GIT_ENV, ...env },
    encoding: 'utf8',
    input,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * <cache>/git-VERSION: a repository whose first commit is the tree's C files and Makefiles (added from the tree in
 * place, GIT_WORK_TREE pointing at it) and whose HEAD removes the break from vfs_unlink. Built once.
 */
function repository(tree: string, version: string): { repo: string; patch: string } | null {
  const repo = join(CACHE, `git-${version}`);
  const patch = join(CACHE, `vfs_unlink-${version}.patch`);
  const done = join(repo, '.git', 'vfslock-bench-done');
  if (existsSync(done) && existsSync(patch)) return checkout(repo, patch);
  const namei = readFileSync(join(tree, 'fs', 'namei.c'), 'utf8');
  const at = namei.indexOf(BREAK, namei.indexOf('int vfs_unlink('));
  if (at < 0) return null;
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(repo, { recursive: true });
  git(['init', '-q', repo]);
  const gitDir = join(repo, '.git');
  const env = { GIT_DIR: gitDir, GIT_WORK_TREE: tree, GIT_INDEX_FILE: join(gitDir, 'index') };
  process.stderr.write(`bench: committing ${tree} into ${repo} (once)...\n`);
  const t0 = performance.now();
  git(['add', '-A', '-f', '--', '*.c', '*.h', '*Makefile', '*Kbuild'], env);
  git(['commit', '-q', '-m', `linux ${version}`], env);
  // The patch as a second commit, made with plumbing (no work tree of its own).
  const blob = git(
    ['hash-object', '-w', '--stdin'],
    { GIT_DIR: gitDir },
    namei.slice(0, at) + namei.slice(at + BREAK.length),
  );
  git(['update-index', '--cacheinfo', `100644,${blob},fs/namei.c`], env);
  const treeId = git(['write-tree'], env);
  const commit = git(
    [
      'commit-tree',
      treeId,
      '-p',
      'HEAD',
      '-m',
      'vfs: drop the delegation break from vfs_unlink\n\nA three-line change for the benchmark.',
    ],
    { GIT_DIR: gitDir },
  );
  git(['update-ref', 'HEAD', commit], { GIT_DIR: gitDir });
  // One pack without deltas: quick to make, and reads are mmap'ed rather than one loose file per object.
  git(['repack', '-a', '-d', '-q', '--window=0'], { GIT_DIR: gitDir });
  writeFileSync(patch, git(['format-patch', '-1', '--stdout', 'HEAD'], { GIT_DIR: gitDir }) + '\n');
  writeFileSync(done, '');
  process.stderr.write(`bench: done in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  return checkout(repo, patch);
}

/** HEAD checked out in the repository (as a reviewer's kernel checkout is), once. */
function checkout(repo: string, patch: string): { repo: string; patch: string } {
  const marker = join(repo, '.git', 'vfslock-bench-checkout');
  if (!existsSync(marker)) {
    process.stderr.write(`bench: checking out HEAD in ${repo} (once)...\n`);
    git(['reset', '-q', '--hard', 'HEAD'], { GIT_DIR: join(repo, '.git'), GIT_WORK_TREE: repo });
    writeFileSync(marker, '');
  }
  return { repo, patch };
}

interface Run {
  seconds: number;
  /** User + system CPU seconds (the wall time also counts waiting for git and, on a busy machine, for a core). */
  cpu: number;
  mb: number;
  code: number | null;
  notes: string[];
}

function measure(args: string[]): Run {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M %U %S', process.execPath, CLI, 'review', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const m = /TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`no figures from /usr/bin/time: ${r.stderr.slice(-400)}`);
  const notes = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('NOTE: ') || l.startsWith('ERROR: ') || /^\d+ patch/.test(l));
  return { seconds: +m[1], mb: +m[2] / 1024, cpu: +m[3] + +m[4], code: r.status, notes };
}

function main(): void {
  if (!existsSync('/usr/bin/time')) {
    console.log('bench:review-tree needs /usr/bin/time (Debian package "time")');
    return;
  }
  const trees = linuxTrees();
  if (!trees.length) {
    console.log(
      'bench:review-tree: no linux-source tree found (apt-get install linux-source-6.12, extract it under /usr/src or /work/trees, or set VFSLOCK_LINUX_SRC)',
    );
    return;
  }
  mkdirSync(CACHE, { recursive: true });
  console.log(
    `vfslock review of a 3-line vfs_unlink patch against a whole tree; ${RUNS} run(s) each, median time, largest RSS; target <= ${TARGET.seconds} s and <= ${TARGET.mb} MB`,
  );
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${cpus().length} CPUs`,
  );
  console.log('| tree | mode | wall time | CPU (user+sys) | peak RSS | exit | within target |');
  console.log('|---|---|---:|---:|---:|---:|---|');
  const details: string[] = [];
  for (const t of trees) {
    const made = repository(t.dir, t.version);
    if (!made) {
      console.log(`| ${t.version} | — | no vfs_unlink break to remove in fs/namei.c | | | | |`);
      continue;
    }
    for (const [mode, args] of [
      ['--tree DIR (walk)', ['--tree', t.dir, made.patch]],
      ['--git HEAD (git grep)', ['--tree', made.repo, '--git', 'HEAD']],
    ] as const) {
      const runs: Run[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(measure([...args]));
      const s = median(runs.map((r) => r.seconds));
      const cpu = median(runs.map((r) => r.cpu));
      const mb = Math.max(...runs.map((r) => r.mb));
      const ok = s <= TARGET.seconds && mb <= TARGET.mb;
      console.log(
        `| ${t.version} | ${mode} | ${s.toFixed(2)} s | ${cpu.toFixed(2)} s | ${mb.toFixed(0)} MB | ${runs[0].code} | ${ok ? 'yes' : 'no'} |`,
      );
      details.push(`${t.version} ${mode}:`, ...runs[0].notes.map((n) => `  ${n}`));
    }
  }
  console.log('\n' + details.join('\n'));
}

main();
