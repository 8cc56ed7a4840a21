/**
 * Entry points shared by the CLI and the editor: simulate a built-in, a `.vfsrace` text, or one C function
 * (through the analyzer, passed in, so this module stays free of Node and VS Code).
 */
import type { Analyzer, Document } from '../core/engine';
import { functionModels } from './bridge';
import { DEFAULT_FIELD_COST, DEFAULT_SIZING, type FieldCostParams } from '../model/cache';
import { builtinNamed, BUILTINS } from './builtins';
import type { ExploreOptions } from './explore';
import type { Program } from './program';
import { programFromFunction } from './from-code';
import { compileScenario, type CompileOverrides } from './lang/compile';
import type { Diagnostic } from './lang/parse';
import { simulateFieldCost, simulateProgram, simulateProgramAsync, type SimulationResult } from './run';

export type Target =
  | { kind: 'builtin'; name: string }
  | { kind: 'scenario'; file: string }
  | { kind: 'function'; file: string; fn: string };

/** `builtin:NAME`, `path.vfsrace`, or `path.c:function` (also .h). */
export function parseTarget(arg: string): Target | { error: string } {
  if (arg.startsWith('builtin:')) {
    const name = arg.slice('builtin:'.length);
    if (!builtinNamed(name))
      return {
        error: `no built-in scenario '${name}' (vfslock simulate --list: ${BUILTINS.map((b) => b.name).join(', ')})`,
      };
    return { kind: 'builtin', name };
  }
  if (arg.endsWith('.vfsrace')) return { kind: 'scenario', file: arg };
  const colon = arg.lastIndexOf(':');
  if (colon > 0) {
    const file = arg.slice(0, colon);
    const fn = arg.slice(colon + 1);
    if ((file.endsWith('.c') || file.endsWith('.h')) && fn) return { kind: 'function', file, fn };
  }
  return { error: `expected file.vfsrace, builtin:NAME or file.c:function (got '${arg}')` };
}

export type Outcome =
  { result: SimulationResult; diagnostics: Diagnostic[] } | { error: string; diagnostics: Diagnostic[] };

/** A scenario ready to explore, or the outcome already (an error, or the field-cost study, which is no search). */
type Prepared = { program: Program; diagnostics: Diagnostic[] } | Outcome;

function finishPrepared(p: Prepared, explore: Partial<ExploreOptions>): Outcome {
  return 'program' in p ? { result: simulateProgram(p.program, explore), diagnostics: p.diagnostics } : p;
}

async function finishPreparedAsync(p: Prepared, explore: Partial<ExploreOptions>): Promise<Outcome> {
  return 'program' in p ? { result: await simulateProgramAsync(p.program, explore), diagnostics: p.diagnostics } : p;
}

function prepareText(text: string, source: string, overrides: CompileOverrides): Prepared {
  const { program, diagnostics } = compileScenario(text, source, overrides);
  return program ? { program, diagnostics } : { error: `${source} has errors`, diagnostics };
}

function prepareBuiltin(name: string, overrides: CompileOverrides): Prepared {
  const b = builtinNamed(name);
  if (!b) return { error: `no built-in scenario '${name}'`, diagnostics: [] };
  if (b.kind === 'cache') {
    const params = fieldCostParams(overrides.set ?? {});
    return 'error' in params
      ? { error: params.error, diagnostics: [] }
      : { result: simulateFieldCost(params), diagnostics: [] };
  }
  return prepareText(b.text, `builtin:${name}`, overrides);
}

function prepareFunction(analyzer: Analyzer, file: string, text: string, fn: string, kernel?: string): Prepared {
  const doc = analyzer.open(file, text, { kernel: kernel ?? 'auto' });
  try {
    return prepareFunctionOf(doc, analyzer, fn);
  } finally {
    doc.dispose();
  }
}

/** One function of a checked Document: its analysis is reused, nothing is parsed or analysed again. */
function prepareFunctionOf(doc: Document, analyzer: Analyzer, fn: string): Prepared {
  const checked = doc.result();
  if (checked.error) return { error: `${doc.file}: ${checked.error}`, diagnostics: [] };
  const models = functionModels(doc, analyzer.catalogue, fn);
  if (!models.length) {
    const known = checked.functions.some((f) => f.name === fn);
    return {
      error: known
        ? `${fn} in ${doc.file} has no delegation-relevant events: nothing to simulate`
        : `no function '${fn}' in ${doc.file}`,
      diagnostics: [],
    };
  }
  const program = programFromFunction(models[0]);
  if ('error' in program) return { error: program.error, diagnostics: [] };
  return { program, diagnostics: [] };
}

