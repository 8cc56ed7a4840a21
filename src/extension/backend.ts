/**
 * Where Check Workspace, race simulations and patch reviews run: a Node worker thread each on the desktop, one web
 * worker in the browser extension host (vscode.dev has no worker_threads), so the extension host never blocks on a
 * parse or an analysis; inline on the browser host's thread only where it cannot start a worker. All load the same
 * wasm and answer the same typed requests (service/protocol.ts), started at their first request. (Open documents
 * are the language server's: language-client.ts.) A request may come with host handlers: the worker calls back
 * through them for what only the host can do (read the base tree of a patch review through vscode.workspace.fs) and
 * reports progress.
 */
import * as vscode from 'vscode';
import {
  directChannel,
  dispatch,
  type HostHandlers,
  type Method,
  type Params,
  readyMessage,
  type Result,
  type WorkerMessage,
} from '../service/protocol';
import { WorkerClient } from '../service/worker-client';
import { Session, type IndexEvent } from '../service/session';
import type { Log } from './output';
import { ms, now } from './output';

import { IS_WEB, readWasm } from './language-client';
export { IS_WEB };

export interface Backend {
  readonly kind: 'worker' | 'inline';
  /**
   * A request; `token` cancels an asynchronous one (a simulation answers with its partial result, a review stops
   * before its next analysis step); `host` answers the worker's callbacks (tree reads) and takes its progress.
   */
  call<M extends Method>(
    method: M,
    params: Params<M>,
    token?: vscode.CancellationToken,
    host?: HostHandlers,
    transfer?: ArrayBuffer[],
  ): Promise<Result<M>>;
  /** Milliseconds the parser took to load, once loaded. */
  readonly loadMs: number | null;
  /**
   * Starts loading now rather than at the first request (the analysis worker, on activation: the file that activated
   * the extension is checked as soon as the parser is ready). A no-op where loading would block the host thread.
   */
  prepare(): void;
  /** Fires when the worker was restarted after a crash: open documents must be sent again. */
  readonly onDidRestart: vscode.Event<void>;
  /** A kernel tree's summary index started building, is ready, or failed (worker only). */
  readonly onDidIndex: vscode.Event<IndexEvent>;
  dispose(): void;
}

export interface BackendOptions {
  /** The worker's heap limit (a hard stop behind the simulator's own memory estimate); Node's default if unset. */
  maxHeapMb?: number;
  /** Batch work: the worker thread runs at a lower priority (nice +10 on Linux) than the extension host's. */
  background?: boolean;
}

export function createBackend(
  ctx: vscode.ExtensionContext,
  log: Log,
  name: string,
  options: BackendOptions = {},
): Backend {
  // The condition as the bundler sees it (scripts/build.mjs defines it per bundle): the desktop bundle leaves out the
  // web worker's backend and, with it, the inline session and the whole analyzer it would load on the host's thread.
  return process.env.VFSLOCK_WEB === '1'
    ? new WebWorkerBackend(ctx, log, name)
    : new WorkerBackend(ctx, log, name, options);
}

/** The browser host reads no kernel tree from disk: no index, so no index events. */
const noIndexEvents: vscode.Event<IndexEvent> = () => ({ dispose: () => undefined });

/** A request through a worker's client, with the editor's cancellation token and host handlers. */
function callThrough<M extends Method>(
  client: WorkerClient,
  method: M,
  params: Params<M>,
  token?: vscode.CancellationToken,
  host?: HostHandlers,
  transfer?: ArrayBuffer[],
): Promise<Result<M>> {
  return client.call(
    method,
    params,
    token
      ? {
          host,
          signal: {
            get aborted() {
              return token.isCancellationRequested;
            },
          },
          onCancel: (cancel) => token.onCancellationRequested(cancel),
          transfer,
        }
      : { host, transfer },
  );
}

/** How long a web worker may take to load its parser before the analyses run inline instead. */
const WEB_WORKER_START_MS = 20000;

/** What the backend needs of a browser's dedicated Worker. */
interface WebWorker {
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  addEventListener(type: 'message' | 'error', listener: (e: { data?: unknown; message?: string }) => void): void;
  terminate(): void;
}

/**
 * The browser host's analyses: a web worker (dist/web/worker.js) running the same session and protocol as the
 * desktop's worker thread, so nothing heavy runs on the extension host's thread. Where the host cannot start one
 * (no `Worker`, or it fails before it is ready), the analyses run inline instead, on the host's thread.
 */
