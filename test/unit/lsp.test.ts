/**
 * `vfslock lsp --stdio` driven by a scripted client over real pipes (test/helpers/lsp-client.ts): the
 * initialize → didOpen → diagnostics → code action → didChange → hover → shutdown/exit flow, incremental sync,
 * settings, code lenses and commands, and malformed input, each bounded by a time limit.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../helpers/corpus';
import { buggySetattr } from '../helpers/buggy';
import { longFunction } from '../helpers/generated';
import { applyTextEdits, CLI, LspClient, offsetOf, type Json } from '../helpers/lsp-client';
import { MAX_HEADER_BYTES, MAX_MESSAGE_BYTES } from '../../src/service/lsp-framing';
import { CLEAR_C, CLEAR_CALL_LINE, writeMiniTree } from '../helpers/mini-tree';

const EXAMPLE = join(PROJECT_ROOT, 'examples', 'missing_break.c');
let dir = '';
const clients: LspClient[] = [];

function client(): LspClient {
  const c = new LspClient();
  clients.push(c);
  return c;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfslock-lsp-'));
});
after(() => {
  for (const c of clients) c.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** `vfslock check --format json` on a file: the CLI's findings, to compare with the server's. */
function cliFindings(file: string): Json[] {
  const r = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', file], { encoding: 'utf8', timeout: 60000 });
  return JSON.parse(r.stdout).findings;
}

const textAt = (text: string, range: Json) => text.slice(offsetOf(text, range.start), offsetOf(text, range.end));