export function simulateText(
  text: string,
  source: string,
  overrides: CompileOverrides = {},
  explore: Partial<ExploreOptions> = {},
): Outcome {
  return finishPrepared(prepareText(text, source, overrides), explore);
}

export function simulateBuiltin(
  name: string,
  overrides: CompileOverrides = {},
  explore: Partial<ExploreOptions> = {},
): Outcome {
  return finishPrepared(prepareBuiltin(name, overrides), explore);
}

/** One function of a C file as a thread against the standard opponents. */
export function simulateFunction(
  analyzer: Analyzer,
  file: string,
  text: string,
  fn: string,
  kernel?: string,
  explore: Partial<ExploreOptions> = {},
): Outcome {
  return finishPrepared(prepareFunction(analyzer, file, text, fn, kernel), explore);
}

/** One function of a checked Document (its analysis is reused, nothing is parsed or analysed again). */
export function simulateFunctionOf(
  doc: Document,
  analyzer: Analyzer,
  fn: string,
  explore: Partial<ExploreOptions> = {},
): Outcome {
  return finishPrepared(prepareFunctionOf(doc, analyzer, fn), explore);
}

/** What to simulate, as plain data (what the editor sends to its worker). */
export type SimulationRequest =
  | { kind: 'builtin'; name: string; overrides?: CompileOverrides }
  | { kind: 'scenario'; text: string; source: string; overrides?: CompileOverrides }
  | { kind: 'function'; file: string; text: string; fn: string; kernel?: string };

/** Explore options that can travel in a message (no cancellation signal). */
export type ExploreLimits = Omit<Partial<ExploreOptions>, 'signal'>;

/**
 * Runs a request in slices (the event loop gets a turn every few milliseconds, see `finishAsync`), so the
 * host can deliver a cancellation: `signal` aborted ends the search with a "cancelled" bound.
 */
export async function simulateRequest(
  analyzer: () => Promise<Analyzer> | Analyzer,
  req: SimulationRequest,
  limits: ExploreLimits = {},
  signal?: { readonly aborted: boolean },
): Promise<Outcome> {
  const explore: Partial<ExploreOptions> = { ...limits, ...(signal ? { signal } : {}) };
  switch (req.kind) {
    case 'builtin':
      return finishPreparedAsync(prepareBuiltin(req.name, req.overrides ?? {}), explore);
    case 'scenario':
      return finishPreparedAsync(prepareText(req.text, req.source, req.overrides ?? {}), explore);
    case 'function':
      return finishPreparedAsync(prepareFunction(await analyzer(), req.file, req.text, req.fn, req.kernel), explore);
  }
}

/** `--set` names for the field-cost study. */
export function fieldCostParams(set: Record<string, string>): Partial<FieldCostParams> | { error: string } {
  const sizing = { ...DEFAULT_SIZING };
  const p: Partial<FieldCostParams> = { sizing };
  const numbers: Record<string, (n: number) => void> = {
    vfs_inode: (n) => (sizing.vfsInodeBytes = n),
    fs_inode: (n) => (sizing.fsInodeBytes = n),
    slab: (n) => (sizing.slabBytes = n),
    budget_mib: (n) => (p.budgetBytes = n * 1048576),
    files: (n) => (p.files = n),
    accesses: (n) => (p.accesses = n),
    zipf: (n) => (p.zipf = n),
    pinned: (n) => (p.pinned = n),
    field: (n) => (p.extras = [0, n, 2 * n]),
  };
  for (const [k, v] of Object.entries(set)) {
    const n = Number(v);
    if (!numbers[k])
      return { error: `unknown setting '${k}' for inode-field-cost (${Object.keys(numbers).join(', ')})` };
    if (!Number.isFinite(n) || n < 0) return { error: `${k} needs a non-negative number (got '${v}')` };
    numbers[k](n);
  }
  if ((p.files ?? DEFAULT_FIELD_COST.files) < 1 || (p.accesses ?? 1) < 1)
    return { error: 'files and accesses must be at least 1' };
  return p;
}
