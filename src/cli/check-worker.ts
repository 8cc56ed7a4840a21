/** Worker thread for `vfslock check --jobs N`: checks the files it is sent, with its own analyzer. */
import { parentPort, workerData } from 'node:worker_threads';
import { Analyzer, type CheckOptions } from '../core/engine';
import { nodeWasmSource } from '../core/parse/node-wasm';
import type { CatalogueData } from '../core/catalogue/catalogue';
import { checkFile } from './files';

interface Init {
  options: CheckOptions;
  catalogues: CatalogueData[];
  bundleDir: string;
  withFixes?: boolean;
}

async function run(): Promise<void> {
  const init = workerData as Init;
  const analyzer = await Analyzer.create(nodeWasmSource(init.bundleDir), init.catalogues);
  parentPort!.on('message', (msg: { index: number; file: string } | null) => {
    if (!msg) {
      process.exit(0);
      return;
    }
    parentPort!.postMessage({ index: msg.index, ...checkFile(analyzer, msg.file, init.options, !!init.withFixes) });
  });
  parentPort!.postMessage({ ready: true });
}

run().catch((e) => {
  parentPort!.postMessage({ fatal: String((e as Error).stack ?? e) });
});
