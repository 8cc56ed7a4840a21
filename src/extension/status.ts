/** A language status item for C files: the kernel era the file is read as, and its finding count. */
import * as vscode from 'vscode';
import type { DocumentsService } from './diagnostics';
import { C_SELECTOR } from './selector';

const ERA_LABEL: Record<string, string> = { '3.12': 'Linux ≤ 3.12', '3.13': 'Linux 3.13–6.18', '6.19': 'Linux 6.19+' };

export function activate(ctx: vscode.ExtensionContext, documents: DocumentsService): void {
  const item = vscode.languages.createLanguageStatusItem('vfsLockReview.status', C_SELECTOR);
  item.name = 'VFS Lock Review';
  item.command = { title: vscode.l10n.t('Kernel Version…'), command: 'vfsLockReview.selectKernel' };
  ctx.subscriptions.push(item);

  const update = () => {
    const doc = vscode.window.activeTextEditor?.document;
    const r = doc && documents.isTracked(doc.uri) ? documents.last(doc.uri) : null;
    if (!doc || !documents.isTracked(doc.uri)) {
      item.text = vscode.l10n.t('$(shield) VFS Lock Review: off for this file');
      item.detail = vscode.l10n.t('not selected by vfsLockReview.include/exclude, or disabled');
      item.severity = vscode.LanguageStatusSeverity.Information;
      item.busy = false;
      return;
    }
    if (!r) {
      item.text = vscode.l10n.t('$(shield) VFS Lock Review');
      item.detail = vscode.l10n.t('checking…');
      item.busy = true;
      return;
    }
    item.busy = false;
    const n = r.shown;
    item.text = `$(shield) ${ERA_LABEL[r.era] ?? r.era}`;
    item.detail = r.error
      ? vscode.l10n.t('not analysed: {0}', r.error)
      : vscode.l10n.t(
          '{0} finding(s); kernel era {1}',
          n,
          r.eraSource === 'option'
            ? vscode.l10n.t('from the setting')
            : r.eraSource === 'detected'
              ? vscode.l10n.t('detected from the code')
              : r.eraSource === 'tree'
                ? vscode.l10n.t("from the kernel tree's Makefile")
                : vscode.l10n.t('assumed'),
        );
    item.severity = n ? vscode.LanguageStatusSeverity.Warning : vscode.LanguageStatusSeverity.Information;
  };
  ctx.subscriptions.push(vscode.window.onDidChangeActiveTextEditor(update), documents.onDidAnalyze(update));
  update();
}
