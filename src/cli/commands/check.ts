/**
 * `vfslock check`: analyses kernel C files (or standard input, or the file kbuild's checker hook names).
 * Exit status: 0 no error-severity findings; 1 some; 2 usage error or unreadable input (still prints the rest).
 * --exit-zero turns 1 into 0; --kbuild exits 0 whatever it finds unless --Werror is given.
 */
import { parseArgs } from 'node:util';
import { statSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { DEFAULT_ANALYSIS_BUDGET_MS, MAX_FILE_BYTES, type CheckOptions, type FileResult } from '../../core/engine';
import { isClean, toJson, toSarif, toText, type CheckReport } from '../../core/report/printers';
import { kernelTreeVersion } from '../../core/catalogue/era';
import { nodeTreeReader } from '../../core/catalogue/era-node';
import { checkFile, checkText, collectFiles, decodeSource, type Outcome } from '../files';
import { checkInPool } from '../pool';
import { cachedTreeIndex, checkAsTree, checkFilesIndexed } from '../tree';
import { findKernelTree } from '../../core/index/tree';
import type { IndexData } from '../../core/index/summary-index';
import type { CatalogueData } from '../../core/catalogue/catalogue';
import { BUILD, VERSION } from '../version';
import { checkOptions, COMMON_OPTIONS, loadCataloguesFor, OUTPUT_OPTIONS } from '../options';
import { useColor, type Io } from '../io';
import { parseKbuildArgs } from '../kbuild';
import { Progress, progressWanted } from '../progress';
import { processAnalyzer } from '../process-analyzer';

export const CHECK_USAGE = `Usage: vfslock check [options] PATH...
       vfslock check [options] - [--stdin-filename PATH]
       vfslock check --kbuild [--Werror] [options] COMPILER-FLAGS... FILE.c

Analyses kernel C files (directories are searched for .c and .h files) for delegation and lease breaking bugs:
missing or unlocked breaks, blocking breaks under locks, unhandled delegated inodes, unserialised lease grants, open
paths without break_lease, lock imbalance. Findings are GCC-style lines (file:line:col: error: message [rule]),
each followed by its related places as GCC notes.

  --format text|json|sarif  output format (default text)
  --kernel auto|V        kernel version the rules follow (default auto: the tree's Makefile, else the code)
  --rules FILE           an extra rule catalogue (JSON, checked against src/core/catalogue/catalogue.schema.json)
  -j, --jobs N           check N files at a time, in worker threads
  --time-budget MS       time for analysing one file once parsed (default ${DEFAULT_ANALYSIS_BUDGET_MS}; 0: no limit); what
                         it leaves out is named in an analysis/truncated note
  --index                summaries across files: the paths are checked as one tree, and a lone file inside a kernel
                         tree uses the index of the tree's fs/, security/, kernel/ and mm/ (built on first use,
                         cached under ~/.cache/vfslock); on a whole tree about 70 % more CPU (docs/whole-tree.md).
                         Without it, a lone file still uses that index when it is cached (built by --index, the
                         editor or vfslock lsp) and none of its files changed; else a single file named on its own is
                         read with the static inline helpers of the headers it includes
  --no-index             each file on its own, without the index or its headers
  --no-prescan           parse every function, also those a token pre-scan shows cannot matter (same findings,
                         slower; for comparison)
  -                      read the file from standard input; --stdin-filename PATH names it (in the output, and to
                         find the kernel tree it belongs to)
  --kbuild               take kbuild's checker arguments (make C=1 CHECK="vfslock check --kbuild"): compiler flags
                         are skipped, findings go to standard error as GCC prints them, exit status 0 unless --Werror
  --Werror               with --kbuild: exit status 1 when a warning or error is found
  --terse                one line per finding: FILE:LINE: SEVERITY: rule: message (as checkpatch.pl --terse)
  -q, --quiet            nothing at all when nothing is found (no count line)
  --no-summary           no count line
  --mailback             no output at all when nothing is found
  --no-color             no colour (also: NO_COLOR set to anything non-empty); --color forces it
  --exit-zero            exit status 0 even when errors are found (2 still means unusable input)
Exit status: 0 no errors found, 1 errors found, 2 usage error or unreadable input.`;

const CHECK_OPTIONS = {
  ...COMMON_OPTIONS,
  ...OUTPUT_OPTIONS,
  jobs: { type: 'string', short: 'j' },
  'time-budget': { type: 'string' },
  index: { type: 'boolean' },
  'no-index': { type: 'boolean' },
  'no-prescan': { type: 'boolean' },
  'stdin-filename': { type: 'string' },
  kbuild: { type: 'boolean' },
  Werror: { type: 'boolean' },
} as const;

interface CheckValues {
  format?: string;
  kernel?: string;
  rules?: string[];
  color?: boolean;
  'no-color'?: boolean;
  'exit-zero'?: boolean;
  help?: boolean;
  terse?: boolean;
  quiet?: boolean[];
  'no-summary'?: boolean;
  mailback?: boolean;
  jobs?: string;
  'time-budget'?: string;
  index?: boolean;
  'no-index'?: boolean;
  'no-prescan'?: boolean;
  'stdin-filename'?: string;
  kbuild?: boolean;
  Werror?: boolean;
}

export async function checkCommand(args: string[], io: Io): Promise<number> {
  let values: CheckValues;
  let positionals: string[];
  let includeDirs: string[] = [];
  const usage = (msg: string) => {
    io.err(`vfslock check: ${msg}\n${CHECK_USAGE}\n`);
    return 2;
  };
  if (args.includes('--kbuild')) {
    const k = parseKbuildArgs(args);
    if (typeof k === 'string') return usage(k);
    values = k.values as CheckValues;
    positionals = k.files;
    includeDirs = k.includeDirs;
  } else {
    try {
      ({ values, positionals } = parseArgs({ args, allowPositionals: true, options: CHECK_OPTIONS }));
    } catch (e) {
      return usage((e as Error).message);
    }
  }
  if (values.help) {
    io.out(CHECK_USAGE + '\n');
    return 0;
  }
  const format = values.format ?? 'text';
  if (!['text', 'json', 'sarif'].includes(format)) {
    io.err(`vfslock check: --format must be text, json or sarif (got '${format}')\n`);
    return 2;
  }
  if (!positionals.length) return usage(values.kbuild ? 'no source file among the arguments' : 'no PATH given');
  const stdin = positionals.includes('-');
  if (stdin && positionals.length > 1) return usage('- (standard input) is checked on its own, not with other paths');
  if (values['stdin-filename'] !== undefined && !stdin)
    return usage('--stdin-filename names standard input: give - as the PATH');
  if (values.Werror && !values.kbuild)
    return usage('--Werror goes with --kbuild (elsewhere the exit status already says whether errors were found)');
  const parsed = checkOptions(values);
  if (typeof parsed === 'string') {
    io.err(`vfslock check: ${parsed}\n`);
    return 2;
  }
  const options: CheckOptions = values['no-prescan'] ? { ...parsed, prescan: false } : parsed;
  const catalogues = loadCataloguesFor('check', values.rules ?? [], io);
  if (!catalogues) return 2;
  const jobs = values.jobs === undefined ? 1 : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) {
    io.err(`vfslock check: --jobs must be a whole number from 1 to 64 (got '${values.jobs}')\n`);
    return 2;
  }
  const quiet = !!values.quiet?.length || !!values.kbuild;
  const progress = new Progress(io, progressWanted(io, { quiet, terse: values.terse, format }));

  const t0 = performance.now();
  let files: string[];
  let errors: { file: string; message: string }[];
  let outcomes: Outcome[];
  // SARIF carries verified fixes (each re-analysed on the whole file before it is offered).
  const withFixes = format === 'sarif';
  if (stdin) {
    const name = values['stdin-filename'] ?? '<stdin>';
    files = [name];
    errors = [];
    const read = await readStdin(io, MAX_FILE_BYTES);
    const src = 'error' in read ? read : decodeSource(read.bytes);
    if ('error' in src) outcomes = [src];
    else {
      const analyzer = await processAnalyzer(catalogues);
      outcomes = [checkText(analyzer, name, src.text, options, withFixes)];
    }
  } else {
    ({ files, errors } = collectFiles(positionals));
    let findings = 0;
    const done = (o: Outcome, n: number) => {
      if ('result' in o) findings += o.result.findings.length;
      progress.update(n, files.length, findings);
    };
    // Summaries across files when asked for (--index), or for lone files of a kernel tree whose index is cached.
    // Neither asked for the tree's index nor told to do without one.
    const indexDefault = !values.index && !values['no-index'] && !values.kbuild;
    const cached = indexDefault ? cachedIndexOf(positionals, files, options, catalogues) : null;
    if (cached) {
      const r = await checkFilesIndexed(
        files,
        jobs,
        options,
        catalogues,
        `${VERSION}+${BUILD}`,
        (s) => io.err(s),
        withFixes,
        cached,
      );
      outcomes = r.outcomes;
      if (process.env.VFSLOCK_INDEX_STATS) io.err(`vfslock: ${r.note}\n`);
    } else if (indexDefault && files.length === 1 && positionals.length === 1 && !isDirectory(positionals[0])) {
      // One file, with no cached index: with the `static inline` helpers of the headers it includes (a subsystem's
      // own overlayfs.h: ovl_start_creating_upper() takes the parent's lock), as a tree of its own, which is what
      // --index does for a file outside a kernel tree. 50-200 ms more; several files or a directory (a tree check
      // in rounds would cost what --index costs) are checked as before.
      outcomes = (await checkAsTree(files, files, jobs, options, catalogues, false, withFixes)).outcomes;
    } else if (!values.index || values['no-index'] || !files.length) {
      if (jobs > 1 && files.length > 1) {
        let n = 0;
        outcomes = await checkInPool(files, jobs, options, catalogues, withFixes, undefined, (o) => done(o, ++n));
      } else {
        const analyzer = await processAnalyzer(catalogues);
        outcomes = [];
        for (const file of files) {
          // After a file made the parser abort, the next one waits for the new parser instance.
          await analyzer.ready();
          const o = checkFile(analyzer, file, withKbuildTree(file, options, includeDirs), withFixes);
          outcomes.push(o);
          done(o, outcomes.length);
        }
      }
    } else {
      const lone = positionals.every((p) => !isDirectory(p));
      const r = lone
        ? await checkFilesIndexed(files, jobs, options, catalogues, `${VERSION}+${BUILD}`, (s) => io.err(s), withFixes)
        : await checkAsTree(positionals, files, jobs, options, catalogues, true, withFixes);
      outcomes = r.outcomes;
      if (process.env.VFSLOCK_INDEX_STATS) io.err(`vfslock: ${r.note}\n`);
    }
    progress.clear();
  }
  const results: FileResult[] = [];
  outcomes.forEach((o, i) =>
    'result' in o ? results.push(o.result) : errors.push({ file: files[i], message: o.error }),
  );
  const report: CheckReport = { results, errors, ms: performance.now() - t0 };
  const clean = isClean(report);
  const color = useColor(values, io);
  if (values.kbuild) {
    // As a compiler: diagnostics on standard error, nothing at all for a clean file.
    io.err(
      toText(report, { color: useColor(values, { ...io, isTTY: !!io.errIsTTY }), terse: values.terse, summary: false }),
    );
  } else if (!(values.mailback && clean)) {
    if (format === 'json') io.out(toJson(report));
    else if (format === 'sarif') io.out(toSarif(report, VERSION));
    else io.out(toText(report, { color, terse: values.terse, summary: !values['no-summary'] && !(quiet && clean) }));
  }
  const hasErrors = results.some((r) => r.findings.some((f) => f.severity === 'error'));
  const unreadable = errors.length > 0 || results.some((r) => r.error);
  if (values.kbuild) {
    // A file the checker cannot read must not stop the kernel build either; --Werror: warnings count.
    return values.Werror &&
      results.some((r) => r.findings.some((f) => f.severity === 'error' || f.severity === 'warning'))
      ? 1
      : 0;
  }
  return unreadable ? 2 : hasErrors && !values['exit-zero'] ? 1 : 0;
}

