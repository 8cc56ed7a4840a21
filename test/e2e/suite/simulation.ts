/**
 * The race-simulation panel in a real VS Code's extension host: every simulation command opens the panel and its
 * page loads under the real `webview.cspSource` (it posts `ready`, which only its nonce'd script can do); closing
 * the panel and running the same command again opens a new one (not "Webview is disposed"); the `.vfsrace` editor's
 * "Run simulation" lens runs that document. The page's DOM (lanes, verdict) is read by the UI suites
 * (test/e2e/ui/ui.mjs), which see into the webview frame. Registered by main.test.ts.
 */
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { api, file, hostLag, lagFigures, metric, open, sleep, waitFor } from './helpers';

interface PanelStatus {
  open: boolean;
  ready: boolean;
  scenario: string | null;
  verdict: string | null;
  created: number;
  restored: number;
}

const status = async (): Promise<PanelStatus> =>
  (await vscode.commands.executeCommand<PanelStatus>('vfsLockReview.internal.simulationPanel'))!;

function panelTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('vfsLockReview.simulation'));
}

/** Waits until the panel is open, its page ready, and it shows what `pred` accepts. */
async function shown(what: string, pred: (s: PanelStatus) => boolean): Promise<PanelStatus> {
  let last: PanelStatus | undefined;
  try {
    return await waitFor(
      `the panel to show ${what}`,
      async () => {
        last = await status();
        return last.open && last.ready && pred(last) ? last : undefined;
      },
      60000,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last status ${JSON.stringify(last)}`);
  }
}

/** Closes the panel as a user does (its tab), which disposes it. */
async function closePanel(): Promise<void> {
  const tabs = panelTabs();
  assert.strictEqual(
    tabs.length,
    1,
    `one simulation tab: ${vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .map((t) => t.label)
      .join(' | ')}`,
  );
  assert.ok(await vscode.window.tabGroups.close(tabs));
  try {
    await waitFor('the panel to be disposed', async () => !(await status()).open && panelTabs().length === 0);
  } catch (e) {
    const tabsNow = vscode.window.tabGroups.all
      .map((g) => g.tabs.map((t) => `${t.label} [${t.input?.constructor?.name}]`).join(', '))
      .join(' / ');
    throw new Error(`${(e as Error).message}: status ${JSON.stringify(await status())}, tabs ${tabsNow}`);
  }
}

/**
 * Runs a command that asks through quick input (a pick list, input boxes), accepting the selected item (the first
 * one; an input box's default) each time one is open, until the command returns. Its error, if any, is thrown.
 */
async function runAccepting(command: string, ...args: unknown[]): Promise<void> {
  let settled = false;
  const p = Promise.resolve(vscode.commands.executeCommand(command, ...args)).finally(() => (settled = true));
  while (!settled) {
    await sleep(300);
    if (!settled) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  }
  await p;
}

interface Case {
  name: string;
  run: () => Promise<void>;
  expect: (s: PanelStatus) => boolean;
}

export function simulationSuite(): void {
  suite('Race simulation panel in a real VS Code', function () {
    this.timeout(180000);

    suiteSetup(async () => {
      // Standalone (VFSLOCK_E2E_FILES=simulation), nothing has activated the extension yet.
      await api();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
    teardown(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    const scenarioUri = () => file('setxattr-before-5.9.vfsrace');
    const cases: Case[] = [
      {
        name: 'Show the Race (code lens "Simulate races" / code action) on a C function',
        run: async () => {
          await vscode.commands.executeCommand(
            'vfsLockReview.showRace',
            file('missing_break.c'),
            'example_set_mode',
            11,
          );
        },
        expect: (s) => !!s.scenario?.endsWith('example_set_mode') && s.verdict === 'violation',
      },
      {
        name: 'Simulate Race… (pick list: the first built-in scenario)',
        run: () => runAccepting('vfsLockReview.simulateRace'),
        expect: (s) => s.scenario === 'builtin:rename-vs-grant-pre313' && s.verdict === 'violation',
      },
      {
        name: 'Simulate Race… on a .vfsrace document (its "Run simulation" lens)',
        run: async () => {
          await vscode.commands.executeCommand('vfsLockReview.simulateRace', scenarioUri());
        },
        expect: (s) => !!s.scenario?.endsWith('setxattr-before-5.9.vfsrace') && s.verdict === 'violation',
      },
      {
        name: 'Inode Cache Cost of a Field… (two input boxes, defaults)',
        run: () => runAccepting('vfsLockReview.inodeCacheCost'),
        expect: (s) => s.scenario === 'builtin:inode-field-cost',
      },
    ];

    for (const c of cases) {
      test(`${c.name}: opens the panel, and again after the panel was closed`, async () => {
        const before = await status();
        await c.run();
        const first = await shown(c.name, c.expect);
        assert.strictEqual(
          first.created,
          before.created + (before.open ? 0 : 1),
          'a new panel, or the open one reused',
        );
        assert.strictEqual(panelTabs().length, 1);
        await closePanel();
        // The disposed panel must not be reused: the second run makes a new one and its page loads again.
        await c.run();
        const second = await shown(`${c.name} (after close)`, c.expect);
        assert.strictEqual(second.created, first.created + 1, 'a fresh panel after the close');
        assert.strictEqual(panelTabs().length, 1);
        // Run once more with the panel open: it is reused, not duplicated.
        await c.run();
        const third = await shown(`${c.name} (panel open)`, c.expect);
        assert.strictEqual(third.created, second.created, 'the open panel is reused');
        assert.strictEqual(panelTabs().length, 1);
        await closePanel();
      });
    }

    // The extension host only relays: finding the function at the cursor and the whole simulation (the function's
    // model taken from the analysis, the exploration) run in the workers.
    test('Simulate Race… and Show the Race on fs/namei.c: the function at the cursor; the host stays responsive', async function () {
      const uri = file('kernel/fs/namei.c');
      try {
        await vscode.workspace.fs.stat(uri);
      } catch {
        this.skip();
        return;
      }
      const editor = await open('kernel/fs/namei.c');
      const text = editor.document.getText();
      const at = text.indexOf('try_break_deleg(', text.indexOf('int vfs_unlink('));
      assert.ok(at > 0, 'vfs_unlink breaks the victim');
      const pos = editor.document.positionAt(at);
      editor.selection = new vscode.Selection(pos, pos);
      const pick = await hostLag(async () => {
        await runAccepting('vfsLockReview.simulateRace');
        return shown('vfs_unlink from the pick list', (s) => !!s.scenario?.endsWith('vfs_unlink'));
      });
      metric('simulatePickNamei', lagFigures(pick.lag, pick.ms));
      await closePanel();
      const line = pos.line + 1;
      const lens = await hostLag(async () => {
        await vscode.commands.executeCommand('vfsLockReview.showRace', uri, 'vfs_unlink', line);
        return shown('vfs_unlink from its code lens', (s) => !!s.scenario?.endsWith('vfs_unlink'));
      });
      metric('simulateShowRaceNamei', lagFigures(lens.lag, lens.ms));
      await closePanel();
    });

    test('the .vfsrace editor has a "Run simulation" lens on its scenario line, running that document as edited', async () => {
      const editor = await open('setxattr-before-5.9.vfsrace');
      assert.strictEqual(editor.document.languageId, 'vfsrace');
      const lenses = await waitFor('the scenario lens', async () => {
        const ls = await vscode.commands.executeCommand<vscode.CodeLens[]>(
          'vscode.executeCodeLensProvider',
          editor.document.uri,
          10,
        );
        return ls && ls.length ? ls : undefined;
      });
      assert.strictEqual(lenses.length, 1, lenses.map((l) => l.command?.title).join(' | '));
      const [lens] = lenses;
      assert.strictEqual(lens.command?.title, '$(debug-alt) Run simulation');
      assert.strictEqual(lens.command?.command, 'vfsLockReview.simulateRace');
      assert.strictEqual(
        editor.document.lineAt(lens.range.start.line).text.startsWith('scenario "'),
        true,
        'on the scenario line',
      );
      assert.strictEqual((lens.command?.arguments?.[0] as vscode.Uri).toString(), editor.document.uri.toString());
      // The unsaved text is what runs: the setxattr thread, fixed in the editor, gives a different verdict.
      const text = editor.document.getText();
      const body =
        '  lock f                      # inode_lock(inode) in vfs_setxattr()\n  setxattr f                  # __vfs_setxattr_noperm(): no try_break_deleg() before the fix\n  unlock f\n';
      assert.ok(text.includes(body), 'the example still has the unfixed thread body');
      const fixed =
        'retry:\n  lock f\n  try_break_deleg f -> delegated_inode\n  if !err { setxattr f }\n  unlock f\n  if delegated_inode { break_deleg_wait delegated_inode; if !err { goto retry } }\n';
      await editor.edit((b) =>
        b.replace(
          new vscode.Range(
            editor.document.positionAt(text.indexOf(body)),
            editor.document.positionAt(text.indexOf(body) + body.length),
          ),
          fixed,
        ),
      );
      assert.ok(editor.document.isDirty);
      await vscode.commands.executeCommand(lens.command!.command, ...(lens.command!.arguments ?? []));
      await shown(
        'the edited scenario',
        (s) => !!s.scenario?.endsWith('setxattr-before-5.9.vfsrace') && s.verdict === 'safe',
      );
      await vscode.commands
        .executeCommand('workbench.action.revertAndCloseActiveEditor')
        .then(undefined, () => undefined);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
  });
}
