/**
 * The browser host's analysis worker (dist/web/worker.js): a `Session` in a web worker, so that in vscode.dev and
 * other browser hosts no parse or analysis runs on the extension host's thread either. The host reads the two wasm
 * files (through vscode.workspace.fs, the only way it can) and sends them in a first `{ init }` message; after that
 * the worker speaks service/protocol.ts like the desktop's worker thread (serve.ts). No tree index: a browser host reads
 * no kernel tree from disk.
 */
import { Session } from './session';
import { serveRequests } from './serve';
import type { HostMessage, ReadyMessage, WorkerMessage } from './protocol';

/** The host's first message: the parser's runtime and the C grammar, as bytes. */
export interface WebWorkerInit {
  init: { runtime: Uint8Array; language: Uint8Array };
}

/** What this file needs of the dedicated worker's global scope. */
interface WorkerScope {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
}
const scope = globalThis as unknown as WorkerScope;

const isInit = (m: unknown): m is WebWorkerInit => typeof m === 'object' && m !== null && 'init' in m;

const ready = new Promise<Session | null>((resolve) => {
  scope.addEventListener('message', (e) => {
    if (!isInit(e.data)) return;
    const t0 = performance.now();
    Session.create(e.data.init).then(
      (s) => {
        scope.postMessage({ ready: true, loadMs: performance.now() - t0 } satisfies ReadyMessage);
        resolve(s);
      },
      (err: Error) => {
        scope.postMessage({ ready: false, error: err.message } satisfies ReadyMessage);
        resolve(null);
      },
    );
  });
});

serveRequests(
  {
    post: (m: WorkerMessage) => scope.postMessage(m),
    onMessage: (fn) =>
      scope.addEventListener('message', (e) => {
        if (!isInit(e.data)) fn(e.data as HostMessage);
      }),
  },
  ready,
);
