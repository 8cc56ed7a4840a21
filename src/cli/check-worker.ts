/**
 * A worker thread of `vfslock check --jobs N` (and of the editor's background index build): checks the files it is
 * sent, with its own analyzer; for a tree check, also keeps the summary index the main thread sends between rounds.
 * `serveChecks()` starts it; check-worker-main.ts is the CLI's thread entry.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Analyzer, type CheckOptions } from '../core/engine';
import { nodeWasmSource } from '../core/parse/node-wasm';
import type { CatalogueData } from '../core/catalogue/catalogue';
import type { IndexData } from '../core/index/summary-index';
import type { Task } from '../core/index/tree-check';
import { checkFile } from './files';
import { TaskRunner } from './tasks';

interface Init {
  options: CheckOptions;
  catalogues: CatalogueData[];
  bundleDir: string;
  withFixes?: boolean;
  /** True: documents are kept between rounds of a tree check (TaskRunner's `retain`). */
  retainDocuments?: boolean;
}

export type WorkerRequest =
  { index: number; file: string } | { index: number; task: Task } | { setIndex: IndexData; seq: number } | null;

async function run(): Promise<void> {
  const init = workerData as Init;
  const analyzer = await Analyzer.create(nodeWasmSource(init.bundleDir), init.catalogues);
  const tasks = new TaskRunner(analyzer, init.options, init.retainDocuments === true);
  parentPort!.on('message', async (msg: WorkerRequest) => {
    if (!msg) {
      process.exit(0);
      return;
    }
    if ('setIndex' in msg) {
      tasks.setIndex(msg.setIndex);
      parentPort!.postMessage({ indexed: msg.seq });
      return;
    }
    // The pool sends the next request only after this one's reply, so waiting here keeps them in order.
    await analyzer.ready();
    if ('task' in msg) {
      parentPort!.postMessage({ index: msg.index, ...tasks.run(msg.task) });
      return;
    }
    parentPort!.postMessage({ index: msg.index, ...checkFile(analyzer, msg.file, init.options, !!init.withFixes) });
  });
  parentPort!.postMessage({ ready: true });
}

/** Serves the pool's requests on this thread (the analysis worker of the editor calls it in its `check` role). */
export function serveChecks(): void {
  run().catch((e) => {
    parentPort!.postMessage({ fatal: String((e as Error).stack ?? e) });
  });
}
