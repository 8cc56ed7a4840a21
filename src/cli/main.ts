/**
 * `vfslock`: the command-line face of the analyzer. Each subcommand lives in its own module, loaded when it is
 * named (src/cli/commands/check.ts, src/patch/cli.ts, src/sim/node/command.ts), so a start that only prints the
 * version or a usage loads none of the analyzer.
 * Exit status: 0 no error-severity findings; 1 some; 2 usage error or unreadable input (still prints the rest).
 */
import { readRegularFile } from '../core/node-read';
import { parseCatalogue, CatalogueError } from '../core/catalogue/validate';
import type { CheckOptions } from '../core/engine';
import type { CatalogueData } from '../core/catalogue/catalogue';
import { commands as extraCommands } from './commands';
import { VERSION } from './version';

export { VERSION };

const USAGE = `Usage:
  vfslock check [options] PATH...         analyse kernel C files or directories
  vfslock check [options] - [--stdin-filename PATH]
  vfslock check --kbuild [--Werror] COMPILER-FLAGS... FILE.c
                                          as kbuild's checker: make C=1 CHECK="vfslock check --kbuild"
  vfslock review [options] --tree DIR PATCH...
                                          what a patch series introduces, fixes and leaves
  vfslock simulate <file.vfsrace | builtin:NAME | file.c:function> [options]
  vfslock simulate --list
  vfslock review [options] (--base REV PATCH... | --git REV|A..B)
                                          review against a commit, or review commits, without a checkout
  vfslock lsp [--stdio]                   the language server, for editors other than VS Code (docs/editors.md)
  vfslock --version | --help
  vfslock COMMAND --help                  that command's options

Output switches of check and review (as scripts/checkpatch.pl): --terse, -q/--quiet, --no-summary, --mailback;
review also takes --emacs and --showfile. Every command takes --no-color (NO_COLOR in the environment does the
same) and --exit-zero (exit status 0 even when something is found).
Exit status: 0 no errors found, 1 errors found, 2 usage error or unreadable input.`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Standard output is a terminal (colour by default). */
  isTTY: boolean;
  /** Standard error is a terminal: long runs show progress there (src/cli/progress.ts). */
  errIsTTY?: boolean;
  /** The environment (NO_COLOR); process.env when absent. */
  env?: Record<string, string | undefined>;
  /** Reads all of standard input, at most `limit` bytes (more is an error); process.stdin when absent. */
  readStdin?: (limit: number) => Promise<Buffer>;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: !!process.stdout.isTTY,
  errIsTTY: !!process.stderr.isTTY,
};

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h') {
    io.out(USAGE + '\n');
    return cmd ? 0 : 2;
  }
  if (cmd === 'help') {
    // `vfslock help review`: that command's usage.
    if (rest.length && (rest[0] === 'check' || extraCommands[rest[0]])) return main([rest[0], '--help'], io);
    io.out(USAGE + '\n');
    return 0;
  }
  if (cmd === '--version' || cmd === '-V') {
    io.out(`vfslock ${VERSION}\n`);
    return 0;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (cmd === 'check') return (require('./commands/check') as typeof import('./commands/check')).checkCommand(rest, io);
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
  'no-color': { type: 'boolean' },
  'exit-zero': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** checkpatch.pl's output switches, for check and review (review adds --emacs and --showfile). */
export const OUTPUT_OPTIONS = {
  terse: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q', multiple: true },
  'no-summary': { type: 'boolean' },
  mailback: { type: 'boolean' },
} as const;

/**
 * Colour on the terminal: --no-color, then --color, then NO_COLOR (https://no-color.org: set to anything but the
 * empty string), then whether standard output is a terminal.
 */
export function useColor(values: { color?: boolean; 'no-color'?: boolean }, io: Io): boolean {
  if (values['no-color']) return false;
  if (values.color) return true;
  const env = io.env ?? process.env;
  if (env.NO_COLOR) return false;
  return io.isTTY;
}

/** The process: runs `argv` and sets the exit status (dist/cli.js calls this; so does `node out/src/cli/main.js`). */
export function runCli(argv: string[]): void {
  // `vfslock check fs/ | head`: the reader went away; stop quietly instead of a stack trace about EPIPE.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  });
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`vfslock: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 2;
    },
  );
}

if (require.main === module) runCli(process.argv.slice(2));
