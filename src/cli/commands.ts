/** Further subcommands (simulate, review) register here. */
import type { Io } from './main';
import { reviewCommand } from '../patch/cli';
import { simulateCommand } from '../sim/node/command';

export const commands: Record<string, (args: string[], io: Io) => Promise<number>> = {};

commands.review = (args, io) => reviewCommand(args, io);
commands.simulate = (args, io) => simulateCommand(args, io);
