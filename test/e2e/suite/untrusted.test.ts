/** Restricted Mode: the workspace is not trusted; the extension (which runs no workspace code) works the same. */
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { api, file, open, ours, ruleOf, waitFor } from './helpers';

suite('VFS Lock Review in an untrusted workspace', function () {
  this.timeout(120000);

  test('the workspace is in Restricted Mode', () => {
    assert.strictEqual(vscode.workspace.isTrusted, false);
  });

  test('diagnostics, quick fixes and hovers work', async () => {
    const editor = await open('no_retry.c');
    const ds = await waitFor('diagnostics', () => (ours(file('no_retry.c')).length ? ours(file('no_retry.c')) : undefined));
    assert.deepStrictEqual(ds.map(ruleOf), ['deleg/unhandled-delegated-inode']);
    // Asked right after the diagnostic appears: the light bulb may be asked again once the worker has the document's
    // current version (a user's second click), so the test asks again too, for a while.
    const fix = await waitFor('a preferred fix', async () => {
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', editor.document.uri, ds[0].range, vscode.CodeActionKind.QuickFix.value);
      return actions.find((a) => a.isPreferred && a.edit);
    });
    assert.ok(fix.edit, 'a preferred fix');
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    await waitFor('fixed', () => ours(file('no_retry.c')).length === 0);
    const stats = (await api()).stats();
    assert.strictEqual(stats.backend, 'worker');
  });

  test('Check Workspace works', async () => {
    const r = await vscode.commands.executeCommand<{ files: number; checked: number }>('vfsLockReview.checkWorkspace');
    assert.ok(r.files >= 9 && r.checked === r.files, JSON.stringify(r));
  });
});
