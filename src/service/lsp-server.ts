/**
 * The analysis service over the Language Server Protocol (`vfslock lsp`, for neovim, Emacs, Helix, Kate…): the same
 * `Session` the VS Code extension's worker runs, with the same diagnostics (rule id, rule page link, related
 * notes), verified quick fixes, lock-state hovers and code lenses. Transport-free: `src/cli/commands/lsp.ts` gives it a
 * connection over stdin/stdout.
 *
 * Every notification and request is handled in arrival order on one queue, so an edit is in the session before a
 * later hover or code action is answered. Edits are applied at once (incremental: only the functions they touch are
 * re-analysed); the analysis and its publishDiagnostics follow after `debounceMs`, or at once when a request needs
 * the current result.
 */
import {
  CodeActionKind,
  DiagnosticSeverity,
  DidChangeConfigurationNotification,
  ErrorCodes,
  MessageType,
  ResponseError,
  ShowMessageNotification,
  TextDocumentSyncKind,
  type ClientCapabilities,
  type CodeAction,
  type CodeLens,
  type Connection,
  type Diagnostic,
  type DiagnosticRelatedInformation,
  type Hover,
  type InitializeResult,
  type Range,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import type { CatalogueData } from '../core/catalogue/catalogue';
import { parseCatalogue } from '../core/catalogue/validate';
import type { FileResult, FunctionInfo, LocatedFinding } from '../core/engine';
import { ruleDocUrl, RULES } from '../core/rules/rules';
import { LineIndex } from '../core/text/lines';
import type { Fix } from '../core/fixes/writer';
import {
  analysisChanged,
  checkOptionsOf,
  DEFAULT_SETTINGS,
  FileFilter,
  parseSettings,
  type Settings,
} from './settings';
import { DIAGNOSTIC_SOURCE } from './diagnostics';
import { hoverMarkdown } from './hover';
import { indexEventText } from './index-events';
import { debounceFor, recentAnalysis } from './debounce';
import { resultToText } from '../sim/export';
import type { CoreEdit } from './lines';
import type { AnalysisResult, IndexEvent, IndexProvider, Session } from './session';
import {
  AnalyzedNotification,
  CatalogueRequest,
  CheckNowRequest,
  CATALOGUE_SETTING,
  CLIENT_CAPABILITY,
  EventsAtRequest,
  RegisterCatalogueNotification,
  FunctionAtRequest,
  IndexNotification,
  SetIndexingRequest,
  type AnalysisTrigger,
  type AnalyzedParams,
  type ServerExtras,
} from './lsp-extension';

export interface ServerEnv {
  /** Creates the analysis session (loads the parser). */
  session(): Promise<Session>;
  /** The file-system path of a document URI (absolute, '/'-separated), or null for a URI with no file behind it. */
  pathOf(uri: string): string | null;
  /** Reads a rules file (an absolute path); throws with a message saying why it cannot be used. */
  readRules?(path: string): CatalogueData[];
  /** The server's version, for `serverInfo`. */
  version: string;
  /** Summaries across files: a kernel tree's index for its documents, built in the background (tree-index.ts). */
  indexes?(onEvent: (e: IndexEvent) => void): IndexProvider;
  /** How long loading the parser took (milliseconds), once loaded. */
  loadMs?(): number | null;
}

/** Commands the server runs for the client (workspace/executeCommand): code lenses and code actions use them. */
export const COMMANDS = {
  openRuleDoc: 'vfslock.openRuleDoc',
  functionSummary: 'vfslock.functionSummary',
  simulateRaces: 'vfslock.simulateRaces',
} as const;

/** One check of a document: how long the analysis took and how long after the first unreflected change it was published. */
export interface PublishStats {
  uri: string;
  version: number;
  analysisMs: number;
  latencyMs: number | null;
  findings: number;
}

interface Doc {
  uri: string;
  /** Absolute path, or the URI when it names no file. */
  file: string;
  languageId: string;
  version: number;
  /** Line index of the text the session has. */
  lines: LineIndex;
  /** Whether the settings select it (an unselected document is kept, for when they change, but not analysed). */
  analysed: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  pendingSince: number | null;
  last: AnalysisResult | null;
  fixes: Map<string, Fix[]>;
  /** The last "not analysed" reason shown to the user, to show each once. */
  shownError: string;
  /** Running average of its re-check times after edits (the wait after an edit follows it), null until known. */
  recentMs?: number | null;
  /** An edit arrived since the last analysis. */
  edited?: boolean;
  /** Analysed although the settings do not select it (the client asked: `vfslock/checkNow` with `force`). */
  forced?: boolean;
  /** Why the next analysis runs (told to a client that asks for `vfslock/analyzed`). */
  trigger?: AnalysisTrigger;
  /** Its own settings (its folder's), where the client answers `workspace/configuration` per document. */
  settings?: Settings;
  /** Its folder's rule catalogue, registered by the client (`vfslock/registerCatalogue`); unset: the default one. */
  catalogueKey?: string;
}

const SEVERITY: Record<string, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

/** Settings from `initializationOptions` or `didChangeConfiguration`: `{ vfsLockReview: {...} }`, `{ vfslock: {...} }` or the object itself. */
export function settingsObject(raw: unknown): Record<string, unknown> | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const o = raw as Record<string, unknown>;
  for (const key of ['vfsLockReview', 'vfslock']) {
    const v = o[key];
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  }
  return o;
}

