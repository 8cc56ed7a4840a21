/**
 * Live diagnostics, quick fixes, hovers and code lenses: the open C documents the settings select, through the
 * language client (language-client.ts) to the analysis service's language server. The client sends each keystroke
 * as an incremental change; the server re-analyses only the functions it touched, after a debounce that follows the
 * measured analysis time, and publishes the diagnostics. The middleware here gives the server's answers what only
 * the extension offers: "Show the race" and "Turn off" actions, localized code lenses with icons and commands of the
 * extension, theme icons in hovers. The settings and the rule catalogue are the extension's (trust, workspace file
 * system), pushed to the server.
 */
import * as vscode from 'vscode';
import { RevealOutputChannelOn, type BaseLanguageClient, type Middleware } from 'vscode-languageclient';
import type { EventInfo } from '../core/engine';
import { ms, now, type Log } from './output';
import type { CatalogueService } from './catalogue';
import type { SettingsService } from './settings';
import { FileFilter, type Settings } from '../service/settings';
import { DIAGNOSTIC_SOURCE, isRaceRule } from '../service/diagnostics';
import { indexEventText } from '../service/index-events';
import type { FunctionAtParams } from '../service/protocol';
import type { LensData } from '../service/lsp-server';
import {
  AnalyzedNotification,
  CheckNowRequest,
  EventsAtRequest,
  FunctionAtRequest,
  IndexNotification,
  CATALOGUE_SETTING,
  RegisterCatalogueNotification,
  SetIndexingRequest,
  type AnalysisTrigger,
  type AnalyzedParams,
  type ServerExtras,
} from '../service/lsp-extension';
import { createLanguageClient, DOCUMENT_SCHEMES, IS_WEB, SERVER_SELECTOR } from './language-client';

export interface CheckStats {
  file: string;
  version: number;
  analysisMs: number;
  /** From the first unreflected change to the diagnostics being published (includes the debounce). */
  latencyMs: number | null;
  findings: number;
  trigger: AnalysisTrigger;
}

export interface DocumentsService {
  /** The language client's diagnostics, once it has started (Check Workspace adds closed files' to it). */
  readonly collectionReady: Promise<vscode.DiagnosticCollection>;
  /** Whether the settings select the document (language, scheme, include/exclude, enable). */
  isCandidate(doc: vscode.TextDocument): boolean;
  /** Analyses now (skipping the debounce) and publishes; `force`d for a document the settings do not select. */
  checkNow(doc: vscode.TextDocument): Promise<AnalyzedParams | null>;
  /** The last analysis published for the document, whatever its version. */
  last(uri: vscode.Uri): AnalyzedParams | null;
  /** The lock events at an offset of the document's current text, and the function around it. */
  eventsAt(doc: vscode.TextDocument, offset: number): Promise<{ events: EventInfo[]; function: string | null }>;
  functionAt(params: FunctionAtParams): Promise<{ name: string; start: number; end: number } | null>;
  isTracked(uri: vscode.Uri): boolean;
  readonly onDidAnalyze: vscode.Event<AnalyzedParams>;
  readonly history: CheckStats[];
  /** Milliseconds the server's parser took to load, once known. */
  readonly loadMs: number | null;
}

export function relativePath(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}

/** The scope of the window's settings: its first folder (each document's own come through `configuration`). */
const scope = () => vscode.workspace.workspaceFolders?.[0]?.uri;

