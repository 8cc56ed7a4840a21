/**
 * `vfslock review [--format text|json|sarif|reply] [--kernel V] [--rules FILE] [-p N] [--no-follow]
 *                 (--tree DIR PATCH... | [--tree DIR] --base REV PATCH... | [--tree DIR] --git REV|A..B)`
 * PATCH: unified diffs, `git format-patch` files, mbox files (a whole series; the cover letter is skipped), `git log
 * -p` output, or `-` for standard input. Exit status: 0 nothing introduced at error severity, 1 something introduced,
 * 2 usage error, unreadable input, or a patch that does not apply.
 */
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { checkOptions, COMMON_OPTIONS, loadCataloguesFor } from '../options';
import type { Io } from '../io';
import { VERSION } from '../version';
import { REVIEW_OUTPUT_OPTIONS, REVIEW_OUTPUT_USAGE, reviewOutput } from '../../patch/cli-output';
import { readPatchInput, PatchInputError, type PatchMail, type SkippedMail } from '../../patch/mbox';
import { DirectoryTree, isDirectory } from '../../patch/node-tree';
import { reviewSeries, type ReviewOptions, type SeriesReview } from '../../patch/review';
import { TreeError, type TreeReader } from '../../patch/tree';
import { escapeForTerminal } from '../../core/text/escape';
import { toReviewReply } from '../../patch/reply';
import { checkRevision, gitRepository, GitError, GitTree } from '../../patch/git';
import { chooseBase, reviewCommits } from '../../patch/git-base';
import { processAnalyzer } from '../process-analyzer';

export const REVIEW_USAGE = `Usage: vfslock review [--format text|json|sarif|reply] [--kernel auto|3.12|3.13|6.19] [--rules FILE]
                      [-p N] [--no-follow] [--max-callers N] --tree DIR PATCH...
       vfslock review [options] [--tree DIR] --base REV PATCH...
       vfslock review [options] [--tree DIR] --git REV|A..B

Applies the patches in memory, in order, to the tree DIR (nothing on disk changes) and reports, for each patch,
the delegation and locking findings it introduces, fixes, and leaves in the functions it touches. Findings are
matched by rule, function and inode, not by line. Functions whose contract changes (locks taken or required,
delegations broken) are followed into their callers and callees elsewhere in DIR.

PATCH: a unified diff, a git format-patch file, an mbox with a whole series (the cover letter is skipped),
git log -p output, or - for standard input.
  --git REV|A..B review commits of the git repository at DIR (default: the current directory's): one commit
                 against its parent, or each commit of A..B in order; files are read with git, nothing is
                 checked out
  --base REV     apply the patches to the tree of commit REV (read with git) instead of DIR's files
  In a git repository without --base, a series' base-commit: line is honoured when the repository has that
  commit, and a patch that does not apply to the working tree is applied to the commit its index lines name.
  -p N           strip N leading path components (default 1: a/ and b/)
  --no-follow    do not follow changed functions into other files of the tree
  --max-callers  caller files re-analysed per patch (default 12)
  --format reply a mail reply per patch with findings (mbox; nothing for a clean patch), for mutt or
                 git send-email
Exit status: 0 nothing introduced at error severity, 1 something introduced, 2 usage error, unreadable input, or a
patch that does not apply.
${REVIEW_OUTPUT_USAGE}`;

