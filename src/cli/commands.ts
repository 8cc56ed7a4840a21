/** Further subcommands (simulate, review, lsp) register here; each module loads when its command runs. */
import type { Io } from './main';

export const commands: Record<string, (args: string[], io: Io) => Promise<number>> = {};

// `require` here, not `import`: esbuild then evaluates the module (and what it imports) only on this call.
/* eslint-disable @typescript-eslint/no-require-imports */
commands.review = (args, io) => (require('../patch/cli') as typeof import('../patch/cli')).reviewCommand(args, io);
commands.simulate = (args, io) => (require('../sim/node/command') as typeof import('../sim/node/command')).simulateCommand(args, io);
commands.lsp = (args, io) => (require('../service/lsp-stdio') as typeof import('../service/lsp-stdio')).lspCommand(args, io);
