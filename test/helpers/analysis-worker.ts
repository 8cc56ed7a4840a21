/** The built analysis thread (dist/worker.js) with a client for its protocol, for tests that drive it. */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PROJECT_ROOT } from './corpus';
import { WorkerClient } from '../../src/service/worker-client';
import type { WorkerMessage } from '../../src/service/protocol';

/** Starts dist/worker.js and resolves once its parser is loaded (rejects with why it could not start). */
export async function startAnalysisWorker(): Promise<{ worker: Worker; client: WorkerClient }> {
  const worker = new Worker(join(PROJECT_ROOT, 'dist', 'worker.js'));
  const client = new WorkerClient(worker);
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m: WorkerMessage) => {
      if ('ready' in m) {
        if (m.ready) resolve();
        else reject(new Error(m.error));
      } else client.handle(m);
    });
    worker.once('error', reject);
  });
  return { worker, client };
}
