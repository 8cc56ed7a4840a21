/**
 * `vfslock`: the command-line face of the analyzer.
 *   vfslock check [--format text|json|sarif] [--kernel auto|3.12|3.13|6.19] [--rules FILE] [--jobs N] [--time-budget MS] PATH...
 * Exit status: 0 no error-severity findings; 1 some; 2 usage error or unreadable input (still prints the rest).
 */
import { parseArgs } from 'node:util';
import { statSync } from 'node:fs';
import { readRegularFile } from '../core/node-read';
import { Analyzer, DEFAULT_ANALYSIS_BUDGET_MS, type CheckOptions, type FileResult } from '../core/engine';
import { nodeWasmSource } from '../core/parse/node-wasm';
import { toJson, toSarif, toText, type CheckReport } from '../core/report/printers';
import { parseCatalogue, CatalogueError } from '../core/catalogue/validate';
import { checkFile, collectFiles, type Outcome } from './files';
import { checkInPool } from './pool';
import { checkAsTree, checkFilesIndexed } from './tree';
import type { CatalogueData } from '../core/catalogue/catalogue';
import { commands as extraCommands } from './commands';

declare const VFSLOCK_VERSION: string | undefined;
export const VERSION = typeof VFSLOCK_VERSION === 'string' ? VFSLOCK_VERSION : '0.1.0';

const USAGE = `Usage:
  vfslock check [--format text|json|sarif] [--kernel auto|3.12|3.13|6.19] [--rules FILE] [--jobs N]
                [--time-budget MS] [--index] PATH...
  vfslock simulate <file.vfsrace | builtin:NAME | file.c:function> [--format text|json] [--kernel V]
  vfslock simulate --list
  vfslock review [--format text|json|sarif|reply] [--kernel ...] (--tree DIR PATCH... | --base REV PATCH...
                 | --git REV|A..B)
  vfslock --version | --help

check: analyse kernel C files (directories are searched for .c and .h files) for delegation and lease
breaking bugs: missing or unlocked breaks, blocking breaks under locks, unhandled delegated inodes,
unserialised lease grants, open paths without break_lease, lock imbalance.
--time-budget MS: time allowed for analysing one file once parsed (default ${DEFAULT_ANALYSIS_BUDGET_MS}; 0: no limit);
what it leaves out is named in an analysis/truncated note.
Each file is checked on its own (summaries cross functions within a file). --index (experimental): summaries
across files too: the paths are checked as one tree (a call to a function of another file, or to a static inline
helper of an included header, uses what that function does), and a lone file inside a kernel tree (a directory with
Makefile, fs/ and include/) is checked with the index of the tree's fs/, security/, kernel/ and mm/, built on the
first run and cached under ~/.cache/vfslock. It costs about half again the CPU and, on whole trees, still reports
more false findings than it removes (docs/whole-tree.md).
Exit status: 0 no errors found, 1 errors found, 2 usage error or unreadable input.`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: !!process.stdout.isTTY,
};

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.out(USAGE + '\n');
    return cmd ? 0 : 2;
  }
  if (cmd === '--version' || cmd === '-V') {
    io.out(`vfslock ${VERSION}\n`);
    return 0;
  }
  if (cmd === 'check') return check(rest, io);
  const extra = extraCommands[cmd];
  if (extra) return extra(rest, io);
  io.err(`vfslock: unknown command '${cmd}'\n${USAGE}\n`);
  return 2;
}

const KERNELS = /^(auto|\d+\.\d+(\.\d+)?)$/;

export function checkOptions(values: { kernel?: string; 'time-budget'?: string }): CheckOptions | string {
  const kernel = values.kernel ?? 'auto';
  if (!KERNELS.test(kernel)) return `--kernel must be auto or a version like 3.12, 3.13, 6.19 (got '${kernel}')`;
  const budget = values['time-budget'];
  if (budget === undefined) return { kernel };
  if (!/^\d+$/.test(budget)) return `--time-budget must be a whole number of milliseconds, 0 for no limit (got '${budget}')`;
  return { kernel, analysisBudgetMs: Number(budget) };
}

/** A rules file larger than this is refused unread (the built-in catalogue is about 50 KB). */
export const MAX_RULES_BYTES = 4 * 1024 * 1024;

