/** The built analysis thread (dist/worker.js) with a client for its protocol, for tests that drive it. */
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { PROJECT_ROOT } from './corpus';
import type { WorkerClient } from '../../src/service/worker-client';
import { startAnalysisThread } from '../../src/service/analysis-thread';

/** Starts dist/worker.js and resolves once its parser is loaded (rejects with why it could not start). */
export async function startAnalysisWorker(): Promise<{ worker: Worker; client: WorkerClient }> {
  const { worker, client, started } = startAnalysisThread(join(PROJECT_ROOT, 'dist', 'worker.js'));
  await started;
  return { worker, client };
}
