/**
 * Which tree a review runs against when git is at hand (Node only; see git.ts):
 *  - `--git REV | A..B`: each commit against its parent, read as blobs (no checkout);
 *  - `--base REV`: the patches against REV's tree;
 *  - neither, with --tree in a git repository: b4's `base-commit:` line when the repository has that commit; else the
 *    working tree; and when the first patch does not apply to the working tree (it is already committed there, say),
 *    the commit its `index OLD..NEW` lines name (the newest commit whose files have those pre-image blobs), or at
 *    least the pre-image blobs themselves for the files it changes.
 */
import type { Analyzer } from '../core/engine';
import { applyPatch, ApplyError } from './apply';
import { parseDiff, splitLines, DiffParseError } from './diff';
import { GitError, GitTree, commitDiff, listCommits, readCommit, runGit, type CommitInfo } from './git';
import { PatchInputError, type PatchMail, type SkippedMail } from './mbox';
import type { DirectoryTree } from './node-tree';
import { reviewSeries, type ReviewOptions, type SeriesReview } from './review';
import { OverlayTree, type MentionOptions, type MentionSearch, type TreeReader } from './tree';

export interface Repo {
  top: string;
  prefix: string;
}

/** A commit as a patch mail: its diff against its first parent; the source is the short id, lines count in the diff. */
export function commitMail(info: CommitInfo, diff: string, strip = 1): PatchMail {
  const short = info.id.slice(0, 12);
  let files;
  try {
    files = parseDiff(splitLines(diff), { strip, firstLine: 1 });
  } catch (e) {
    if (e instanceof DiffParseError) throw new PatchInputError(e.message, short, e.patchLine);
    throw e;
  }
  return {
    source: short,
    line: 1,
    subject: info.subject || '(no subject)',
    title: info.subject || '(no subject)',
    tags: { prefix: '', rfc: false },
    from: info.author,
    date: info.date,
    message: info.body,
    files,
    approximateLines: false,
  };
}

/**
 * Reviews the commits `spec` names. Consecutive commits where each is the parent of the next are one series, applied
 * in order to the first one's parent; a commit whose parent is not the one before it starts a new series. Merges are
 * skipped (their change against one parent is a whole branch).
 */
export async function reviewCommits(
  analyzer: Analyzer,
  repo: Repo,
  spec: string,
  options: ReviewOptions,
): Promise<{ review: SeriesReview; mails: PatchMail[] }> {
  const ids = await listCommits(repo.top, spec);
  const skipped: SkippedMail[] = [];
  const runs: { parent: string | null; mails: PatchMail[] }[] = [];
  let last: string | null = null;
  for (const id of ids) {
    const info = await readCommit(repo.top, id);
    if (info.parents.length > 1) {
      skipped.push({ source: id.slice(0, 12), line: 1, subject: info.subject, reason: 'a merge commit' });
      last = null;
      continue;
    }
    const mail = commitMail(info, await commitDiff(repo.top, id));
    const parent = info.parents[0] ?? null;
    if (!mail.files.length)
      skipped.push({ source: mail.source, line: 1, subject: mail.subject, reason: 'no change to files' });
    else if (runs.length && last !== null && parent === last) runs[runs.length - 1].mails.push(mail);
    else runs.push({ parent, mails: [mail] });
    last = id;
  }
  const out: SeriesReview = { tree: '', patches: [], skipped, stats: { ms: 0, analyses: 0 } };
  const labels: string[] = [];
  for (const run of runs) {
    const tree = run.parent ? await GitTree.ofCommit(repo, run.parent) : await GitTree.empty(repo);
    try {
      const r = await reviewSeries(analyzer, tree, run.mails, options);
      for (const p of r.patches) out.patches.push({ ...p, index: out.patches.length + 1 });
      out.stats.ms += r.stats.ms;
      out.stats.analyses += r.stats.analyses;
      labels.push(tree.label);
    } finally {
      tree.close();
    }
  }
  out.tree = labels.length ? labels.join('; ') : repo.top;
  return { review: out, mails: runs.flatMap((r) => r.mails) };
}

/** b4's and `git format-patch --base`'s `base-commit: <id>` line, from the raw input texts. */
export function baseCommitLine(texts: readonly string[]): string | null {
  for (const t of texts) {
    // A header-like trailer line of the mail, not C: `base-commit: 0123abcd...`.
    const m = /^base-commit: ([0-9a-f]{7,64})[ \t]*\r?$/m.exec(t);
    if (m) return m[1];
  }
  return null;
}

/** The working tree with some files read from blobs (the pre-images a patch's index lines name). */
export class PreimageTree implements TreeReader {
  constructor(
    private readonly base: DirectoryTree,
    private readonly blobs: ReadonlyMap<string, string>,
  ) {}

