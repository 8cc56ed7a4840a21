/**
 * The race-simulation webview panel on the host side: one panel, reused; strict-CSP HTML with a fresh nonce per
 * render (src/extension/pure/simulation-page.ts); every message from the page checked against the trace the host
 * sent before use (src/extension/pure/webview-messages.ts); a serializer so the panel comes back after a reload
 * (the webview restores its trace from getState). See docs/security.md.
 */
import * as vscode from 'vscode';
import { isPersistedState, VIEW_TYPE, type HostMessage } from '../../webview/protocol';
import { visibleControls } from '../../webview/text';
import { builtinNamed } from '../../sim/builtins';
import type { SimulationResult } from '../../sim/run';
import { renderSimulationPage, simulationWebviewOptions } from '../pure/simulation-page';
import {
  checkWebviewMessage,
  traceLocations,
  type CheckedMessage,
  type MessageContext,
  type RevealTarget,
} from '../pure/webview-messages';

/** What `vfsLockReview.internal.simulationPanel` reports (for the real-editor tests). */
export interface SimulationPanelStatus {
  /** A panel exists and is not disposed. */
  open: boolean;
  /** Its page ran its script and said so (the CSP let it load). */
  ready: boolean;
  /** Scenario and verdict of the result last sent, or restored. */
  scenario: string | null;
  verdict: string | null;
  /** Panels made by a command, and panels brought back by the serializer, since activation. */
  created: number;
  restored: number;
}