export function loadCatalogues(files: string[]): CatalogueData[] {
  return files.map((f) => {
    const read = readRegularFile(f, MAX_RULES_BYTES);
    if ('error' in read) throw new CatalogueError(`cannot read rules file ${f}: ${read.error}`);
    // A UTF-8 byte-order mark is dropped by the decoder (parseCatalogue also accepts one left in a string).
    return parseCatalogue(new TextDecoder('utf-8').decode(read.bytes), f);
  });
}

/** The rules files of a subcommand, or null after saying why they cannot be used. */
export function loadCataloguesFor(command: string, files: string[], io: Io): CatalogueData[] | null {
  try {
    return loadCatalogues(files);
  } catch (e) {
    io.err(`vfslock ${command}: ${(e as Error).message}\n`);
    return null;
  }
}

/** Options every analysing subcommand takes (check, review). */
export const COMMON_OPTIONS = {
  format: { type: 'string', default: 'text' },
  kernel: { type: 'string', default: 'auto' },
  rules: { type: 'string', multiple: true },
  color: { type: 'boolean' },
} as const;

const CHECK_OPTIONS = { ...COMMON_OPTIONS, jobs: { type: 'string', short: 'j' }, 'time-budget': { type: 'string' }, index: { type: 'boolean' }, 'no-index': { type: 'boolean' } } as const;

async function check(args: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: CHECK_OPTIONS });
  } catch (e) {
    io.err(`vfslock check: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const format = values.format!;
  if (!['text', 'json', 'sarif'].includes(format)) {
    io.err(`vfslock check: --format must be text, json or sarif (got '${format}')\n`);
    return 2;
  }
  if (!positionals.length) {
    io.err(`vfslock check: no PATH given\n${USAGE}\n`);
    return 2;
  }
  const options = checkOptions(values);
  if (typeof options === 'string') {
    io.err(`vfslock check: ${options}\n`);
    return 2;
  }
  const catalogues = loadCataloguesFor('check', values.rules ?? [], io);
  if (!catalogues) return 2;
  const jobs = values.jobs === undefined ? 1 : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) {
    io.err(`vfslock check: --jobs must be a whole number from 1 to 64 (got '${values.jobs}')\n`);
    return 2;
  }
  const t0 = performance.now();
  const { files, errors } = collectFiles(positionals);
  const results: FileResult[] = [];
  let outcomes: Outcome[];
  // SARIF carries verified fixes (each re-analysed on the whole file before it is offered).
  const withFixes = format === 'sarif';
  // Summaries across files only when asked for (--index); --no-index, the default, is kept for scripts.
  if (!values.index || values['no-index'] || !files.length) {
    if (jobs > 1 && files.length > 1) outcomes = await checkInPool(files, jobs, options, catalogues, withFixes);
    else {
      const analyzer = await Analyzer.create(nodeWasmSource(), catalogues);
      outcomes = [];
      for (const file of files) {
        // After a file made the parser abort, the next one waits for the new parser instance.
        await analyzer.ready();
        outcomes.push(checkFile(analyzer, file, options, withFixes));
      }
    }
  } else {
    const lone = positionals.every((p) => !isDirectory(p));
    const r = lone
      ? await checkFilesIndexed(files, jobs, options, catalogues, VERSION, (s) => io.err(s), withFixes)
      : await checkAsTree(positionals, files, jobs, options, catalogues, true, withFixes);
    outcomes = r.outcomes;
    if (process.env.VFSLOCK_INDEX_STATS) io.err(`vfslock: ${r.note}\n`);
  }
  outcomes.forEach((o, i) => ('result' in o ? results.push(o.result) : errors.push({ file: files[i], message: o.error })));
  const report: CheckReport = { results, errors, ms: performance.now() - t0 };
  if (format === 'json') io.out(toJson(report));
  else if (format === 'sarif') io.out(toSarif(report, VERSION));
  else io.out(toText(report, { color: values.color ?? io.isTTY }));
  const hasErrors = results.some((r) => r.findings.some((f) => f.severity === 'error'));
  const unreadable = errors.length > 0 || results.some((r) => r.error);
  return unreadable ? 2 : hasErrors ? 1 : 0;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`vfslock: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 2;
    },
  );
}
