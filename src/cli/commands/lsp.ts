/**
 * `vfslock lsp --stdio`: the language server on stdin/stdout (Node only: reads the parser's wasm files, kernel tree
 * Makefiles and rules files). stdout carries only LSP messages: console output goes to stderr.
 */
import { createConnection, StreamMessageWriter, type ResponseMessage } from 'vscode-languageserver/node';
import { nodeWasmSource } from '../../core/parse/node-wasm';
import { nodeTreeReader } from '../../core/catalogue/era-node';
import { readRegularFile } from '../../core/node-read';
import { parseCatalogue, CatalogueError } from '../../core/catalogue/validate';
import { Session, type IndexEvent } from '../../service/session';
import { TreeIndexes } from '../../service/tree-index';
import { serve } from '../../service/lsp-server';
import { warmUp } from '../../service/warm-up';
import { pathOfFileUri } from '../../service/file-uri';
import { BoundedMessageReader, type FramingProblem } from '../../service/lsp-framing';
import { VERSION } from '../version';

export interface LspIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export const LSP_USAGE = `Usage:
  vfslock lsp [--stdio] [--no-index]
Starts the language server on stdin/stdout (for neovim, Emacs eglot, Helix, Kate: docs/editors.md).
A file inside a kernel tree gets the tree's summary index (fs/, security/, kernel/, mm/), built in the background
and cached on disk (shared with \`vfslock check --index\`); --no-index checks each file on its own.`;

/** A rules file larger than this is refused unread (as `vfslock check --rules`). */
const MAX_RULES_BYTES = 4 * 1024 * 1024;

function readRules(path: string) {
  const read = readRegularFile(path, MAX_RULES_BYTES);
  if ('error' in read) throw new CatalogueError(`cannot read it: ${read.error}`);
  return [parseCatalogue(new TextDecoder('utf-8').decode(read.bytes), path)];
}

export async function lspCommand(args: string[], io: LspIo, version = VERSION): Promise<number> {
  let index = true;
  for (const a of args) {
    if (a === '--help' || a === '-h') {
      io.out(LSP_USAGE + '\n');
      return 0;
    }
    // vscode-languageclient adds --clientProcessId=N; the process id also comes in `initialize` and is watched there.
    if (a === '--stdio' || a.startsWith('--clientProcessId=')) continue;
    if (a === '--no-index') {
      index = false;
      continue;
    }
    io.err(`vfslock lsp: unknown option '${a}' (only --stdio and --no-index are supported)\n${LSP_USAGE}\n`);
    return 2;
  }
  // Anything printed by a library must not land in the protocol stream.
  for (const k of ['log', 'info', 'warn', 'error', 'debug'] as const)
    console[k] = (...xs: unknown[]) => process.stderr.write(`${xs.map(String).join(' ')}\n`);

  const writer = new StreamMessageWriter(process.stdout);
  const errorResponse = (p: FramingProblem): ResponseMessage => ({
    jsonrpc: '2.0',
    id: p.id ?? null,
    error: { code: p.code, message: p.message },
  });
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    process.exit(code);
  };
  const reader = new BoundedMessageReader(process.stdin, {
    fatal: (p) => {
      io.err(`vfslock lsp: cannot read the client's messages: ${p.message}; stopping.\n`);
      // Answer (id null), then end: the stream cannot be resynchronised.
      const t = setTimeout(() => exit(1), 1000);
      void writer.write(errorResponse(p)).finally(() => {
        clearTimeout(t);
        exit(1);
      });
    },
    invalid: (p) => {
      io.err(`vfslock lsp: ${p.message}\n`);
      void writer.write(errorResponse(p));
    },
  });
  const connection = createConnection(reader, writer);
  const server = serve(connection, {
    // Warmed up before `initialize` is answered: the editor's first document arrives right after, and its analysis is
    // faster by more than the warm-up costs (src/service/warm-up.ts; process start to the diagnostics of 6.19 namei.c
    // 583–722 ms, was 635–748 ms, four runs each).
    session: () => Session.create(nodeWasmSource(), nodeTreeReader).then((s) => (warmUp(s), s)),
    pathOf: pathOfFileUri,
    readRules,
    version,
    ...(index ? { indexes: (onEvent: (e: IndexEvent) => void) => new TreeIndexes({ onEvent }) } : {}),
  });
  // The client closing stdin ends the server: exit status 0 after a shutdown request, 1 otherwise (as the `exit`
  // notification's).
  reader.onClose(() => exit(server.shutdownReceived() ? 0 : 1));
  writer.onError(() => exit(1));
  connection.listen();
  return new Promise<number>(() => undefined);
}
