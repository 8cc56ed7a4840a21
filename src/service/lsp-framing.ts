/**
 * The language server's reader of `Content-Length`-framed JSON-RPC messages, with limits: a header section longer
 * than MAX_HEADER_BYTES, a header line that is not `Name: value`, a Content-Length that is not a plain decimal
 * number or exceeds MAX_MESSAGE_BYTES, or a charset other than UTF-8 cannot be resynchronised from, so they end the
 * connection (`fatal`), where vscode-jsonrpc's own reader would wait for gigabytes or skip silently. A body that is
 * not JSON, or not a JSON-RPC message, is answered with a JSON-RPC error (`invalid`) and the next message is read.
 * Works on bytes (Content-Length counts UTF-8 bytes, not characters).
 */
import {
  AbstractMessageReader,
  type DataCallback,
  type Disposable,
  type Message,
  type MessageReader,
} from 'vscode-languageserver/node';

/** Largest header section (all header lines) accepted. */
export const MAX_HEADER_BYTES = 8 * 1024;
/**
 * Largest message accepted: the analyzer takes files up to 4 MiB (core/engine.ts MAX_FILE_BYTES); JSON can escape a
 * character to six bytes, so a didOpen of the largest file the analyzer reads fits in 32 MiB.
 */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

/** JSON-RPC error codes. */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;

export interface FramingProblem {
  code: number;
  message: string;
  /** The id of the offending message, when it has one (else the error response carries id null). */
  id?: number | string | null;
}

export interface FramingHandlers {
  /** The stream cannot be read further (the connection ends after answering). */
  fatal(p: FramingProblem): void;
  /** One message was unreadable; the next one is read. */
  invalid(p: FramingProblem): void;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

export class BoundedMessageReader extends AbstractMessageReader implements MessageReader {
  private chunks: Buffer[] = [];
  private total = 0;
  /** Body length of the message whose headers were read, or -1 while reading headers. */
  private need = -1;
  private failed = false;
  private callback: DataCallback | undefined;

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly handlers: FramingHandlers,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (d: Buffer | string) => this.onData(typeof d === 'string' ? Buffer.from(d, 'utf8') : d);
    const onEnd = () => this.fireClose();
    const onError = (e: Error) => this.fireError(e);
    this.input.on('data', onData);
    this.input.on('end', onEnd);
    this.input.on('close', onEnd);
    this.input.on('error', onError);
    return {
      dispose: () => {
        this.input.off('data', onData);
        this.input.off('end', onEnd);
        this.input.off('close', onEnd);
        this.input.off('error', onError);
      },
    };
  }

  private onData(data: Buffer): void {
    if (this.failed) return;
    this.chunks.push(data);
    this.total += data.length;
    for (;;) {
      if (this.need < 0) {
        const buf = this.joined();
        const end = buf.subarray(0, MAX_HEADER_BYTES + CRLFCRLF.length).indexOf(CRLFCRLF);
        if (end < 0) {
          if (buf.length > MAX_HEADER_BYTES)
            return this.fail(`no end of the message header within ${MAX_HEADER_BYTES} bytes`);
          return;
        }
        if (end > MAX_HEADER_BYTES) return this.fail(`the message header is longer than ${MAX_HEADER_BYTES} bytes`);
        const length = this.contentLength(buf.subarray(0, end).toString('latin1'));
        if (typeof length === 'string') return this.fail(length);
        this.need = length;
        this.keep(buf.subarray(end + 4));
      }
      if (this.total < this.need) return;
      const buf = this.joined();
      const body = buf.subarray(0, this.need);
      this.keep(buf.subarray(this.need));
      this.need = -1;
      this.deliver(body);
      if (this.failed) return;
    }
  }

  /** The Content-Length of a header section, or why it cannot be read. */
  private contentLength(header: string): number | string {
    let length: number | undefined;
    for (const line of header.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) return `header line ${JSON.stringify(line.slice(0, 80))} is not "Name: value"`;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,12}$/.test(value))
          return `Content-Length ${JSON.stringify(value.slice(0, 40))} is not a decimal number`;
        const n = Number(value);
        if (length !== undefined && length !== n) return 'two different Content-Length headers';
        if (n > MAX_MESSAGE_BYTES) return `Content-Length ${n} exceeds the limit of ${MAX_MESSAGE_BYTES} bytes`;
        length = n;
      } else if (name === 'content-type') {
        const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(value)?.[1]?.toLowerCase();
        if (charset && charset !== 'utf-8' && charset !== 'utf8')
          return `charset ${JSON.stringify(charset.slice(0, 40))} is not UTF-8`;
      }
    }
    return length ?? 'the message header has no Content-Length';
  }

  private deliver(body: Buffer): void {
    let msg: unknown;
    try {
      msg = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    } catch (e) {
      this.handlers.invalid({
        code: PARSE_ERROR,
        message: `Parse error: the message body is not UTF-8 JSON (${(e as Error).message})`,
      });
      return;
    }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg) || (msg as { jsonrpc?: unknown }).jsonrpc !== '2.0') {
      const id = msg && typeof msg === 'object' && !Array.isArray(msg) ? (msg as { id?: unknown }).id : undefined;
      this.handlers.invalid({
        code: INVALID_REQUEST,
        message: 'Invalid request: a message must be a JSON object with "jsonrpc": "2.0" (batches are not part of LSP)',
        id: typeof id === 'number' || typeof id === 'string' ? id : null,
      });
      return;
    }
    this.callback?.(msg as Message);
  }

  private fail(message: string): void {
    this.failed = true;
    this.chunks = [];
    this.total = 0;
    this.handlers.fatal({ code: PARSE_ERROR, message: `Parse error: ${message}` });
  }

  private joined(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.total)];
    return this.chunks[0];
  }

  private keep(rest: Buffer): void {
    this.chunks = rest.length ? [rest] : [];
    this.total = rest.length;
  }
}