/** The cached index of the kernel tree that lone `files` (no directory among `paths`) all belong to, else null. */
function cachedIndexOf(
  paths: string[],
  files: string[],
  options: CheckOptions,
  catalogues: CatalogueData[],
): { root: string; data: IndexData } | null {
  if (!files.length || paths.some((p) => isDirectory(p))) return null;
  const root = findKernelTree(files[0]);
  if (!root || files.some((f) => findKernelTree(f) !== root)) return null;
  const data = cachedTreeIndex(root, options, catalogues, `${VERSION}+${BUILD}`);
  return data ? { root, data } : null;
}

/**
 * Under --kbuild, a file outside any kernel tree (an external module built with M=) takes the version of the tree
 * its -I directories belong to (kbuild passes -I./include and friends from the tree it runs in).
 */
export function withKbuildTree(file: string, options: CheckOptions, includeDirs: string[]): CheckOptions {
  if (!includeDirs.length || (options.kernel && options.kernel !== 'auto')) return options;
  if (kernelTreeVersion(resolvePath(file), nodeTreeReader)) return options;
  for (const d of includeDirs) {
    const v = kernelTreeVersion(join(resolvePath(d), 'x.h'), nodeTreeReader);
    if (v) return { ...options, treeVersion: v };
  }
  return options;
}

/** All of standard input, or why not (more than `limit` bytes). */
async function readStdin(io: Io, limit: number): Promise<{ bytes: Buffer } | { error: string }> {
  try {
    return { bytes: await (io.readStdin ?? readProcessStdin)(limit) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

async function readProcessStdin(limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    size += (c as Buffer).length;
    if (size > limit) {
      process.stdin.destroy();
      throw new Error(`standard input is too large to analyse (over ${limit / 1048576} MB): not read`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