/** What a client of lsp-extension.ts may add to `initializationOptions`, under `vfslockClient`. */
export interface ClientInitOptions {
  catalogue?: { key: string; catalogues: CatalogueData[] };
  /** Summaries across files (the tree's index); on unless false. */
  indexing?: boolean;
}

function clientOptions(raw: unknown): ClientInitOptions {
  const o = raw && typeof raw === 'object' ? (raw as { vfslockClient?: unknown }).vfslockClient : undefined;
  if (!o || typeof o !== 'object') return {};
  const c = o as ClientInitOptions;
  const cat = c.catalogue;
  return {
    ...(cat && typeof cat.key === 'string' && Array.isArray(cat.catalogues) ? { catalogue: cat } : {}),
    ...(typeof c.indexing === 'boolean' ? { indexing: c.indexing } : {}),
  };
}

/** The diagnostic of a finding. */
export function toDiagnostic(f: LocatedFinding, uri: string, lines: LineIndex): Diagnostic {
  const range = lines.spanOf(f.start, f.end);
  const related: DiagnosticRelatedInformation[] = f.relatedLocated.map((r) => ({
    location: { uri, range: lines.spanOf(r.start, r.end) },
    message: r.message,
  }));
  // The message is the one-sentence headline; why and how to fix follow as the first related note, at the finding.
  if (f.detail) related.unshift({ location: { uri, range }, message: f.detail });
  return {
    range,
    severity: SEVERITY[f.severity] ?? DiagnosticSeverity.Information,
    code: f.ruleId,
    codeDescription: { href: ruleDocUrl(f.ruleId) },
    source: DIAGNOSTIC_SOURCE,
    message: f.message,
    ...(related.length ? { relatedInformation: related } : {}),
    data: { start: f.start, end: f.end, function: f.function, line: f.line },
  };
}

/**
 * What a code lens is about, in its `data`: a client with commands of its own (the VS Code extension) writes its
 * own title and command from it.
 */
export interface LensData {
  kind: 'summary' | 'findings' | 'simulate';
  function: string;
  /** 1-based line of the function's name. */
  line: number;
  locks: string[];
  breaks: string[];
  findings: number;
}

/** The code lenses over one function (in words, with the server's commands). */
export function functionLenses(fn: FunctionInfo, uri: string, lines: LineIndex): CodeLens[] {
  if (!fn.analyzed || (!fn.locks.length && !fn.breaks.length && !fn.findings)) return [];
  const at = lines.positionAt(fn.nameStart);
  const range = { start: at, end: at };
  const data = (kind: LensData['kind']): LensData => ({
    kind,
    function: fn.name,
    line: at.line + 1,
    locks: fn.locks,
    breaks: fn.breaks,
    findings: fn.findings,
  });
  const out: CodeLens[] = [];
  const parts: string[] = [];
  if (fn.locks.length) parts.push(`locks: ${fn.locks.join(', ')}`);
  if (fn.breaks.length) parts.push(`breaks: ${fn.breaks.join(', ')}`);
  const summary = { command: COMMANDS.functionSummary, arguments: [uri, fn.name, fn.nameStart] };
  if (parts.length) out.push({ range, command: { title: parts.join(' · '), ...summary }, data: data('summary') });
  const findings = fn.findings === 0 ? 'no findings' : fn.findings === 1 ? '1 finding' : `${fn.findings} findings`;
  out.push({ range, command: { title: findings, ...summary }, data: data('findings') });
  out.push({
    range,
    command: { title: 'Simulate races', command: COMMANDS.simulateRaces, arguments: [uri, fn.name, fn.nameStart] },
    data: data('simulate'),
  });
  return out;
}

/** The identifier around an offset (an offset just after its last character counts), or null. */
export function wordAt(text: string, offset: number): { start: number; end: number } | null {
  const isWord = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  let s = Math.max(0, Math.min(offset, text.length));
  let e = s;
  while (s > 0 && isWord(text.charCodeAt(s - 1))) s--;
  while (e < text.length && isWord(text.charCodeAt(e))) e++;
  return e > s ? { start: s, end: e } : null;
}

function overlaps(a: Range, b: Range): boolean {
  const before = (p: { line: number; character: number }, q: { line: number; character: number }) =>
    p.line < q.line || (p.line === q.line && p.character < q.character);
  return !before(a.end, b.start) && !before(b.end, a.start);
}

const samePos = (a: { line: number; character: number }, b: { line: number; character: number }) =>
  a.line === b.line && a.character === b.character;

const now = () => performance.now();

