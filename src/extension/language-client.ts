/**
 * The language client: the extension's open C documents, diagnostics, quick fixes, hovers and code lenses come from
 * the analysis service's language server (service/lsp-server.ts, the one `vfslock lsp` runs for other editors),
 * through vscode-languageclient, as vscode-eslint's and vscode-clangd's do. The server runs in a worker thread on the
 * desktop (dist/worker.js, started while the bundle is evaluated) and in a web worker in the browser host
 * (dist/web/worker.js), speaking LSP over the thread's port (service/lsp-port.ts). Nothing is parsed or analysed on
 * the extension host's thread.
 */
import * as vscode from 'vscode';
import type {
  BaseLanguageClient,
  ClientCapabilities,
  DocumentSelector,
  FeatureState,
  LanguageClientOptions,
  StaticFeature,
} from 'vscode-languageclient';
import { PortMessageReader, PortMessageWriter } from '../service/lsp-port';
import { CLIENT_CAPABILITY } from '../service/lsp-extension';
import { readyMessage, type ReadyMessage } from '../service/protocol';
import type { Log } from './output';
import { ms, now } from './output';

/** The extension is running in a browser extension host (vscode.dev): set per bundle by scripts/build.mjs. */
export const IS_WEB = process.env.VFSLOCK_WEB === '1';

/**
 * URI schemes of documents that are files (local, remote, virtual or new): not the views of a file that other
 * extensions open (git:, review:, merge conflicts, chat code blocks…), whose findings would duplicate the file's.
 */
export const DOCUMENT_SCHEMES = ['file', 'untitled', 'vscode-remote', 'vscode-vfs', 'vscode-test-web', 'vsls', 'tmp'];

/** The documents the language server is sent: C sources, and headers VS Code opens as C++. */
export const SERVER_SELECTOR: DocumentSelector = DOCUMENT_SCHEMES.flatMap((scheme) => [
  { scheme, language: 'c' },
  { scheme, language: 'cpp', pattern: '**/*.h' },
]);

/** The analysis thread, started while the bundle is evaluated (see `startServerEarly`). */
interface EarlyWorker {
  worker: import('node:worker_threads').Worker;
  t0: number;
  /** Its ready message, or why it stopped before sending one. */
  ready: Promise<ReadyMessage>;
}
let early: EarlyWorker | null = null;

/** The language server's thread (dist/worker.js in the language-server role). */
function startServerThread(dir: string): EarlyWorker {
  // Required here, not at the top: the browser bundle must not reference worker_threads.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  const t0 = now();
  const worker = new Worker(`${dir}/worker.js`, { name: 'vfslock-analysis', workerData: { role: 'lsp' } });
  return { worker, t0, ready: readyMessage(worker) };
}

/**
 * Starts the language server's thread as soon as the extension's bundle is evaluated, before VS Code calls
 * `activate` (which a freshly started window may do seconds later): the thread and its parser load during that
 * wait, so the C file that activated the extension is checked sooner. The client adopts the thread when it starts.
 * `dir` is the bundle's folder (dist/). A no-op in the browser host.
 */
export function startServerEarly(dir: string): void {
  if (IS_WEB || early) return;
  try {
    early = startServerThread(dir);
  } catch {
    early = null;
  }
}

/** Declares the client capability that turns on the server's notifications for this extension (lsp-extension.ts). */
class ExtensionCapability implements StaticFeature {
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.experimental = { ...(capabilities.experimental as object | undefined), [CLIENT_CAPABILITY]: {} };
  }
  initialize(): void {}
  getState(): FeatureState {
    return { kind: 'static' };
  }
  clear(): void {}
}

/** The parser's two wasm files, read through the workspace file system (the browser host has no other way). */
export async function readWasm(ctx: vscode.ExtensionContext): Promise<{ runtime: Uint8Array; language: Uint8Array }> {
  const dir = vscode.Uri.joinPath(ctx.extensionUri, 'dist');
  const [runtime, language] = await Promise.all([
    vscode.workspace.fs.readFile(vscode.Uri.joinPath(dir, 'web-tree-sitter.wasm')),
    vscode.workspace.fs.readFile(vscode.Uri.joinPath(dir, 'tree-sitter-c.wasm')),
  ]);
  return { runtime, language };
}

