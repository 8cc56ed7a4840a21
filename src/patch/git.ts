/**
 * The user's `git`, for `vfslock review --git` and `--base` (Node only: the CLI, tests, benchmarks). Nothing is
 * checked out and nothing in the repository changes: files are read as blobs of a commit (`git cat-file`), commits
 * as their raw objects and their diffs (`git diff-tree`), and callers are found with `git grep`.
 *
 * git is always spawned with an argument array (never a shell), with revisions validated and put after
 * `--end-of-options`, every output bounded, and `core.fsmonitor` off (a repository's own config could otherwise name
 * a program to run). Blobs are read only when they are no larger than the analyzer accepts.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { MAX_FILE_BYTES } from '../core/engine';
import { amount } from '../core/node-read';
import { escapeForTerminal } from '../core/text/escape';
import { mentionsAny, SOURCE_FILE, TreeError, type MentionOptions, type MentionSearch, type TreeReader } from './tree';

/** git failed, is missing, or said something we cannot use. The message is one sentence for the user. */
export class GitError extends Error {}

/** Bytes of output one git command may produce before it is stopped (a kernel tree's file list is ~4 MB). */
export const MAX_GIT_OUTPUT = 64 * 1024 * 1024;

/** Variables that would point git at another repository or index than the one asked for. */
const REPO_VARS = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
];

function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_PAGER: 'cat',
    PAGER: 'cat',
    GIT_OPTIONAL_LOCKS: '0',
  };
  for (const k of REPO_VARS) delete env[k];
  return env;
}

/** Options before every command: no pager, no fsmonitor hook, no replace objects surprises. */
const PRE = ['--no-pager', '-c', 'core.fsmonitor=false', '-c', 'core.quotePath=false'];

export interface RunResult {
  stdout: Buffer;
  stderr: string;
  code: number;
}

/**
 * Runs `git ARGS` in `cwd`. Rejects with GitError when git cannot be started, when its output passes `maxBytes`
 * (the process is killed), or when it exits with a code not in `ok` (default: 0).
 */
export function runGit(
  cwd: string,
  args: string[],
  opts: { maxBytes?: number; ok?: number[] } = {},
): Promise<RunResult> {
  const max = opts.maxBytes ?? MAX_GIT_OUTPUT;
  const ok = opts.ok ?? [0];
  return new Promise((resolve, reject) => {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn('git', [...PRE, ...args], {
        cwd,
        env: gitEnv(),
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (e) {
      reject(new GitError(`cannot run git: ${(e as Error).message}`));
      return;
    }
    child.stdin.end();
    const chunks: Buffer[] = [];
    let size = 0;
    let err = '';
    let over = false;
    child.stdout.on('data', (b: Buffer) => {
      if (over) return;
      size += b.length;
      if (size > max) {
        over = true;
        child.kill('SIGKILL');
        return;
      }
      chunks.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 4096) err += b.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(
        new GitError(
          e.code === 'ENOENT'
            ? 'git is not installed or not on PATH: --git and --base need it'
            : `cannot run git: ${e.message}`,
        ),
      );
    });
    child.on('close', (code) => {
      const what = `git ${args
        .filter((a) => !a.startsWith('-'))
        .slice(0, 1)
        .join(' ')}`;
      if (over) return reject(new GitError(`${what} produced more than ${amount(max)} of output: stopped`));
      const c = code ?? -1;
      if (!ok.includes(c))
        return reject(new GitError(`${what} failed: ${escapeForTerminal(firstLine(err) || `exit status ${c}`)}`));
      resolve({ stdout: Buffer.concat(chunks, Math.min(size, max)), stderr: err, code: c });
    });
  });
}

function firstLine(s: string): string {
  return (
    s
      .split('\n')
      .map((l) => l.replace(/^(fatal|error): /, '').trim())
      .find((l) => l) ?? ''
  );
}

/**
 * A revision as given on the command line: refused when it could be read as an option (`-x`, `--output=...`), is
 * empty, or holds a control character or a space (no revision git accepts does). It still goes after
 * `--end-of-options` as well.
 */
export function checkRevision(rev: string, what = 'revision'): string | null {
  if (rev === '') return `the ${what} is empty`;
  if (rev.startsWith('-'))
    return `the ${what} '${escapeForTerminal(rev.slice(0, 60))}' starts with '-': not a revision (it would be read as an option)`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f]/.test(rev))
    return `the ${what} ${JSON.stringify(rev.slice(0, 60))} holds a space or a control character: not a revision`;
  return null;
}

