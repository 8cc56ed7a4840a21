/** Palette commands: check the current file, lock state at the cursor, rule documentation, kernel era, rule severity. */
import * as vscode from 'vscode';
import type { EventInfo } from '../core/engine';
import { RULES, ruleDocPath, ruleDocUrl } from '../core/rules/rules';
import type { DocumentsService } from './diagnostics';
import { relativePath } from './diagnostics';
import type { Log } from './output';
import { ms } from './output';
import { DIAGNOSTIC_SOURCE } from '../service/diagnostics';
import { lockStateText } from '../service/hover';
import { SECTION } from './settings';

export interface CheckFileResult {
  file: string;
  findings: number;
  era: string;
  ms: number;
}

export function activate(ctx: vscode.ExtensionContext, log: Log, documents: DocumentsService): void {
  const reg = (id: string, fn: (...args: never[]) => unknown) =>
    ctx.subscriptions.push(vscode.commands.registerCommand(id, fn));

  reg('vfsLockReview.checkFile', async (uri?: vscode.Uri): Promise<CheckFileResult | undefined> => {
    const doc =
      uri instanceof vscode.Uri
        ? await vscode.workspace.openTextDocument(uri)
        : vscode.window.activeTextEditor?.document;
    if (!doc) {
      void vscode.window.showInformationMessage(vscode.l10n.t('VFS Lock Review: open a C file to check.'));
      return undefined;
    }
    if (doc.languageId !== 'c' && doc.languageId !== 'cpp') {
      void vscode.window.showWarningMessage(
        vscode.l10n.t('VFS Lock Review: {0} is not a C file.', relativePath(doc.uri)),
      );
      return undefined;
    }
    log.info(`command: Check Current File (${relativePath(doc.uri)})`);
    const r = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Window,
        title: vscode.l10n.t('VFS Lock Review: checking {0}', relativePath(doc.uri)),
      },
      () => documents.checkNow(doc),
    );
    if (!r) return undefined;
    const n = r.findings;
    const msg = r.error
      ? vscode.l10n.t('VFS Lock Review: {0} not analysed: {1}', relativePath(doc.uri), r.error)
      : n === 0
        ? vscode.l10n.t('VFS Lock Review: no findings in {0} ({1} ms)', relativePath(doc.uri), ms(r.analysisMs))
        : vscode.l10n.t('VFS Lock Review: {0} finding(s) in {1} ({2} ms)', n, relativePath(doc.uri), ms(r.analysisMs));
    vscode.window.setStatusBarMessage(msg, 8000);
    return { file: relativePath(doc.uri), findings: n, era: r.era, ms: r.analysisMs };
  });

  reg('vfsLockReview.showLockState', async (uri?: vscode.Uri, offset?: number): Promise<EventInfo[]> => {
    const editor = vscode.window.activeTextEditor;
    const doc = uri instanceof vscode.Uri ? await vscode.workspace.openTextDocument(uri) : editor?.document;
    if (!doc) return [];
    if (!documents.isTracked(doc.uri)) await documents.checkNow(doc);
    const at =
      typeof offset === 'number'
        ? offset
        : editor && editor.document === doc
          ? doc.offsetAt(editor.selection.active)
          : 0;
    const { events, function: fn } = await documents.eventsAt(doc, at);
    const text = lockStateText(fn, events);
    log.info(`command: Show Lock State at Cursor (${relativePath(doc.uri)}:${doc.positionAt(at).line + 1}): ${text}`);
    if (events.length && editor?.document === doc) {
      // The palette has just closed: give the editor focus back before asking for its hover.
      await vscode.window.showTextDocument(doc, {
        viewColumn: editor.viewColumn,
        preserveFocus: false,
        selection: editor.selection,
      });
      await vscode.commands.executeCommand('editor.action.showHover');
    } else void vscode.window.showInformationMessage(text);
    return events;
  });

  reg('vfsLockReview.openRuleDoc', async (ruleId?: string): Promise<string | undefined> => {
    let id = typeof ruleId === 'string' ? ruleId : undefined;
    const editor = vscode.window.activeTextEditor;
    if (!id && editor) {
      const here = vscode.languages
        .getDiagnostics(editor.document.uri)
        .find((d) => d.source === DIAGNOSTIC_SOURCE && d.range.contains(editor.selection.active));
      if (here && typeof here.code === 'object') id = String(here.code.value);
    }
    if (!id) {
      const pick = await vscode.window.showQuickPick(
        RULES.map((r) => ({ label: r.id, description: r.severity, detail: r.short })),
        {
          title: vscode.l10n.t('VFS Lock Review: Open Rule Documentation'),
          placeHolder: vscode.l10n.t('Rule'),
          matchOnDetail: true,
        },
      );
      id = pick?.label;
    }
    if (!id) return undefined;
    // The id becomes a path under the extension and a URL: only the shape rule ids have (`deleg/missing-break`),
    // so a caller (the command takes an argument) cannot point it elsewhere with `..`.
    if (!/^[a-z]+\/[a-z0-9]+(?:-[a-z0-9]+)*$/.test(id)) {
      log.warn(`command: Open Rule Documentation: not a rule id: ${JSON.stringify(id).slice(0, 80)}`);
      return undefined;
    }
    log.info(`command: Open Rule Documentation (${id})`);
    const local = vscode.Uri.joinPath(ctx.extensionUri, ruleDocPath(id));
    try {
      await vscode.workspace.fs.stat(local);
      await vscode.commands.executeCommand('markdown.showPreview', local);
      return local.toString();
    } catch {
      await vscode.env.openExternal(vscode.Uri.parse(ruleDocUrl(id)));
      return ruleDocUrl(id);
    }
  });

  reg('vfsLockReview.selectKernel', async (): Promise<string | undefined> => {
    const items: (vscode.QuickPickItem & { value: string })[] = [
      {
        label: 'auto',
        value: 'auto',
        description: vscode.l10n.t(
          'detect from the code (struct delegated_inode → 6.19+, struct inode ** → 3.13–6.18)',
        ),
      },
      { label: '3.12', value: '3.12', description: vscode.l10n.t('before delegation breaking (Linux ≤ 3.12)') },
      {
        label: '3.13',
        value: '3.13',
        description: vscode.l10n.t('try_break_deleg(inode, &delegated_inode) with struct inode ** (3.13–6.18)'),
      },
      { label: '6.12', value: '6.12', description: vscode.l10n.t('as 3.13, with mnt_idmap signatures (6.3–6.18)') },
      {
        label: '6.19',
        value: '6.19',
        description: vscode.l10n.t('struct delegated_inode and directory delegations (6.19+)'),
      },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('VFS Lock Review: Kernel Version') });
    if (!pick) return undefined;
    const target = vscode.workspace.workspaceFolders?.length
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration(SECTION).update('kernel', pick.value, target);
    return pick.value;
  });

  reg('vfsLockReview.setRuleSeverity', async (ruleId?: string, severity?: string): Promise<void> => {
    if (!ruleId || !severity) return;
    const cfg = vscode.workspace.getConfiguration(SECTION);
    const current = { ...(cfg.get<Record<string, string>>('severity') ?? {}) };
    current[ruleId] = severity;
    // An untrusted workspace's severity is withheld (restrictedConfigurations), so there the choice goes to the user's.
    const inWorkspace = !!vscode.workspace.workspaceFolders?.length && vscode.workspace.isTrusted;
    await cfg.update(
      'severity',
      current,
      inWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global,
    );
    log.info(`rule ${ruleId} set to ${severity}${inWorkspace ? '' : ' in the user settings'}`);
  });

  reg('vfsLockReview.showOutput', () => log.channel.show(true));
}
