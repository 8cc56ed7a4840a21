/**
 * `vfslock review [--format text|json|sarif] [--kernel V] [--rules FILE] [-p N] [--no-follow] --tree DIR PATCH...`
 * PATCH: unified diffs, `git format-patch` files, mbox files (a whole series; the cover letter is skipped), `git log
 * -p` output, or `-` for standard input. Exit status: 0 nothing introduced at error severity, 1 something introduced,
 * 2 usage error, unreadable input, or a patch that does not apply.
 */
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { Analyzer } from '../core/engine';
import { nodeWasmSource } from '../core/parse/node-wasm';
import { checkOptions, COMMON_OPTIONS, loadCataloguesFor, VERSION, type Io } from '../cli/main';
import { REVIEW_OUTPUT_OPTIONS, REVIEW_OUTPUT_USAGE, reviewOutput } from './cli-output';
import { readPatchInput, PatchInputError, type PatchMail, type SkippedMail } from './mbox';
import { DirectoryTree, isDirectory } from './node-tree';
import { reviewSeries } from './review';
import { TreeError } from './tree';
import { escapeForTerminal } from '../core/text/escape';

export const REVIEW_USAGE = `Usage: vfslock review [--format text|json|sarif] [--kernel auto|3.12|3.13|6.19] [--rules FILE]
                      [-p N] [--no-follow] [--max-callers N] --tree DIR PATCH...

Applies the patches in memory, in order, to the tree DIR (nothing on disk changes) and reports, for each patch,
the delegation and locking findings it introduces, fixes, and leaves in the functions it touches. Findings are
matched by rule, function and inode, not by line. Functions whose contract changes (locks taken or required,
delegations broken) are followed into their callers and callees elsewhere in DIR.

PATCH: a unified diff, a git format-patch file, an mbox with a whole series (the cover letter is skipped),
git log -p output, or - for standard input.
  -p N           strip N leading path components (default 1: a/ and b/)
  --no-follow    do not follow changed functions into other files of the tree
  --max-callers  caller files re-analysed per patch (default 12)
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
  const format = values.format!;
  if (!['text', 'json', 'sarif'].includes(format)) return usage(`--format must be text, json or sarif (got '${format}')`);
  if (!values.tree) return usage('--tree DIR is required (the base tree the patches apply to)');
  if (!(await isDirectory(values.tree))) return usage(`--tree ${values.tree}: not a directory`);
  if (!positionals.length) return usage('no PATCH given');
  if (!/^\d+$/.test(values.strip!)) return usage(`-p must be a number (got '${values.strip}')`);
  const maxCallers = values['max-callers'];
  if (maxCallers !== undefined && !/^\d+$/.test(maxCallers)) return usage(`--max-callers must be a number (got '${maxCallers}')`);
  const options = checkOptions(values);
  if (typeof options === 'string') return usage(options);
  const catalogues = loadCataloguesFor('review', values.rules ?? [], io);
  if (!catalogues) return 2;

  const mails: PatchMail[] = [];
  const skipped: SkippedMail[] = [];
  for (const p of positionals) {
    let text: string;
    try {
      text = p === '-' ? await readStdin() : await readFile(p, 'utf8');
    } catch (e) {
      io.err(`vfslock review: cannot read ${escapeForTerminal(p)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 2;
    }
    try {
      const input = await readPatchInput(text, p === '-' ? '<stdin>' : p, { strip: +values.strip! });
      mails.push(...input.patches);
      skipped.push(...input.skipped);
    } catch (e) {
      if (e instanceof PatchInputError) {
        io.err(`vfslock review: ${escapeForTerminal(`${e.source}:${e.line}: ${e.message}`)}\n`);
        return 2;
      }
      throw e;
    }
  }
  if (!mails.length) {
    io.err(`vfslock review: ${escapeForTerminal(`no patch found in ${positionals.join(', ')}${skipped.length ? ` (skipped: ${skipped.map((s) => `${s.subject}: ${s.reason}`).join('; ')})` : ''}`)}\n`);
    return 2;
  }

  const output = reviewOutput(values, io);
  const analyzer = await Analyzer.create(nodeWasmSource(), catalogues);
  const tree = new DirectoryTree(values.tree);
  let review;
  try {
    review = await reviewSeries(analyzer, tree, mails, {
      ...options, follow: values.follow && !values['no-follow'], maxCallerFiles: maxCallers === undefined ? undefined : +maxCallers,
      onPatchDone: output.onPatchDone,
    }, skipped);
  } catch (e) {
    // A file of the tree it will not read (a link out of --tree, a FIFO) outside the patched files themselves.
    if (e instanceof TreeError) {
      io.err(`vfslock review: ${escapeForTerminal(e.message)}\n`);
      return 2;
    }
    throw e;
  } finally {
    output.done();
  }
  output.print(review, VERSION, pathToFileURL(tree.root + '/').href);
  const failed = review.patches.some((p) => p.checked && !p.applied);
  const introduced = review.patches.some((p) => p.introduced.some((f) => f.finding.severity === 'error'));
  return failed ? 2 : introduced && !values['exit-zero'] ? 1 : 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