class WebWorkerBackend implements Backend {
  readonly kind = 'worker' as const;
  loadMs: number | null = null;
  private started: Promise<WorkerClient | null> | null = null;
  private worker: WebWorker | null = null;
  private inline: InlineBackend | null = null;
  private crashed = false;
  private disposed = false;
  private readonly restart = new vscode.EventEmitter<void>();
  readonly onDidRestart = this.restart.event;
  readonly onDidIndex = noIndexEvents;

  constructor(
    private readonly ctx: vscode.ExtensionContext,
    private readonly log: Log,
    private readonly name: string,
  ) {}

  /** The worker's client once it is ready; null: analyses run inline. */
  private start(): Promise<WorkerClient | null> {
    if (this.started) return this.started;
    const t0 = now();
    const wasCrashed = this.crashed;
    this.crashed = false;
    this.started = (async () => {
      const wasm = await readWasm(this.ctx);
      const Ctor = (globalThis as { Worker?: new (url: string, options?: { name?: string }) => WebWorker }).Worker;
      if (!Ctor) throw new Error('this browser host cannot start a web worker');
      // From the script's bytes: a browser host cannot start a worker from a remote extension's URI (code-server,
      // Codespaces), and a blob URL works wherever workers do.
      const script = await vscode.workspace.fs.readFile(
        vscode.Uri.joinPath(this.ctx.extensionUri, 'dist', 'web', 'worker.js'),
      );
      const url = URL.createObjectURL(new Blob([script as Uint8Array<ArrayBuffer>], { type: 'text/javascript' }));
      let w: WebWorker;
      try {
        w = new Ctor(url, { name: `vfslock-${this.name}` });
      } finally {
        // The worker has fetched it, or failed to.
        setTimeout(() => URL.revokeObjectURL(url), WEB_WORKER_START_MS);
      }
      const client = new WorkerClient(w);
      const ready = new Promise<void>((resolve, reject) => {
        w.addEventListener('message', (e) => {
          const m = e.data as WorkerMessage;
          if ('ready' in m) {
            if (m.ready) {
              this.loadMs = now() - t0;
              this.log.info(
                `${this.name} web worker started, parser loaded in ${ms(m.loadMs)} ms (${ms(this.loadMs)} ms with its start)`,
              );
              resolve();
            } else reject(new Error(m.error));
            return;
          }
          client.handle(m);
        });
        w.addEventListener('error', (e) => {
          const why = e.message ?? 'the web worker failed';
          reject(new Error(why));
          if (this.worker !== w) return;
          // After it was ready: what was under way fails, and the next request starts a new worker.
          this.worker = null;
          this.started = null;
          client.failAll(why);
          if (!this.disposed) {
            this.crashed = true;
            this.log.error(`${this.name} web worker stopped: ${why}`);
          }
        });
      });
      w.postMessage({ init: wasm }, [wasm.runtime.buffer as ArrayBuffer, wasm.language.buffer as ArrayBuffer]);
      // A worker whose script never loads (a host's content policy) may say nothing at all.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const silent = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`not ready after ${WEB_WORKER_START_MS / 1000} s`)),
          WEB_WORKER_START_MS,
        );
      });
      try {
        await Promise.race([ready, silent]);
      } catch (e) {
        w.terminate();
        throw e;
      } finally {
        clearTimeout(timer);
      }
      this.worker = w;
      if (wasCrashed) this.restart.fire();
      return client;
    })().catch((e: Error) => {
      this.log.info(`${this.name}: no web worker (${e.message}); analyses run on the extension host's thread`);
      this.inline ??= new InlineBackend(this.ctx, this.log);
      return null;
    });
    return this.started;
  }

  prepare(): void {
    if (!this.disposed) void this.start();
  }

  async call<M extends Method>(
    method: M,
    params: Params<M>,
    token?: vscode.CancellationToken,
    host?: HostHandlers,
    transfer?: ArrayBuffer[],
  ): Promise<Result<M>> {
    if (this.disposed) throw new Error('analysis backend disposed');
    const client = await this.start();
    if (!client) return this.inline!.call(method, params, token, host);
    return callThrough(client, method, params, token, host, transfer);
  }

  dispose(): void {
    this.disposed = true;
    this.worker?.terminate();
    this.worker = null;
    this.inline?.dispose();
    this.restart.dispose();
  }
}

class InlineBackend implements Backend {
  readonly kind = 'inline' as const;
  loadMs: number | null = null;
  private session: Promise<Session> | null = null;
  private readonly restart = new vscode.EventEmitter<void>();
  readonly onDidRestart = this.restart.event;
  readonly onDidIndex = noIndexEvents;

