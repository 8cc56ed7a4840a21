/**
 * The VS Code extension is a language client (issue 14): dist/worker.js started with `role: 'lsp'` is the language
 * server of lsp-server.ts, speaking LSP over the thread's port (lsp-port.ts), as the extension's
 * vscode-languageclient drives it. This test is that client, without VS Code: initialize with the extension's
 * capability, open a document, get its diagnostics and the `vfslock/analyzed` notification, ask for a fix, a code
 * lens, the lock events at a call, a forced check of a document the settings do not select, a client catalogue,
 * settings per document (its folder's, asked with workspace/configuration), and shut down (the thread exits).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import {
  createProtocolConnection,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { PROJECT_ROOT } from '../helpers/corpus';
import { PortMessageReader, PortMessageWriter } from '../../src/service/lsp-port';
import {
  AnalyzedNotification,
  CatalogueRequest,
  CheckNowRequest,
  EventsAtRequest,
  RegisterCatalogueNotification,
  CATALOGUE_SETTING,
  type AnalyzedParams,
} from '../../src/service/lsp-extension';
import type { LensData } from '../../src/service/lsp-server';
import { parseCatalogue } from '../../src/core/catalogue/validate';
import { UNLINK_WITHOUT_BREAK } from '../helpers/snippets';

/** A rule catalogue, validated as a rules file is, in which `name(inode)` changes the inode's attributes. */
function attrsMutator(name: string, source: string) {
  return parseCatalogue(
    JSON.stringify({
      version: 1,
      mutators: [
        {
          name,
          variants: [{ params: ['inode'] }],
          effects: [{ op: 'mutate', target: 'inode', kind: 'attrs', what: 'changes the attributes of' }],
        },
      ],
    }),
    source,
  );
}
// A rules file of one folder only: otherfs_set() changes the inode's attributes.
const OTHER_RULES = attrsMutator('otherfs_set', 'other2/rules.json');

// Written for this test: an unlink helper that changes a name under the victim's lock without breaking its
// delegation.
const MISSING = `#include <linux/fs.h>\n\n${UNLINK_WITHOUT_BREAK}`;
// A call of an API only a rules file describes (the catalogue the client sends makes it a change without a break).
const CUSTOM = `int myfs_drop(struct inode *inode)
{
	inode_lock(inode);
	myfs_raw_setattr(inode);
	inode_unlock(inode);
	return 0;
}
`;

