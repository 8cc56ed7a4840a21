/**
 * `vfslock`: the command-line face of the analyzer. Each subcommand lives in its own module under
 * src/cli/commands/ (check, review, simulate, lsp), loaded when it is named, so a start that only prints the version
 * or a usage loads none of the analyzer. The command modules import what they share from io.ts and options.ts,
 * never this module (no import circle: scripts/check-cycles.mjs).
 * Exit status: 0 no error-severity findings; 1 some; 2 usage error or unreadable input (still prints the rest).
 */
import type { Io } from './io';
import { VERSION } from './version';

export { VERSION };
export type { Io };

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

type Command = (args: string[], io: Io) => Promise<number>;

// `require` here, not `import`: esbuild then evaluates a command's module (and what it imports) only when it runs.
/* eslint-disable @typescript-eslint/no-require-imports */
const commands: Record<string, Command> = {
  check: (args, io) => (require('./commands/check') as typeof import('./commands/check')).checkCommand(args, io),
  review: (args, io) => (require('./commands/review') as typeof import('./commands/review')).reviewCommand(args, io),
  simulate: (args, io) =>
    (require('./commands/simulate') as typeof import('./commands/simulate')).simulateCommand(args, io),
  lsp: (args, io) => (require('./commands/lsp') as typeof import('./commands/lsp')).lspCommand(args, io),
};
/* eslint-enable @typescript-eslint/no-require-imports */

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
    if (rest.length && Object.hasOwn(commands, rest[0])) return main([rest[0], '--help'], io);
    io.out(USAGE + '\n');
    return 0;
  }
  if (cmd === '--version' || cmd === '-V') {
    io.out(`vfslock ${VERSION}\n`);
    return 0;
  }
  if (Object.hasOwn(commands, cmd)) return commands[cmd](rest, io);
  io.err(`vfslock: unknown command '${cmd}'\n${USAGE}\n`);
  return 2;
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
