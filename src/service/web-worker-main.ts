/**
 * The browser host's analysis worker (dist/web/worker.js): a `Session` in a web worker, so that in vscode.dev and
 * other browser hosts no parse or analysis runs on the extension host's thread either. The host reads the two wasm
 * files (through vscode.workspace.fs, the only way it can) and sends them in a first `{ init }` message; after that
 * the worker speaks service/protocol.ts like the desktop's worker thread (serve.ts). No tree index: a browser host reads
 * no kernel tree from disk.
 */
import { BrowserMessageReader, BrowserMessageWriter, createConnection } from 'vscode-languageserver/browser';
import { serve } from './lsp-server';
import { warmUp } from './warm-up';
import { VERSION } from '../cli/version';
import { Session } from './session';
import { serveRequests } from './serve';
import type { HostMessage, ReadyMessage, WorkerMessage } from './protocol';

/**
 * The host's first message: the parser's runtime and the C grammar, as bytes; `lsp`: the worker is the language
 * server of lsp-server.ts (the extension's documents, as a vscode-languageclient client) instead of answering
 * protocol.ts requests.
 */
export interface WebWorkerInit {
  init: { runtime: Uint8Array; language: Uint8Array };
  lsp?: boolean;
}

/** What this file needs of the dedicated worker's global scope. */
interface WorkerScope {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
}
const scope = globalThis as unknown as WorkerScope;

const isInit = (m: unknown): m is WebWorkerInit => typeof m === 'object' && m !== null && 'init' in m;

let lsp = false;
const ready = new Promise<Session | null>((resolve) => {
  scope.addEventListener('message', (e) => {
    if (!isInit(e.data)) return;
    const t0 = performance.now();
    let loadMs: number | null = null;
    const lspRole = !!e.data.lsp;
    const created = Session.create(e.data.init).then((s) => {
      loadMs = performance.now() - t0;
      // The language server's session warms up before it answers (warm-up.ts): its thread is idle until then.
      if (lspRole) warmUp(s);
      return s;
    });
    if (lspRole) {
      lsp = true;
      // Created here, after the init message: the reader sees only what the client sends from now on.
      const connection = createConnection(
        new BrowserMessageReader(globalThis as never),
        new BrowserMessageWriter(globalThis as never),
      );
      serve(connection, {
        session: () => created,
        pathOf: () => null,
        version: VERSION,
        loadMs: () => loadMs,
      });
      connection.listen();
    }
    created.then(
      (s) => {
        // The language client's reader takes every message: it learns of the parser from `initialize`.
        if (!lsp) scope.postMessage({ ready: true, loadMs: loadMs ?? 0 } satisfies ReadyMessage);
        resolve(s);
      },
      (err: Error) => {
        if (!lsp) scope.postMessage({ ready: false, error: err.message } satisfies ReadyMessage);
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
        if (!lsp && !isInit(e.data)) fn(e.data as HostMessage);
      }),
  },
  ready,
);
