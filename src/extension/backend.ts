/**
 * Where analyses run: a Node worker thread on the desktop (the extension host never blocks on a parse or an
 * analysis), inline in the browser extension host (vscode.dev has no worker_threads). Both load the same wasm and
 * answer the same typed requests (pure/protocol.ts); the analysis worker starts loading when the extension activates
 * (`prepare`), the others at their first request. A request may come with host handlers: the worker calls back
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
  type Result,
  type WorkerMessage,
} from './pure/protocol';
import { WorkerClient } from './pure/worker-client';
import { Session, type IndexEvent } from './pure/session';
import type { Log } from './output';
import { ms, now } from './output';

export const IS_WEB = process.env.VFSLOCK_WEB === '1';

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
  return IS_WEB ? new InlineBackend(ctx, log) : new WorkerBackend(ctx, log, name, options);
}

class InlineBackend implements Backend {
  readonly kind = 'inline' as const;
  loadMs: number | null = null;
  private session: Promise<Session> | null = null;
  private readonly restart = new vscode.EventEmitter<void>();
  readonly onDidRestart = this.restart.event;
  // The browser host reads no kernel tree from disk: no index.
  readonly onDidIndex: vscode.Event<IndexEvent> = () => ({ dispose: () => undefined });

  constructor(
    private readonly ctx: vscode.ExtensionContext,
    private readonly log: Log,
  ) {}

  private ready(): Promise<Session> {
    if (!this.session) {
      this.session = (async () => {
        const t0 = now();
        const dir = vscode.Uri.joinPath(this.ctx.extensionUri, 'dist');
        const [runtime, language] = await Promise.all([
          vscode.workspace.fs.readFile(vscode.Uri.joinPath(dir, 'web-tree-sitter.wasm')),
          vscode.workspace.fs.readFile(vscode.Uri.joinPath(dir, 'tree-sitter-c.wasm')),
        ]);
        const s = await Session.create({ runtime, language });
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
    this.started = new Promise<void>((resolve, reject) => {
      const onReady = (m: WorkerMessage) => {
        if (!('ready' in m)) return;
        w.off('message', onReady);
        if (m.ready) {
          this.loadMs = now() - t0;
          this.log.info(
            `${this.name} worker started, parser loaded in ${ms(m.loadMs)} ms (${ms(this.loadMs)} ms with thread start)`,
          );
          resolve();
        } else reject(new Error(m.error));
      };
      w.on('message', onReady);
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

  dispose(): void {
    this.disposed = true;
    void this.worker?.terminate();
    this.worker = null;
    this.client = null;
    this.restart.dispose();
    this.indexed.dispose();
  }
}
