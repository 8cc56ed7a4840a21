/**
 * One analyzer per set of rules files in a process, for every command (check, review, simulate, the index
 * builder): `main()` called again in the same process (tests, a host that embeds the CLI) reuses it instead of
 * loading another wasm instance, whose start-up could stall when several were loaded one after another.
 */
import { Analyzer } from '../core/engine';
import type { CatalogueData } from '../core/catalogue/catalogue';
import { nodeWasmSource } from '../core/parse/node-wasm';

const analyzers = new Map<string, Promise<Analyzer>>();

export function processAnalyzer(catalogues: CatalogueData[] = []): Promise<Analyzer> {
  const key = JSON.stringify(catalogues);
  let a = analyzers.get(key);
  if (!a) {
    a = Analyzer.create(nodeWasmSource(), catalogues);
    a.catch(() => analyzers.delete(key));
    analyzers.set(key, a);
  }
  return a;
}