const invalidParams = (method: string, what: string) =>
  new ResponseError(ErrorCodes.InvalidParams, `vfslock: ${method} takes ${what}`);

/**
 * The rule catalogues a client sends, validated against the schema as a rules file is (a client is not trusted to
 * send well-formed ones): each problem is named, and nothing is configured from an invalid one.
 */
function clientCatalogues(method: string, p: { key?: unknown; catalogues?: unknown } | null): CatalogueData[] {
  if (!p || typeof p.key !== 'string' || !Array.isArray(p.catalogues))
    throw invalidParams(method, '{ key: string, catalogues: rule catalogues[] }');
  if (p.catalogues.length && !p.key) throw invalidParams(method, 'a non-empty key for its catalogues');
  try {
    return p.catalogues.map((c, i) => parseCatalogue(JSON.stringify(c) ?? 'null', `${p.key as string}[${i}]`));
  } catch (e) {
    throw new ResponseError(ErrorCodes.InvalidParams, `vfslock: ${method}: ${(e as Error).message}`);
  }
}

function analyzedParams(
  d: Pick<Doc, 'uri'>,
  r: AnalysisResult,
  latencyMs: number | null,
  trigger: AnalysisTrigger,
): AnalyzedParams {
  const res = r.result;
  return {
    uri: d.uri,
    version: r.version,
    analysisMs: r.ms,
    latencyMs,
    findings: res.findings.length,
    shown: res.findings.filter((f) => f.severity !== 'info').length,
    era: res.era,
    eraSource: res.eraSource,
    analyzedFunctions: res.analyzedFunctions,
    functions: res.functions.length,
    ...(res.error ? { error: res.error } : {}),
    trigger,
  };
}

