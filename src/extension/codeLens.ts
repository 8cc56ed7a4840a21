/**
 * A code lens over every function the analyzer found delegation-relevant: its locks, its breaks, its findings,
 * and "Simulate races".
 */
import * as vscode from 'vscode';
import type { DocumentsService } from './diagnostics';
import type { SettingsService } from './settings';
import { C_SELECTOR } from './selector';

export function activate(ctx: vscode.ExtensionContext, documents: DocumentsService, settings: SettingsService): void {
  const changed = new vscode.EventEmitter<void>();
  ctx.subscriptions.push(
    changed,
    documents.onDidAnalyze(() => changed.fire()),
    settings.onDidChange((e) => {
      if (e.affectsConfiguration('vfsLockReview.codeLens')) changed.fire();
    }),
  );
  ctx.subscriptions.push(
    vscode.languages.registerCodeLensProvider(C_SELECTOR, {
      onDidChangeCodeLenses: changed.event,
      provideCodeLenses(doc) {
        if (!settings.get(doc.uri).codeLens) return [];
        const r = documents.current(doc);
        if (!r) return [];
        const lenses: vscode.CodeLens[] = [];
        for (const fn of r.result.functions) {
          if (!fn.analyzed || (!fn.locks.length && !fn.breaks.length && !fn.findings)) continue;
          const at = doc.positionAt(fn.nameStart);
          const range = new vscode.Range(at, at);
          const line = at.line + 1;
          const parts: string[] = [];
          if (fn.locks.length) parts.push(`$(lock) ${fn.locks.join(', ')}`);
          if (fn.breaks.length) parts.push(`$(debug-disconnect) ${fn.breaks.join(', ')}`);
          if (parts.length)
            lenses.push(
              new vscode.CodeLens(range, {
                title: parts.join('  '),
                command: '',
                tooltip: vscode.l10n.t('Locks taken and delegation breaks made in {0}', fn.name),
              }),
            );
          const findings =
            fn.findings === 0
              ? vscode.l10n.t('$(pass) no findings')
              : fn.findings === 1
                ? vscode.l10n.t('$(warning) 1 finding')
                : vscode.l10n.t('$(warning) {0} findings', fn.findings);
          lenses.push(
            new vscode.CodeLens(range, {
              title: findings,
              command: fn.findings ? 'workbench.actions.view.problems' : '',
              tooltip: vscode.l10n.t('Findings in {0}', fn.name),
            }),
          );
          lenses.push(
            new vscode.CodeLens(range, {
              title: vscode.l10n.t('$(debug-alt) Simulate races'),
              command: 'vfsLockReview.showRace',
              arguments: [doc.uri, fn.name, line],
              tooltip: vscode.l10n.t('Explore interleavings of {0} with a delegation grant and other tasks', fn.name),
            }),
          );
        }
        return lenses;
      },
    }),
  );
}