describe('the language server in the analysis thread (the extension as a language client)', () => {
  let worker: Worker;
  let conn: ProtocolConnection;
  const diagnostics: PublishDiagnosticsParams[] = [];
  const analyzed: AnalyzedParams[] = [];
  let quietSeverity = 'off';
  const waitFor = async <T>(find: () => T | undefined, what: string): Promise<T> => {
    for (let i = 0; i < 600; i++) {
      const v = find();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  before(async () => {
    worker = new Worker(join(PROJECT_ROOT, 'dist', 'worker.js'), { workerData: { role: 'lsp' } });
    conn = createProtocolConnection(new PortMessageReader(worker), new PortMessageWriter(worker));
    conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      diagnostics.push(p);
    });
    conn.onNotification(AnalyzedNotification, (p) => {
      analyzed.push(p);
    });
    // Settings per document, as the extension answers them (its folder's): one folder turns the rule off.
    // Another folder has a rules file of its own, registered just before the answer that names it.
    conn.onRequest('workspace/configuration', async (p: { items: { scopeUri?: string; section?: string }[] }) => {
      if (p.items.some((i) => i.scopeUri?.startsWith('file:///work/ws/other2/')))
        await conn.sendNotification(RegisterCatalogueNotification, { key: 'rules:other2', catalogues: [OTHER_RULES] });
      return p.items.map((i) =>
        i.scopeUri?.startsWith('file:///work/ws/quiet/')
          ? { include: ['**/*.c'], severity: { 'deleg/missing-break': quietSeverity } }
          : i.scopeUri?.startsWith('file:///work/ws/other2/')
            ? { include: ['**/*.c'], [CATALOGUE_SETTING]: 'rules:other2' }
            : {},
      );
    });
    conn.listen();
    const init = await conn.sendRequest('initialize', {
      processId: null,
      rootUri: 'file:///work/ws',
      capabilities: {
        experimental: { vfslock: {} },
        workspace: { configuration: true },
        textDocument: { hover: { contentFormat: ['markdown'] } },
      },
      initializationOptions: {
        vfsLockReview: { include: ['src/**/*.c'], debounceMs: 0 },
        vfslockClient: { indexing: false },
      },
    });
    const extras = (init as { capabilities: { experimental?: { vfslock?: { parserLoadMs: number | null } } } })
      .capabilities.experimental?.vfslock;
    assert.equal(typeof extras?.parserLoadMs, 'number', 'the parser load time comes with the capabilities');
    await conn.sendNotification('initialized', {});
  });

  after(async () => {
    conn?.dispose();
    await worker?.terminate();
  });

  test('a document gets its diagnostics, the analysis notification, a verified fix and code lenses', async () => {
    const uri = 'file:///work/ws/src/my.c';
    await conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'c', version: 1, text: MISSING },
    });
    const d = await waitFor(() => diagnostics.find((p) => p.uri === uri && p.diagnostics.length), 'diagnostics');
    assert.deepEqual(
      d.diagnostics.map((x) => x.code),
      ['deleg/missing-break'],
    );
    const data = d.diagnostics[0].data as { function: string; line: number };
    assert.deepEqual(data.function, 'my_unlink');
    assert.equal(data.line, 9);
    const a = await waitFor(() => analyzed.find((p) => p.uri === uri), 'vfslock/analyzed');
    assert.equal(a.findings, 1);
    assert.equal(a.shown, 1);
    assert.equal(a.trigger, 'open');
    assert.equal(a.version, 1);

    const actions = (await conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: d.diagnostics[0].range,
      context: { diagnostics: d.diagnostics },
    })) as { title: string; isPreferred?: boolean; edit?: unknown }[];
    const fix = actions.find((x) => x.isPreferred && x.edit);
    assert.ok(fix, actions.map((x) => x.title).join(' | '));
    assert.match(fix.title, /^Break the delegation of /);

    const lenses = (await conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as {
      data?: LensData;
    }[];
    const kinds = lenses.map((l) => l.data?.kind);
    assert.deepEqual(kinds, ['summary', 'findings', 'simulate']);
    assert.deepEqual(lenses[0].data?.locks, ['inode_lock']);
    assert.equal(lenses[1].data?.findings, 1);

    const offset = MISSING.indexOf('->unlink') + 2;
    const at = await conn.sendRequest(EventsAtRequest, { uri, offset });
    assert.equal(at?.function, 'my_unlink');
    assert.ok(at?.events.length, 'the change at ->unlink has an event');
  });

  test('a document the settings do not select is analysed when the client forces it', async () => {
    const uri = 'file:///work/ws/other/x.c';
    await conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'c', version: 3, text: MISSING },
    });
    const plain = await conn.sendRequest(CheckNowRequest, { uri, force: false });
    assert.equal(plain, null, 'not selected by include');
    const forced = await conn.sendRequest(CheckNowRequest, { uri, force: true });
    assert.equal(forced?.findings, 1);
    assert.equal(forced?.trigger, 'command');
    assert.ok(diagnostics.some((p) => p.uri === uri && p.diagnostics.length === 1));
  });

  test("the client's rule catalogue is used and every document analysed again", async () => {
    const uri = 'file:///work/ws/src/custom.c';
    await conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'c', version: 1, text: CUSTOM },
    });
    await waitFor(() => analyzed.find((p) => p.uri === uri), 'the first analysis');
    assert.equal(analyzed.find((p) => p.uri === uri)?.findings, 0);
    const before = analyzed.length;
    await conn.sendRequest(CatalogueRequest, {
      key: 'rules:test',
      catalogues: [attrsMutator('myfs_raw_setattr', 'rules.json')],
    });
    const again = await waitFor(
      () => analyzed.slice(before).find((p) => p.uri === uri),
      'the analysis with the catalogue',
    );
    assert.equal(again.trigger, 'settings');
    assert.equal(again.findings, 1, JSON.stringify(again));
  });

  test("each document gets its folder's settings from the client", async () => {
    const uri = 'file:///work/ws/quiet/x.c';
    await conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'c', version: 1, text: MISSING },
    });
    const a = await waitFor(() => analyzed.find((p) => p.uri === uri), 'the analysis of the quiet folder file');
    assert.equal(a.findings, 0, 'the rule is off in that folder');
    assert.equal(analyzed.find((p) => p.uri === 'file:///work/ws/src/my.c')?.findings, 1, 'and on elsewhere');
    // That folder's setting changes: told of a change, the server asks again, and only that document is re-checked.
    quietSeverity = 'warning';
    const before = analyzed.length;
    await conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    const again = await waitFor(
      () => analyzed.slice(before).find((p) => p.uri === uri),
      'the analysis with the new setting',
    );
    assert.equal(again.findings, 1);
    assert.equal(again.trigger, 'settings');
    assert.ok(!analyzed.slice(before).some((p) => p.uri === 'file:///work/ws/src/my.c'), 'the others unchanged');
  });

  test("a folder's own rules file applies to its documents only", async () => {
    const text =
      'int otherfs_label(struct inode *inode)\n{\n\tinode_lock(inode);\n\totherfs_set(inode);\n\tinode_unlock(inode);\n\treturn 0;\n}\n';
    const mine = 'file:///work/ws/other2/y.c';
    const elsewhere = 'file:///work/ws/src/y.c';
    for (const uri of [mine, elsewhere])
      await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
    const a = await waitFor(() => analyzed.find((p) => p.uri === mine), 'the folder with the rules file');
    const b = await waitFor(() => analyzed.find((p) => p.uri === elsewhere), 'the folder without it');
    assert.equal(a.findings, 1, "otherfs_set() changes the inode by its folder's rules");
    assert.equal(b.findings, 0, 'unknown elsewhere');
  });

  test('malformed requests get an InvalidParams error saying what they take; the server goes on', async () => {
    const bad: [string, unknown, RegExp][] = [
      ['vfslock/functionAt', { uri: 'x', version: 1, file: 'x.c', offset: 3 }, /takes a document URI, version/],
      ['vfslock/eventsAt', { uri: 5, offset: 'a' }, /takes a document URI and an offset/],
      ['vfslock/checkNow', {}, /takes a document URI/],
      ['vfslock/setIndexing', { enabled: 'maybe' }, /takes \{ enabled: true \| false \}/],
      ['vfslock/catalogue', { key: 'k', catalogues: 'no' }, /takes \{ key: string, catalogues/],
      // A catalogue is validated as a rules file is: nothing is configured from an invalid one.
      ['vfslock/catalogue', { key: 'k', catalogues: [{ functions: 'oops' }] }, /k\[0\]: not a valid rule catalogue/],
    ];
    for (const [method, params, message] of bad)
      await assert.rejects(conn.sendRequest(method, params), (e: { code?: number; message?: string }) => {
        assert.equal(e.code, -32602, `${method}: ${e.message}`);
        assert.match(e.message ?? '', message);
        return true;
      });
    // An invalid registration is ignored (a notification has no answer); the documents are analysed as before.
    await conn.sendNotification(RegisterCatalogueNotification, { key: 'z', catalogues: [{ functions: 7 }] } as never);
    const r = await conn.sendRequest(CheckNowRequest, { uri: 'file:///work/ws/src/my.c', force: false });
    assert.equal(r?.findings, 1);
  });

  test('shutdown and exit end the thread', async () => {
    const exited = new Promise<number>((r) => worker.once('exit', r));
    await conn.sendRequest('shutdown');
    await conn.sendNotification('exit');
    assert.equal(await exited, 0);
  });
});
