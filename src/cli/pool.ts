/**
 * Checks files on N worker threads (each with its own parser and analyzer); results come back in input order.
 * `WorkerPool` keeps its threads between rounds of a tree check (the summary index is sent to each once per round).
 * The threads are the editor's analysis threads (service/worker-main.ts) and speak its protocol (service/protocol.ts),
 * with the pool's methods added (`PoolMethods`: cli/pool-methods.ts).
 */
import type { ResourceLimits, Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckOptions } from '../core/engine';
import type { Outcome } from './files';
import type { CatalogueData } from '../core/catalogue/catalogue';
import type { IndexData } from '../core/index/summary-index';
import type { Runner, Task, TaskOutcome } from '../core/index/tree-check';
import type { Method, Params, Result } from '../service/protocol';
import type { WorkerClient } from '../service/worker-client';
import { startAnalysisThread } from '../service/analysis-thread';

/** Requests a thread holds at once: the one it works on and the next, so it never waits for this thread. */
const IN_FLIGHT = 2;

/** The analysis thread's script: dist/worker.js beside the bundle, or the compiled module (tests run out/). */
function workerScript(): string | null {
  for (const p of [join(__dirname, 'worker.js'), join(__dirname, '..', 'service', 'worker-main.js')]) {
    if (existsSync(p)) return p;
  }
  return null;
}

export interface PoolOptions {
  /** Script of the threads (default: the analysis thread, dist/worker.js). */
  script?: string;
  /** Extra `workerData` (the editor's index build takes `{ nice }` to run below the editor's own thread). */
  data?: object;
}

/** A thread and its end of the protocol. */
interface Thread {
  worker: Worker;
  client: WorkerClient;
  /** Resolves once it is ready and set up (catalogues, options, the current index); rejects if it stopped first. */
  ready: Promise<void>;
}

export class WorkerPool implements Runner {
  private readonly threads: Thread[];
  private readonly script: string;
  private readonly workerData: object;
  private readonly exited = new WeakSet<Worker>();
  /** The index last sent (a thread started in place of one that stopped gets it too). */
  private index: IndexData | null = null;
  /** Threads started in place of ones that stopped (ran out of memory, crashed). */
  restarts = 0;

  /** `resourceLimits`: each thread's heap limits (Node's defaults if unset). */
  constructor(
    size: number,
    private readonly options: CheckOptions,
    private readonly catalogues: CatalogueData[],
    private readonly withFixes = false,
    private readonly resourceLimits?: ResourceLimits,
    pool: PoolOptions = {},
  ) {
    const script = pool.script ?? workerScript();
    if (!script) throw new Error('worker script not found next to the CLI (rebuild with npm run build)');
    this.script = script;
    this.workerData = { ...pool.data, role: 'pool' };
    this.threads = Array.from({ length: Math.max(1, size) }, () => this.spawn());
  }