describe('vfslock lsp --stdio: the editing flow', () => {
  test('initialize, didOpen → diagnostics, code action → quick fix, didChange → none, hover, shutdown/exit 0', async () => {
    const c = client();
    const init = await c.initialize({ vfsLockReview: { debounceMs: 0 } });
    assert.equal(init.capabilities.textDocumentSync.change, 2, 'incremental sync');
    assert.equal(init.capabilities.textDocumentSync.openClose, true);
    assert.equal(init.capabilities.hoverProvider, true);
    assert.deepEqual(init.capabilities.codeActionProvider.codeActionKinds, ['quickfix']);
    assert.ok(init.capabilities.codeLensProvider);
    assert.equal(init.serverInfo.name, 'vfslock');

    const text = readFileSync(EXAMPLE, 'utf8');
    const uri = pathToFileURL(EXAMPLE).href;
    let from = c.messages.length;
    c.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
    const first = await c.diagnostics(uri, from, 1);
    assert.equal(first.diagnostics.length, 1);
    const d = first.diagnostics[0];
    assert.equal(d.code, 'deleg/missing-break');
    assert.equal(d.source, 'vfslock');
    assert.equal(d.severity, 1);
    assert.equal(
      d.codeDescription.href,
      'https://github.com/vfs-lock-review/vfs-lock-review/blob/main/docs/rules/deleg-missing-break.md',
    );
    assert.match(d.message, /^example_set_mode: ->setattr changes attributes of inode without first breaking/);
    assert.equal(textAt(text, d.range), 'inode->i_op->setattr(&nop_mnt_idmap, dentry, attr)');
    // The same place as `vfslock check` (1-based there), and the related note at the inode_lock call.
    const [cli] = cliFindings(EXAMPLE);
    assert.deepEqual(d.range, {
      start: { line: cli.line - 1, character: cli.column - 1 },
      end: { line: cli.endLine - 1, character: cli.endColumn - 1 },
    });
    const lockNote = d.relatedInformation.find((r: Json) => /locked here/.test(r.message));
    assert.ok(lockNote, JSON.stringify(d.relatedInformation));
    assert.equal(lockNote.location.uri, uri);
    assert.equal(textAt(text, lockNote.location.range).startsWith('inode_lock'), true);
    assert.equal(
      d.relatedInformation[0].location.range.start.line,
      d.range.start.line,
      'the detail note is at the finding',
    );

    const actions = await c.request('textDocument/codeAction', {
      textDocument: { uri },
      range: d.range,
      context: { diagnostics: [d] },
    });
    const fixes = actions.filter((a: Json) => a.edit);
    assert.ok(fixes.length >= 1, JSON.stringify(actions));
    const fix = fixes[0];
    assert.equal(fix.kind, 'quickfix');
    assert.equal(fix.isPreferred, true);
    assert.deepEqual(fix.diagnostics, [d]);
    const change = fix.edit.documentChanges[0];
    assert.deepEqual(change.textDocument, { uri, version: 1 });
    assert.ok(
      actions.some(
        (a: Json) => a.command?.command === 'vfslock.openRuleDoc' && a.command.arguments[0] === 'deleg/missing-break',
      ),
    );

    // Apply the fix as an editor does: its edits as incremental changes, last first (so earlier ranges stay put).
    const sorted = [...change.edits].sort(
      (a: Json, b: Json) => offsetOf(text, b.range.start) - offsetOf(text, a.range.start),
    );
    const fixed = applyTextEdits(text, change.edits);
    assert.notEqual(fixed, text);
    from = c.messages.length;
    const t0 = performance.now();
    c.notify('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: sorted.map((e: Json) => ({ range: e.range, text: e.newText })),
    });
    const second = await c.diagnostics(uri, from, 2);
    const latency = performance.now() - t0;
    assert.deepEqual(second.diagnostics, [], `after "${fix.title}": ${JSON.stringify(second.diagnostics)}`);
    // The server's text is the client's: the same fix applied by `vfslock check` leaves nothing either.
    const fixedFile = join(dir, 'fixed.c');
    writeFileSync(fixedFile, fixed);
    assert.deepEqual(cliFindings(fixedFile), []);

    // Hover on inode_lock: what it does and the locks held before it.
    const lockLine = fixed.split('\n').findIndex((l) => l.includes('inode_lock(inode)'));
    const lockCol = fixed.split('\n')[lockLine].indexOf('inode_lock') + 3;
    const hover = await c.request('textDocument/hover', {
      textDocument: { uri },
      position: { line: lockLine, character: lockCol },
    });
    assert.equal(hover.contents.kind, 'markdown');
    assert.match(hover.contents.value, /^\*\*inode_lock\(\)\*\* takes the lock of `inode`/);
    assert.match(hover.contents.value, /No locks held here/);
    assert.equal(textAt(fixed, hover.range), 'inode_lock');
    // On the setattr call: the inode lock is held there.
    const callLine = fixed.split('\n').findIndex((l) => l.includes('->setattr('));
    const setattr = await c.request('textDocument/hover', {
      textDocument: { uri },
      position: { line: callLine, character: fixed.split('\n')[callLine].indexOf('setattr') + 1 },
    });
    assert.match(setattr.contents.value, /Locks held here/);
    assert.match(setattr.contents.value, /`inode` — taken by inode_lock\(\)/);
    // Not on a call: nothing.
    assert.equal(
      await c.request('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 1 } }),
      null,
    );

    assert.equal(await c.stop(), 0);
    assert.ok(latency < 10000, `didChange → publishDiagnostics took ${latency.toFixed(0)} ms`);
  });

  test('incremental changes in one notification, CRLF line ends and UTF-16 columns', async () => {
    const c = client();
    await c.initialize({ debounceMs: 0 });
    const uri = pathToFileURL(join(dir, 'typed.c')).href;
    // A non-BMP character (two UTF-16 units) before the call on its line and CRLF line ends throughout.
    let text = '/* 😀 */\r\nint g(void)\r\n{\r\n\treturn 0;\r\n}\r\n';
    let from = c.messages.length;
    c.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
    assert.deepEqual((await c.diagnostics(uri, from, 1)).diagnostics, []);
    // Type the buggy function at the end in three changes, each against the text the previous one left.
    const fn = buggySetattr().replace(/\n/g, '\r\n').replace('error = simple', '/* ü😀 */ error = simple');
    const pieces = [fn.slice(0, 40), fn.slice(40, 120), fn.slice(120)];
    const changes: Json[] = [];
    for (const piece of pieces) {
      const lines = text.split('\r\n');
      const end = { line: lines.length - 1, character: lines[lines.length - 1].length };
      changes.push({ range: { start: end, end }, text: piece });
      text += piece;
    }
    // And replace "g" by "gg" at the top, after the appends (a change earlier in the text than the last ones).
    changes.push({ range: { start: { line: 1, character: 4 }, end: { line: 1, character: 5 } }, text: 'gg' });
    text = text.replace('int g(void)', 'int gg(void)');
    from = c.messages.length;
    c.notify('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: changes });
    const r = await c.diagnostics(uri, from, 2);
    assert.deepEqual(
      r.diagnostics.map((d: Json) => d.code),
      ['deleg/missing-break'],
    );
    const range = r.diagnostics[0].range;
    assert.equal(textAt(text, range), 'simple_setattr(&nop_mnt_idmap, dentry, attr)');
    const line = text.split('\r\n')[range.start.line];
    assert.equal(range.start.character, line.indexOf('simple_setattr'), 'a UTF-16 column');
    // A whole-text change (no range) replaces everything.
    from = c.messages.length;
    c.notify('textDocument/didChange', {
      textDocument: { uri, version: 3 },
      contentChanges: [{ text: 'int h(void)\n{\n\treturn 1;\n}\n' }],
    });
    assert.deepEqual((await c.diagnostics(uri, from, 3)).diagnostics, []);
    // didClose clears the file's diagnostics.
    from = c.messages.length;
    c.notify('textDocument/didChange', {
      textDocument: { uri, version: 4 },
      contentChanges: [{ text: buggySetattr() }],
    });
    assert.equal((await c.diagnostics(uri, from, 4)).diagnostics.length, 1);
    from = c.messages.length;
    c.notify('textDocument/didClose', { textDocument: { uri } });
    assert.deepEqual((await c.diagnostics(uri, from)).diagnostics, []);
    assert.equal(await c.stop(), 0);
  });

  test('settings: from initializationOptions, changed over them by didChangeConfiguration; a bad one is named', async () => {
    const c = client();
    await c.initialize({
      vfsLockReview: { debounceMs: 0, codeLens: false, severity: { 'deleg/missing-break': 'off' } },
    });
    const uri = pathToFileURL(join(dir, 'settings.c')).href;
    let from = c.messages.length;
    c.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text: buggySetattr() } });
    assert.deepEqual((await c.diagnostics(uri, from, 1)).diagnostics, [], 'the rule is off');
    from = c.messages.length;
    c.notify('workspace/didChangeConfiguration', {
      settings: { vfsLockReview: { severity: { 'deleg/missing-break': 'warning' } } },
    });
    const warned = await c.diagnostics(uri, from, 1);
    assert.deepEqual(
      warned.diagnostics.map((d: Json) => [d.code, d.severity]),
      [['deleg/missing-break', 2]],
    );
    from = c.messages.length;
    c.notify('workspace/didChangeConfiguration', {
      settings: { vfsLockReview: { kernel: 'latest!', severity: { 'deleg/missing-break': 'info' } } },
    });
    const shown = await c.waitFor((m) => m.method === 'window/showMessage', 'a settings warning', 30000, from);
    assert.equal(shown.params.type, 2);
    assert.match(
      shown.params.message,
      /^vfslock: setting vfsLockReview\.kernel "latest!" is neither "auto" nor a version/,
    );
    // The rest applies (over the initializationOptions: debounceMs stays 0), the bad kernel is "auto".
    assert.deepEqual(
      (await c.diagnostics(uri, from, 1)).diagnostics.map((d: Json) => d.severity),
      [3],
    );
    assert.deepEqual(
      await c.request('textDocument/codeLens', { textDocument: { uri } }),
      [],
      'codeLens: false of the initializationOptions holds',
    );
    // enable: false clears the file.
    from = c.messages.length;
    c.notify('workspace/didChangeConfiguration', { settings: { vfslock: { enable: false } } });
    assert.deepEqual((await c.diagnostics(uri, from)).diagnostics, []);
    assert.equal(await c.stop(), 0);
  });

  test('code lenses and the commands they run; the rule page through window/showDocument', async () => {
    const c = client();
    const caps = {
      window: { showDocument: { support: true } },
      workspace: { workspaceEdit: { documentChanges: false } },
    };
    await c.initialize({ debounceMs: 0 }, caps);
    const text = readFileSync(EXAMPLE, 'utf8');
    const uri = pathToFileURL(EXAMPLE).href;
    const from = c.messages.length;
    c.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
    const [d] = (await c.diagnostics(uri, from, 1)).diagnostics;
    const lenses = await c.request('textDocument/codeLens', { textDocument: { uri } });
    const nameLine = text.split('\n').findIndex((l) => l.startsWith('int example_set_mode('));
    assert.deepEqual(
      lenses.map((l: Json) => l.command.title),
      ['locks: inode_lock', '1 finding', 'Simulate races'],
    );
    for (const l of lenses) assert.deepEqual(l.range.start, { line: nameLine, character: 4 });
    assert.deepEqual([...new Set(lenses.map((l: Json) => l.command.command))].sort(), [
      'vfslock.functionSummary',
      'vfslock.simulateRaces',
    ]);
    const summary = await c.request('workspace/executeCommand', lenses[1].command);
    assert.match(
      summary,
      /^example_set_mode \(line 5\) takes inode_lock and breaks no delegation; line 11: deleg\/missing-break: /,
    );
    const sim = await c.request('workspace/executeCommand', lenses[2].command, 120000);
    assert.match(sim, /^vfslock simulate .*example_set_mode/);
    // Without documentChanges support the fix comes as `changes`.
    const actions = await c.request('textDocument/codeAction', {
      textDocument: { uri },
      range: d.range,
      context: { diagnostics: [] },
    });
    const fix = actions.find((a: Json) => a.edit);
    assert.ok(fix.edit.changes[uri].length >= 1);
    const docAction = actions.find((a: Json) => a.command?.command === 'vfslock.openRuleDoc');
    const at = c.messages.length;
    const url = await c.request('workspace/executeCommand', docAction.command);
    assert.equal(url, d.codeDescription.href);
    const show = await c.waitFor((m) => m.method === 'window/showDocument', 'window/showDocument', 10000, at);
    assert.deepEqual(show.params, { uri: url, external: true });
    // A command with arguments it does not take is refused, not run.
    const bad = await c.requestRaw('workspace/executeCommand', {
      command: 'vfslock.openRuleDoc',
      arguments: ['../../etc/passwd'],
    });
    assert.equal(bad.error.code, -32602);
    assert.equal(await c.stop(), 0);
  });

  test('didChange → publishDiagnostics latency on a 3000-line function (bounded)', async (t) => {
    const c = client();
    await c.initialize({ debounceMs: 0 });
    const uri = pathToFileURL(join(dir, 'big.c')).href;
    let text = longFunction(3000);
    let from = c.messages.length;
    const t0 = performance.now();
    c.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
    await c.diagnostics(uri, from, 1, 60000);
    const openMs = performance.now() - t0;
    const times: number[] = [];
    for (let v = 2; v <= 6; v++) {
      // Insert a statement near the top of the function, as typing does.
      const pos = { line: 4, character: 0 };
      const insert = `\tx${v} = ${v};\n`;
      text = applyTextEdits(text, [{ range: { start: pos, end: pos }, newText: insert }]);
      from = c.messages.length;
      const t1 = performance.now();
      c.notify('textDocument/didChange', {
        textDocument: { uri, version: v },
        contentChanges: [{ range: { start: pos, end: pos }, text: insert }],
      });
      const r = await c.diagnostics(uri, from, v, 60000);
      times.push(performance.now() - t1);
      assert.ok(r.diagnostics.length > 0);
    }
    const median = [...times].sort((a, b) => a - b)[2];
    t.diagnostic(
      `3000-line function: open → diagnostics ${openMs.toFixed(0)} ms; didChange → diagnostics median ${median.toFixed(0)} ms (${times.map((x) => x.toFixed(0)).join(', ')})`,
    );
    assert.ok(median < 20000, `median ${median} ms`);
    assert.equal(await c.stop(), 0);
  });
});