export async function reviewCommand(args: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...COMMON_OPTIONS,
        tree: { type: 'string' },
        git: { type: 'string' },
        base: { type: 'string' },
        strip: { type: 'string', short: 'p', default: '1' },
        follow: { type: 'boolean', default: true },
        'no-follow': { type: 'boolean' },
        'max-callers': { type: 'string' },
        ...REVIEW_OUTPUT_OPTIONS,
      },
    });
  } catch (e) {
    io.err(`vfslock review: ${(e as Error).message}\n${REVIEW_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(REVIEW_USAGE + '\n');
    return 0;
  }
  const usage = (msg: string) => {
    io.err(`vfslock review: ${msg}\n${REVIEW_USAGE}\n`);
    return 2;
  };
  const fail = (msg: string) => {
    io.err(`vfslock review: ${escapeForTerminal(msg)}\n`);
    return 2;
  };
  const format = values.format!;
  if (!['text', 'json', 'sarif', 'reply'].includes(format))
    return usage(`--format must be text, json, sarif or reply (got '${escapeForTerminal(format)}')`);
  const gitMode = values.git !== undefined;
  if (gitMode && values.base !== undefined)
    return usage('--git and --base cannot be combined: --git reviews commits against their parents');
  if (!values.tree && !gitMode && values.base === undefined)
    return usage('--tree DIR is required (the base tree the patches apply to)');
  const treeDir = values.tree ?? '.';
  if (!(await isDirectory(treeDir))) return usage(`--tree ${escapeForTerminal(treeDir)}: not a directory`);
  if (gitMode && positionals.length)
    return usage(`--git takes no PATCH (got ${escapeForTerminal(positionals.join(' '))}): it reviews commits`);
  if (!gitMode && !positionals.length) return usage('no PATCH given');
  for (const [opt, rev] of [
    ['--git', values.git],
    ['--base', values.base],
  ] as const) {
    if (rev === undefined) continue;
    const bad = checkRevision(rev);
    if (bad) return usage(`${opt}: ${bad}`);
  }
  if (!/^\d+$/.test(values.strip!)) return usage(`-p must be a number (got '${escapeForTerminal(values.strip!)}')`);
  const maxCallers = values['max-callers'];
  if (maxCallers !== undefined && !/^\d+$/.test(maxCallers))
    return usage(`--max-callers must be a number (got '${escapeForTerminal(maxCallers)}')`);
  const options = checkOptions(values);
  if (typeof options === 'string') return usage(options);
  const catalogues = loadCataloguesFor('review', values.rules ?? [], io);
  if (!catalogues) return 2;
  const reviewOptions: ReviewOptions = {
    ...options,
    follow: values.follow && !values['no-follow'],
    maxCallerFiles: maxCallers === undefined ? undefined : +maxCallers,
  };

  const repo = gitMode || values.base !== undefined ? await gitRepository(treeDir) : null;
  if ((gitMode || values.base !== undefined) && !repo)
    return fail(`${treeDir} is not inside a git working tree: --git and --base read commits from one`);

  const output = reviewOutput(values, io);
  let review: SeriesReview;
  let mails: PatchMail[] = [];
  let root: string;
  try {
    if (gitMode) {
      const analyzer = await processAnalyzer(catalogues);
      ({ review, mails } = await reviewCommits(analyzer, repo!, values.git!, {
        ...reviewOptions,
        onPatchDone: output.onPatchDone,
      }));
      root = repo!.top + (repo!.prefix ? '/' + repo!.prefix.replace(/\/$/, '') : '');
    } else {
      const skipped: SkippedMail[] = [];
      const texts: string[] = [];
      for (const p of positionals) {
        let text: string;
        try {
          text = p === '-' ? await readStdin() : await readFile(p, 'utf8');
        } catch (e) {
          return fail(`cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        texts.push(text);
        const input = await readPatchInput(text, p === '-' ? '<stdin>' : p, { strip: +values.strip! });
        mails.push(...input.patches);
        skipped.push(...input.skipped);
      }
      if (!mails.length) {
        return fail(
          `no patch found in ${positionals.join(', ')}${skipped.length ? ` (skipped: ${skipped.map((s) => `${s.subject}: ${s.reason}`).join('; ')})` : ''}`,
        );
      }
      const analyzer = await processAnalyzer(catalogues);
      const dir = new DirectoryTree(treeDir);
      root = dir.root;
      let tree: TreeReader = dir;
      let note: string | undefined;
      let close = () => undefined as void;
      if (values.base !== undefined) {
        const g = await GitTree.open(treeDir, values.base);
        [tree, close] = [g, () => g.close()];
      } else {
        const inRepo = await gitRepository(treeDir);
        if (inRepo) ({ tree, note, close } = await chooseBase(dir, inRepo, texts, mails));
      }
      try {
        review = await reviewSeries(
          analyzer,
          tree,
          mails,
          { ...reviewOptions, onPatchDone: output.onPatchDone },
          skipped,
        );
      } finally {
        close();
      }
      if (note && review.patches.length) review.patches[0].notes.unshift(note);
    }
  } catch (e) {
    if (e instanceof PatchInputError) return fail(`${e.source}:${e.line}: ${e.message}`);
    // A file of the tree it will not read (a link out of --tree, a FIFO) outside the patched files themselves.
    if (e instanceof TreeError || e instanceof GitError) return fail(e.message);
    throw e;
  } finally {
    output.done();
  }
  // A reply is written only for a patch with findings, so a clean series prints nothing (as --mailback).
  if (format === 'reply') io.out(toReviewReply(review, mails));
  else output.print(review, VERSION, pathToFileURL(root + '/').href);
  const failed = review.patches.some((p) => p.checked && !p.applied);
  const introduced = review.patches.some((p) => p.introduced.some((f) => f.finding.severity === 'error'));
  return failed ? 2 : introduced && !values['exit-zero'] ? 1 : 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