/** Installs the handlers on a connection (call `connection.listen()` afterwards). */
export function serve(
  connection: Connection,
  env: ServerEnv,
): { history: PublishStats[]; shutdownReceived: () => boolean } {
  const docs = new Map<string, Doc>();
  const history: PublishStats[] = [];
  let session: Session | null = null;
  let settings: Settings = {
    ...DEFAULT_SETTINGS,
    severity: {},
    include: [...DEFAULT_SETTINGS.include],
    exclude: [...DEFAULT_SETTINGS.exclude],
  };
  let filter = new FileFilter(settings.include, settings.exclude);
  let catalogue = '';
  let caps: ClientCapabilities = {};
  let roots: string[] = [];
  /** The workspace folders' URIs, for documents with no file path (a remote or virtual workspace). */
  let rootUris: string[] = [];
  /** The catalogue a client gave (`vfslock/catalogue`), used instead of reading the `rulesFile` setting; null: none. */
  let clientCatalogue: string | null = null;
  let shutdown = false;
  /** The client asked for the notifications of lsp-extension.ts (the VS Code extension does). */
  const extended = () => !!(caps.experimental as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITY];
  const sessionP = env.session();
  // A failed load is reported by `initialize`; this keeps it from being an unhandled rejection before then.
  sessionP.catch(() => undefined);

  /** One queue for everything that touches the session, in arrival order. */
  let queue: Promise<unknown> = Promise.resolve();
  const run = <T>(fn: (s: Session) => T | Promise<T>): Promise<T> => {
    const p = queue.then(async () => {
      // Messages a client sends before the initialize answer (it should not) wait for the parser like the rest.
      const s = session ?? (await sessionP.catch(() => null));
      if (!s) throw new ResponseError(ErrorCodes.ServerNotInitialized, 'vfslock: the C parser is not loaded');
      await s.ready();
      return fn(s);
    });
    queue = p.catch(() => undefined);
    return p;
  };
  /**
   * A message for the user: window/showMessage, a notification (showWarningMessage and its kin send
   * window/showMessageRequest, which some clients answer with a blocking prompt).
   */
  const show = (type: MessageType, message: string) =>
    void connection.sendNotification(ShowMessageNotification.type, { type, message });
  const logError = (what: string) => (e: unknown) =>
    connection.console.error(`vfslock: ${what}: ${(e as Error).message ?? String(e)}`);

  const showSettingsProblems = (problems: { setting: string; message: string }[]) => {
    for (const p of problems) show(MessageType.Warning, `vfslock: setting ${p.setting} ${p.message}`);
  };

  const relativePath = (file: string) => {
    for (const r of roots) if (file.startsWith(r + '/')) return file.slice(r.length + 1);
    for (const r of rootUris) if (file.startsWith(r + '/')) return decodeURIComponent(file.slice(r.length + 1));
    return file;
  };

  /**
   * Settings per document: a client of lsp-extension.ts (the VS Code extension) answers `workspace/configuration`
   * for each document's scope, so each folder of a multi-root window keeps its own. Other clients: one set.
   */
  const perDocument = () => extended() && !!caps.workspace?.configuration;
  const settingsOf = (d: Pick<Doc, 'settings'>): Settings => d.settings ?? settings;
  const filters = new WeakMap<Settings, FileFilter>();
  const filterOf = (x: Settings): FileFilter => {
    if (x === settings) return filter;
    let f = filters.get(x);
    if (!f) filters.set(x, (f = new FileFilter(x.include, x.exclude)));
    return f;
  };
  /**
   * Asks the client for the documents' settings, in one request (per-document clients only); a document keeps its
   * last ones where the client cannot say.
   */
  const pullSettings = async (ds: Doc[]): Promise<void> => {
    if (!perDocument() || !ds.length) return;
    try {
      const vs = (await connection.workspace.getConfiguration(
        ds.map((d) => ({ scopeUri: d.uri, section: 'vfsLockReview' })),
      )) as unknown[];
      ds.forEach((d, i) => {
        const o = settingsObject(vs[i]);
        if (!o) return;
        d.settings = parseSettings({ ...initial, ...o }).settings;
        const key = o[CATALOGUE_SETTING];
        d.catalogueKey = typeof key === 'string' && registered.has(key) ? key : undefined;
      });
    } catch (e) {
      logError('reading the settings of the open documents')(e);
    }
  };

  /** Catalogue keys a client registered (`vfslock/registerCatalogue`). */
  const registered = new Set<string>();
  const catalogueOf = (d: Pick<Doc, 'catalogueKey'>): string => d.catalogueKey ?? catalogue;

  const selects = (d: Pick<Doc, 'uri' | 'file' | 'languageId' | 'forced' | 'settings'>) => {
    const ds = settingsOf(d);
    if (!ds.enable) return false;
    const lower = d.file.toLowerCase();
    const isC = d.languageId === 'c' || lower.endsWith('.c') || lower.endsWith('.h');
    // A new unsaved file has no path for the include/exclude patterns to match: its language decides.
    return isC && (!!d.forced || d.uri.startsWith('untitled:') || filterOf(ds).matches(relativePath(d.file)));
  };

  /** Loads the rules file of the settings (or none) into the session; returns the catalogue key. */
  const configureCatalogue = (s: Session): string => {
    if (clientCatalogue !== null) return clientCatalogue;
    if (!settings.rulesFile || !env.readRules) return '';
    const path =
      settings.rulesFile.startsWith('/') || !roots.length ? settings.rulesFile : `${roots[0]}/${settings.rulesFile}`;
    try {
      const data = env.readRules(path);
      const key = `rules:${path}`;
      s.configure(key, data);
      return key;
    } catch (e) {
      show(MessageType.Error, `vfslock: the rules file ${path} is not used: ${(e as Error).message}`);
      return '';
    }
  };

  const clear = (d: Doc) => {
    if (d.timer) clearTimeout(d.timer);
    d.timer = undefined;
    d.last = null;
    d.fixes.clear();
    void connection.sendDiagnostics({ uri: d.uri, version: d.version, diagnostics: [] });
  };

  /** Analyses a document now and publishes its diagnostics (in the queue). */
  const analyze = (s: Session, d: Doc): AnalysisResult | null => {
    if (d.timer) clearTimeout(d.timer);
    d.timer = undefined;
    if (docs.get(d.uri) !== d || !d.analysed) return null;
    const r = s.result(d.uri);
    if (!r) return null;
    d.last = r;
    // Its functions' summaries changed (a helper was edited): the other open files of its tree that see them now.
    for (const uri of s.takeDependents()) {
      const other = docs.get(uri);
      if (!other?.analysed) continue;
      other.pendingSince ??= now();
      schedule(other, 0, 'index');
    }
    // Only re-checks after edits count: the first analysis of a document is a full one.
    if (d.edited) d.recentMs = recentAnalysis(d.recentMs ?? null, r.ms);
    d.edited = false;
    d.fixes.clear();
    const diagnostics = r.result.findings.map((f) => toDiagnostic(f, d.uri, d.lines));
    const latency = d.pendingSince === null ? null : now() - d.pendingSince;
    d.pendingSince = null;
    const trigger = d.trigger ?? 'open';
    d.trigger = undefined;
    void connection.sendDiagnostics({ uri: d.uri, version: r.version, diagnostics });
    // After the diagnostics (messages arrive in order): a client told of an analysis has its diagnostics already.
    if (extended()) void connection.sendNotification(AnalyzedNotification, analyzedParams(d, r, latency, trigger));
    history.push({
      uri: d.uri,
      version: r.version,
      analysisMs: r.ms,
      latencyMs: latency,
      findings: r.result.findings.length,
    });
    if (history.length > 200) history.shift();
    report(d, r.result, r.ms, latency, trigger);
    if (caps.workspace?.codeLens?.refreshSupport && settingsOf(d).codeLens)
      void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
    return r;
  };

  const report = (d: Doc, r: FileResult, ms: number, latency: number | null, trigger: AnalysisTrigger) => {
    const name = relativePath(d.file);
    if (r.error) {
      connection.console.warn(`vfslock: ${name} is not analysed: ${r.error}`);
      if (d.shownError !== r.error) show(MessageType.Warning, `vfslock: ${name} is not analysed: ${r.error}`);
      d.shownError = r.error;
      return;
    }
    d.shownError = '';
    connection.console.log(
      `vfslock: checked ${name} v${d.version} (${trigger}): ${ms.toFixed(1)} ms, ${r.analyzedFunctions} of ${r.functions.length} functions analysed, ` +
        `${r.findings.length} finding(s), era ${r.era} (${r.eraSource})${latency === null ? '' : `; change→diagnostics ${latency.toFixed(1)} ms`}`,
    );
  };

  const schedule = (d: Doc, delay: number, trigger: AnalysisTrigger) => {
    d.trigger ??= trigger;
    if (d.timer) clearTimeout(d.timer);
    d.timer = setTimeout(() => {
      d.timer = undefined;
      run((s) => analyze(s, d)).catch(logError(`analysis of ${d.file}`));
    }, delay);
  };

  /** The document's result for its current version (analysing it now if the debounce has not run yet). */
  const current = (s: Session, uri: string): { d: Doc; r: AnalysisResult } | null => {
    const d = docs.get(uri);
    if (!d || !d.analysed) return null;
    const r = d.last && d.last.version === d.version ? d.last : analyze(s, d);
    return r ? { d, r } : null;
  };

  const openInSession = (s: Session, d: Doc, text: string) => {
    s.open({
      uri: d.uri,
      file: d.file,
      path: d.file.startsWith('/') ? d.file : undefined,
      text,
      version: d.version,
      options: checkOptionsOf(settingsOf(d)),
      catalogue: catalogueOf(d),
    });
  };

  /** A tree's index ready: its open documents are analysed again with it and their diagnostics published. */
  const onIndex = (e: IndexEvent) => {
    if (extended()) void connection.sendNotification(IndexNotification, e);
    if (e.state === 'building') connection.console.log(`vfslock: ${indexEventText(e)}`);
    else if (e.state === 'failed') connection.console.warn(`vfslock: ${indexEventText(e)}`);
    else {
      connection.console.log(`vfslock: ${indexEventText(e)}`);
      run((s) => {
        for (const uri of s.refreshIndexes()) {
          const d = docs.get(uri);
          if (d) {
            d.pendingSince ??= now();
            schedule(d, 0, 'index');
          }
        }
      }).catch(logError('applying the summary index'));
    }
  };

  /** The initializationOptions: configuration changes apply over them (an empty change leaves them in force). */
  let initial: Record<string, unknown> = {};
  const applySettings = (raw: unknown, init = false) => {
    const o = settingsObject(raw) ?? {};
    if (init) initial = o;
    const { settings: next, problems } = parseSettings(init ? o : { ...initial, ...o });
    showSettingsProblems(problems);
    const changed = analysisChanged(settings, next);
    const codeLensChanged = settings.codeLens !== next.codeLens;
    settings = next;
    filter = new FileFilter(settings.include, settings.exclude);
    const refreshLenses = () => {
      if (caps.workspace?.codeLens?.refreshSupport)
        void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
    };
    // A per-document client's change may be one folder's only: every document's settings are asked for again.
    if (!changed && !perDocument()) {
      if (codeLensChanged) refreshLenses();
      return;
    }
    void run(async (s) => {
      catalogue = configureCatalogue(s);
      let lenses = codeLensChanged;
      const open = [...docs.values()];
      const befores = new Map(open.map((d) => [d, { settings: settingsOf(d), catalogue: catalogueOf(d) }]));
      await pullSettings(open);
      for (const d of open) {
        const before = befores.get(d)!;
        const after = settingsOf(d);
        if (before.settings.codeLens !== after.codeLens) lenses = true;
        const same = !analysisChanged(before.settings, after) && before.catalogue === catalogueOf(d);
        if (docs.get(d.uri) !== d || (!changed && same)) continue;
        const wanted = selects(d);
        if (!wanted && d.analysed) clear(d);
        d.analysed = wanted;
        s.setOptions(d.uri, checkOptionsOf(after), catalogueOf(d));
        if (wanted) {
          d.pendingSince = now();
          schedule(d, 0, 'settings');
        }
      }
      if (lenses) refreshLenses();
    }).catch(logError('applying the settings'));
  };

  connection.onInitialize(async (params): Promise<InitializeResult> => {
    caps = params.capabilities;
    const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    rootUris = folders.map((u) => u.replace(/\/+$/, ''));
    roots = folders
      .map((u) => env.pathOf(u))
      .filter((p): p is string => !!p)
      .map((p) => p.replace(/\/+$/, ''));
    try {
      session = await sessionP;
      if (env.indexes) session.setIndexProvider(env.indexes(onIndex));
      // A client of lsp-extension.ts may give its catalogue and the index switch before any document arrives.
      const extra = clientOptions(params.initializationOptions);
      if (extra.catalogue) {
        try {
          const data = clientCatalogues('initializationOptions.vfslockClient.catalogue', extra.catalogue);
          if (data.length) session.configure(extra.catalogue.key, data);
          clientCatalogue = data.length ? extra.catalogue.key : '';
        } catch (e) {
          show(MessageType.Error, (e as Error).message);
        }
      }
      if (extra.indexing === false) session.setIndexing(false);
    } catch (e) {
      throw new ResponseError(
        ErrorCodes.InternalError,
        `vfslock: the C parser could not be loaded: ${(e as Error).message}`,
      );
    }
    applySettings(params.initializationOptions ?? {}, true);
    return {
      capabilities: {
        positionEncoding: 'utf-16',
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        executeCommandProvider: { commands: Object.values(COMMANDS) },
        experimental: { [CLIENT_CAPABILITY]: { parserLoadMs: env.loadMs?.() ?? null } satisfies ServerExtras },
      },
      serverInfo: { name: 'vfslock', version: env.version },
    };
  });

  connection.onInitialized(() => {
    if (caps.workspace?.didChangeConfiguration?.dynamicRegistration) {
      void connection.client.register(DidChangeConfigurationNotification.type, undefined).catch(() => undefined);
    }
  });

  connection.onDidChangeConfiguration((p) => {
    const o = settingsObject(p.settings);
    // A client that sends no settings (the "pull" model) is asked for the vfsLockReview section.
    if (o && Object.keys(o).length) applySettings(o);
    else if (caps.workspace?.configuration) {
      connection.workspace
        .getConfiguration('vfsLockReview')
        .then((v) => applySettings(v), logError('reading the settings'));
    }
  });

  connection.onShutdown(() => {
    shutdown = true;
    for (const d of docs.values()) if (d.timer) clearTimeout(d.timer);
    return run((s) => {
      s.dispose();
      docs.clear();
    }).catch(() => undefined);
  });

  connection.onDidOpenTextDocument((p) => {
    const { uri, languageId, version, text } = p.textDocument;
    const file = env.pathOf(uri) ?? uri;
    const d: Doc = {
      uri,
      file,
      languageId,
      version,
      lines: new LineIndex(text),
      analysed: false,
      timer: undefined,
      pendingSince: now(),
      last: null,
      fixes: new Map(),
      shownError: '',
    };
    d.analysed = selects(d);
    const old = docs.get(uri);
    if (old?.timer) clearTimeout(old.timer);
    docs.set(uri, d);
    run(async (s) => {
      if (perDocument()) {
        await pullSettings([d]);
        if (docs.get(uri) !== d) return;
        d.analysed = selects(d);
      }
      openInSession(s, d, text);
      if (d.analysed) analyze(s, d);
    }).catch(logError(`opening ${file}`));
  });

  connection.onDidChangeTextDocument((p) => {
    const d = docs.get(p.textDocument.uri);
    if (!d) return;
    if (d.pendingSince === null) d.pendingSince = now();
    const version = p.textDocument.version;
    const changes = p.contentChanges;
    if (!changes.length) return;
    run((s) => {
      if (docs.get(d.uri) !== d) return;
      const edits: CoreEdit[] = [];
      let full: string | null = null;
      let lines = d.lines;
      for (const c of changes) {
        if (!('range' in c) || !c.range) {
          full = c.text;
          edits.length = 0;
          lines = new LineIndex(c.text);
          continue;
        }
        const a = lines.offsetAt(c.range.start);
        const b = lines.offsetAt(c.range.end);
        const start = Math.min(a, b);
        const oldEnd = Math.max(a, b);
        edits.push({ start, oldEnd, newText: c.text });
        lines = lines.afterEdit(start, oldEnd, c.text);
      }
      // A whole-text change (with any ranged ones after it) replaces the text; ranged ones alone are incremental.
      // Should the session refuse the edits (out of step), it takes the text this server computed.
      if (full !== null || !s.edit(d.uri, version, edits)) s.replace(d.uri, version, lines.text);
      d.lines = lines;
      d.version = version;
      d.fixes.clear();
      d.edited = true;
      if (d.analysed) schedule(d, debounceFor(settingsOf(d).debounceMs, d.recentMs ?? null), 'edit');
    }).catch(logError(`applying an edit to ${d.file}`));
  });

  connection.onDidCloseTextDocument((p) => {
    const d = docs.get(p.textDocument.uri);
    if (!d) return;
    if (d.timer) clearTimeout(d.timer);
    docs.delete(d.uri);
    run((s) => s.close(d.uri)).catch(logError(`closing ${d.file}`));
    void connection.sendDiagnostics({ uri: d.uri, diagnostics: [] });
  });

  connection.onHover((p): Promise<Hover | null> =>
    run((s) => {
      const c = current(s, p.textDocument.uri);
      if (!c) return null;
      const { d } = c;
      const offset = d.lines.offsetAt(p.position);
      const word = wordAt(d.lines.text, offset);
      if (!word) return null;
      const at = s.eventsAt(d.uri, offset);
      if (!at || at.version !== d.version || !at.events.length) return null;
      const md = hoverMarkdown(at.events, d.lines.text.slice(word.start, word.end), word.start);
      if (md === null) return null;
      const markdown = caps.textDocument?.hover?.contentFormat?.includes('markdown') ?? true;
      return {
        contents: { kind: markdown ? 'markdown' : 'plaintext', value: md },
        range: d.lines.spanOf(word.start, word.end),
      };
    }),
  );

  connection.onCodeAction((p): Promise<CodeAction[]> =>
    run((s) => {
      if (
        p.context.only &&
        !p.context.only.some(
          (k) =>
            k === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(`${k}.`) || k === CodeActionKind.Empty,
        )
      )
        return [];
      const c = current(s, p.textDocument.uri);
      if (!c) return [];
      const { d, r } = c;
      const ours = p.context.diagnostics.filter((x) => x.source === DIAGNOSTIC_SOURCE);
      const actions: CodeAction[] = [];
      const docLinks = new Set<string>();
      for (const f of r.result.findings) {
        const diagnostic = toDiagnostic(f, d.uri, d.lines);
        if (!overlaps(diagnostic.range, p.range)) continue;
        // With our diagnostics in the context, only the findings they are; without (some clients send none), every
        // finding the range touches.
        const sent = ours.find((x) => x.code === f.ruleId && samePos(x.range.start, diagnostic.range.start));
        if (ours.length && !sent) continue;
        const key = `${f.ruleId}:${f.start}:${f.end}`;
        let fixes = d.fixes.get(key);
        if (!fixes) {
          fixes = s.fixes(d.uri, { ruleId: f.ruleId, start: f.start, end: f.end })?.fixes ?? [];
          d.fixes.set(key, fixes);
        }
        fixes.forEach((fix, i) => {
          const edits: TextEdit[] = fix.edits.map((e) => ({
            range: d.lines.spanOf(e.start, e.end),
            newText: e.newText,
          }));
          const edit: WorkspaceEdit = caps.workspace?.workspaceEdit?.documentChanges
            ? { documentChanges: [{ textDocument: { uri: d.uri, version: d.version }, edits }] }
            : { changes: { [d.uri]: edits } };
          actions.push({
            title: fix.title,
            kind: CodeActionKind.QuickFix,
            diagnostics: [sent ?? diagnostic],
            isPreferred: i === 0 && fix.verified,
            edit,
          });
        });
        if (!docLinks.has(f.ruleId)) {
          docLinks.add(f.ruleId);
          const title = `Open documentation for ${f.ruleId}`;
          actions.push({
            title,
            kind: CodeActionKind.QuickFix,
            diagnostics: [sent ?? diagnostic],
            command: { title, command: COMMANDS.openRuleDoc, arguments: [f.ruleId] },
          });
        }
      }
      return actions;
    }),
  );

  connection.onCodeLens((p): Promise<CodeLens[]> =>
    run((s) => {
      const c = current(s, p.textDocument.uri);
      if (!c || !settingsOf(c.d).codeLens) return [];
      return c.r.result.functions.flatMap((fn) => functionLenses(fn, c.d.uri, c.d.lines));
    }),
  );

  // The requests of lsp-extension.ts.
  connection.onRequest(CatalogueRequest, (p) =>
    run((s) => {
      const data = clientCatalogues('vfslock/catalogue', p);
      if (data.length) s.configure(p.key, data);
      clientCatalogue = data.length ? p.key : '';
      catalogue = clientCatalogue;
      for (const d of docs.values()) {
        s.setOptions(d.uri, checkOptionsOf(settingsOf(d)), catalogueOf(d));
        if (d.analysed) {
          d.pendingSince = now();
          schedule(d, 0, 'settings');
        }
      }
      return null;
    }),
  );

  connection.onNotification(RegisterCatalogueNotification, (p) => {
    // On arrival, not in the queue: the client sends it just before the settings answer the queue is waiting for.
    if (!session) return;
    try {
      const data = clientCatalogues('vfslock/registerCatalogue', p);
      session.configure(p.key, data);
      registered.add(p.key);
      // Registered again (the rules file was read again): the documents using it are analysed with what it says now.
      for (const d of docs.values()) {
        if (!d.analysed || catalogueOf(d) !== p.key) continue;
        d.pendingSince ??= now();
        schedule(d, 0, 'settings');
      }
    } catch (e) {
      logError('vfslock/registerCatalogue')(e);
    }
  });

  connection.onRequest(CheckNowRequest, (p) =>
    run((s) => {
      if (typeof p?.uri !== 'string') throw invalidParams('vfslock/checkNow', 'a document URI (and force)');
      const d = docs.get(p.uri);
      if (!d || !settingsOf(d).enable) return null;
      if (!d.analysed && p.force) {
        d.forced = true;
        d.analysed = selects(d);
      }
      if (!d.analysed) return null;
      d.trigger = 'command';
      d.pendingSince ??= now();
      const latency = now() - d.pendingSince;
      const r = analyze(s, d);
      return r ? analyzedParams(d, r, latency, 'command') : null;
    }),
  );

  connection.onRequest(EventsAtRequest, (p) =>
    run((s) => {
      if (typeof p?.uri !== 'string' || !Number.isInteger(p.offset) || p.offset < 0)
        throw invalidParams('vfslock/eventsAt', 'a document URI and an offset');
      const c = current(s, p.uri);
      if (!c) return null;
      const at = s.eventsAt(c.d.uri, p.offset);
      const fn = c.r.result.functions.find((f) => f.start <= p.offset && p.offset <= f.end)?.name ?? null;
      return { version: c.d.version, events: at && at.version === c.d.version ? at.events : [], function: fn };
    }),
  );

  connection.onRequest(FunctionAtRequest, (p) =>
    run((s) => {
      if (
        typeof p?.uri !== 'string' ||
        typeof p.version !== 'number' ||
        typeof p.file !== 'string' ||
        typeof p.text !== 'string' ||
        !Number.isInteger(p.offset)
      )
        throw invalidParams('vfslock/functionAt', 'a document URI, version, file name, text and offset');
      return s.functionAt(p.uri, p.version, p.file, p.text, p.offset);
    }),
  );

  connection.onRequest(SetIndexingRequest, (p) =>
    run((s) => {
      if (typeof p?.enabled !== 'boolean') throw invalidParams('vfslock/setIndexing', '{ enabled: true | false }');
      for (const uri of s.setIndexing(p.enabled)) {
        const d = docs.get(uri);
        if (d?.analysed) {
          d.pendingSince ??= now();
          schedule(d, 0, 'settings');
        }
      }
      return null;
    }),
  );

  connection.onExecuteCommand(async (p, token) => {
    const args = p.arguments ?? [];
    switch (p.command) {
      case COMMANDS.openRuleDoc: {
        const id = args[0];
        if (typeof id !== 'string' || !RULES.some((x) => x.id === id))
          throw new ResponseError(ErrorCodes.InvalidParams, `vfslock: ${COMMANDS.openRuleDoc} takes a rule id`);
        const url = ruleDocUrl(id);
        if (caps.window?.showDocument?.support) {
          const shown = await connection.window.showDocument({ uri: url, external: true }).catch(() => null);
          if (shown?.success) return url;
        }
        show(MessageType.Info, `${id}: ${url}`);
        return url;
      }
      case COMMANDS.functionSummary: {
        const [uri, name, at] = args;
        if (typeof uri !== 'string' || typeof name !== 'string' || typeof at !== 'number')
          throw new ResponseError(
            ErrorCodes.InvalidParams,
            `vfslock: ${p.command} takes a document URI, a function name and an offset`,
          );
        const text = await run((s) => {
          const c = current(s, uri);
          if (!c) return `${name}: the document is not open or not analysed.`;
          const fn =
            c.r.result.functions.find((x) => x.name === name && x.nameStart === at) ??
            c.r.result.functions.find((x) => x.name === name);
          if (!fn) return `${name}: no such function in the current text.`;
          const line = c.d.lines.positionAt(fn.nameStart).line + 1;
          const found = c.r.result.findings.filter(
            (f) => f.function === fn.name && fn.start <= f.start && f.start <= fn.end,
          );
          const head = `${fn.name} (line ${line}) takes ${fn.locks.length ? fn.locks.join(', ') : 'no lock'} and breaks ${fn.breaks.length ? fn.breaks.join(', ') : 'no delegation'}`;
          return `${head}; ${found.length ? found.map((f) => `line ${f.line}: ${f.ruleId}: ${f.message}`).join('; ') : 'no findings'}.`;
        });
        show(MessageType.Info, text);
        return text;
      }
      case COMMANDS.simulateRaces: {
        const [uri, name] = args;
        if (typeof uri !== 'string' || typeof name !== 'string')
          throw new ResponseError(
            ErrorCodes.InvalidParams,
            `vfslock: ${p.command} takes a document URI and a function name`,
          );
        const d = docs.get(uri);
        if (!d) throw new ResponseError(ErrorCodes.InvalidParams, `vfslock: ${uri} is not open`);
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        // Read the text in the queue (after earlier edits); explore outside it, so edits and hovers go on meanwhile.
        const text = await run(() => d.lines.text);
        const s = session!;
        const out = await s.simulate(
          {
            kind: 'function',
            file: d.file,
            text,
            fn: name,
            kernel: settingsOf(d).kernel === 'auto' ? undefined : settingsOf(d).kernel,
          },
          {},
          controller.signal,
        );
        const message =
          'error' in out ? `vfslock: cannot simulate ${name}: ${out.error}` : resultToText(out.result).trim();
        const first = message.split('\n').slice(0, 2).join(' — ');
        show('error' in out ? MessageType.Warning : MessageType.Info, first);
        return message;
      }
      default:
        throw new ResponseError(
          ErrorCodes.InvalidParams,
          `vfslock: unknown command ${JSON.stringify(p.command).slice(0, 80)}`,
        );
    }
  });

  return { history, shutdownReceived: () => shutdown };
}
