/** Where the wasm files are when running under Node (CLI, worker, tests, the desktop extension host). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { WasmSource } from './parser';

/** Bundles (dist/) carry both wasm files beside them; unbundled code (tests) finds them in node_modules. */
export function nodeWasmSource(bundleDir: string = __dirname): WasmSource {
  const local = (f: string) => join(bundleDir, f);
  if (existsSync(local('web-tree-sitter.wasm')) && existsSync(local('tree-sitter-c.wasm'))) {
    return { runtime: local('web-tree-sitter.wasm'), language: local('tree-sitter-c.wasm') };
  }
  // Resolved through a variable so bundlers leave these lookups alone.
  const resolve: (id: string) => string = require.resolve;
  const wts = dirname(resolve(['web-tree-sitter'][0]));
  const tsc = dirname(resolve(['tree-sitter-c', 'package.json'].join('/')));
  return { runtime: join(wts, 'web-tree-sitter.wasm'), language: join(tsc, 'tree-sitter-c.wasm') };
}
