/** Restricted Mode: the workspace is not trusted; the extension (which runs no workspace code) works the same. */
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { api, file, open, ours, ruleOf, waitFor } from './helpers';

suite('VFS Lock Review in an untrusted workspace', function () {
  this.timeout(120000);

  test('the workspace is in Restricted Mode', () => {
    assert.strictEqual(vscode.workspace.isTrusted, false);
  });

  // scripts/e2e/run.mjs gives this workspace a .vscode/settings.json as a cloned repository could: rulesFile names
  // silence.json (a catalogue emptying notify_change, inode_lock, inode_unlock), exclude hides every C file and
  // patchReview.baseTree is "/", enable is false and severity turns deleg/missing-break and lock/imbalance off. With
  // a trusted workspace, missing_break.c and no_retry.c would have no finding.
  test('the workspace settings of restricted settings are withheld (package.json restrictedConfigurations)', async () => {
    const cfg = vscode.workspace.getConfiguration('vfsLockReview');
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(file('.vscode/settings.json')));
    assert.match(text, /"vfsLockReview\.rulesFile": "silence\.json"/, 'the hostile settings file is there');
    assert.strictEqual(cfg.get('rulesFile'), '');
    assert.strictEqual(cfg.get('patchReview.baseTree'), '');
    assert.deepStrictEqual(cfg.get('exclude'), ['**/.git/**', '**/node_modules/**', '**/.e2e/**']);
    // Settings that turn findings off are withheld too (the workspace sets missing-break and imbalance "off").
    assert.deepStrictEqual(cfg.get('severity'), {});
    assert.strictEqual(cfg.get('enable'), true);
  });

  test('a workspace rules file that would silence findings does not: findings are reported', async () => {
    await open('missing_break.c');
    const ds = await waitFor('diagnostics on missing_break.c', () =>
      ours(file('missing_break.c')).length ? ours(file('missing_break.c')) : undefined,
    );
    assert.deepStrictEqual(ds.map(ruleOf), ['deleg/missing-break']);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('Check Workspace works, and the rules of examples/ are reported as without the catalogue', async () => {
    const r = await vscode.commands.executeCommand<{ files: number; checked: number; findings: number }>(
      'vfsLockReview.checkWorkspace',
    );
    assert.ok(r.files >= 9 && r.checked === r.files, JSON.stringify(r));
    // With silence.json applied these three would report nothing, or another rule (wait_under_lock.c: break-unlocked).
    const expected: Record<string, string> = {
      'missing_break.c': 'deleg/missing-break',
      'leaked_lock.c': 'lock/imbalance',
      'wait_under_lock.c': 'deleg/blocking-break-locked',
    };
    for (const [name, rule] of Object.entries(expected))
      assert.deepStrictEqual([...new Set(ours(file(name)).map(ruleOf))], [rule], name);
    // All 9 that `vfslock check examples/` finds without the catalogue (run before the quick fix below edits one).
    assert.strictEqual(r.findings, 9, JSON.stringify(r));
  });

  test('diagnostics, quick fixes and hovers work', async () => {
    const editor = await open('no_retry.c');
    const ds = await waitFor('diagnostics', () =>
      ours(file('no_retry.c')).length ? ours(file('no_retry.c')) : undefined,
    );
    assert.deepStrictEqual(ds.map(ruleOf), ['deleg/unhandled-delegated-inode']);
    // Asked right after the diagnostic appears: the light bulb may be asked again once the worker has the document's
    // current version (a user's second click), so the test asks again too, for a while.
    const fix = await waitFor('a preferred fix', async () => {
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        editor.document.uri,
        ds[0].range,
        vscode.CodeActionKind.QuickFix.value,
      );
      return actions.find((a) => a.isPreferred && a.edit);
    });
    assert.ok(fix.edit, 'a preferred fix');
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    await waitFor('fixed', () => ours(file('no_retry.c')).length === 0);
    const stats = (await api()).stats();
    assert.strictEqual(stats.backend, 'worker');
  });

  test('Set Rule Severity writes the user settings here (the workspace value would be withheld) and applies', async () => {
    await open('missing_break.c');
    await waitFor('diagnostics on missing_break.c', () => ours(file('missing_break.c')).length > 0);
    await vscode.commands.executeCommand('vfsLockReview.setRuleSeverity', 'deleg/missing-break', 'warning');
    try {
      const inspected = vscode.workspace.getConfiguration('vfsLockReview').inspect<Record<string, string>>('severity');
      assert.deepStrictEqual(inspected?.globalValue, { 'deleg/missing-break': 'warning' });
      await waitFor('the finding shown as a warning', () =>
        ours(file('missing_break.c')).some((d) => d.severity === vscode.DiagnosticSeverity.Warning),
      );
    } finally {
      await vscode.workspace
        .getConfiguration('vfsLockReview')
        .update('severity', undefined, vscode.ConfigurationTarget.Global);
    }
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
