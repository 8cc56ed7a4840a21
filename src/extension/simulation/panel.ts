/**
 * The race-simulation webview panel on the host side: one panel, reused; strict-CSP HTML from
 * src/webview/html.ts; messages checked with src/webview/protocol.ts; a serializer so the panel comes back
 * after a reload (the webview restores its trace from getState).
 */
import * as vscode from 'vscode';
import { simulationHtml, makeNonce } from '../../webview/html';
import { isWebviewMessage, VIEW_TYPE, type HostMessage, type WebviewMessage } from '../../webview/protocol';
import { builtinNamed } from '../../sim/builtins';
import type { SimulationResult } from '../../sim/run';

export class SimulationPanel {
  private panel: vscode.WebviewPanel | null = null;
  private pending: HostMessage | null = null;
  private ready = false;

  constructor(private readonly context: vscode.ExtensionContext, private readonly log: (msg: string) => void) {}

  /** Shows a result, opening (or revealing) the panel. */
  show(result: SimulationResult, startStep?: number, note?: string): void {
    const panel = this.panel ?? this.create();
    panel.title = vscode.l10n.t('Race: {0}', result.title);
    panel.reveal(vscode.ViewColumn.Beside, true);
    this.post({ type: 'show', result, startStep, note });
  }

  showError(message: string): void {
    if (!this.panel) void vscode.window.showErrorMessage(message);
    else this.post({ type: 'error', message });
  }

  registerSerializer(): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
        this.adopt(panel);
      },
    });
  }

  private create(): vscode.WebviewPanel {
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, vscode.l10n.t('Race simulation'), { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, this.options());
    this.adopt(panel);
    return panel;
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    const root = this.context.extensionUri;
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(root, 'dist', 'webview'), vscode.Uri.joinPath(root, 'media')],
    };
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    const w = panel.webview;
    w.options = this.options();
    const root = this.context.extensionUri;
    w.html = simulationHtml({
      cspSource: w.cspSource, nonce: makeNonce(),
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(root, 'dist', 'webview', 'main.js')).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(root, 'media', 'simulation.css')).toString(),
    });
    const subs = [
      w.onDidReceiveMessage((m: unknown) => this.receive(m)),
      panel.onDidDispose(() => {
        if (this.panel === panel) this.panel = null;
        for (const s of subs) s.dispose();
      }),
    ];
  }

  private post(m: HostMessage): void {
    if (!this.panel) return;
    if (!this.ready) {
      this.pending = m;
      return;
    }
    void this.panel.webview.postMessage(m);
  }

  private receive(m: unknown): void {
    if (!isWebviewMessage(m)) {
      this.log('simulation panel: ignored a malformed message');
      return;
    }
    void this.handle(m).catch((e: Error) => this.log(`simulation panel: ${e.message}`));
  }

  private async handle(m: WebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.pending) {
          const p = this.pending;
          this.pending = null;
          this.post(p);
        }
        return;
      case 'reveal':
        return this.reveal(m.file, m.line, m.column);
      case 'export':
        return this.export(m.format, m.content, m.suggestedName);
    }
  }

  /** Opens the step's source: a file, a URI, or a built-in scenario's text. */
  private async reveal(file: string, line: number, column = 1): Promise<void> {
    let doc: vscode.TextDocument;
    const builtin = file.startsWith('builtin:') ? builtinNamed(file.slice('builtin:'.length)) : undefined;
    if (builtin) doc = await vscode.workspace.openTextDocument({ language: 'vfsrace', content: builtin.text });
    else doc = await vscode.workspace.openTextDocument(file.includes('://') ? vscode.Uri.parse(file) : vscode.Uri.file(file));
    const pos = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(pos, pos), preserveFocus: false });
  }

  private async export(format: 'text' | 'svg', content: string, suggestedName: string): Promise<void> {
    const base = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: base ? vscode.Uri.joinPath(base, suggestedName) : undefined,
      filters: format === 'svg' ? { SVG: ['svg'] } : { Text: ['txt'] },
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(content));
    void vscode.window.showInformationMessage(vscode.l10n.t('Trace saved to {0}', target.fsPath || target.toString()));
  }
}
