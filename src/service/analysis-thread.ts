/**
 * Starts the analysis thread (dist/worker.js, service/worker-main.ts) on Node with a client for its protocol: the
 * thread's messages go to the client, and `started` settles on its ready message (or when it fails before sending one).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { WorkerClient } from './worker-client';
import { readyMessage, type WorkerMessage } from './protocol';

export interface AnalysisThread {
  worker: Worker;
  client: WorkerClient;
  /** Resolves once the thread's parser is loaded; rejects with why it could not start. */
  started: Promise<void>;
}

export function startAnalysisThread(script: string, options: WorkerOptions = {}): AnalysisThread {
  const worker = new Worker(script, options);
  const client = new WorkerClient(worker);
  worker.on('message', (m: WorkerMessage) => {
    if (!('ready' in m)) client.handle(m);
  });
  const started = readyMessage(worker).then((m) => {
    if (!m.ready) throw new Error(m.error);
  });
  return { worker, client, started };
}
