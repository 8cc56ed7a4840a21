/**
 * The host's end of the analysis worker's protocol (service/protocol.ts), without `vscode`: requests by id, their
 * cancellation, and the worker's callbacks answered by the request's handlers (a patch review reads the base tree
 * through them). The extension's WorkerBackend wraps it; the unit tests drive dist/worker.js with it.
 */
import type {
  EventMessage,
  CallbackMessage,
  CallbackReply,
  HostHandlers,
  Method,
  Params,
  ProgressMessage,
  Result,
  WorkerMessage,
} from './protocol';

/** What the client needs of a worker (node:worker_threads' Worker, or a test double). */
export interface WorkerPort {
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  host: HostHandlers;
}

export class WorkerClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /** `onEvent`: the worker's unasked messages (a kernel tree's summary index building, ready, failed). */
  constructor(
    private readonly port: WorkerPort,
    private readonly onEvent?: (e: EventMessage['event']) => void,
  ) {}

  /**
   * Sends a request. `signal` cancels it (the worker stops an asynchronous request at its next check); `host`
   * answers the worker's callbacks and takes its progress messages.
   */
  call<M extends Method>(
    method: M,
    params: Params<M>,
    options: {
      signal?: { readonly aborted: boolean; addEventListener?(type: 'abort', fn: () => void): void };
      onCancel?: (cancel: () => void) => { dispose(): void };
      host?: HostHandlers;
      /** Buffers handed over to the worker (detached here: the caller no longer reads them). */
      transfer?: ArrayBuffer[];
    } = {},
  ): Promise<Result<M>> {
    const id = this.nextId++;
    const cancel = () => {
      if (this.pending.has(id)) this.port.postMessage({ cancel: id });
    };
    const sub = options.onCancel?.(cancel);
    options.signal?.addEventListener?.('abort', cancel);
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, host: options.host ?? {} });
      this.port.postMessage({ id, method, params }, options.transfer);
      if (options.signal?.aborted) cancel();
    }).finally(() => sub?.dispose());
  }

  /** Requests not answered yet. */
  get size(): number {
    return this.pending.size;
  }

  /** A message from the worker (all but its startup message). */
  handle(m: WorkerMessage): void {
    if ('ready' in m) return;
    if ('event' in m) {
      this.onEvent?.(m.event);
      return;
    }
    if ('callback' in m) {
      void this.answer(m);
      return;
    }
    if ('progress' in m) {
      const p = this.pending.get((m as ProgressMessage).progress);
      try {
        p?.host.progress?.((m as ProgressMessage).message);
      } catch {
        /* a progress display that went away */
      }
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(m.error));
  }

  /** The worker stopped: every request under way fails with `why`. */
  failAll(why: string): void {
    for (const p of this.pending.values()) p.reject(new Error(why));
    this.pending.clear();
  }

  private async answer(m: CallbackMessage): Promise<void> {
    const p = this.pending.get(m.request);
    const h = p?.host[m.method] as ((params: unknown) => Promise<unknown>) | undefined;
    let reply: CallbackReply;
    const transfer: ArrayBuffer[] = [];
    try {
      if (!p) throw new Error(`request ${m.request} is over`);
      if (!h) throw new Error(`the host does not answer ${m.method}`);
      let result = await h(m.params);
      // File bytes are copied once into a buffer of their own, which moves to the worker (the file system's buffer
      // may be a view of a pool, or untransferable).
      const bytes = (result as { bytes?: unknown } | null)?.bytes;
      if (bytes instanceof Uint8Array) {
        const own = new Uint8Array(bytes);
        result = { bytes: own };
        transfer.push(own.buffer);
      }
      reply = { callbackReply: m.callback, ok: true, result };
    } catch (e) {
      reply = { callbackReply: m.callback, ok: false, error: (e as Error).message ?? String(e) };
    }
    this.port.postMessage(reply, transfer);
  }
}
