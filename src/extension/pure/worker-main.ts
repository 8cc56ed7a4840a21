/**
 * The analysis worker (dist/worker.js): a `Session` in a Node worker thread, answering `protocol.ts` requests in
 * order. The desktop extension runs one for open files and one per "Check Workspace" run.
 */
import { parentPort } from 'node:worker_threads';
import { nodeWasmSource } from '../../core/parse/node-wasm';
import { Session } from './session';
import { nodeTreeReader } from '../../core/catalogue/era-node';
import { dispatch, type ReadyMessage, type RequestMessage, type ResponseMessage } from './protocol';

const port = parentPort;
if (!port) throw new Error('worker-main runs in a worker thread');

const t0 = performance.now();
const ready: Promise<Session | null> = Session.create(nodeWasmSource(__dirname), nodeTreeReader).then(
  (s) => {
    port.postMessage({ ready: true, loadMs: performance.now() - t0 } satisfies ReadyMessage);
    return s;
  },
  (e: Error) => {
    port.postMessage({ ready: false, error: e.message } satisfies ReadyMessage);
    return null;
  },
);

port.on('message', (msg: RequestMessage) => {
  void ready.then((session) => {
    let reply: ResponseMessage;
    try {
      if (!session) throw new Error('the parser could not be loaded');
      reply = { id: msg.id, ok: true, result: dispatch(session, msg.method, msg.params) };
    } catch (e) {
      reply = { id: msg.id, ok: false, error: (e as Error).stack ?? String(e) };
    }
    port.postMessage(reply);
  });
});
