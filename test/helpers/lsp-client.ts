/**
 * A scripted Language Server Protocol client for tests: spawns `node dist/cli.js lsp --stdio`, frames messages by
 * hand (Content-Length headers, so the server's reader is tested against bytes, not against the same library), answers
 * the server's own requests with null, and waits for messages with a time limit (a hang fails the test).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from './corpus';

export const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');

// What the server sends: plain JSON, checked by the tests field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export class LspClient {
  readonly proc: ChildProcessWithoutNullStreams;
  /** Every message received, in order. */
  readonly messages: Json[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private buf = Buffer.alloc(0);
  private nextId = 1;
  private waiters: (() => void)[] = [];

  constructor(args: string[] = ['lsp', '--stdio']) {
    this.proc = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d: Buffer) => this.onData(d));
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    // Writing to a server that already exited (the malformed-input tests) is not an error of the test.
    this.proc.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) =>
      this.proc.on('exit', (code, signal) => {
        resolve({ code, signal });
        this.wake();
      }),
    );
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const m = /Content-Length: *(\d+)/i.exec(this.buf.subarray(0, end).toString('latin1'));
      if (!m) throw new Error(`server sent a header without Content-Length: ${this.buf.subarray(0, end).toString()}`);
      const n = Number(m[1]);
      if (this.buf.length < end + 4 + n) return;
      const msg = JSON.parse(this.buf.subarray(end + 4, end + 4 + n).toString('utf8'));
      this.buf = this.buf.subarray(end + 4 + n);
      this.messages.push(msg);
      if (msg.method && msg.id !== undefined) this.send({ jsonrpc: '2.0', id: msg.id, result: null });
      this.wake();
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  sendRaw(bytes: string | Buffer): void {
    this.proc.stdin.write(bytes);
  }

  send(msg: Json): void {
    const body = Buffer.from(JSON.stringify(msg), 'utf8');
    this.sendRaw(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'latin1'), body]));
  }

  notify(method: string, params: Json): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  /** Sends a request and resolves with its response message (result or error). */
  async requestRaw(method: string, params: Json, timeoutMs = 30000): Promise<Json> {
    const id = this.nextId++;
    const from = this.messages.length;
    this.send({ jsonrpc: '2.0', id, method, params });
    return this.waitFor((m) => m.id === id && !m.method, `the response to ${method}`, timeoutMs, from);
  }

  async request(method: string, params: Json, timeoutMs = 30000): Promise<Json> {
    const r = await this.requestRaw(method, params, timeoutMs);
    if (r.error) throw new Error(`${method} failed: ${JSON.stringify(r.error)}`);
    return r.result;
  }

  /** The first message from index `from` on that satisfies `pred`; rejects after `timeoutMs` or when the server exits. */
  waitFor(pred: (m: Json) => boolean, what: string, timeoutMs = 30000, from = 0): Promise<Json> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${what} within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`)),
        timeoutMs,
      );
      const check = () => {
        const hit = this.messages.slice(from).find(pred);
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        } else if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
          clearTimeout(timer);
          reject(
            new Error(
              `the server exited (${this.proc.exitCode ?? this.proc.signalCode}) before ${what}; stderr: ${this.stderr.slice(-2000)}`,
            ),
          );
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /** The next publishDiagnostics for `uri` (with `version`, when given) after message index `from`. */
  diagnostics(uri: string, from: number, version?: number, timeoutMs = 30000): Promise<Json> {
    return this.waitFor(
      (m) =>
        m.method === 'textDocument/publishDiagnostics' &&
        m.params.uri === uri &&
        (version === undefined || m.params.version === version),
      `publishDiagnostics for ${uri}${version === undefined ? '' : ` v${version}`}`,
      timeoutMs,
      from,
    ).then((m) => m.params);
  }

  async initialize(
    initializationOptions: Json = {},
    capabilities: Json = DEFAULT_CAPABILITIES,
    rootUri: string | null = null,
  ): Promise<Json> {
    const r = await this.request(
      'initialize',
      { processId: process.pid, rootUri, capabilities, initializationOptions },
      60000,
    );
    this.notify('initialized', {});
    return r;
  }

  /** shutdown, exit, and the exit status (rejects when the process does not end within `timeoutMs`). */
  async stop(timeoutMs = 10000): Promise<number | null> {
    await this.request('shutdown', null);
    this.notify('exit', null);
    return (await this.exitWithin(timeoutMs)).code;
  }

  async exitWithin(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the server did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

export const DEFAULT_CAPABILITIES = {
  textDocument: {
    synchronization: { didSave: false },
    publishDiagnostics: {
      relatedInformation: true,
      versionSupport: true,
      codeDescriptionSupport: true,
      dataSupport: true,
    },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
  },
  workspace: { workspaceEdit: { documentChanges: true } },
};

/** Offset of an LSP position in a text (UTF-16 columns; lines end at \n, \r\n or a lone \r, as LSP says). */
export function offsetOf(text: string, pos: { line: number; character: number }): number {
  let line = 0;
  let i = 0;
  while (line < pos.line && i < text.length) {
    const c = text[i++];
    if (c === '\n' || (c === '\r' && text[i] !== '\n')) line++;
  }
  return i + pos.character;
}

/** A text with LSP TextEdits (all against the same text) applied. */
export function applyTextEdits(text: string, edits: { range: { start: Json; end: Json }; newText: string }[]): string {
  const spans = edits
    .map((e) => ({ start: offsetOf(text, e.range.start), end: offsetOf(text, e.range.end), newText: e.newText }))
    .sort((a, b) => b.start - a.start);
  let out = text;
  for (const s of spans) out = out.slice(0, s.start) + s.newText + out.slice(s.end);
  return out;
}