export function activate(
  ctx: vscode.ExtensionContext,
  log: Log,
  settings: SettingsService,
  catalogues: CatalogueService,
): DocumentsService {
  const analyzed = new vscode.EventEmitter<AnalyzedParams>();
  const lastResults = new Map<string, AnalyzedParams>();
  const forced = new Set<string>();
  const history: CheckStats[] = [];
  let loadMs: number | null = null;
  let client: BaseLanguageClient | null = null;
  let indexStatus: vscode.Disposable | undefined;
  ctx.subscriptions.push(analyzed, { dispose: () => indexStatus?.dispose() });

  const isCandidate = (doc: vscode.TextDocument): boolean => {
    if (!DOCUMENT_SCHEMES.includes(doc.uri.scheme)) return false;
    const isC = doc.languageId === 'c' || (doc.languageId === 'cpp' && /\.h$/i.test(doc.uri.path));
    if (!isC) return false;
    const s = settings.get(doc.uri);
    if (!s.enable) return false;
    if (doc.isUntitled) return true;
    return new FileFilter(s.include, s.exclude).matches(relativePath(doc.uri));
  };

  const indexing = () => vscode.workspace.getConfiguration('vfsLockReview').get<boolean>('crossFileSummaries', true);
  type CatalogueSnapshot = Awaited<ReturnType<CatalogueService['catalogue']>>['data'];
  const settingsSnapshot = (): Settings => settings.get(scope());
  /** The client, once made (before it starts: the server's first questions come while it starts). */
  let made: BaseLanguageClient | null = null;
  /** Catalogues registered with the server, by key: the data last sent (re-sent when the file was read again). */
  const registered = new Map<string, CatalogueSnapshot>();
  /**
   * A document's settings for the server: its folder's, naming its folder's rules file, which is registered with the
   * server first (a notification, so it arrives before this answer).
   */
  const documentSettings = async (scopeUri: vscode.Uri | undefined) => {
    const s = settings.get(scopeUri);
    const { key, data } = await catalogues.catalogue(scopeUri);
    if (key && made && registered.get(key) !== data) {
      registered.set(key, data);
      await made.sendNotification(RegisterCatalogueNotification, { key, catalogues: data });
    }
    return { ...s, [CATALOGUE_SETTING]: key };
  };

  const middleware: Middleware = {
    workspace: {
      // The extension pushes its own settings (with the workspace's trust applied): the client's raw values are not
      // sent. The server asks for each document's (its folder's) and is answered with the same.
      didChangeConfiguration: async () => undefined,
      configuration: (params) =>
        Promise.all(
          params.items.map((i) =>
            i.section === 'vfsLockReview'
              ? documentSettings(i.scopeUri ? vscode.Uri.parse(i.scopeUri) : scope())
              : Promise.resolve(null),
          ),
        ),
    },
    async provideHover(doc, pos, token, next) {
      const h = await next(doc, pos, token);
      for (const c of h?.contents ?? []) if (c instanceof vscode.MarkdownString) c.supportThemeIcons = true;
      return h;
    },
    async provideCodeActions(doc, range, context, token, next) {
      const ours = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);
      if (!ours.length) return [];
      const fromServer = (await next(doc, range, context, token)) ?? [];
      if (token.isCancellationRequested) return [];
      // The server's fixes (edits it re-checked); its documentation links become the extension's commands.
      const actions: (vscode.CodeAction | vscode.Command)[] = fromServer.filter(
        (a) => a instanceof vscode.CodeAction && !!a.edit,
      );
      for (const d of ours) {
        const ruleId = typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? '');
        const data = (d as vscode.Diagnostic & { data?: { function?: string; line?: number } }).data;
        if (isRaceRule(ruleId) && data?.function) {
          const a = new vscode.CodeAction(
            vscode.l10n.t('Show the race in {0}', data.function),
            vscode.CodeActionKind.QuickFix,
          );
          a.diagnostics = [d];
          a.command = {
            title: a.title,
            command: 'vfsLockReview.showRace',
            arguments: [doc.uri, data.function, data.line],
          };
          actions.push(a);
        }
        const docs = new vscode.CodeAction(
          vscode.l10n.t('Open documentation for {0}', ruleId),
          vscode.CodeActionKind.QuickFix,
        );
        docs.diagnostics = [d];
        docs.command = { title: docs.title, command: 'vfsLockReview.openRuleDoc', arguments: [ruleId] };
        actions.push(docs);
        const off = new vscode.CodeAction(
          vscode.l10n.t('Turn off {0} in this workspace', ruleId),
          vscode.CodeActionKind.QuickFix,
        );
        off.diagnostics = [d];
        off.command = { title: off.title, command: 'vfsLockReview.setRuleSeverity', arguments: [ruleId, 'off'] };
        actions.push(off);
      }
      return actions;
    },
    async provideCodeLenses(doc, token, next) {
      const lenses = (await next(doc, token)) ?? [];
      const out: vscode.CodeLens[] = [];
      for (const lens of lenses) {
        const data = (lens as vscode.CodeLens & { data?: LensData }).data;
        if (!data) continue;
        const fn = data.function;
        if (data.kind === 'summary') {
          const parts: string[] = [];
          if (data.locks.length) parts.push(`$(lock) ${data.locks.join(', ')}`);
          if (data.breaks.length) parts.push(`$(debug-disconnect) ${data.breaks.join(', ')}`);
          out.push(
            new vscode.CodeLens(lens.range, {
              title: parts.join('  '),
              command: '',
              tooltip: vscode.l10n.t('Locks taken and delegation breaks made in {0}', fn),
            }),
          );
        } else if (data.kind === 'findings') {
          const title =
            data.findings === 0
              ? vscode.l10n.t('$(pass) no findings')
              : data.findings === 1
                ? vscode.l10n.t('$(warning) 1 finding')
                : vscode.l10n.t('$(warning) {0} findings', data.findings);
          out.push(
            new vscode.CodeLens(lens.range, {
              title,
              command: data.findings ? 'workbench.actions.view.problems' : '',
              tooltip: vscode.l10n.t('Findings in {0}', fn),
            }),
          );
        } else {
          out.push(
            new vscode.CodeLens(lens.range, {
              title: vscode.l10n.t('$(debug-alt) Simulate races'),
              command: 'vfsLockReview.showRace',
              arguments: [doc.uri, fn, data.line],
              tooltip: vscode.l10n.t('Explore interleavings of {0} with a delegation grant and other tasks', fn),
            }),
          );
        }
      }
      return out;
    },
  };

  const onAnalyzed = (p: AnalyzedParams) => {
    lastResults.set(p.uri, p);
    const file = relativePath(vscode.Uri.parse(p.uri));
    history.push({
      file,
      version: p.version,
      analysisMs: p.analysisMs,
      latencyMs: p.latencyMs,
      findings: p.findings,
      trigger: p.trigger,
    });
    if (history.length > 200) history.shift();
    analyzed.fire(p);
  };

  const onIndex = (e: Parameters<typeof indexEventText>[0]) => {
    if (e.state === 'building') {
      indexStatus?.dispose();
      indexStatus = vscode.window.setStatusBarMessage(
        `$(sync~spin) ${vscode.l10n.t('VFS Lock Review: indexing {0}', e.root)}`,
      );
      return;
    }
    indexStatus?.dispose();
    indexStatus = undefined;
  };

  const started = (async () => {
    const t0 = now();
    const c = await createLanguageClient(ctx, log, {
      documentSelector: SERVER_SELECTOR,
      diagnosticCollectionName: 'vfsLockReview',
      outputChannel: log.channel,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: () => ({
        vfsLockReview: settingsSnapshot(),
        vfslockClient: { indexing: indexing() },
      }),
      middleware,
    });
    made = c;
    // A new server (a restart after a crash) has no catalogue registered.
    c.onDidChangeState(() => registered.clear());
    c.onNotification(AnalyzedNotification, onAnalyzed);
    c.onNotification(IndexNotification, onIndex);
    await c.start();
    const extras = (c.initializeResult?.capabilities.experimental as Record<string, ServerExtras> | undefined)?.vfslock;
    loadMs = extras?.parserLoadMs ?? null;
    const parser = loadMs === null ? '' : `parser loaded in ${ms(loadMs)} ms, `;
    log.info(
      IS_WEB
        ? `analysis web worker started, ${parser}language server ready in ${ms(now() - t0)} ms`
        : `language server ready: ${parser}${ms(now() - t0)} ms after activation`,
    );
    client = c;
    return c;
  })();
  started.catch((e) => log.error(`the analysis service did not start: ${(e as Error).message}`));
  ctx.subscriptions.push({ dispose: () => void client?.dispose() });

  const pushSettings = () =>
    void started.then((c) =>
      c.sendNotification('workspace/didChangeConfiguration', { settings: { vfsLockReview: settingsSnapshot() } }),
    );
  ctx.subscriptions.push(
    settings.onDidChange((e) => {
      // A rules file change also changes the catalogue (catalogue.ts), whose event pushes it.
      if (!e.affectsConfiguration('vfsLockReview.rulesFile')) pushSettings();
    }),
    // Each folder's rules file is asked for again with the settings (and registered again when it was re-read).
    catalogues.onDidChangeCatalogue(pushSettings),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('vfsLockReview.crossFileSummaries'))
        void started.then((c) => c.sendRequest(SetIndexingRequest, { enabled: indexing() }));
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      forced.delete(doc.uri.toString());
      lastResults.delete(doc.uri.toString());
    }),
  );

  return {
    get collectionReady() {
      return started.then((c) => {
        if (!c.diagnostics) throw new Error('the language client has no diagnostics collection');
        return c.diagnostics;
      });
    },
    isCandidate,
    async checkNow(doc) {
      const c = await started;
      const uri = doc.uri.toString();
      if (!isCandidate(doc)) forced.add(uri);
      // A document the client has not sent yet (opened a moment ago) is sent by the time this request is handled:
      // the client sends notifications and requests in order.
      const r = await c.sendRequest(CheckNowRequest, { uri, force: true });
      return r;
    },
    last(uri) {
      return lastResults.get(uri.toString()) ?? null;
    },
    async eventsAt(doc, offset) {
      const c = await started;
      const r = await c.sendRequest(EventsAtRequest, { uri: doc.uri.toString(), offset });
      return r && r.version === doc.version
        ? { events: r.events, function: r.function }
        : { events: [], function: null };
    },
    async functionAt(params) {
      const c = await started;
      return c.sendRequest(FunctionAtRequest, params);
    },
    isTracked(uri) {
      const key = uri.toString();
      if (forced.has(key)) return true;
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
      return !!doc && isCandidate(doc);
    },
    onDidAnalyze: analyzed.event,
    history,
    get loadMs() {
      return loadMs;
    },
  };
}
