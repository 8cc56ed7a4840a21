/**
 * The analysis worker (dist/worker.js): a `Session` in a Node worker thread, answering `protocol.ts` requests in
 * order (a simulation is answered when its exploration ends; its slices leave room for the requests after it, and
 * for a `{ cancel: id }` message). The desktop extension runs one for open files, one per "Check Workspace" run
 * and one for race simulations.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { TreeIndexes } from '../../service/tree-index';
import { lowerThreadPriority } from './thread-priority';
import { nodeWasmSource } from '../../core/parse/node-wasm';
import { Session } from './session';
import { nodeTreeReader } from '../../core/catalogue/era-node';
import { serveChecks } from '../../cli/check-worker';
import { dispatch, type EventMessage, type CancelMessage, type ReadyMessage, type RequestMessage, type ResponseMessage } from './protocol';

const port = parentPort;
if (!port) throw new Error('worker-main runs in a worker thread');

const data = workerData as { nice?: number; role?: 'check' } | null;
const nice = data?.nice;
if (typeof nice === 'number' && nice > 0) lowerThreadPriority(nice);

if (data?.role === 'check') serveChecks();
else serveSession(port);

/**
 * The editor's analysis session (the `check` role instead serves a tree-index build, as a CLI pool thread).
 * Documents in a kernel tree get its summary index (unless the host turns that off), built on a thread of this
 * script in the `check` role.
 */
function serveSession(port: MessagePort): void {

  const t0 = performance.now();
  const ready: Promise<Session | null> = Session.create(nodeWasmSource(__dirname), nodeTreeReader).then(
    (s) => {
      port.postMessage({ ready: true, loadMs: performance.now() - t0 } satisfies ReadyMessage);
      const indexes = new TreeIndexes({
        pool: { script: __filename, data: { role: 'check', nice: 10 } },
        // A ready index changes the open documents' results: the host asks for them again.
        onEvent: (e) => port.postMessage({ event: e.state === 'ready' ? { ...e, uris: s.refreshIndexes() } : e } satisfies EventMessage),
      });
      s.setIndexProvider(indexes);
      return s;
    },
    (e: Error) => {
      port.postMessage({ ready: false, error: e.message } satisfies ReadyMessage);
      return null;
    },
  );

  /** Asynchronous requests under way, by request id (a cancellation aborts its controller). */
  const running = new Map<number, AbortController>();

  port.on('message', (msg: RequestMessage | CancelMessage) => {
    if ('cancel' in msg) {
      running.get(msg.cancel)?.abort();
      return;
    }
    void ready.then(async (session) => {
      let reply: ResponseMessage;
      const controller = new AbortController();
      running.set(msg.id, controller);
      try {
        if (!session) throw new Error('the parser could not be loaded');
        await session.ready();
        reply = { id: msg.id, ok: true, result: await dispatch(session, msg.method, msg.params, controller.signal) };
      } catch (e) {
        reply = { id: msg.id, ok: false, error: (e as Error).stack ?? String(e) };
      } finally {
        running.delete(msg.id);
      }
      port.postMessage(reply);
    });
  });
}