describe('vfslock lsp --stdio: summaries across files', () => {
  test("a file of a kernel tree is published on its own, then again once the tree's index is built; --no-index never", async () => {
    const root = join(dir, 'linux');
    const file = writeMiniTree(root);
    const text = CLEAR_C;
    const uri = pathToFileURL(file).href;
    process.env.VFSLOCK_CACHE_DIR = join(dir, 'cache');
    try {
      for (const args of [
        ['lsp', '--stdio'],
        ['lsp', '--stdio', '--no-index'],
      ]) {
        const c = new LspClient(args);
        clients.push(c);
        await c.initialize({ vfsLockReview: { debounceMs: 0 } });
        const from = c.messages.length;
        c.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
        const first = await c.diagnostics(uri, from, 1);
        assert.deepEqual(first.diagnostics, [], 'on its own, foo_drop() is an unknown helper');
        if (args.includes('--no-index')) {
          await new Promise((r) => setTimeout(r, 1500));
          const later = c.messages
            .slice(from)
            .filter((m) => m.method === 'textDocument/publishDiagnostics' && m.params.uri === uri);
          assert.equal(later.length, 1, 'published once');
          assert.doesNotMatch(c.stderr, /summary index/);
        } else {
          const firstAt = c.messages.findIndex(
            (m, i) => i >= from && m.method === 'textDocument/publishDiagnostics' && m.params.uri === uri,
          );
          const second = await c.diagnostics(uri, firstAt + 1, 1, 60000);
          assert.deepEqual(
            second.diagnostics.map((d: Json) => [d.code, d.range.start.line]),
            [['deleg/missing-break', CLEAR_CALL_LINE]],
          );
          assert.match(second.diagnostics[0].message, /foo_drop/);
        }
        assert.equal(await c.stop(), 0);
      }
    } finally {
      delete process.env.VFSLOCK_CACHE_DIR;
    }
  });
});

