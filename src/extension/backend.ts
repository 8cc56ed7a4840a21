/**
 * Where analyses run: a Node worker thread on the desktop (the extension host never blocks on a parse or an
 * analysis), inline in the browser extension host (vscode.dev has no worker_threads). Both load the same wasm and
 * answer the same typed requests (pure/protocol.ts); nothing is loaded until the first request.
 */
import * as vscode from 'vscode';
import { dispatch, type CancelMessage, type EventMessage, type Method, type Params, type ReadyMessage, type ResponseMessage, type Result } from './pure/protocol';
import { Session, type IndexEvent } from './pure/session';
import type { Log } from './output';
import { ms, now } from './output';

export const IS_WEB = process.env.VFSLOCK_WEB === '1';

export interface Backend {
  readonly kind: 'worker' | 'inline';
  /** A request; `token` cancels an asynchronous one (a simulation answers with its partial result). */
  call<M extends Method>(method: M, params: Params<M>, token?: vscode.CancellationToken): Promise<Result<M>>;
  /** Milliseconds the parser took to load, once loaded. */
  readonly loadMs: number | null;
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

export function createBackend(ctx: vscode.ExtensionContext, log: Log, name: string, options: BackendOptions = {}): Backend {
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

  constructor(private readonly ctx: vscode.ExtensionContext, private readonly log: Log) {}

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

  async call<M extends Method>(method: M, params: Params<M>, token?: vscode.CancellationToken): Promise<Result<M>> {
    const s = await this.ready();
    const controller = new AbortController();
    const sub = token?.onCancellationRequested(() => controller.abort());
    try {
      return (await dispatch(s, method, params, controller.signal)) as Result<M>;
    } finally {
      sub?.dispose();
    }
  }

  dispose(): void {
    void this.session?.then((s) => s.dispose(), () => undefined);
    this.restart.dispose();
  }
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

class WorkerBackend implements Backend {
  readonly kind = 'worker' as const;
  loadMs: number | null = null;
  private worker: import('node:worker_threads').Worker | null = null;
  private started: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private crashed = false;
  private disposed = false;
  private readonly restart = new vscode.EventEmitter<void>();
  readonly onDidRestart = this.restart.event;
  private readonly indexed = new vscode.EventEmitter<IndexEvent>();
  readonly onDidIndex = this.indexed.event;

  constructor(private readonly ctx: vscode.ExtensionContext, private readonly log: Log, private readonly name: string, private readonly options: BackendOptions = {}) {}

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
    this.worker = w;
    const wasCrashed = this.crashed;
    this.crashed = false;
    this.started = new Promise<void>((resolve, reject) => {
      const onReady = (m: ReadyMessage | ResponseMessage) => {
        if (!('ready' in m)) return;
        w.off('message', onReady);
        if (m.ready) {
          this.loadMs = now() - t0;
          this.log.info(`${this.name} worker started, parser loaded in ${ms(m.loadMs)} ms (${ms(this.loadMs)} ms with thread start)`);
          resolve();
        } else reject(new Error(m.error));
      };
      w.on('message', onReady);
    });
    w.on('message', (m: ReadyMessage | ResponseMessage | EventMessage) => {
      if ('ready' in m) return;
      if ('event' in m) {
        this.indexed.fire(m.event);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
    const fail = (why: string) => {
      if (this.worker !== w) return;
      this.worker = null;
      this.started = null;
      for (const p of this.pending.values()) p.reject(new Error(why));
      this.pending.clear();
      if (!this.disposed) {
        this.crashed = true;
        this.log.error(`${this.name} worker stopped: ${why}`);
      }
    };
    w.on('error', (e) => fail(e.stack ?? e.message));
    w.on('exit', (code) => fail(`exit code ${code}`));
    if (wasCrashed) this.started.then(() => this.restart.fire(), () => undefined);
    return this.started;
  }

  async call<M extends Method>(method: M, params: Params<M>, token?: vscode.CancellationToken): Promise<Result<M>> {
    if (this.disposed) throw new Error('analysis backend disposed');
    await this.start();
    const w = this.worker;
    if (!w) throw new Error(`${this.name} worker is not running`);
    const id = this.nextId++;
    const sub = token?.onCancellationRequested(() => {
      if (this.worker === w && this.pending.has(id)) w.postMessage({ cancel: id } satisfies CancelMessage);
    });
    try {
      return await new Promise<Result<M>>((resolve, reject) => {
        this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        w.postMessage({ id, method, params });
      });
    } finally {
      sub?.dispose();
    }
  }

  dispose(): void {
    this.disposed = true;
    void this.worker?.terminate();
    this.worker = null;
    this.restart.dispose();
    this.indexed.dispose();
  }
}
