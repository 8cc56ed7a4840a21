/**
 * Files the analyzer cannot (or should not fully) analyse, opened in a real VS Code: binary, invalid UTF-8, CRLF with a
 * byte-order mark, empty, over the size limit, one enormous function; and rapid edits, whose stale analyses must never
 * reach the Problems view. Each gets a clear outcome (a diagnostic, or none), the analysis worker survives, and a
 * normal file still gets its diagnostics afterwards. Registered by main.test.ts after its own suite (so the files
 * written here, deleted at the end, are not in the way of its workspace check).
 */
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { api, file, metric, ours, ruleOf, setSetting, waitFor } from './helpers';
import { longFunction } from '../../helpers/generated';

const BUGGY = [
  '',
  'int f(struct dentry *dentry, struct iattr *attr)',
  '{',
  '\tstruct inode *inode = d_inode(dentry);',
  '\tint error;',
  '\tinode_lock(inode);',
  '\terror = simple_setattr(&nop_mnt_idmap, dentry, attr);',
  '\tinode_unlock(inode);',
  '\treturn error;',
  '}',
  '',
].join('\n');

const DIR = 'bad-files';
const enc = new TextEncoder();

async function write(name: string, bytes: Uint8Array | string): Promise<vscode.Uri> {
  const uri = file(`${DIR}/${name}`);
  await vscode.workspace.fs.writeFile(uri, typeof bytes === 'string' ? enc.encode(bytes) : bytes);
  return uri;
}

type Check = { file: string; version: number; findings: number; trigger: string; analysisMs: number };

async function checksOf(name: string): Promise<Check[]> {
  return (await api()).stats().checks.filter((c) => c.file === `${DIR}/${name}`);
}

/** Opens the file in an editor and waits until the extension has published an analysis of it. */
async function openAndWait(
  name: string,
  uri: vscode.Uri,
  timeoutMs = 60000,
): Promise<{ editor: vscode.TextEditor; check: Check; ms: number }> {
  const t0 = Date.now();
  const doc = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  const check = await waitFor(
    `an analysis of ${name}`,
    async () => (await checksOf(name)).find((c) => c.version === doc.version),
    timeoutMs,
  );
  return { editor, check, ms: Date.now() - t0 };
}

async function closeEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

