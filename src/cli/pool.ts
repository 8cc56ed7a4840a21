/**
 * Checks files on N worker threads (each with its own parser and analyzer); results come back in input order.
 * `WorkerPool` keeps its threads between rounds of a tree check (the summary index is sent to each once per round).
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckOptions, FileResult } from '../core/engine';
import type { Outcome } from './files';
import type { CatalogueData } from '../core/catalogue/catalogue';
import type { IndexData } from '../core/index/summary-index';
import type { FileInterface } from '../core/index/summary-index';
import type { Runner, Task, TaskOutcome } from '../core/index/tree-check';
import type { WorkerRequest } from './check-worker';

/** Requests a thread holds at once: the one it works on and the next, so it never waits for this thread. */
const IN_FLIGHT = 2;

function workerScript(): string | null {
  const p = join(__dirname, 'check-worker-main.js');
  return existsSync(p) ? p : null;
}

export interface PoolOptions {
  /** Script of the threads (default: check-worker-main.js next to this bundle). */
  script?: string;
  /** Extra `workerData` (the editor's analysis worker takes `{ role: 'check', nice }` to act as a check worker). */
  data?: object;
}

interface Reply {
  ready?: boolean;
  fatal?: string;
  indexed?: number;
  index?: number;
  result?: FileResult;
  iface?: FileInterface;
  error?: string;
}

export class WorkerPool implements Runner {
  private readonly workers: Worker[];
  private readonly ready: Promise<void>[];
  private readonly script: string;
  private readonly workerData: object;
  private readonly exited = new WeakSet<Worker>();
  private seq = 0;
  /** The index last sent (a thread started in place of one that stopped gets it too). */
  private index: IndexData | null = null;
  /** Threads started in place of ones that stopped (ran out of memory, crashed). */
  restarts = 0;

  /** `resourceLimits`: each thread's heap limits (Node's defaults if unset). */
  constructor(
    size: number,
    options: CheckOptions,
    catalogues: CatalogueData[],
    withFixes = false,
    private readonly resourceLimits?: ResourceLimits,
    pool: PoolOptions = {},
  ) {
    const script = pool.script ?? workerScript();
    if (!script) throw new Error('worker script not found next to the CLI (rebuild with npm run build)');
    this.script = script;
    this.workerData = { options, catalogues, bundleDir: __dirname, withFixes, ...pool.data };
    this.workers = Array.from({ length: Math.max(1, size) }, () => this.spawn());
    this.ready = this.workers.map((w) => this.once(w, (m) => !!m.ready));
  }

