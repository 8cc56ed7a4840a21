/**
 * `vfslock simulate`: the command-line face of the simulator (Node only: reads files; the webview never imports
 * this module).
 *   vfslock simulate <file.vfsrace | builtin:NAME | file.c:function> [--format text|json|svg] [--kernel V]
 *                    [--set name=value]... [--reduction por|sleep|none] [--preemptions N] [--max-states N]
 *                    [--max-memory MIB]
 *   vfslock simulate --list
 * `--format svg` writes the lanes picture the panel's "Export SVG" writes (the same printer), for mail and CI.
 * Exit status: 0 safe, 1 violation found, 2 error, 3 a bound (states, memory) reached before any violation.
 */
import { parseArgs } from 'node:util';
import { readRegularText } from '../../core/node-read';
import { MAX_FILE_BYTES } from '../../core/engine';
import { BUILTINS } from '../../sim/builtins';
import { resultToJson, resultToText } from '../../sim/export';
import { exportTrace } from '../../webview/export';
import type { ExploreOptions, Reduction } from '../../sim/explore';
import type { Diagnostic } from '../../sim/lang/parse';
import { escapeForTerminal } from '../../core/text/escape';
import { parseTarget, simulateBuiltin, simulateFunction, simulateText, type Outcome } from '../../sim/simulate';
import { processAnalyzer } from '../process-analyzer';

export interface CommandIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const USAGE = `Usage:
  vfslock simulate <file.vfsrace | builtin:NAME | file.c:function> [--format text|json|svg] [--kernel V]
                   [--set name=value]... [--reduction por|sleep|none] [--preemptions N] [--max-states N]
                   [--max-memory MIB]
  vfslock simulate --list
  --no-color accepted (the output has no colour); --exit-zero: exit status 0 when a violation is found.
Exit status: 0 safe, 1 violation found, 2 error, 3 a bound (states, memory) reached before any violation.`;

export async function simulateCommand(args: string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        format: { type: 'string', default: 'text' },
        kernel: { type: 'string' },
        set: { type: 'string', multiple: true },
        list: { type: 'boolean' },
        reduction: { type: 'string', default: 'por' },
        preemptions: { type: 'string' },
        'max-states': { type: 'string' },
        'max-memory': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        // Accepted as by every command: the simulator's output has no colour; --exit-zero: a violation exits 0.
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        'exit-zero': { type: 'boolean' },
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
  if (values['max-memory'] !== undefined) explore.maxBytes = Number(values['max-memory']) * 1048576;
  const outcome = await run(positionals[0], { kernel: values.kernel, set }, explore);
  printDiagnostics(positionals[0], outcome.diagnostics, io);
  if ('error' in outcome) {
    io.err(`vfslock simulate: ${escapeForTerminal(outcome.error)}\n`);
    return 2;
  }
  const r = outcome.result;
  if (values.format === 'svg' && r.cache) {
    io.err(`vfslock simulate: ${r.scenario} is a measurement with no trace to draw: use --format text or json\n`);
    return 2;
  }
  io.out(
    values.format === 'json'
      ? resultToJson(r)
      : values.format === 'svg'
        ? exportTrace(r, 'svg', false)
        : resultToText(r),
  );
  if (values.format === 'svg' && r.bound) io.err(`vfslock simulate: ${r.bound.message}\n`);
  return r.verdict === 'violation' ? (values['exit-zero'] ? 0 : 1) : r.bound ? 3 : 0;
}

function checkArgs(values: Record<string, unknown>, positionals: string[]): string | null {
  if (positionals.length !== 1) return positionals.length ? 'one scenario at a time' : 'no scenario given';
  if (values.format !== 'text' && values.format !== 'json' && values.format !== 'svg')
    return `--format must be text, json or svg (got '${values.format}')`;
  if (!['por', 'sleep', 'none'].includes(values.reduction as string))
    return `--reduction must be por, sleep or none (got '${values.reduction}')`;
  for (const flag of ['preemptions', 'max-states', 'max-memory']) {
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

/** A scenario or C file: a regular file of at most MAX_FILE_BYTES (a device or FIFO is refused, not read). */
function readText(file: string): string | { error: string } {
  const r = readRegularText(file, MAX_FILE_BYTES);
  return 'text' in r ? r.text : { error: `cannot read ${file}: ${r.error}` };
}

async function run(
  arg: string,
  overrides: { kernel?: string; set: Record<string, string> },
  explore: Partial<ExploreOptions>,
): Promise<Outcome> {
  const target = parseTarget(arg);
  if ('error' in target) return { error: target.error, diagnostics: [] };
  if (target.kind === 'builtin') return simulateBuiltin(target.name, overrides, explore);
  const text = readText(target.file);
  if (typeof text !== 'string') return { ...text, diagnostics: [] };
  if (target.kind === 'scenario') return simulateText(text, target.file, overrides, explore);
  const analyzer = await processAnalyzer();
  return simulateFunction(analyzer, target.file, text, target.fn, overrides.kernel, explore);
}

function printDiagnostics(source: string, diags: Diagnostic[], io: CommandIo): void {
  // GCC-style lines: a newline or escape sequence in a scenario's name or text must not forge or hide one.
  for (const d of diags)
    io.err(`${escapeForTerminal(source)}:${d.line}:${d.column}: ${d.severity}: ${escapeForTerminal(d.message)}\n`);
}