export function badFilesSuite(): void {
  suite('Bad files and rapid edits in a real VS Code', function () {
    this.timeout(180000);
    const outcomes: Record<string, unknown> = {};

    teardown(async () => {
      await setSetting('debounceMs', undefined);
      await closeEditors();
    });

    suiteTeardown(async () => {
      metric('badFiles', outcomes);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      try {
        await vscode.workspace.fs.delete(file(DIR), { recursive: true, useTrash: false });
      } catch {
        /* nothing written */
      }
    });

    test('a binary .c file: VS Code will not open it as text, or it is analysed to no diagnostics', async () => {
      const head = enc.encode('int f(void) { return 0; }\n\x7fELF');
      const bytes = new Uint8Array(head.length + 4096);
      bytes.set(head);
      bytes[head.length + 100] = 1;
      const uri = await write('binary.c', bytes);
      let doc: vscode.TextDocument;
      try {
        doc = await vscode.workspace.openTextDocument(uri);
      } catch (e) {
        // The text file service refuses binary content before any extension sees it.
        assert.match(String((e as Error).message), /binary/i);
        outcomes.binary = 'refused by VS Code';
        return;
      }
      await vscode.window.showTextDocument(doc, { preview: false });
      await waitFor('an analysis of binary.c', async () =>
        (await checksOf('binary.c')).find((c) => c.version === doc.version),
      );
      assert.deepStrictEqual(ours(uri), []);
      outcomes.binary = 'opened; not analysed (binary), no diagnostics';
    });

    test('invalid UTF-8: not analysed, no diagnostics', async () => {
      const uri = await write(
        'invalid-utf8.c',
        new Uint8Array([...enc.encode('int f(void) { return 0; }\n'), ...new Array(200).fill(0xff), 0x0a]),
      );
      const { editor, check } = await openAndWait('invalid-utf8.c', uri);
      assert.ok(editor.document.getText().includes('\ufffd'), 'VS Code decoded the bad bytes as U+FFFD');
      assert.strictEqual(check.findings, 0);
      assert.deepStrictEqual(ours(uri), []);
      outcomes.invalidUtf8 = 'not analysed, no diagnostics';
    });

    test('CRLF line ends and a byte-order mark: the diagnostic is on the right line and column', async () => {
      const uri = await write(
        'crlf-bom.c',
        new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode(BUGGY.replace(/\n/g, '\r\n'))]),
      );
      const { editor } = await openAndWait('crlf-bom.c', uri);
      assert.strictEqual(editor.document.eol, vscode.EndOfLine.CRLF);
      const ds = await waitFor('diagnostics of crlf-bom.c', () => (ours(uri).length ? ours(uri) : undefined));
      assert.deepStrictEqual(ds.map(ruleOf), ['deleg/missing-break']);
      assert.deepStrictEqual(
        [ds[0].range.start.line, ds[0].range.start.character],
        [6, 9],
        'simple_setattr( on line 7, column 10',
      );
      assert.strictEqual(
        editor.document.getText(ds[0].range).startsWith('simple_setattr('),
        true,
        editor.document.getText(ds[0].range),
      );
    });

    test('an empty file: no diagnostics; a buggy function typed into it gets one', async () => {
      const uri = await write('empty.c', '');
      const { editor, check } = await openAndWait('empty.c', uri);
      assert.strictEqual(check.findings, 0);
      assert.deepStrictEqual(ours(uri), []);
      await editor.edit((b) => b.insert(new vscode.Position(0, 0), BUGGY));
      const ds = await waitFor('diagnostics after typing', () => (ours(uri).length ? ours(uri) : undefined));
      assert.deepStrictEqual(ds.map(ruleOf), ['deleg/missing-break']);
    });

    test('a file over the size limit (20 MB): refused quickly, no diagnostics, the worker survives', async () => {
      const chunk = 'int g(void) { return 0; }\n';
      const uri = await write('huge.c', chunk.repeat(Math.ceil((20 * 1024 * 1024) / chunk.length)));
      const { check, ms } = await openAndWait('huge.c', uri, 120000);
      assert.strictEqual(check.findings, 0);
      assert.deepStrictEqual(ours(uri), []);
      assert.ok(check.analysisMs < 5000, `refused before parsing (${check.analysisMs} ms)`);
      outcomes.huge20MB = { openToCheckMs: ms, analysisMs: Math.round(check.analysisMs) };
    });

    test('a 100,000-line function: an information diagnostic says it was not analysed and why', async () => {
      const uri = await write('long-function.c', longFunction(100000));
      const { check, ms } = await openAndWait('long-function.c', uri, 120000);
      const ds = await waitFor('the analysis/truncated note', () => (ours(uri).length ? ours(uri) : undefined));
      assert.deepStrictEqual(ds.map(ruleOf), ['analysis/truncated']);
      assert.strictEqual(ds[0].severity, vscode.DiagnosticSeverity.Information);
      assert.strictEqual(ds[0].range.start.line, 0);
      assert.match(
        ds[0].message,
        /^big: not analysed: with [\d,]+ statements it does not fit in what was left of the analysis budget/,
      );
      outcomes.function100kLines = { openToCheckMs: ms, analysisMs: Math.round(check.analysisMs) };
    });

    test('after all that, the worker is alive and a normal buggy file gets its diagnostic', async () => {
      const uri = await write('after.c', BUGGY);
      await openAndWait('after.c', uri);
      const ds = await waitFor('diagnostics of after.c', () => (ours(uri).length ? ours(uri) : undefined));
      assert.deepStrictEqual(ds.map(ruleOf), ['deleg/missing-break']);
      assert.strictEqual((await api()).stats().backend, 'worker');
    });

    /** correct_unlink.c's text: typing `x` before `try_break_deleg(target` makes a missing break. */
    async function rapidFile(
      name: string,
    ): Promise<{ editor: vscode.TextEditor; uri: vscode.Uri; at: vscode.Position }> {
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(file('correct_unlink.c')));
      const uri = await write(name, text);
      const { editor } = await openAndWait(name, uri);
      assert.deepStrictEqual(ours(uri), []);
      return { editor, uri, at: editor.document.positionAt(text.indexOf('try_break_deleg(target')) };
    }

    const toggle = (editor: vscode.TextEditor, at: vscode.Position, i: number) =>
      editor.edit((b) => (i % 2 === 0 ? b.insert(at, 'x') : b.delete(new vscode.Range(at, at.translate(0, 1)))), {
        undoStopBefore: false,
        undoStopAfter: false,
      });

    test('rapid edits within the debounce: one analysis, of the final text', async () => {
      await setSetting('debounceMs', 1500);
      const { editor, uri, at } = await rapidFile('rapid.c');
      const before = (await checksOf('rapid.c')).length;
      const edits = 9; // odd: the final text has the bug
      for (let i = 0; i < edits; i++) assert.ok(await toggle(editor, at, i));
      const final = editor.document.version;
      const ds = await waitFor('diagnostics of the final text', () => (ours(uri).length ? ours(uri) : undefined));
      assert.deepStrictEqual(ds.map(ruleOf), ['deleg/missing-break']);
      // The server tells of an analysis just after publishing its diagnostics.
      await waitFor('the final version analysed', async () =>
        (await checksOf('rapid.c')).some((c) => c.version === final),
      );
      const after = (await checksOf('rapid.c')).slice(before);
      assert.deepStrictEqual(
        after.map((c) => [c.version, c.findings, c.trigger]),
        [[final, 1, 'edit']],
        'no analysis of an intermediate text was published',
      );
    });

    test('rapid edits without a debounce: no published result is stale, and the last is of the final text', async () => {
      await setSetting('debounceMs', 0);
      const { editor, uri, at } = await rapidFile('rapid0.c');
      const before = (await checksOf('rapid0.c')).length;
      const expected = new Map<number, number>([[editor.document.version, 0]]);
      const edits = 20; // even: the final text is clean
      for (let i = 0; i < edits; i++) {
        assert.ok(await toggle(editor, at, i));
        expected.set(editor.document.version, editor.document.getText().includes('xtry_break_deleg(target') ? 1 : 0);
      }
      const final = editor.document.version;
      await waitFor('the final version analysed', async () =>
        (await checksOf('rapid0.c')).some((c) => c.version === final),
      );
      const after = (await checksOf('rapid0.c')).slice(before);
      // Each published result carries the version it was computed on, and its findings are those of that version's text.
      for (const c of after)
        assert.strictEqual(c.findings, expected.get(c.version), `version ${c.version}: ${JSON.stringify(after)}`);
      assert.strictEqual(after[after.length - 1].version, final);
      assert.ok(
        after.every((c, i) => i === 0 || c.version > after[i - 1].version),
        `published in version order: ${after.map((c) => c.version).join(',')}`,
      );
      assert.deepStrictEqual(ours(uri), []);
      outcomes.rapidEditsNoDebounce = { edits, published: after.length };
    });
  });
}
