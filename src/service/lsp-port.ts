/**
 * The Language Server Protocol over a message port: a Node worker thread's `parentPort` (the server side) or a
 * `Worker` (the VS Code extension's side), each JSON-RPC message posted as one structured-clone message, as
 * vscode-jsonrpc's BrowserMessageReader/Writer do for web workers. No `vscode` import: the extension's client and
 * the worker's server both use it.
 */
import {
  AbstractMessageReader,
  AbstractMessageWriter,
  Disposable,
  type DataCallback,
  type Message,
  type MessageReader,
  type MessageWriter,
} from 'vscode-languageserver-protocol';

/** What the reader and the writer need of a port. */
export interface LspPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

const isMessage = (m: unknown): m is Message =>
  typeof m === 'object' && m !== null && (m as { jsonrpc?: unknown }).jsonrpc === '2.0';

export class PortMessageReader extends AbstractMessageReader implements MessageReader {
  private callback: DataCallback | null = null;
  /** Messages that arrived before `listen`. */
  private readonly early: Message[] = [];
  private readonly onMessage = (m: unknown) => {
    if (!isMessage(m)) return;
    if (this.callback) this.callback(m);
    else this.early.push(m);
  };

  constructor(private readonly port: LspPort) {
    super();
    port.on('message', this.onMessage);
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    for (const m of this.early.splice(0)) callback(m);
    return Disposable.create(() => {
      this.callback = null;
    });
  }

  /** The other side is gone (its thread exited or failed): the connection closes. */
  closed(error?: Error): void {
    this.port.off('message', this.onMessage);
    if (error) this.fireError(error);
    this.fireClose();
  }

  override dispose(): void {
    super.dispose();
    this.port.off('message', this.onMessage);
  }
}

export class PortMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errors = 0;
  constructor(private readonly port: LspPort) {
    super();
  }

  write(msg: Message): Promise<void> {
    try {
      this.port.postMessage(msg);
      return Promise.resolve();
    } catch (e) {
      this.errors++;
      this.fireError(e as Error, msg, this.errors);
      return Promise.reject(e as Error);
    }
  }

  end(): void {}
}