describe('vfslock lsp --stdio: malformed input ends in an error response or a clean exit, never a hang', () => {
  const LIMIT = 20000;

  /** The error responses (id null) the server wrote. */
  const errors = (c: LspClient) => c.messages.filter((m) => m.error && m.id === null);

  for (const [name, bytes] of [
    ['a header line without a colon', 'Hello world\r\n\r\n{}'],
    ['a Content-Length that is not a number', 'Content-Length: 12abc\r\n\r\n{}'],
    ['a huge Content-Length', `Content-Length: ${MAX_MESSAGE_BYTES + 1}\r\n\r\n{"jsonrpc":"2.0"}`],
    ['a 12-digit Content-Length', 'Content-Length: 999999999999\r\n\r\n'],
    ['no Content-Length', 'Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}'],
    ['a charset other than UTF-8', 'Content-Length: 2\r\nContent-Type: application/json; charset=utf-16\r\n\r\n{}'],
    ['a header that never ends', 'Content-Length: 10\r\nX: ' + 'a'.repeat(MAX_HEADER_BYTES + 10)],
  ] as const) {
    test(`${name}: an error response (id null), then exit 1`, async () => {
      const c = client();
      const t0 = performance.now();
      c.sendRaw(bytes);
      const { code } = await c.exitWithin(LIMIT);
      assert.equal(code, 1);
      const [e] = errors(c);
      assert.ok(e, `no error response; got ${JSON.stringify(c.messages)}; stderr ${c.stderr}`);
      assert.equal(e.error.code, -32700);
      assert.match(c.stderr, /^vfslock lsp: cannot read the client's messages: Parse error: /m);
      assert.ok(performance.now() - t0 < LIMIT);
    });
  }

  test('invalid JSON, a non-object and a batch are answered and the server goes on', async () => {
    const c = client();
    const frame = (s: string) => `Content-Length: ${Buffer.byteLength(s)}\r\n\r\n${s}`;
    c.sendRaw(frame('{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {'));
    c.sendRaw(frame('[{"jsonrpc":"2.0","id":2,"method":"shutdown"}]'));
    c.sendRaw(frame('"just a string"'));
    c.sendRaw(frame('{"id": 7, "method": "initialize"}'));
    // Not UTF-8.
    c.sendRaw(Buffer.concat([Buffer.from('Content-Length: 3\r\n\r\n'), Buffer.from([0xff, 0xfe, 0x7b])]));
    await c.waitFor(() => errors(c).length >= 4, 'four error responses', LIMIT);
    assert.deepEqual(
      errors(c).map((m) => m.error.code),
      [-32700, -32600, -32600, -32700],
    );
    const seven = await c.waitFor((m) => m.id === 7, 'the error response to id 7', LIMIT);
    assert.equal(seven.error.code, -32600);
    // Still in step: a real session works.
    await c.initialize({ debounceMs: 0 });
    const uri = pathToFileURL(join(dir, 'after-garbage.c')).href;
    const from = c.messages.length;
    c.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text: buggySetattr() } });
    assert.equal((await c.diagnostics(uri, from, 1)).diagnostics.length, 1);
    assert.equal(await c.stop(), 0);
  });

  test('a body cut short by the client closing stdin: exit 1 (no shutdown), at once', async () => {
    const c = client();
    c.sendRaw('Content-Length: 1000\r\n\r\n{"jsonrpc":"2.0",');
    c.proc.stdin.end();
    assert.equal((await c.exitWithin(LIMIT)).code, 1);
  });

  test('an unknown request gets MethodNotFound; stdin closing after shutdown exits 0', async () => {
    const c = client();
    await c.initialize();
    const r = await c.requestRaw('vfslock/noSuchThing', {});
    assert.equal(r.error.code, -32601);
    await c.request('shutdown', null);
    c.proc.stdin.end();
    assert.equal((await c.exitWithin(LIMIT)).code, 0);
  });

  test('random bytes: every stream ends in an exit or is answered (seeded, 6 streams)', async () => {
    let seed = 0x1234567;
    const rand = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const alphabet = [
      'Content-Length: ',
      '\r\n',
      '\r\n\r\n',
      '{',
      '}',
      '"jsonrpc":"2.0"',
      ':',
      '9',
      '0',
      'x',
      '\u00ff',
      '\0',
      ' ',
    ];
    for (let i = 0; i < 6; i++) {
      const c = client();
      let s = i % 2 ? 'Content-Length: ' : '';
      while (s.length < 200 + i * 50) s += alphabet[Math.floor(rand() * alphabet.length)];
      c.sendRaw(Buffer.from(s, 'latin1'));
      c.proc.stdin.end();
      const { code } = await c.exitWithin(LIMIT);
      assert.equal(code, 1, `stream ${JSON.stringify(s)}; stderr ${c.stderr}`);
    }
  });

  test('usage: an unknown option exits 2 and names it', () => {
    const r = spawnSync(process.execPath, [CLI, 'lsp', '--socket=4000'], { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^vfslock lsp: unknown option '--socket=4000'/);
  });
});