  /** Starts a thread: ready once it has loaded its parser and taken the pool's settings and index. */
  private spawn(): Thread {
    const { worker, client, started } = startAnalysisThread(this.script, {
      workerData: this.workerData,
      ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}),
    });
    worker.once('exit', () => {
      this.exited.add(worker);
      client.failAll('the worker thread stopped');
    });
    // Errors are handled by whoever waits on the thread; this keeps one between requests from going unhandled.
    worker.on('error', (e) => client.failAll(e.message));
    const index = this.index;
    const ready = started.then(async () => {
      await client.call('poolInit', {
        catalogues: this.catalogues,
        options: this.options,
        withFixes: this.withFixes,
      });
      if (index) await client.call('setTreeIndex', { data: index });
    });
    ready.catch(() => undefined);
    return { worker, client, ready };
  }

  /** Starts a thread in place of thread `wi`, which stopped. */
  private replace(wi: number): Thread {
    void this.threads[wi].worker.terminate();
    const t = this.spawn();
    this.threads[wi] = t;
    this.restarts++;
    return t;
  }

  async setIndex(data: IndexData): Promise<void> {
    await Promise.all(this.threads.map((t) => t.ready));
    this.index = data;
    await Promise.all(this.threads.map((t) => t.client.call('setTreeIndex', { data })));
  }

  /**
   * Runs requests on the threads, each taking the next as it finishes one (first those `owner` gives it, then any
   * other); replies in input order, with the thread that answered. A thread that stops (out of memory, a crash)
   * costs only the request it was working on: that one gets an error, and a new thread takes over the rest.
   */
  private async dispatch<M extends Method, R>(
    count: number,
    method: M,
    params: (i: number) => Params<M>,
    reply: (r: Result<M> | { error: string }, worker: number) => R,
    owner: (i: number) => number | undefined = () => undefined,
  ): Promise<R[]> {
    await Promise.all(this.threads.map((t) => t.ready));
    const out: R[] = new Array(count);
    const own: number[][] = this.threads.map(() => []);
    const shared: number[] = [];
    for (let i = 0; i < count; i++) {
      const o = owner(i);
      if (o !== undefined && o >= 0 && o < own.length) own[o].push(i);
      else shared.push(i);
    }
    await Promise.all(
      this.threads.map(
        (_, wi) =>
          new Promise<void>((resolve, reject) => {
            let t = this.threads[wi];
            // Requests sent and not answered yet, oldest first (the thread answers them in order). A thread is
            // sent its next request before it answers the current one, so it never waits for this thread to read
            // an answer and post the next file (a round trip per file left both threads idle a third of the time).
            let inFlight: number[] = [];
            let stopping = false;
            const feed = () => {
              while (inFlight.length < IN_FLIGHT) {
                const next = own[wi].shift() ?? shared.shift();
                if (next === undefined) break;
                inFlight.push(next);
                const sentTo = t;
                // A thread that stops fails its requests after its error or exit event has replaced it (so
                // `answered` drops them); a request that fails in a thread that goes on is that file's error.
                sentTo.client.call(method, params(next)).then(
                  (r) => answered(sentTo, next, r),
                  (e: Error) => answered(sentTo, next, { error: `internal error: ${e.message}` }),
                );
              }
              if (!inFlight.length) {
                detach();
                resolve();
              }
            };
            const answered = (from: Thread, i: number, r: Result<M> | { error: string }) => {
              if (from !== t || stopping) return;
              inFlight = inFlight.filter((x) => x !== i);
              out[i] = reply(r, wi);
              feed();
            };
            const stopped = (why: string) => {
              if (stopping) return;
              stopping = true;
              detach();
              // The oldest request is the one the thread was working on; the others it had not started go to the
              // new thread.
              const current = inFlight.shift();
              if (current !== undefined) {
                out[current] = reply(
                  {
                    error: `not checked: the worker thread checking it ${why} (a new thread checked the files after it)`,
                  },
                  wi,
                );
              }
              own[wi].unshift(...inFlight.splice(0));
              t = this.replace(wi);
              t.ready.then(() => {
                stopping = false;
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
            let attached: Worker | null = null;
            const attach = () => {
              attached = t.worker;
              attached.on('error', onErr);
              attached.on('exit', onExit);
            };
            const detach = () => {
              attached?.off('error', onErr);
              attached?.off('exit', onExit);
              attached = null;
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
      'runTask',
      (i) => ({ task: tasks[i] }),
      (m, worker) => ({ ...m, worker }),
      (i) => tasks[i].worker,
    );
  }

  /** `onDone`: called as each file's outcome comes in (in completion order), for progress. */
  checkFiles(files: string[], onDone?: (o: Outcome) => void): Promise<Outcome[]> {
    return this.dispatch(
      files.length,
      'checkFile',
      (i) => ({ file: files[i] }),
      (m) => {
        onDone?.(m);
        return m;
      },
    );
  }

  async close(): Promise<void> {
    await Promise.all(
      this.threads.map(
        ({ worker }) =>
          new Promise<void>((resolve) => {
            if (this.exited.has(worker)) {
              resolve();
              return;
            }
            worker.once('exit', () => resolve());
            void worker.terminate();
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
