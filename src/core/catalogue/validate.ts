/** Validates user rule catalogues (`--rules FILE`, the `vfsLockReview.rulesFile` setting) against the JSON schema. */
import type { ValidateFunction } from 'ajv';
import schema from './catalogue.schema.json';
import builtin from './kernel.json';
import type { CatalogueData } from './catalogue';
import { escapeForTerminal } from '../text/escape';

let compiled: ValidateFunction | undefined;

/**
 * The schema's validator, compiled on first use: compiling it takes most of a bare `vfslock` start (about 0.2 s),
 * which `make C=1` pays per file and b4 per patch although hardly any run has a rules file. `require` keeps ajv
 * itself unloaded until then too (esbuild bundles it behind a lazy wrapper).
 */
function validator(): ValidateFunction {
  if (!compiled) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Ajv = (require('ajv') as typeof import('ajv')).default;
    compiled = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  return compiled;
}

export class CatalogueError extends Error {}

/** Parses and validates catalogue JSON text; throws CatalogueError with every problem listed. */
export function parseCatalogue(text: string, source: string): CatalogueData {
  let data: unknown;
  // A byte-order mark is how some editors start UTF-8 files: not part of the JSON, and accepted.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new CatalogueError(`${source}: not valid JSON: ${escapeForTerminal((e as Error).message)}`);
  }
  const validateFn = validator();
  if (!validateFn(data)) {
    const problems = (validateFn.errors ?? [])
      .slice(0, 8)
      .map((e) => `${e.instancePath || '/'} ${e.message}`)
      .join('; ');
    throw new CatalogueError(`${source}: not a valid rule catalogue: ${problems}`);
  }
  return data as unknown as CatalogueData;
}

/** The built-in catalogue must satisfy its own schema (checked by the tests). */
export function validateBuiltin(): string[] {
  const validateFn = validator();
  return validateFn(builtin) ? [] : (validateFn.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