/** A dedicated Worker started from the script's bytes: a browser host cannot start one from a remote extension's URI. */
interface WebWorker {
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  terminate(): void;
}

async function startWebWorker(ctx: vscode.ExtensionContext, name: string): Promise<WebWorker> {
  const Ctor = (globalThis as { Worker?: new (url: string, options?: { name?: string }) => WebWorker }).Worker;
  if (!Ctor) throw new Error('this browser host cannot start a web worker');
  const script = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(ctx.extensionUri, 'dist', 'web', 'worker.js'));
  const url = URL.createObjectURL(new Blob([script as Uint8Array<ArrayBuffer>], { type: 'text/javascript' }));
  try {
    return new Ctor(url, { name });
  } finally {
    // The worker has fetched it, or failed to, well before this.
    setTimeout(() => URL.revokeObjectURL(url), 20000);
  }
}

/**
 * The language client over the analysis thread (not started): on the desktop the thread started while the bundle was
 * evaluated, or a new one; in the browser a web worker. Each (re)start of the client starts a new one.
 */
export async function createLanguageClient(
  ctx: vscode.ExtensionContext,
  log: Log,
  options: LanguageClientOptions,
): Promise<BaseLanguageClient> {
  const id = 'vfsLockReview';
  const name = 'VFS Lock Review';
  let client: BaseLanguageClient;
  if (process.env.VFSLOCK_WEB === '1') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const browser = require('vscode-languageclient/browser') as typeof import('vscode-languageclient/browser');
    // A factory, not a worker: after a crash the client starts a new one (a stopped worker cannot be reused).
    let current: WebWorker | null = null;
    ctx.subscriptions.push({ dispose: () => current?.terminate() });
    const serverOptions = async () => {
      const wasm = await readWasm(ctx);
      current?.terminate();
      const worker = await startWebWorker(ctx, 'vfslock-analysis');
      current = worker;
      worker.postMessage({ init: wasm, lsp: true }, [
        wasm.runtime.buffer as ArrayBuffer,
        wasm.language.buffer as ArrayBuffer,
      ]);
      // Transports, not the worker: the client tells a worker by `instanceof Worker`, which a web extension host's
      // own Worker class may not pass.
      return {
        reader: new browser.BrowserMessageReader(worker as never),
        writer: new browser.BrowserMessageWriter(worker as never),
      };
    };
    client = new browser.LanguageClient(id, name, serverOptions, options);
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const node = require('vscode-languageclient/node') as typeof import('vscode-languageclient/node');
    let current: import('node:worker_threads').Worker | null = null;
    const serverOptions = async () => {
      // A restart: the last thread goes (it has crashed, or its connection is gone).
      void current?.terminate();
      const started = early ?? startServerThread(`${ctx.extensionUri.fsPath}/dist`);
      early = null;
      const worker = started.worker;
      current = worker;
      const reader = new PortMessageReader(worker);
      const writer = new PortMessageWriter(worker);
      worker.once('error', (e) => {
        log.error(`analysis thread failed: ${e.message}`);
        reader.closed(e);
      });
      worker.once('exit', (code) => {
        if (code) log.warn(`analysis thread exited with code ${code}`);
        reader.closed();
      });
      void started.ready.then((m) => {
        if (m.ready)
          log.info(
            `analysis thread started, parser loaded in ${ms(m.loadMs)} ms (${ms(now() - started.t0)} ms with its start)`,
          );
        else log.error(`analysis thread did not start: ${m.error}`);
      });
      return { reader, writer };
    };
    client = new node.LanguageClient(id, name, serverOptions, options);
    ctx.subscriptions.push({ dispose: () => void current?.terminate() });
  }
  client.registerFeature(new ExtensionCapability());
  return client;
}
