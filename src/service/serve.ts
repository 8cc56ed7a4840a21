/**
 * The analysis session's side of service/protocol.ts, for any thread that runs one: the desktop's Node worker thread
 * (worker-main.ts) and the browser host's web worker (web-worker-main.ts). Requests are answered in order (a
 * simulation when its exploration ends; its slices leave room for the requests after it, and for a `{ cancel: id }`
 * message); a patch review asks the host for the base tree's files through callbacks (`{ callback, request, method,
 * params }`, answered by `{ callbackReply }`) and reports progress (`{ progress, message }`).
 */
import type { Session } from './session';
import {
  dispatch,
  type CallbackMessage,
  type CallbackReply,
  type HostChannel,
  type HostMessage,
  type PoolHandlers,
  type ProgressMessage,
  type ResponseMessage,
  type WorkerMessage,
} from './protocol';

/** How the session's thread talks to the host. */
export interface ServePort {
  post(message: WorkerMessage): void;
  onMessage(fn: (message: HostMessage) => void): void;
}

/**
 * Answers the host's requests with the session `ready` resolves to (null: it could not be created); `pool`: the
 * pool's methods too (a Node thread, which reads files by path).
 */
export function serveRequests(port: ServePort, ready: Promise<Session | null>, pool?: PoolHandlers): void {
  /** Asynchronous requests under way, by request id (a cancellation aborts its controller). */
  const running = new Map<number, AbortController>();
  /** Callbacks to the host awaiting its answer, by callback id. */
  const callbacks = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextCallback = 1;

  /** The callback channel of request `request`. */
  function channel(request: number): HostChannel {
    return {
      call(method, params) {
        const callback = nextCallback++;
        return new Promise((resolve, reject) => {
          callbacks.set(callback, { resolve: resolve as (v: unknown) => void, reject });
          port.post({ callback, request, method, params } satisfies CallbackMessage);
        });
      },
      progress(message) {
        port.post({ progress: request, message } satisfies ProgressMessage);
      },
    };
  }

  port.onMessage((msg: HostMessage) => {
    if ('cancel' in msg) {
      running.get(msg.cancel)?.abort();
      return;
    }
    if ('callbackReply' in msg) {
      const c = callbacks.get(msg.callbackReply);
      if (!c) return;
      callbacks.delete(msg.callbackReply);
      if (msg.ok) c.resolve(msg.result);
      else c.reject(new Error((msg as Extract<CallbackReply, { ok: false }>).error));
      return;
    }
    void ready.then(async (session) => {
      let reply: ResponseMessage;
      const controller = new AbortController();
      running.set(msg.id, controller);
      try {
        if (!session) throw new Error('the parser could not be loaded');
        await session.ready();
        reply = {
          id: msg.id,
          ok: true,
          result: await dispatch(session, msg.method, msg.params, controller.signal, channel(msg.id), pool),
        };
      } catch (e) {
        reply = { id: msg.id, ok: false, error: (e as Error).stack ?? String(e) };
      } finally {
        running.delete(msg.id);
      }
      port.post(reply);
    });
  });
}
