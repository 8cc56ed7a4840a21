/** Validates user rule catalogues (`--rules FILE`, the `vfsLockReview.rulesFile` setting) against the JSON schema. */
import Ajv from 'ajv';
import schema from './catalogue.schema.json';
import builtin from './kernel.json';
import type { CatalogueData } from './catalogue';

const ajv = new Ajv({ allErrors: true, strict: false });
const validateFn = ajv.compile(schema);

export class CatalogueError extends Error {}

/** Parses and validates catalogue JSON text; throws CatalogueError with every problem listed. */
export function parseCatalogue(text: string, source: string): CatalogueData {
  let data: unknown;
  // A byte-order mark is how some editors start UTF-8 files: not part of the JSON, and accepted.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new CatalogueError(`${source}: not valid JSON: ${visible((e as Error).message)}`);
  }
  if (!validateFn(data)) {
    const problems = (validateFn.errors ?? []).slice(0, 8).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new CatalogueError(`${source}: not a valid rule catalogue: ${problems}`);
  }
  return data as unknown as CatalogueData;
}

/** The built-in catalogue must satisfy its own schema (checked by the tests). */
export function validateBuiltin(): string[] {
  return validateFn(builtin) ? [] : (validateFn.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/**
 * `s` with invisible and control characters written as \u{XXXX} (JSON.parse quotes the text around an error, and a
 * zero-width space, a byte-order mark or a bidi control would otherwise be printed as nothing, or reorder the line).
 */
export function visible(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g,
    (c) => `\\u{${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}}`);
}
