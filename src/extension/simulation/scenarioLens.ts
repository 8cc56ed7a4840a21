/**
 * The `.vfsrace` editor's "Run simulation" code lens: over the `scenario` line (the first line when there is
 * none), running "Simulate Race…" on that document (its text as edited, saved or not).
 */
import * as vscode from 'vscode';

export const RUN_SCENARIO_COMMAND = 'vfsLockReview.simulateRace';

export function scenarioLens(): vscode.Disposable[] {
  const changed = new vscode.EventEmitter<void>();
  return [
    changed,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('vfsLockReview.codeLens')) changed.fire();
    }),
    vscode.languages.registerCodeLensProvider(
      { language: 'vfsrace' },
      {
        onDidChangeCodeLenses: changed.event,
        provideCodeLenses(doc) {
          if (!vscode.workspace.getConfiguration('vfsLockReview', doc.uri).get<boolean>('codeLens', true)) return [];
          const at = new vscode.Position(scenarioLine(doc), 0);
          return [
            new vscode.CodeLens(new vscode.Range(at, at), {
              title: vscode.l10n.t('$(debug-alt) Run simulation'),
              command: RUN_SCENARIO_COMMAND,
              arguments: [doc.uri],
              tooltip: vscode.l10n.t('Explore every interleaving of the threads of this scenario and show the result'),
            }),
          ];
        },
      },
    ),
  ];
}

/** The line of the `scenario "…"` header (the scenario language's first keyword), else 0. */
function scenarioLine(doc: vscode.TextDocument): number {
  for (let i = 0; i < doc.lineCount; i++) {
    const words = doc.lineAt(i).text.trimStart().split(/\s+/, 1);
    if (words[0] === 'scenario') return i;
  }
  return 0;
}