/** The repository holding `dir`: its top level and the path of `dir` inside it (`''` at the top, else `sub/dir/`). */
export async function gitRepository(dir: string): Promise<{ top: string; prefix: string } | null> {
  try {
    const r = await runGit(dir, ['rev-parse', '--is-inside-work-tree', '--show-toplevel', '--show-prefix'], {
      maxBytes: 65536,
    });
    const [inside, top, prefix] = r.stdout.toString('utf8').split('\n');
    if (inside !== 'true' || !top) return null;
    return { top, prefix: prefix ?? '' };
  } catch {
    return null;
  }
}

/** The full object id of `rev` peeled to `type`, or null when there is no such object. */
export async function resolveRevision(
  dir: string,
  rev: string,
  type: 'commit' | 'tree' = 'commit',
): Promise<string | null> {
  const bad = checkRevision(rev);
  if (bad) throw new GitError(bad);
  const r = await runGit(dir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{${type}}`], {
    maxBytes: 4096,
    ok: [0, 1, 128],
  });
  const id = r.stdout.toString('utf8').trim();
  return r.code === 0 && /^[0-9a-f]{40,64}$/.test(id) ? id : null;
}

/** A commit object, parsed. */
export interface CommitInfo {
  id: string;
  tree: string;
  parents: string[];
  author: string;
  /** RFC 2822 date of authorship. */
  date: string;
  subject: string;
  /** The message without its subject line. */
  body: string;
}

/** Reads a commit through `git cat-file commit` (the raw object: no config, no formatting options). */
export async function readCommit(dir: string, id: string): Promise<CommitInfo> {
  const r = await runGit(dir, ['cat-file', 'commit', id], { maxBytes: 16 * 1024 * 1024 });
  const text = r.stdout.toString('utf8');
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text : text.slice(0, end);
  const message = end < 0 ? '' : text.slice(end + 2);
  const info: CommitInfo = { id, tree: '', parents: [], author: '', date: '', subject: '', body: '' };
  for (const line of head.split('\n')) {
    if (line.startsWith(' ')) continue; // a continuation (gpgsig, mergetag)
    const sp = line.indexOf(' ');
    const key = line.slice(0, sp);
    const value = line.slice(sp + 1);
    if (key === 'tree') info.tree = value;
    else if (key === 'parent') info.parents.push(value);
    else if (key === 'author') {
      const m = /^(.*?) ?<([^>]*)> (\d+) ([+-]\d{4})$/.exec(value);
      if (m) {
        info.author = m[1] ? `${m[1]} <${m[2]}>` : m[2];
        info.date = rfc2822(+m[3], m[4]);
      } else info.author = value;
    }
  }
  const lines = message.split('\n');
  // The subject is the first paragraph, joined (as git log's %s does).
  let i = 0;
  while (i < lines.length && lines[i].trim() === '') i++;
  const subj: string[] = [];
  for (; i < lines.length && lines[i].trim() !== ''; i++) subj.push(lines[i].trim());
  info.subject = subj.join(' ');
  info.body = lines.slice(i).join('\n').trim();
  return info;
}

function rfc2822(seconds: number, zone: string): string {
  const sign = zone[0] === '-' ? -1 : 1;
  const offset = sign * (+zone.slice(1, 3) * 60 + +zone.slice(3, 5));
  const d = new Date((seconds + offset * 60) * 1000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${zone}`;
}

/**
 * The commits `spec` names, oldest first: one commit (`rev`), or a range (`A..B`, as `git rev-list --reverse A..B`).
 * At most `max`; a longer range is refused rather than reviewed in part.
 */
export async function listCommits(dir: string, spec: string, max = 1000): Promise<string[]> {
  const range = spec.includes('..');
  for (const part of range ? spec.split(/\.{2,3}/) : [spec]) {
    const bad = part === '' ? null : checkRevision(part);
    if (bad) throw new GitError(bad);
  }
  const bad = checkRevision(spec);
  if (bad) throw new GitError(bad);
  if (!range) {
    const id = await resolveRevision(dir, spec);
    if (!id)
      throw new GitError(`'${escapeForTerminal(spec)}' is not a commit of the repository at ${escapeForTerminal(dir)}`);
    return [id];
  }
  const r = await runGit(dir, ['rev-list', '--reverse', `--max-count=${max + 1}`, '--end-of-options', spec], {
    maxBytes: 16 * 1024 * 1024,
    ok: [0, 128, 129],
  });
  if (r.code !== 0)
    throw new GitError(
      `'${escapeForTerminal(spec)}' is not a range of commits of the repository at ${escapeForTerminal(dir)}: ${escapeForTerminal(firstLine(r.stderr))}`,
    );
  const ids = r.stdout
    .toString('utf8')
    .split('\n')
    .filter((l) => l);
  if (ids.length > max)
    throw new GitError(`'${escapeForTerminal(spec)}' holds more than ${max} commits: review a shorter range`);
  return ids;
}

/**
 * A commit's change as a unified diff against its first parent (or against nothing, for a root commit): plumbing
 * only, so no user diff settings (external diff, textconv, colour, prefixes) change it. Renames are detected.
 */
export async function commitDiff(dir: string, id: string): Promise<string> {
  const r = await runGit(dir, [
    'diff-tree',
    '-p',
    '--root',
    '-M',
    '--no-commit-id',
    '--full-index',
    '--no-color',
    '--no-ext-diff',
    '--no-textconv',
    '--ignore-submodules',
    '--src-prefix=a/',
    '--dst-prefix=b/',
    id,
    '--',
  ]);
  return r.stdout.toString('utf8');
}

/**
 * One long-running `git cat-file --batch-command`: `info` (type and size) first, `contents` only for a blob within
 * the size limit, so a huge blob is never sent. Requests are answered in order.
 */
class CatFile {
  private child: ChildProcessWithoutNullStreams | null = null;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private wake: (() => void) | null = null;
  private failed: Error | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly cwd: string) {}

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn('git', [...PRE, 'cat-file', '--batch-command'], {
      cwd: this.cwd,
      env: gitEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      this.chunks.push(b);
      this.buffered += b.length;
      this.wake?.();
    });
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 4096) err += b.toString('utf8');
    });
    const fail = (e: Error) => {
      this.failed ??= e;
      this.wake?.();
    };
    child.on('error', (e: NodeJS.ErrnoException) =>
      fail(new GitError(e.code === 'ENOENT' ? 'git is not installed or not on PATH' : `cannot run git: ${e.message}`)),
    );
    child.on('close', (code) =>
      fail(new GitError(`git cat-file stopped (exit status ${code}): ${escapeForTerminal(firstLine(err))}`)),
    );
    child.stdin.on('error', () => undefined);
    this.child = child;
    return child;
  }

  close(): void {
    if (!this.child) return;
    this.child.stdin.end();
    this.child.removeAllListeners('close');
    this.child.on('close', () => undefined);
    this.child = null;
  }

  private async take(n: number): Promise<Buffer> {
    while (this.buffered < n) {
      if (this.failed) throw this.failed;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.buffered = all.length - n;
    return all.subarray(0, n);
  }

  private async line(): Promise<string> {
    for (;;) {
      for (let k = 0, seen = 0; k < this.chunks.length; seen += this.chunks[k].length, k++) {
        const i = this.chunks[k].indexOf(10);
        if (i >= 0) {
          const b = await this.take(seen + i + 1);
          return b.subarray(0, b.length - 1).toString('utf8');
        }
      }
      if (this.buffered > 65536) throw new GitError('git cat-file sent a header line longer than 64 KB');
      if (this.failed) throw this.failed;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }

  /** Type and size of an object name, or null when it does not exist. */
  info(name: string): Promise<{ id: string; type: string; size: number } | null> {
    return this.serial(async () => {
      this.start().stdin.write(`info ${name}\n`);
      const l = await this.line();
      const m = /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(l);
      if (m) return { id: m[1], type: m[2], size: +m[3] };
      if (l.endsWith(' missing') || l.endsWith(' ambiguous')) return null;
      throw new GitError(`git cat-file answered '${escapeForTerminal(l.slice(0, 80))}'`);
    });
  }

  /** The bytes of a blob already known to exist, with its size checked. */
  contents(id: string, size: number): Promise<Buffer> {
    return this.serial(async () => {
      this.start().stdin.write(`contents ${id}\n`);
      const l = await this.line();
      const m = /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(l);
      if (!m || +m[3] !== size)
        throw new GitError(`git cat-file answered '${escapeForTerminal(l.slice(0, 80))}' for ${id}`);
      const b = await this.take(size + 1);
      return b.subarray(0, size);
    });
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.queue.then(f, f);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** Object names for cat-file's line protocol: a path with a newline cannot be asked for. */
function objectPath(path: string): string {
  if (path.includes('\n') || path.includes('\0'))
    throw new TreeError(
      `${JSON.stringify(path)}: a file name with a newline or NUL byte cannot be read from git`,
      path,
    );
  return path;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

interface GrepWhere {
  /** A tree object to search; none: the working tree. */
  treeish?: string;
  /** With the working tree: untracked (not ignored) files too. */
  untracked?: boolean;
  /** These paths only (literal), instead of every `*.c` and `*.h`. */
  paths?: string[];
}

/**
 * Word search with `git grep -lwF` in a tree object or in the working tree (names that are not C identifiers are
 * dropped). With `definitions`, the files found are read (`read`, size-checked; a refused file is left out) and kept
 * only where definitionShaped holds: a regular expression for that in `git grep -E` takes 10 times as long.

 * `found`: the files, already searched for (then `where` is not used).
 */
async function gitGrep(
  cwd: string,
  allNames: readonly string[],
  where: GrepWhere,
  maxFiles: number,
  options: MentionOptions,
  read: (p: string) => Promise<string | null>,
  found?: string[],
): Promise<{ paths: string[]; truncated: boolean }> {
  const names = allNames.filter((n) => IDENTIFIER.test(n));
  let paths = found ?? (await grepFiles(cwd, names, where));
  paths.sort();
  const truncated = paths.length > maxFiles;
  if (truncated) paths = paths.slice(0, maxFiles);
  if (options.definitions) {
    const keep: string[] = [];
    for (const p of paths) {
      let text: string | null;
      try {
        text = await read(p);
      } catch (e) {
        if (e instanceof TreeError) continue;
        throw e;
      }
      if (text !== null && mentionsAny(text, names, options)) keep.push(p);
    }
    paths = keep;
  }
  return { paths, truncated };
}

async function grepFiles(cwd: string, names: readonly string[], where: GrepWhere): Promise<string[]> {
  if (!names.length || (where.paths && !where.paths.length)) return [];
  const args = [
    ...(where.paths ? ['--literal-pathspecs'] : []),
    'grep',
    '-l',
    '-z',
    '-I',
    '-w',
    '-F',
    '--no-color',
    '--no-textconv',
  ];
  if (!where.treeish && where.untracked) args.push('--untracked');
  for (const n of names) args.push('-e', n);
  if (where.treeish) args.push(where.treeish);
  args.push('--', ...(where.paths ?? ['*.c', '*.h']));
  const r = await runGit(cwd, args, { ok: [0, 1] });
  const strip = where.treeish ? where.treeish.length + 1 : 0;
  return r.stdout
    .toString('utf8')
    .split('\0')
    .filter((p) => p)
    .map((p) => p.slice(strip))
    .filter((p) => SOURCE_FILE.test(p));
}

/** Files whose difference from the working tree is larger than this make the tree's own grep the cheaper one. */
const MAX_WORKTREE_DIFF = 4000;

/**
 * The C files that differ between tree `treeId` and the working tree of the repository at `top` (either way), or
 * null when there is no usable working tree or they are too many.
 */
async function worktreeDiff(top: string, treeId: string): Promise<string[] | null> {
  try {
    const r = await runGit(
      top,
      [
        'diff',
        '--name-only',
        '-z',
        '--no-renames',
        '--ignore-submodules',
        '--no-ext-diff',
        '--no-textconv',
        treeId,
        '--',
      ],
      { maxBytes: 16 * 1024 * 1024 },
    );
    const all = r.stdout
      .toString('utf8')
      .split('\0')
      .filter((p) => p);
    if (all.length > MAX_WORKTREE_DIFF) return null;
    return all.filter((p) => SOURCE_FILE.test(p));
  } catch (e) {
    if (e instanceof GitError) return null;
    throw e;
  }
}

/** Files `git grep` may return for one search (a name such as `dput` is in thousands of files). */
export const MAX_MENTION_FILES = 5000;

/**
 * The tree of a commit, read through git: `read` returns a blob's text, `listSources` is `git ls-tree`, and
 * `filesMentioning` is `git grep` on the tree object. `prefix` (`sub/dir/`) makes paths relative to a subdirectory.
 */
export class GitTree implements TreeReader {
  private readonly cat: CatFile;
  readonly label: string;
  /** Set for the whole tree of a commit: files unchanged in the working tree are searched there (see filesMentioning). */
  private diff: Promise<string[] | null> | undefined;
  private useWorktree = false;

  private constructor(
    readonly repo: string,
    readonly treeId: string,
    label: string,
    private readonly cwd: string,
  ) {
    this.cat = new CatFile(cwd);
    this.label = label;
  }

  /** The tree of `rev` (any commit-ish) in the repository holding `dir`, with paths relative to `dir`. */
  static async open(dir: string, rev: string): Promise<GitTree> {
    const repo = await gitRepository(dir);
    if (!repo) throw new GitError(`${escapeForTerminal(dir)} is not inside a git repository`);
    const commit = await resolveRevision(dir, rev);
    if (!commit)
      throw new GitError(
        `'${escapeForTerminal(rev)}' is not a commit of the repository at ${escapeForTerminal(repo.top)}`,
      );
    return GitTree.ofCommit(repo, commit);
  }

  /** The tree of a commit id already resolved, with paths relative to `repo.prefix`. */
  static async ofCommit(repo: { top: string; prefix: string }, commit: string): Promise<GitTree> {
    const r = await runGit(
      repo.top,
      ['rev-parse', '--verify', '--quiet', '--end-of-options', `${commit}:${repo.prefix}`],
      { maxBytes: 4096, ok: [0, 1, 128] },
    );
    const tree = r.stdout.toString('utf8').trim();
    if (r.code !== 0 || !/^[0-9a-f]{40,64}$/.test(tree))
      throw new GitError(`${escapeForTerminal(repo.prefix || '/')} does not exist in commit ${commit.slice(0, 12)}`);
    const t = new GitTree(repo.top, tree, `${repoLabel(repo)} at ${commit.slice(0, 12)}`, repo.top);
    t.useWorktree = repo.prefix === '';
    return t;
  }

  /** The empty tree (the base of a root commit). */
  static async empty(repo: { top: string; prefix: string }): Promise<GitTree> {
    const r = await runGit(repo.top, ['hash-object', '-t', 'tree', '--stdin']);
    return new GitTree(repo.top, r.stdout.toString('utf8').trim(), `${repoLabel(repo)} (empty tree)`, repo.top);
  }

  close(): void {
    this.cat.close();
  }

  async read(path: string): Promise<string | null> {
    const info = await this.cat.info(`${this.treeId}:${objectPath(path)}`);
    if (!info || info.type !== 'blob') return null;
    if (info.size > MAX_FILE_BYTES)
      throw new TreeError(
        `${path}: file is too large (${amount(info.size)}; the limit is ${amount(MAX_FILE_BYTES)}): not read (in ${this.label})`,
        path,
      );
    let text = new TextDecoder('utf-8').decode(await this.cat.contents(info.id, info.size));
    if (text.charCodeAt(0) === 0xfeff) text = ' ' + text.slice(1);
    return text;
  }

  async isDirectory(path: string): Promise<boolean> {
    const info = await this.cat.info(`${this.treeId}:${objectPath(path)}`);
    return info?.type === 'tree';
  }

  /** The full id of the commit `rev` names (a revision expression), or null. */
  async commitId(rev: string): Promise<string | null> {
    if (checkRevision(rev)) return null;
    const info = await this.cat.info(`${rev}^{commit}`);
    return info?.type === 'commit' ? info.id : null;
  }

  /** Whether a blob id (full or abbreviated) exists in the repository. Full id, or null. */
  async blob(id: string): Promise<string | null> {
    if (!/^[0-9a-f]{4,64}$/.test(id)) return null;
    const info = await this.cat.info(id);
    return info?.type === 'blob' ? info.id : null;
  }

  /** Text of a blob by id (size-checked as read() is). */
  async readBlob(id: string, path: string): Promise<string> {
    const info = await this.cat.info(id);
    if (!info || info.type !== 'blob') throw new TreeError(`${path}: blob ${id} is not in the repository`, path);
    if (info.size > MAX_FILE_BYTES)
      throw new TreeError(
        `${path}: blob ${id} is too large (${amount(info.size)}; the limit is ${amount(MAX_FILE_BYTES)}): not read`,
        path,
      );
    return new TextDecoder('utf-8').decode(await this.cat.contents(info.id, info.size));
  }

  /** The object id of `path` in `commit` (another commit of the same repository), or null. */
  async idAt(commit: string, path: string): Promise<string | null> {
    const info = await this.cat.info(`${commit}:${objectPath(path)}`);
    return info?.id ?? null;
  }

  async listSources(): Promise<{ paths: string[]; truncated: boolean }> {
    const r = await runGit(this.cwd, ['ls-tree', '-r', '-z', '--name-only', this.treeId]);
    const paths = r.stdout
      .toString('utf8')
      .split('\0')
      .filter((p) => SOURCE_FILE.test(p));
    return { paths: paths.sort(), truncated: false };
  }

  async filesMentioning(names: readonly string[], options: MentionOptions = {}): Promise<MentionSearch> {
    // `git grep TREE` inflates every blob (about 3.5 s of CPU for a 6.12 tree). When the working tree is close to
    // this tree (reviewing HEAD or HEAD~3 in a checkout), files it has unchanged are searched there (page cache, no
    // inflating, several threads) and only the differing ones in the tree.
    if (this.useWorktree) {
      this.diff ??= worktreeDiff(this.cwd, this.treeId);
      const differ = await this.diff;
      if (differ) {
        const changed = new Set(differ);
        const [inWorktree, inTree] = await Promise.all([
          grepFiles(
            this.cwd,
            names.filter((n) => IDENTIFIER.test(n)),
            {},
          ),
          grepFiles(
            this.cwd,
            names.filter((n) => IDENTIFIER.test(n)),
            { treeish: this.treeId, paths: differ },
          ),
        ]);
        const found = [...inWorktree.filter((p) => !changed.has(p)), ...inTree];
        const r = await gitGrep(this.cwd, names, { paths: [] }, MAX_MENTION_FILES, options, (p) => this.read(p), found);
        return { ...r, how: 'git grep' };
      }
    }
    const r = await gitGrep(this.cwd, names, { treeish: this.treeId }, MAX_MENTION_FILES, options, (p) => this.read(p));
    return { ...r, how: 'git grep' };
  }
}

function repoLabel(repo: { top: string; prefix: string }): string {
  return repo.top + (repo.prefix ? '/' + repo.prefix.replace(/\/$/, '') : '');
}

/** `git grep` over the working tree of the repository holding `dir` (tracked and untracked, not ignored, files). */
export async function worktreeMentioning(
  dir: string,
  names: readonly string[],
  options: MentionOptions,
  read: (p: string) => Promise<string | null>,
): Promise<MentionSearch> {
  const r = await gitGrep(dir, names, { untracked: true }, MAX_MENTION_FILES, options, read);
  return { ...r, how: 'git grep' };
}
