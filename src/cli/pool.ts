/**
 * Checks files on N worker threads (each with its own parser and analyzer); results come back in input order.
 * `WorkerPool` keeps its threads between rounds of a tree check (the summary index is sent to each once per round).
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckOptions, FileResult } from '../core/engine';
import type { Outcome } from './files';
import type { CatalogueData } from '../core/catalogue/catalogue';
import type { IndexData } from '../core/index/summary-index';
import type { FileInterface } from '../core/index/summary-index';
import type { Runner, Task, TaskOutcome } from '../core/index/tree-check';
import type { WorkerRequest } from './check-worker';

function workerScript(): string | null {
  const p = join(__dirname, 'check-worker.js');
  return existsSync(p) ? p : null;
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
  private seq = 0;

  constructor(size: number, options: CheckOptions, catalogues: CatalogueData[], withFixes = false) {
    const script = workerScript();
    if (!script) throw new Error('worker script not found next to the CLI (rebuild with npm run build)');
    this.workers = Array.from({ length: Math.max(1, size) }, () => new Worker(script, { workerData: { options, catalogues, bundleDir: __dirname, withFixes } }));
    this.ready = this.workers.map((w) => this.once(w, (m) => !!m.ready));
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
    await Promise.all(this.workers.map((w) => {
      const p = this.once(w, (m) => m.indexed === seq);
      w.postMessage({ setIndex: data, seq } satisfies WorkerRequest);
      return p;
    }));
  }

  /**
   * Runs requests on the threads, each taking the next as it finishes one (first those `owner` gives it, then any
   * other); replies in input order, with the thread that answered.
   */
  private async dispatch<R>(count: number, request: (i: number) => WorkerRequest, reply: (m: Reply, worker: number) => R,
    owner: (i: number) => number | undefined = () => undefined): Promise<R[]> {
    await Promise.all(this.ready);
    const out: R[] = new Array(count);
    const own: number[][] = this.workers.map(() => []);
    const shared: number[] = [];
    for (let i = 0; i < count; i++) {
      const o = owner(i);
      if (o !== undefined && o >= 0 && o < own.length) own[o].push(i);
      else shared.push(i);
    }
    await Promise.all(this.workers.map((w, wi) => new Promise<void>((resolve, reject) => {
      const feed = () => {
        const next = own[wi].shift() ?? shared.shift();
        if (next === undefined) {
          w.off('message', onMsg);
          w.off('error', reject);
          resolve();
          return;
        }
        w.postMessage(request(next));
      };
      const onMsg = (m: Reply) => {
        if (m.fatal) {
          reject(new Error(m.fatal));
          return;
        }
        if (m.index === undefined) return;
        out[m.index] = reply(m, wi);
        feed();
      };
      w.on('message', onMsg);
      w.on('error', reject);
      feed();
    })));
    return out;
  }

  run(tasks: Task[]): Promise<TaskOutcome[]> {
    return this.dispatch(tasks.length, (i) => ({ index: i, task: tasks[i] }), (m, worker) => ({
      ...(m.result ? { result: m.result } : {}), ...(m.iface ? { iface: m.iface } : {}), ...(m.error ? { error: m.error } : {}), worker,
    }), (i) => tasks[i].worker);
  }

  checkFiles(files: string[]): Promise<Outcome[]> {
    return this.dispatch(files.length, (i) => ({ index: i, file: files[i] }), (m) => (m.result ? { result: m.result } : { error: m.error ?? 'unknown error' }));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      w.postMessage(null);
    })));
  }
}

/** Checks files one by one, each on its own (no summaries across files). */
export async function checkInPool(files: string[], jobs: number, options: CheckOptions, catalogues: CatalogueData[], withFixes = false): Promise<Outcome[]> {
  const pool = new WorkerPool(Math.min(jobs, files.length), options, catalogues, withFixes);
  try {
    return await pool.checkFiles(files);
  } finally {
    await pool.close();
  }
}
