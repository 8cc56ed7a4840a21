/**
 * What the analysing commands (check, review) share: the common options, --kernel and --time-budget checked into
 * CheckOptions, and the --rules files read and validated.
 */
import { readRegularFile } from '../core/node-read';
import { parseCatalogue, CatalogueError } from '../core/catalogue/validate';
import type { CheckOptions } from '../core/engine';
import type { CatalogueData } from '../core/catalogue/catalogue';
import type { Io } from './io';

const KERNELS = /^(auto|\d+\.\d+(\.\d+)?)$/;

export function checkOptions(values: { kernel?: string; 'time-budget'?: string }): CheckOptions | string {
  const kernel = values.kernel ?? 'auto';
  if (!KERNELS.test(kernel)) return `--kernel must be auto or a version like 3.12, 3.13, 6.19 (got '${kernel}')`;
  const budget = values['time-budget'];
  if (budget === undefined) return { kernel };
  if (!/^\d+$/.test(budget))
    return `--time-budget must be a whole number of milliseconds, 0 for no limit (got '${budget}')`;
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
