/**
 * Patch review in a real VS Code, on the main suite's workspace (examples/ plus a copy of v6.19 fs/namei.c under
 * kernel/): a patch file made at test time from that namei.c, the series command, the working tree command (the
 * workspace is made a git repository at test time).
 */
import * as assert from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import { createTwoFilesPatch } from 'diff';
import { api, file, folder, sleep, waitFor } from './helpers';

const NAMEI = 'kernel/fs/namei.c';

function reviewDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'vfslock review');
}

async function read(rel: string): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(file(rel)));
}

async function write(rel: string, text: string): Promise<void> {
  await vscode.workspace.fs.writeFile(file(rel), new TextEncoder().encode(text));
}

/** namei.c with vfs_unlink's victim break replaced by 0 (fixture edit of one line). */
function dropVictimBreak(text: string): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes('try_break_deleg(target, delegated_inode)'));
  assert.ok(i >= 0, 'vfs_unlink breaks the victim');
  lines[i] = lines[i].replace('try_break_deleg(target, delegated_inode)', '0');
  return lines.join('\n');
}

suite('Patch review in a real VS Code', function () {
  this.timeout(120000);

  suiteSetup(async () => {
    await api();
  });

  // VFSLOCK_E2E_LINGER=ms keeps the window up after the last test (for a screenshot of the results view).
  suiteTeardown(async () => {
    const ms = Number(process.env.VFSLOCK_E2E_LINGER ?? 0);
    if (ms > 0) await sleep(ms);
  });

  teardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('opening a .patch shows the introduced finding on the patch line, linked to the patched source', async () => {
    const base = await read(NAMEI);
    const patch = createTwoFilesPatch(`a/${NAMEI}`, `b/${NAMEI}`, base, dropVictimBreak(base), undefined, undefined, { context: 3 });
    await write('drop-break.patch', `Subject: [PATCH] vfs: drop the victim break\n\n---\n${patch}`);
    const doc = await vscode.workspace.openTextDocument(file('drop-break.patch'));
    await vscode.window.showTextDocument(doc);
    const ds = await waitFor('patch diagnostics', () => {
      const d = reviewDiagnostics(doc.uri);
      return d.length ? d : undefined;
    }, 60000);
    const errors = ds.filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
    assert.deepStrictEqual(errors.map((d) => (typeof d.code === 'object' ? d.code.value : d.code)), ['deleg/missing-break']);
    const d = errors[0];
    const line = doc.lineAt(d.range.start.line).text;
    assert.ok(/^[ +]/.test(line) && line.includes('->unlink(dir, dentry)'), line);
    assert.strictEqual(doc.getText(d.range), 'dir->i_op->unlink(dir, dentry)');
    const rel = d.relatedInformation?.[0];
    assert.ok(rel, 'related information');
    assert.strictEqual(rel.location.uri.scheme, 'vfslock-patched');
    const patched = await vscode.workspace.openTextDocument(rel.location.uri);
    assert.ok(patched.lineAt(rel.location.range.start.line).text.includes('->unlink(dir, dentry)'));
    assert.strictEqual(patched.getText(), dropVictimBreak(base), 'the source after the patch');
  });

  test('editing the patch so that it no longer applies shows the error on the hunk', async () => {
    const doc = await vscode.workspace.openTextDocument(file('drop-break.patch'));
    const editor = await vscode.window.showTextDocument(doc);
    const ctx = [...Array(doc.lineCount).keys()].find((i) => doc.lineAt(i).text.startsWith(' ') && doc.lineAt(i).text.includes('->unlink(dir, dentry)'))!;
    await editor.edit((e) => e.insert(doc.lineAt(ctx).range.end, ' /* upstream changed */'));
    const ds = await waitFor('apply error', () => reviewDiagnostics(doc.uri).find((d) => /does not apply/.test(d.message)), 30000);
    assert.match(doc.lineAt(ds.range.start.line).text, /^@@ /);
    assert.match(ds.message, /kernel\/fs\/namei\.c: hunk #1 .* does not apply/);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  test('Review Patch Series… reviews the given files and focuses the results view', async () => {
    const uri = file('drop-break.patch');
    await vscode.commands.executeCommand('vfsLockReview.reviewPatchSeries', uri);
    const ds = await waitFor('series diagnostics', () => {
      const d = reviewDiagnostics(uri).filter((x) => x.severity === vscode.DiagnosticSeverity.Error);
      return d.length ? d : undefined;
    }, 60000);
    assert.strictEqual(ds.length, 1);
  });

  test('Review Working Tree Changes reviews the diff against HEAD from the git extension', async function () {
    const root = folder().fsPath;
    try {
      execFileSync('git', ['init', '-q'], { cwd: root });
      execFileSync('git', ['add', '-A'], { cwd: root });
      execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.org', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'base'], { cwd: root });
    } catch (e) {
      this.skip();
      return;
    }
    const gitExt = vscode.extensions.getExtension<{ getAPI(v: 1): { repositories: unknown[] } }>('vscode.git');
    if (!gitExt) this.skip();
    // The harness starts with git.enabled false.
    await vscode.workspace.getConfiguration('git').update('enabled', true, vscode.ConfigurationTarget.Workspace);
    const exports = await gitExt!.activate();
    const gitApi = await waitFor('the git extension\'s model', () => {
      try {
        return exports.getAPI(1);
      } catch {
        return undefined;
      }
    }, 30000);
    await vscode.commands.executeCommand('git.openRepository', root).then(undefined, () => undefined);
    await waitFor('git repository', () => gitApi.repositories.length > 0, 30000);
    const base = await read(NAMEI);
    await write(NAMEI, dropVictimBreak(base));
    try {
      await vscode.commands.executeCommand('vfsLockReview.reviewWorkingTree');
      const found = await waitFor('working tree diagnostics', () => {
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'untitled' && d.languageId === 'diff' && d.getText().includes('b/kernel/fs/namei.c'));
        const ds = doc ? reviewDiagnostics(doc.uri).filter((x) => x.severity === vscode.DiagnosticSeverity.Error) : [];
        return ds.length ? { doc: doc!, ds } : undefined;
      }, 60000);
      assert.strictEqual(typeof found.ds[0].code === 'object' ? found.ds[0].code.value : found.ds[0].code, 'deleg/missing-break');
    } finally {
      await write(NAMEI, base);
    }
  });
});
