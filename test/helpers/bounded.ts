/**
 * Runs one exported function of a compiled module in a worker thread and gives up after a time limit, terminating
 * the worker: a regression to an endless loop then fails the test instead of hanging the whole run.
 */
import { Worker } from 'node:worker_threads';

export interface Bounded<T> {
  /** What the function returned (structured-cloned). */
  value?: T;
  /** What it threw: the error's class name and message. */
  error?: { name: string; message: string; stack: string };
  /** Wall time of the call itself, in the worker. */
  ms: number;
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const fn = require(workerData.module)[workerData.fn];
  const t0 = performance.now();
  try {
    const value = await fn(...workerData.args);
    parentPort.postMessage({ value, ms: performance.now() - t0 });
  } catch (e) {
    parentPort.postMessage({ error: { name: e && e.constructor ? e.constructor.name : typeof e, message: String(e && e.message !== undefined ? e.message : e), stack: String(e && e.stack) }, ms: performance.now() - t0 });
  }
})();
`;

/** `module` is an absolute path (use require.resolve); rejects when the call takes longer than `limitMs`. */
export function runBounded<T>(limitMs: number, module: string, fn: string, ...args: unknown[]): Promise<Bounded<T>> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { eval: true, workerData: { module, fn, args } });
    const timer = setTimeout(() => {
      void w.terminate();
      reject(new Error(`${fn} did not finish within ${limitMs} ms`));
    }, limitMs);
    w.once('message', (m: Bounded<T>) => {
      clearTimeout(timer);
      void w.terminate();
      resolve(m);
    });
    w.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