export class SimulationPanel {
  private panel: vscode.WebviewPanel | null = null;
  private shown: { scenario: string; verdict: string } | null = null;
  private created = 0;
  private restored = 0;
  /**
   * The result last shown, sent again whenever the page (re)loads: a panel hidden behind another tab loses its
   * page, and a message posted while it is hidden is dropped; the page ignores a result it already has (same id).
   */
  private current: HostMessage | null = null;
  private ready = false;
  private sent = 0;
  /** What the page may ask to reveal: the locations of the result last sent (or restored). */
  private allowed: MessageContext = { locations: new Map() };
  /** A save dialog is open: further export requests are dropped. */
  private saving = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: (msg: string) => void,
  ) {}

  /**
   * Shows a result, opening (or revealing) the panel. A panel the user closed is gone for good (VS Code disposes
   * it): the next result opens a new one.
   */
  show(result: SimulationResult, startStep?: number, note?: string): void {
    const existing = this.live();
    const panel = existing ?? this.create();
    panel.title = vscode.l10n.t('Race: {0}', visibleControls(result.title));
    // A new panel opens beside the editor; an open one is shown where the user left it (Beside again would move it).
    if (existing) panel.reveal(undefined, true);
    this.allowed = { locations: traceLocations(result) };
    this.shown = { scenario: result.scenario, verdict: result.verdict };
    this.post({ type: 'show', id: `${Date.now().toString(36)}.${++this.sent}`, result, startStep, note });
  }

  status(): SimulationPanelStatus {
    const open = this.live() !== null;
    return {
      open,
      ready: open && this.ready,
      scenario: open ? (this.shown?.scenario ?? null) : null,
      verdict: open ? (this.shown?.verdict ?? null) : null,
      created: this.created,
      restored: this.restored,
    };
  }

  /** The current panel, or null when there is none or it was disposed under us (then forgotten). */
  private live(): vscode.WebviewPanel | null {
    const panel = this.panel;
    if (!panel) return null;
    try {
      // Reading the webview of a disposed panel throws ("Webview is disposed").
      void panel.webview.options;
      return panel;
    } catch {
      this.forget(panel);
      return null;
    }
  }

  private forget(panel: vscode.WebviewPanel): void {
    if (this.panel !== panel) return;
    this.panel = null;
    this.ready = false;
    this.current = null;
    this.shown = null;
  }

  registerSerializer(): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        // The trace comes back from the page's own saved state: untrusted, so reveals are also confined to the
        // workspace folders.
        const roots = (vscode.workspace.workspaceFolders ?? []).flatMap((f) =>
          f.uri.scheme === 'file' ? [f.uri.fsPath, f.uri.toString()] : [f.uri.toString()],
        );
        this.allowed = {
          locations: isPersistedState(state) ? traceLocations(state.result) : new Map(),
          workspaceRoots: roots,
        };
        this.shown = isPersistedState(state)
          ? { scenario: state.result.scenario, verdict: state.result.verdict }
          : null;
        this.restored++;
        this.adopt(panel);
      },
    });
  }

  private create(): vscode.WebviewPanel {
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      vscode.l10n.t('Race simulation'),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      this.options(),
    );
    this.created++;
    this.adopt(panel);
    return panel;
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    const root = this.context.extensionUri;
    const o = simulationWebviewOptions();
    return { ...o, localResourceRoots: o.localResourceRoots.map((segments) => vscode.Uri.joinPath(root, ...segments)) };
  }

  /**
   * Takes a new or restored panel: the dispose handler first (so a panel closed at any point, even one whose page
   * failed to render, is forgotten and the next command makes a new one), then the page.
   */
  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    this.current = null;
    const w = panel.webview;
    const subs: vscode.Disposable[] = [];
    subs.push(
      panel.onDidDispose(() => {
        this.forget(panel);
        for (const s of subs) s.dispose();
      }),
    );
    subs.push(w.onDidReceiveMessage((m: unknown) => this.receive(m, panel)));
    try {
      w.options = this.options();
      const root = this.context.extensionUri;
      w.html = renderSimulationPage({
        cspSource: w.cspSource,
        resourceUri: (segments) => w.asWebviewUri(vscode.Uri.joinPath(root, ...segments)).toString(),
      }).html;
    } catch (e) {
      // A page that cannot be rendered safely is not shown at all: no blank panel left behind.
      this.log(`simulation panel: ${(e as Error).message}`);
      panel.dispose();
      throw e;
    }
  }

  private post(m: HostMessage): void {
    const panel = this.live();
    if (!panel) return;
    this.current = m;
    if (this.ready) void panel.webview.postMessage(m);
  }

  private receive(m: unknown, from: vscode.WebviewPanel): void {
    // A late message of a panel already replaced is not this panel's business.
    if (from !== this.panel) return;
    const checked = checkWebviewMessage(m, this.allowed);
    if (!checked.ok) {
      this.log(`simulation panel: ignored a message (${checked.reason})`);
      return;
    }
    void this.handle(checked.message).catch((e: Error) => this.log(`simulation panel: ${e.message}`));
  }

  private async handle(m: CheckedMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.current && this.panel) void this.panel.webview.postMessage(this.current);
        return;
      case 'reveal':
        return this.reveal(m.target);
      case 'export':
        if (this.saving) return;
        this.saving = true;
        try {
          return await this.export(m.format, m.content, m.fileName);
        } finally {
          this.saving = false;
        }
    }
  }

  /** Opens a step's source (checked: a location of the current trace): a file, a URI, or a built-in scenario's text. */
  private async reveal(t: RevealTarget): Promise<void> {
    let doc: vscode.TextDocument;
    if (t.kind === 'builtin') {
      const builtin = builtinNamed(t.name);
      if (!builtin) return;
      doc = await vscode.workspace.openTextDocument({ language: 'vfsrace', content: builtin.text });
    } else
      doc = await vscode.workspace.openTextDocument(
        t.kind === 'path' ? vscode.Uri.file(t.path) : vscode.Uri.parse(t.uri, true),
      );
    const pos = new vscode.Position(t.line - 1, t.column - 1);
    await vscode.window.showTextDocument(doc, {
      viewColumn: vscode.ViewColumn.One,
      selection: new vscode.Range(pos, pos),
      preserveFocus: false,
    });
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
