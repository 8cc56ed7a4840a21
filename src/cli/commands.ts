/** Further subcommands (simulate, review, lsp) register here. */
import type { Io } from './main';
import { reviewCommand } from '../patch/cli';
import { simulateCommand } from '../sim/node/command';
import { lspCommand } from '../service/lsp-stdio';

export const commands: Record<string, (args: string[], io: Io) => Promise<number>> = {};

commands.review = (args, io) => reviewCommand(args, io);
commands.simulate = (args, io) => simulateCommand(args, io);
commands.lsp = (args, io) => lspCommand(args, io);