  get label(): string {
    return `${this.base.label} (with ${[...this.blobs.keys()].join(', ')} as the patch's index lines name them)`;
  }

  async read(path: string): Promise<string | null> {
    return this.blobs.has(path) ? this.blobs.get(path)! : this.base.read(path);
  }

  async isDirectory(path: string): Promise<boolean> {
    return !this.blobs.has(path) && this.base.isDirectory(path);
  }

  listSources(): Promise<{ paths: string[]; truncated: boolean }> {
    return this.base.listSources();
  }

  filesMentioning(names: readonly string[], options?: MentionOptions): Promise<MentionSearch> {
    return this.base.filesMentioning(names, options);
  }
}

async function applies(tree: TreeReader, mail: PatchMail): Promise<boolean> {
  try {
    await applyPatch(new OverlayTree(tree), mail.files);
    return true;
  } catch (e) {
    if (e instanceof ApplyError) return false;
    throw e;
  }
}

export interface ChosenBase {
  tree: TreeReader;
  /** Why this tree, for the first patch's notes; none for the working tree itself. */
  note?: string;
  close(): void;
}

/** Commits whose state of the patched files is checked against the index lines, at most. */
const MAX_BASE_CANDIDATES = 200;

/**
 * The tree to review `mails` against when --tree is the working tree of a git repository and no --base is given
 * (see the file comment). `texts` are the raw inputs (for `base-commit:`).
 */
export async function chooseBase(
  dir: DirectoryTree,
  repo: Repo,
  texts: readonly string[],
  mails: readonly PatchMail[],
): Promise<ChosenBase> {
  const plain: ChosenBase = { tree: dir, close: () => undefined };
  const head = await GitTree.open(dir.root, 'HEAD').catch((e) => {
    if (e instanceof GitError) return null; // no commit yet
    throw e;
  });
  if (!head) return plain;
  const done = (tree: GitTree, note: string): ChosenBase => ({ tree, note, close: () => tree.close() });
  try {
    const base = baseCommitLine(texts);
    if (base) {
      const id = await head.commitId(base);
      if (id)
        return done(await GitTree.ofCommit(repo, id), `reviewed against ${id.slice(0, 12)}, the series' base-commit`);
    }
    const missing = base ? `base-commit ${base} is not in the repository; ` : '';
    const first = mails.find((m) => m.files.length);
    if (!first || (await applies(dir, first)))
      return { ...plain, note: missing ? `${missing}reviewed against the working tree` : undefined };
    const wanted = first.files
      .filter((f) => f.oldPath !== null && f.oldId && !/^0+$/.test(f.oldId))
      .map((f) => ({ path: f.oldPath!, id: f.oldId! }));
    if (!wanted.length || wanted.length < first.files.filter((f) => f.oldPath !== null).length) return plain;
    // The state of these files changes only at commits that touch them: HEAD, then just before each such commit.
    const r = await runGit(
      repo.top,
      [
        '--literal-pathspecs',
        'rev-list',
        `--max-count=${MAX_BASE_CANDIDATES}`,
        'HEAD',
        '--',
        ...wanted.map((w) => repo.prefix + w.path),
      ],
      { ok: [0, 128] },
    );
    const touching = r.stdout
      .toString('utf8')
      .split('\n')
      .filter((l) => /^[0-9a-f]{40,64}$/.test(l));
    for (const c of ['HEAD', ...touching.map((t) => `${t}^`)]) {
      let all = true;
      for (const w of wanted) {
        const id = await head.idAt(c, repo.prefix + w.path);
        if (!id || !id.startsWith(w.id)) {
          all = false;
          break;
        }
      }
      if (!all) continue;
      const id = await head.commitId(c);
      if (!id) continue;
      const tree = await GitTree.ofCommit(repo, id);
      if (await applies(tree, first))
        return done(
          tree,
          `${missing}reviewed against ${id.slice(0, 12)}, the commit the patch's index lines name (it does not apply to the working tree)`,
        );
      tree.close();
    }
    // No commit has them all: the pre-image blobs themselves, if the repository has them.
    const blobs = new Map<string, string>();
    for (const w of wanted) {
      const id = await head.blob(w.id);
      if (!id) return plain;
      blobs.set(w.path, await head.readBlob(id, w.path));
    }
    const tree = new PreimageTree(dir, blobs);
    if (!(await applies(tree, first))) return plain;
    return {
      tree,
      note: `${missing}${[...blobs.keys()].join(', ')} read from the blobs the patch's index lines name (it does not apply to the working tree)`,
      close: () => undefined,
    };
  } finally {
    head.close();
  }
}
