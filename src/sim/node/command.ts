/**
 * `vfslock simulate`: the command-line face of the simulator (Node only: reads files; the webview never imports
 * this module).
 *   vfslock simulate <file.vfsrace | builtin:NAME | file.c:function> [--format text|json] [--kernel V]
 *                    [--set name=value]... [--reduction por|sleep|none] [--preemptions N] [--max-states N]
 *   vfslock simulate --list
 * Exit status: 0 safe, 1 violation found, 2 error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Analyzer } from '../../core/engine';
import { nodeWasmSource } from '../../core/parse/node-wasm';
import { BUILTINS } from '../builtins';
import { resultToJson, resultToText } from '../export';
import type { ExploreOptions, Reduction } from '../explore';
import type { Diagnostic } from '../lang/parse';
import { parseTarget, simulateBuiltin, simulateFunction, simulateText, type Outcome } from '../simulate';

export interface CommandIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const USAGE = `Usage:
  vfslock simulate <file.vfsrace | builtin:NAME | file.c:function> [--format text|json] [--kernel V]
                   [--set name=value]... [--reduction por|sleep|none] [--preemptions N] [--max-states N]
  vfslock simulate --list
Exit status: 0 safe, 1 violation found, 2 error.`;

export async function simulateCommand(args: string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true,
      options: {
        format: { type: 'string', default: 'text' }, kernel: { type: 'string' }, set: { type: 'string', multiple: true },
        list: { type: 'boolean' }, reduction: { type: 'string', default: 'por' }, preemptions: { type: 'string' },
        'max-states': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    io.err(`vfslock simulate: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE + '\n');
    return 0;
  }
  if (values.list) {
    for (const b of BUILTINS) io.out(`${b.name.padEnd(24)} ${b.summary}\n`);
    return 0;
  }
  const problem = checkArgs(values, positionals);
  if (problem) {
    io.err(`vfslock simulate: ${problem}\n${USAGE}\n`);
    return 2;
  }
  const set = parseSets(values.set ?? []);
  if (typeof set === 'string') {
    io.err(`vfslock simulate: ${set}\n`);
    return 2;
  }
  const explore: Partial<ExploreOptions> = { reduction: values.reduction as Reduction };
  if (values.preemptions !== undefined) explore.preemptionBound = Number(values.preemptions);
  if (values['max-states'] !== undefined) explore.maxStates = Number(values['max-states']);
  const outcome = await run(positionals[0], { kernel: values.kernel, set }, explore);
  printDiagnostics(positionals[0], outcome.diagnostics, io);
  if ('error' in outcome) {
    io.err(`vfslock simulate: ${outcome.error}\n`);
    return 2;
  }
  io.out(values.format === 'json' ? resultToJson(outcome.result) : resultToText(outcome.result));
  return outcome.result.verdict === 'violation' ? 1 : 0;
}

function checkArgs(values: Record<string, unknown>, positionals: string[]): string | null {
  if (positionals.length !== 1) return positionals.length ? 'one scenario at a time' : 'no scenario given';
  if (values.format !== 'text' && values.format !== 'json') return `--format must be text or json (got '${values.format}')`;
  if (!['por', 'sleep', 'none'].includes(values.reduction as string)) return `--reduction must be por, sleep or none (got '${values.reduction}')`;
  for (const flag of ['preemptions', 'max-states']) {
    const v = values[flag];
    if (v !== undefined && !/^\d+$/.test(v as string)) return `--${flag} needs a whole number (got '${v}')`;
  }
  return null;
}

function parseSets(items: string[]): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const item of items.flatMap((i) => i.split(','))) {
    const eq = item.indexOf('=');
    if (eq <= 0) return `--set takes name=value (got '${item}')`;
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

function readText(file: string): string | { error: string } {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    return { error: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}

async function run(arg: string, overrides: { kernel?: string; set: Record<string, string> }, explore: Partial<ExploreOptions>): Promise<Outcome> {
  const target = parseTarget(arg);
  if ('error' in target) return { error: target.error, diagnostics: [] };
  if (target.kind === 'builtin') return simulateBuiltin(target.name, overrides, explore);
  const text = readText(target.file);
  if (typeof text !== 'string') return { ...text, diagnostics: [] };
  if (target.kind === 'scenario') return simulateText(text, target.file, overrides, explore);
  const analyzer = await Analyzer.create(nodeWasmSource());
  return simulateFunction(analyzer, target.file, text, target.fn, overrides.kernel, explore);
}

function printDiagnostics(source: string, diags: Diagnostic[], io: CommandIo): void {
  for (const d of diags) io.err(`${source}:${d.line}:${d.column}: ${d.severity}: ${d.message}\n`);
}
