/**
 * Live diagnostics: every open C file the settings select is mirrored into the analysis session (worker thread on
 * the desktop); each keystroke is sent as an incremental edit at once, and the analysis — which re-parses and
 * re-analyses only the functions the edits touched — runs after the debounce. Results for an outdated version are
 * dropped (a newer one is on its way).
 */
import * as vscode from 'vscode';
import type { EventInfo, LocatedFinding } from '../core/engine';
import { IS_WEB, type Backend } from './backend';
import type { CatalogueService } from './catalogue';
import type { Log } from './output';
import { ms, now } from './output';
import type { SettingsService } from './settings';
import { checkOptionsOf, FileFilter, type Settings } from '../service/settings';
import { toCoreEdits } from '../service/lines';
import { debounceFor, recentAnalysis } from '../service/debounce';
import { DIAGNOSTIC_SOURCE } from '../service/diagnostics';
import { indexEventText } from '../service/index-events';
import type { AnalysisResult } from '../service/session';
import type { Fix } from '../core/fixes/writer';
import { ruleDocUrl } from '../core/rules/rules';

/** Views of a document that are not its editable text. */
const SKIPPED_SCHEMES = new Set([
  'git',
  'gitfs',
  'output',
  'vscode-scm',
  'review',
  'pr',
  'conflictResolution',
  'merge-conflict.conflict-diff',
  'chat-editing-text-model',
  'vscode-chat-code-block',
  'vscode-notebook-cell-output',
  'vfslock-patched',
]);

interface Tracked {
  document: vscode.TextDocument;
  key: string;
  /** The version the session has (or is about to have: requests are queued in order). */
  version: number;
  settings: Settings;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** When the first change not yet reflected in diagnostics happened. */
  pendingSince: number | null;
  /** Opened explicitly ("Check Current File") although the settings do not select it. */
  forced: boolean;
  opened: Promise<void>;
  /** Running average of this document's re-check times after edits (the wait after a keystroke follows it), null until known. */
  recentMs: number | null;
}

export interface CheckStats {
  file: string;
  version: number;
  analysisMs: number;
  /** From the first unreflected change to the diagnostics being set (includes the debounce). */
  latencyMs: number | null;
  findings: number;
  trigger: 'open' | 'edit' | 'settings' | 'command' | 'index';
}

export interface DocumentsService {
  readonly backend: Backend;
  readonly collection: vscode.DiagnosticCollection;
  isCandidate(doc: vscode.TextDocument): boolean;
  /** Analyses now (skipping the debounce) and publishes; opens the file in the session if needed. */
  checkNow(doc: vscode.TextDocument, trigger?: CheckStats['trigger']): Promise<AnalysisResult | null>;
  /** The last published result for the document's current version, if any. */
  current(doc: vscode.TextDocument): AnalysisResult | null;
  /** The last published result, whatever its version. */
  last(uri: vscode.Uri): AnalysisResult | null;
  eventsAt(doc: vscode.TextDocument, offset: number): Promise<EventInfo[]>;
  fixes(doc: vscode.TextDocument, f: LocatedFinding): Promise<{ version: number; fixes: Fix[] } | null>;
  isTracked(uri: vscode.Uri): boolean;
  readonly onDidAnalyze: vscode.Event<{ document: vscode.TextDocument; result: AnalysisResult }>;
  readonly history: CheckStats[];
}

export function findingToDiagnostic(
  f: LocatedFinding,
  uri: vscode.Uri,
  positionAt: (offset: number) => vscode.Position,
): vscode.Diagnostic {
  const range = new vscode.Range(positionAt(f.start), positionAt(f.end));
  const d = new vscode.Diagnostic(range, f.message, severityOf(f.severity));
  d.source = DIAGNOSTIC_SOURCE;
  d.code = { value: f.ruleId, target: vscode.Uri.parse(ruleDocUrl(f.ruleId)) };
  d.relatedInformation = f.relatedLocated.map(
    (r) =>
      new vscode.DiagnosticRelatedInformation(
        new vscode.Location(uri, new vscode.Range(positionAt(r.start), positionAt(r.end))),
        r.message,
      ),
  );
  // The message is the one-sentence headline; why and how to fix follow it as the first related note, at the finding.
  if (f.detail)
    d.relatedInformation.unshift(new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, range), f.detail));
  return d;
}