  constructor(
    private readonly ctx: vscode.ExtensionContext,
    private readonly log: Log,
  ) {}

  private ready(): Promise<Session> {
    if (!this.session) {
      this.session = (async () => {
        const t0 = now();
        const s = await Session.create(await readWasm(this.ctx));
        this.loadMs = now() - t0;
        this.log.info(`parser loaded in the extension host (inline analysis) in ${ms(this.loadMs)} ms`);
        return s;
      })();
      this.session.catch((e) => {
        this.session = null;
        this.log.error(`cannot load the parser: ${(e as Error).message}`);
      });
    }
    return this.session;
  }

  async call<M extends Method>(
    method: M,
    params: Params<M>,
    token?: vscode.CancellationToken,
    host?: HostHandlers,
  ): Promise<Result<M>> {
    const s = await this.ready();
    const controller = new AbortController();
    const sub = token?.onCancellationRequested(() => controller.abort());
    try {
      return (await dispatch(s, method, params, controller.signal, directChannel(host))) as Result<M>;
    } finally {
      sub?.dispose();
    }
  }

  prepare(): void {
    // Inline, loading the parser runs on the extension host's own thread: it waits for the first request.
  }

  dispose(): void {
    void this.session?.then(
      (s) => s.dispose(),
      () => undefined,
    );
    this.restart.dispose();
  }
}

class WorkerBackend implements Backend {
  readonly kind = 'worker' as const;
  loadMs: number | null = null;
  private worker: import('node:worker_threads').Worker | null = null;
  private client: WorkerClient | null = null;
  private started: Promise<void> | null = null;
  private crashed = false;
  private disposed = false;
  private readonly restart = new vscode.EventEmitter<void>();
  readonly onDidRestart = this.restart.event;
  private readonly indexed = new vscode.EventEmitter<IndexEvent>();
  readonly onDidIndex = this.indexed.event;

  constructor(
    private readonly ctx: vscode.ExtensionContext,
    private readonly log: Log,
    private readonly name: string,
    private readonly options: BackendOptions = {},
  ) {}

  private start(): Promise<void> {
    if (this.started) return this.started;
    // Required here, not at the top: the browser bundle must not reference worker_threads.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
    const t0 = now();
    const script = vscode.Uri.joinPath(this.ctx.extensionUri, 'dist', 'worker.js').fsPath;
    const limits = this.options.maxHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb } } : {};
    const data = this.options.background ? { workerData: { nice: 10 } } : {};
    const w = new Worker(script, { name: `vfslock-${this.name}`, ...limits, ...data });
    const client = new WorkerClient(w, (e) => this.indexed.fire(e));
    this.worker = w;
    this.client = client;
    const wasCrashed = this.crashed;
    this.crashed = false;
    const started = readyMessage(w).then((m) => {
      if (!m.ready) throw new Error(m.error);
      this.loadMs = now() - t0;
      this.log.info(
        `${this.name} worker started, parser loaded in ${ms(m.loadMs)} ms (${ms(this.loadMs)} ms with thread start)`,
      );
    });
    w.on('message', (m: WorkerMessage) => client.handle(m));
    const fail = (why: string) => {
      if (this.worker !== w) return;
      this.worker = null;
      this.client = null;
      this.started = null;
      client.failAll(why);
      if (!this.disposed) {
        this.crashed = true;
        this.log.error(`${this.name} worker stopped: ${why}`);
      }
    };
    w.on('error', (e) => fail(e.stack ?? e.message));
    w.on('exit', (code) => fail(`exit code ${code}`));
    this.started = started;
    if (wasCrashed)
      this.started.then(
        () => this.restart.fire(),
        () => undefined,
      );
    return this.started;
  }

  prepare(): void {
    if (this.disposed) return;
    // A failure is logged by the worker's own handlers; the first request reports it too.
    this.start().catch(() => undefined);
  }

  async call<M extends Method>(
    method: M,
    params: Params<M>,
    token?: vscode.CancellationToken,
    host?: HostHandlers,
    transfer?: ArrayBuffer[],
  ): Promise<Result<M>> {
    if (this.disposed) throw new Error('analysis backend disposed');
    await this.start();
    const client = this.client;
    if (!client) throw new Error(`${this.name} worker is not running`);
    return callThrough(client, method, params, token, host, transfer);
  }

  dispose(): void {
    this.disposed = true;
    void this.worker?.terminate();
    this.worker = null;
    this.client = null;
    this.restart.dispose();
    this.indexed.dispose();
  }
}
