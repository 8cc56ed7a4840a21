/** Further subcommands (simulate, review) register here. */
import type { Io } from './main';

export const commands: Record<string, (args: string[], io: Io) => Promise<number>> = {};