  private spawn(): Worker {
    const w = new Worker(this.script, {
      workerData: this.workerData,
      ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}),
    });
    w.once('exit', () => this.exited.add(w));
    // Errors are handled by whoever waits on the thread; this keeps one between requests from going unhandled.
    w.on('error', () => undefined);
    return w;
  }

  /** Starts a thread in place of thread `wi`, which stopped, and gives it the current index. */
  private async replace(wi: number): Promise<Worker> {
    void this.workers[wi].terminate();
    const w = this.spawn();
    this.workers[wi] = w;
    this.restarts++;
    await this.once(w, (m) => !!m.ready);
    if (this.index) {
      const seq = this.seq;
      const p = this.once(w, (m) => m.indexed === seq);
      w.postMessage({ setIndex: this.index, seq } satisfies WorkerRequest);
      await p;
    }
    return w;
  }

  /** The next message of `w` that `pred` accepts (a fatal message or an error rejects). */
  private once(w: Worker, pred: (m: Reply) => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onMsg = (m: Reply) => {
        if (m.fatal) {
          cleanup();
          reject(new Error(m.fatal));
        } else if (pred(m)) {
          cleanup();
          resolve();
        }
      };
      const onErr = (e: Error) => {
        cleanup();
        reject(e);
      };
      const cleanup = () => {
        w.off('message', onMsg);
        w.off('error', onErr);
      };
      w.on('message', onMsg);
      w.on('error', onErr);
    });
  }

  async setIndex(data: IndexData): Promise<void> {
    await Promise.all(this.ready);
    const seq = ++this.seq;
    this.index = data;
    await Promise.all(
      this.workers.map((w) => {
        const p = this.once(w, (m) => m.indexed === seq);
        w.postMessage({ setIndex: data, seq } satisfies WorkerRequest);
        return p;
      }),
    );
  }

  /**
   * Runs requests on the threads, each taking the next as it finishes one (first those `owner` gives it, then any
   * other); replies in input order, with the thread that answered. A thread that stops (out of memory, a crash)
   * costs only the request it was working on: that one gets an error, and a new thread takes over the rest.
   */
  private async dispatch<R>(
    count: number,
    request: (i: number) => WorkerRequest,
    reply: (m: Reply, worker: number) => R,
    owner: (i: number) => number | undefined = () => undefined,
  ): Promise<R[]> {
    await Promise.all(this.ready);
    const out: R[] = new Array(count);
    const own: number[][] = this.workers.map(() => []);
    const shared: number[] = [];
    for (let i = 0; i < count; i++) {
      const o = owner(i);
      if (o !== undefined && o >= 0 && o < own.length) own[o].push(i);
      else shared.push(i);
    }
    await Promise.all(
      this.workers.map(
        (_, wi) =>
          new Promise<void>((resolve, reject) => {
            let w = this.workers[wi];
            // Requests sent and not answered yet, oldest first (the thread answers them in order). A thread is
            // sent its next request before it answers the current one, so it never waits for this thread to read
            // an answer and post the next file (a round trip per file left both threads idle a third of the time).
            const inFlight: number[] = [];
            const feed = () => {
              while (inFlight.length < IN_FLIGHT) {
                const next = own[wi].shift() ?? shared.shift();
                if (next === undefined) break;
                inFlight.push(next);
                w.postMessage(request(next));
              }
              if (!inFlight.length) {
                detach();
                resolve();
              }
            };
            const onMsg = (m: Reply) => {
              if (m.fatal) {
                detach();
                reject(new Error(m.fatal));
                return;
              }
              if (m.index === undefined) return;
              const at = inFlight.indexOf(m.index);
              if (at >= 0) inFlight.splice(at, 1);
              out[m.index] = reply(m, wi);
              feed();
            };
            const stopped = (why: string) => {
              detach();
              // The oldest request is the one the thread was working on; the others it had not started go to the
              // new thread.
              const current = inFlight.shift();
              if (current !== undefined) {
                out[current] = reply(
                  {
                    index: current,
                    error: `not checked: the worker thread checking it ${why} (a new thread checked the files after it)`,
                  },
                  wi,
                );
              }
              own[wi].unshift(...inFlight.splice(0));
              this.replace(wi).then((next) => {
                w = next;
                attach();
                feed();
              }, reject);
            };
            const onErr = (e: Error) =>
              stopped(
                (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
                  ? 'ran out of memory'
                  : `stopped: ${e.message}`,
              );
            const onExit = (code: number) => stopped(`exited (code ${code})`);
            const attach = () => {
              w.on('message', onMsg);
              w.on('error', onErr);
              w.on('exit', onExit);
            };
            const detach = () => {
              w.off('message', onMsg);
              w.off('error', onErr);
              w.off('exit', onExit);
            };
            attach();
            feed();
          }),
      ),
    );
    return out;
  }

  run(tasks: Task[]): Promise<TaskOutcome[]> {
    return this.dispatch(
      tasks.length,
      (i) => ({ index: i, task: tasks[i] }),
      (m, worker) => ({
        ...(m.result ? { result: m.result } : {}),
        ...(m.iface ? { iface: m.iface } : {}),
        ...(m.error ? { error: m.error } : {}),
        worker,
      }),
      (i) => tasks[i].worker,
    );
  }

  /** `onDone`: called as each file's outcome comes in (in completion order), for progress. */
  checkFiles(files: string[], onDone?: (o: Outcome) => void): Promise<Outcome[]> {
    return this.dispatch(
      files.length,
      (i) => ({ index: i, file: files[i] }),
      (m) => {
        const o: Outcome = m.result ? { result: m.result } : { error: m.error ?? 'unknown error' };
        onDone?.(o);
        return o;
      },
    );
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (this.exited.has(w)) {
              resolve();
              return;
            }
            w.once('exit', () => resolve());
            w.postMessage(null);
          }),
      ),
    );
  }
}

/** Checks files one by one, each on its own (no summaries across files). */
export async function checkInPool(
  files: string[],
  jobs: number,
  options: CheckOptions,
  catalogues: CatalogueData[],
  withFixes = false,
  resourceLimits?: ResourceLimits,
  onDone?: (o: Outcome) => void,
): Promise<Outcome[]> {
  const pool = new WorkerPool(Math.min(jobs, files.length), options, catalogues, withFixes, resourceLimits);
  try {
    return await pool.checkFiles(files, onDone);
  } finally {
    await pool.close();
  }
}