function severityOf(s: string): vscode.DiagnosticSeverity {
  return s === 'error'
    ? vscode.DiagnosticSeverity.Error
    : s === 'warning'
      ? vscode.DiagnosticSeverity.Warning
      : vscode.DiagnosticSeverity.Information;
}

/** The file's absolute path on disk (finds its kernel tree), for a file: URI outside the browser host. */
function diskPath(uri: vscode.Uri): string | undefined {
  return uri.scheme === 'file' && !IS_WEB ? uri.fsPath : undefined;
}

export function relativePath(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}

export function activate(
  ctx: vscode.ExtensionContext,
  log: Log,
  settings: SettingsService,
  catalogues: CatalogueService,
  backend: Backend,
): DocumentsService {
  const collection = vscode.languages.createDiagnosticCollection('vfsLockReview');
  const analyzed = new vscode.EventEmitter<{ document: vscode.TextDocument; result: AnalysisResult }>();
  const tracked = new Map<string, Tracked>();
  const configured = new Map<string, Promise<void>>();
  const lastResults = new Map<string, AnalysisResult>();
  const history: CheckStats[] = [];
  ctx.subscriptions.push(collection, analyzed);

  const filterFor = (s: Settings) => new FileFilter(s.include, s.exclude);

  const isCandidate = (doc: vscode.TextDocument): boolean => {
    if (SKIPPED_SCHEMES.has(doc.uri.scheme)) return false;
    const isC = doc.languageId === 'c' || (doc.languageId === 'cpp' && /\.h$/i.test(doc.uri.path));
    if (!isC) return false;
    const s = settings.get(doc.uri);
    if (!s.enable) return false;
    if (doc.isUntitled) return true;
    return filterFor(s).matches(relativePath(doc.uri));
  };

  /** Sends a catalogue set to the session once per key. */
  const configure = async (scope: vscode.Uri): Promise<string> => {
    const { key, data } = await catalogues.catalogue(scope);
    if (!key) return '';
    let p = configured.get(key);
    if (!p) {
      p = backend.call('configure', { key, catalogues: data }).then(() => undefined);
      configured.set(key, p);
    }
    await p;
    return key;
  };

  const open = (doc: vscode.TextDocument, forced: boolean): Tracked => {
    const key = doc.uri.toString();
    const s = settings.get(doc.uri);
    const t: Tracked = {
      document: doc,
      key,
      version: doc.version,
      settings: s,
      timer: undefined,
      pendingSince: null,
      forced,
      opened: Promise.resolve(),
      recentMs: null,
    };
    t.opened = (async () => {
      const catalogue = await configure(doc.uri);
      t.version = doc.version;
      await backend.call('open', {
        uri: key,
        file: relativePath(doc.uri),
        path: diskPath(doc.uri),
        text: doc.getText(),
        version: doc.version,
        options: checkOptionsOf(s),
        catalogue,
      });
    })();
    t.opened.catch((e) => log.error(`cannot open ${relativePath(doc.uri)} for analysis: ${(e as Error).message}`));
    tracked.set(key, t);
    return t;
  };

  const close = (key: string) => {
    const t = tracked.get(key);
    if (!t) return;
    if (t.timer) clearTimeout(t.timer);
    tracked.delete(key);
    lastResults.delete(key);
    collection.delete(t.document.uri);
    void backend.call('close', { uri: key }).catch(() => undefined);
  };

  const analyze = async (t: Tracked, trigger: CheckStats['trigger']): Promise<AnalysisResult | null> => {
    if (t.timer) {
      clearTimeout(t.timer);
      t.timer = undefined;
    }
    await t.opened;
    if (tracked.get(t.key) !== t) return null;
    const r = await backend.call('result', { uri: t.key });
    if (!r || tracked.get(t.key) !== t) return null;
    if (r.version !== t.document.version) return null; // a newer analysis is scheduled
    const doc = t.document;
    const positionAt = (o: number) => doc.positionAt(o);
    collection.set(
      doc.uri,
      r.result.findings.map((f) => findingToDiagnostic(f, doc.uri, positionAt)),
    );
    lastResults.set(t.key, r);
    // Only re-checks after edits count: the first analysis of a file (open, settings, index) is a full one.
    if (trigger === 'edit') t.recentMs = recentAnalysis(t.recentMs, r.ms);
    const latency = t.pendingSince === null ? null : now() - t.pendingSince;
    t.pendingSince = null;
    const stats: CheckStats = {
      file: relativePath(doc.uri),
      version: r.version,
      analysisMs: r.ms,
      latencyMs: latency,
      findings: r.result.findings.length,
      trigger,
    };
    history.push(stats);
    if (history.length > 200) history.shift();
    if (r.result.error) log.warn(`${stats.file}: not analysed: ${r.result.error}`);
    else {
      log.info(
        `checked ${stats.file} v${r.version} (${trigger}): ${ms(r.ms)} ms, ${r.result.analyzedFunctions} of ${r.result.functions.length} functions analysed, ` +
          `${stats.findings} finding(s), era ${r.result.era} (${r.result.eraSource})${latency === null ? '' : `; change→diagnostics ${ms(latency)} ms`}`,
      );
    }
    analyzed.fire({ document: doc, result: r });
    return r;
  };

  const schedule = (t: Tracked, delay: number, trigger: CheckStats['trigger']) => {
    if (t.timer) clearTimeout(t.timer);
    t.timer = setTimeout(() => {
      t.timer = undefined;
      analyze(t, trigger).catch((e) =>
        log.error(`analysis of ${relativePath(t.document.uri)} failed: ${(e as Error).message}`),
      );
    }, delay);
  };

  const reopen = (t: Tracked, trigger: CheckStats['trigger']) => {
    const next = open(t.document, t.forced);
    next.recentMs = t.recentMs;
    next.pendingSince = t.pendingSince ?? now();
    if (t.timer) clearTimeout(t.timer);
    schedule(next, 0, trigger);
  };

  const onOpen = (doc: vscode.TextDocument) => {
    if (tracked.has(doc.uri.toString()) || !isCandidate(doc)) return;
    const t = open(doc, false);
    t.pendingSince = now();
    schedule(t, 0, 'open');
  };

  const onChange = (e: vscode.TextDocumentChangeEvent) => {
    const t = tracked.get(e.document.uri.toString());
    if (!t || e.contentChanges.length === 0) return;
    const doc = e.document;
    const version = doc.version;
    if (t.pendingSince === null) t.pendingSince = now();
    const edits = toCoreEdits(e.contentChanges);
    // Queued behind the open and earlier edits; an edit the session already has (the open sent a later text) is
    // skipped, and a gap or an edit the session rejects is repaired by sending the whole text.
    t.opened = t.opened
      .catch(() => undefined)
      .then(async () => {
        if (tracked.get(t.key) !== t || version <= t.version) return;
        const inSequence = version === t.version + 1;
        t.version = version;
        const ok = inSequence && (await backend.call('edit', { uri: t.key, version, edits }));
        if (!ok) {
          t.version = doc.version;
          await backend.call('replace', { uri: t.key, version: doc.version, text: doc.getText() });
        }
      });
    t.opened.catch((err) => log.error(`cannot send an edit of ${relativePath(doc.uri)}: ${(err as Error).message}`));
    schedule(t, debounceFor(t.settings.debounceMs, t.recentMs), 'edit');
  };

  const onSettings = () => {
    for (const doc of vscode.workspace.textDocuments) {
      const key = doc.uri.toString();
      const t = tracked.get(key);
      const wanted = isCandidate(doc) || (t?.forced && settings.get(doc.uri).enable);
      if (!wanted) {
        if (t) close(key);
        continue;
      }
      if (!t) {
        onOpen(doc);
        continue;
      }
      const s = settings.get(doc.uri);
      t.settings = s;
      t.pendingSince = now();
      t.opened = t.opened
        .catch(() => undefined)
        .then(async () => {
          const catalogue = await configure(doc.uri);
          await backend.call('setOptions', { uri: key, options: checkOptionsOf(s), catalogue });
        });
      schedule(t, 0, 'settings');
    }
  };

  let indexStatus: vscode.Disposable | undefined;
  /** Summaries across files (the tree's index) on or off, as the window's setting says; re-checks what changed. */
  const setIndexing = async () => {
    if (backend.kind !== 'worker') return;
    const enabled = vscode.workspace.getConfiguration('vfsLockReview').get<boolean>('crossFileSummaries', true);
    const changed = await backend.call('setIndexing', { enabled }).catch(() => [] as string[]);
    for (const uri of changed) {
      const t = tracked.get(uri);
      if (t) schedule(t, 0, 'settings');
    }
  };
  void setIndexing();

  ctx.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(onOpen),
    vscode.workspace.onDidChangeTextDocument(onChange),
    vscode.workspace.onDidCloseTextDocument((doc) => close(doc.uri.toString())),
    settings.onDidChange((e) => {
      // A rules file change also changes the catalogue (catalogue.ts), whose event below re-checks the files.
      if (!e.affectsConfiguration('vfsLockReview.rulesFile')) onSettings();
    }),
    catalogues.onDidChangeCatalogue(() => {
      configured.clear();
      onSettings();
    }),
    backend.onDidIndex((e) => {
      if (e.state === 'building') {
        log.info(indexEventText(e));
        indexStatus?.dispose();
        indexStatus = vscode.window.setStatusBarMessage(
          `$(sync~spin) ${vscode.l10n.t('VFS Lock Review: indexing {0}', e.root)}`,
        );
        return;
      }
      indexStatus?.dispose();
      indexStatus = undefined;
      if (e.state === 'failed') {
        log.warn(`${indexEventText(e)}; files are checked on their own`);
        return;
      }
      log.info(`${indexEventText(e)}; re-checking ${e.uris?.length ?? 0} open file(s)`);
      for (const uri of e.uris ?? []) {
        const t = tracked.get(uri);
        if (!t) continue;
        t.pendingSince ??= now();
        schedule(t, 0, 'index');
      }
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('vfsLockReview.crossFileSummaries')) void setIndexing();
    }),
    { dispose: () => indexStatus?.dispose() },
    backend.onDidRestart(() => {
      void setIndexing();
      configured.clear();
      log.info('analysis worker restarted: re-sending open files');
      for (const t of [...tracked.values()]) reopen(t, 'open');
    }),
  );

  // Files already open when the extension activates: right after activation returns (keeps activate() short).
  setTimeout(() => {
    for (const doc of vscode.workspace.textDocuments) onOpen(doc);
  }, 0);

  return {
    backend,
    collection,
    isCandidate,
    async checkNow(doc, trigger = 'command') {
      let t = tracked.get(doc.uri.toString());
      if (!t) {
        t = open(doc, true);
        t.pendingSince = now();
      }
      return analyze(t, trigger);
    },
    current(doc) {
      const r = lastResults.get(doc.uri.toString());
      return r && r.version === doc.version ? r : null;
    },
    last(uri) {
      return lastResults.get(uri.toString()) ?? null;
    },
    async eventsAt(doc, offset) {
      const t = tracked.get(doc.uri.toString());
      if (!t) return [];
      await t.opened;
      const r = await backend.call('eventsAt', { uri: t.key, offset });
      return r && r.version === doc.version ? r.events : [];
    },
    async fixes(doc, f) {
      const t = tracked.get(doc.uri.toString());
      if (!t) return null;
      await t.opened;
      return backend.call('fixes', { uri: t.key, ref: { ruleId: f.ruleId, start: f.start, end: f.end } });
    },
    isTracked(uri) {
      return tracked.has(uri.toString());
    },
    onDidAnalyze: analyzed.event,
    history,
  };
}
