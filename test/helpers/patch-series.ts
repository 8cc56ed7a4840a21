/**
 * Patch series made at test time: corpus files (read in place) are edited in memory, committed in a scratch git
 * repository under os.tmpdir(), and turned into real `git format-patch` files and an mbox (with a cover letter).
 * Nothing is written into the project.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Analyzer } from '../../src/core/engine';
import { findFunctions } from '../../src/core/parse/units';

export interface Step {
  subject: string;
  body?: string;
  /** New text per path (null deletes the file). */
  files?: Record<string, string | null>;
  /** Renames done with `git mv` before the file edits. */
  renames?: [string, string][];
}

export interface Series {
  /** The base tree (a directory with the base files). */
  tree: string;
  /** `git format-patch` files, cover letter first when asked for. */
  patches: string[];
  /** The same series as one mbox (`git format-patch --stdout`). */
  mbox: string;
  dir: string;
  cleanup(): void;
}

const ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.org',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.org',
  GIT_AUTHOR_DATE: '2013-09-01T12:00:00Z',
  GIT_COMMITTER_DATE: '2013-09-01T12:00:00Z',
};

export function git(cwd: string, args: string[]): string {
  const r = spawnSync('git', args, { cwd, env: ENV, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function writeTree(root: string, files: Record<string, string>): void {
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), t);
  }
}

export function makeSeries(base: Record<string, string>, steps: Step[], opts: { cover?: boolean } = {}): Series {
  const dir = mkdtempSync(join(tmpdir(), 'vfslock-review-'));
  const repo = join(dir, 'repo');
  const tree = join(dir, 'tree');
  mkdirSync(repo);
  writeTree(repo, base);
  writeTree(tree, base);
  git(repo, ['init', '-q', '-b', 'main']);
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-q', '-m', 'base']);
  const first = git(repo, ['rev-parse', 'HEAD']).trim();
  for (const s of steps) {
    for (const [from, to] of s.renames ?? []) {
      mkdirSync(dirname(join(repo, to)), { recursive: true });
      git(repo, ['mv', from, to]);
    }
    for (const [p, t] of Object.entries(s.files ?? {})) {
      if (t === null) rmSync(join(repo, p));
      else writeTree(repo, { [p]: t });
    }
    git(repo, ['add', '-A']);
    git(repo, ['commit', '-q', '-m', s.subject + (s.body ? `\n\n${s.body}` : '')]);
  }
  const out = join(dir, 'out');
  const cover = opts.cover ? ['--cover-letter'] : [];
  git(repo, ['format-patch', '-q', '-M', ...cover, '-o', out, `${first}..HEAD`]);
  const mbox = join(dir, 'series.mbox');
  writeFileSync(mbox, git(repo, ['format-patch', '-M', ...cover, '--stdout', `${first}..HEAD`]));
  const patches = readdirSync(out)
    .sort()
    .map((f) => join(out, f));
  return { tree, patches, mbox, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A unified diff of two texts made by `git diff --no-index` (paths a/PATH, b/PATH). */
export function gitDiff(path: string, before: string | null, after: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'vfslock-diff-'));
  try {
    if (before !== null) writeTree(join(dir, 'a'), { [path]: before });
    if (after !== null) writeTree(join(dir, 'b'), { [path]: after });
    const r = spawnSync(
      'git',
      [
        'diff',
        '--no-index',
        '--no-prefix',
        before === null ? '/dev/null' : `a/${path}`,
        after === null ? '/dev/null' : `b/${path}`,
      ],
      { cwd: dir, env: ENV, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
    );
    if (r.status !== 0 && r.status !== 1) throw new Error(`git diff: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The extent of function `name` in `text`, found in the syntax tree. */
export function functionRange(analyzer: Analyzer, text: string, name: string): { start: number; end: number } {
  const tree = analyzer.parser.parse(text);
  try {
    const u = findFunctions(tree.rootNode, text, analyzer.parser.language.types as string[]).find(
      (x) => x.name === name,
    );
    if (!u) throw new Error(`no function ${name}`);
    return { start: u.start, end: u.end };
  } finally {
    tree.delete();
  }
}

/** `into` with each named function replaced by its definition in `from` (a later kernel's version of it). */
export function transplant(analyzer: Analyzer, into: string, from: string, names: string[]): string {
  let out = into;
  for (const n of names) {
    const dst = functionRange(analyzer, out, n);
    const src = functionRange(analyzer, from, n);
    out = out.slice(0, dst.start) + from.slice(src.start, src.end) + out.slice(dst.end);
  }
  return out;
}

export function readText(p: string): string {
  return readFileSync(p, 'utf8');
}
