/**
 * The analysis thread (dist/worker.js): a `Session` in a Node worker thread, answering `protocol.ts` requests in
 * order (a simulation is answered when its exploration ends; its slices leave room for the requests after it, and
 * for a `{ cancel: id }` message). A patch review asks the host for the base tree's files through callbacks
 * (`{ callback, request, method, params }`, answered by `{ callbackReply }`) and reports progress
 * (`{ progress, message }`). The desktop extension runs one for open files, one per "Check Workspace" run, one for
 * patch reviews and one for race simulations. The same script, protocol and session are the threads of every pool
 * (cli/pool.ts): `vfslock check --jobs N`, and the summary index of a kernel tree that documents get unless the host
 * turns it off, built in the background (`{ event }` messages tell the host how the build goes). A thread started
 * for a pool (`workerData.role` 'pool') builds no index of its own.
 *
 * Started with `workerData.role` 'lsp', the thread is instead the language server of lsp-server.ts, the same one
 * `vfslock lsp` runs, speaking LSP over its port (lsp-port.ts): the VS Code extension's open documents, diagnostics,
 * quick fixes, hovers and code lenses, as a vscode-languageclient client.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { TreeIndexes } from './tree-index';
import { poolHandlers } from '../cli/pool-methods';
import { lowerThreadPriority } from './thread-priority';
import { nodeWasmSource } from '../core/parse/node-wasm';
import { Session } from './session';
import { nodeTreeReader } from '../core/catalogue/era-node';
import { serveRequests } from './serve';
import { readRegularText } from '../core/node-read';
import type { EventMessage, ReadyMessage } from './protocol';
import { createConnection } from 'vscode-languageserver/node';
import { PortMessageReader, PortMessageWriter } from './lsp-port';
import { serve } from './lsp-server';
import { warmUp } from './warm-up';
import { pathOfFileUri } from './file-uri';
import { VERSION } from '../cli/version';

const port = parentPort;
if (!port) throw new Error('worker-main runs in a worker thread');

const data = workerData as { nice?: number; role?: 'pool' | 'lsp' } | null;
const nice = data?.nice;
if (typeof nice === 'number' && nice > 0) lowerThreadPriority(nice);

if (data?.role === 'lsp') serveLsp(port);
else serveSession(port, data?.role === 'pool');

/** The language server over this thread's port; `{ ready }` is posted too, when the parser has loaded. */
function serveLsp(port: MessagePort): void {
  const t0 = performance.now();
  let loadMs: number | null = null;
  const session = Session.create(nodeWasmSource(__dirname), nodeTreeReader).then(
    (s) => {
      loadMs = performance.now() - t0;
      port.postMessage({ ready: true, loadMs } satisfies ReadyMessage);
      s.setSourceReader(readRegularText);
      warmUp(s);
      return s;
    },
    (e: Error) => {
      port.postMessage({ ready: false, error: e.message } satisfies ReadyMessage);
      throw e;
    },
  );
  const connection = createConnection(new PortMessageReader(port), new PortMessageWriter(port));
  serve(connection, {
    session: () => session,
    pathOf: pathOfFileUri,
    version: VERSION,
    loadMs: () => loadMs,
    indexes: (onEvent) => new TreeIndexes({ pool: { script: __filename, data: { nice: 10 } }, onEvent }),
  });
  connection.listen();
}

/** The analysis session; `inPool`: a pool's thread (no index of its own). */
function serveSession(port: MessagePort, inPool: boolean): void {
  const t0 = performance.now();
  const ready: Promise<Session | null> = Session.create(nodeWasmSource(__dirname), nodeTreeReader).then(
    (s) => {
      port.postMessage({ ready: true, loadMs: performance.now() - t0 } satisfies ReadyMessage);
      // Check Workspace names files by path: read here, so their bytes never cross the extension host's heap.
      s.setSourceReader(readRegularText);
      if (inPool) return s;
      s.setIndexProvider(
        new TreeIndexes({
          pool: { script: __filename, data: { nice: 10 } },
          // A ready index changes the open documents' results: the host asks for them again.
          onEvent: (e) =>
            port.postMessage({
              event: e.state === 'ready' ? { ...e, uris: s.refreshIndexes() } : e,
            } satisfies EventMessage),
        }),
      );
      return s;
    },
    (e: Error) => {
      port.postMessage({ ready: false, error: e.message } satisfies ReadyMessage);
      return null;
    },
  );

  serveRequests(
    {
      post: (m) => port.postMessage(m),
      onMessage: (fn) => port.on('message', fn),
    },
    ready,
    poolHandlers(),
  );
}
