/** Where the wasm files are when running under Node (CLI, worker, tests, the desktop extension host). */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TreeSitterModule, WasmSource } from './parser';

/**
 * Bundles (dist/) carry both wasm files and web-tree-sitter's CommonJS module beside them; unbundled code (tests)
 * finds them in node_modules.
 */
export function nodeWasmSource(bundleDir: string = __dirname): WasmSource {
  const local = (f: string) => join(bundleDir, f);
  if (existsSync(local('web-tree-sitter.wasm')) && existsSync(local('tree-sitter-c.wasm'))) {
    const script = local('web-tree-sitter.cjs');
    return {
      runtime: local('web-tree-sitter.wasm'),
      language: local('tree-sitter-c.wasm'),
      ...(existsSync(script) ? { freshModule: freshCopy(script) } : {}),
    };
  }
  // Resolved through a variable so bundlers leave these lookups alone.
  const resolve: (id: string) => string = require.resolve;
  const script = resolve(['web-tree-sitter'][0]);
  const wts = dirname(script);
  const tsc = dirname(resolve(['tree-sitter-c', 'package.json'].join('/')));
  return {
    runtime: join(wts, 'web-tree-sitter.wasm'),
    language: join(tsc, 'tree-sitter-c.wasm'),
    freshModule: freshCopy(script),
  };
}

/**
 * Loads `script` (web-tree-sitter's CommonJS build) anew on each call: out of Node's module cache first, so each
 * copy has its own module scope and, once initialised, its own wasm instance.
 */
function freshCopy(script: string): () => TreeSitterModule {
  return () => {
    const req = createRequire(script);
    delete req.cache[script];
    try {
      return req(script) as TreeSitterModule;
    } finally {
      // Nothing else should find this copy through the cache.
      delete req.cache[script];
    }
  };
}
