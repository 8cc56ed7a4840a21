/**
 * The analysis service, without `vscode`: open documents (incremental core `Document`s), their results, lock state
 * at an offset, quick-fix edits, one-shot checks, and race simulations. The desktop extension runs it in a worker
 * thread (so the extension host never waits for an analysis); the browser extension runs it inline; `vfslock lsp`
 * serves it to other editors over the Language Server Protocol (lsp-server.ts).
 * Every answer carries the document version it was computed on, so the host can drop stale ones.
 */
import {
  Analyzer,
  MAX_FILE_BYTES,
  type CheckOptions,
  type Document,
  type EventInfo,
  type FileResult,
} from '../core/engine';
import type { CatalogueData } from '../core/catalogue/catalogue';
import type { IndexView } from '../core/index/summary-index';
import { LineMap, type CoreEdit } from './lines';
import { kernelTreeVersion, type TreeReader } from '../core/catalogue/era';
import type { Fix } from '../core/fixes/writer';
import { verifiedFixes } from '../core/fixes/offer';
import { t } from './l10n';
import { simulateRequest, type ExploreLimits, type Outcome, type SimulationRequest } from '../sim/simulate';
import { findFunctions } from '../core/parse/units';
import { reviewRequest, type HostChannel, type ReviewOutcome, type ReviewParams } from './review';

export interface OpenParams {
  uri: string;
  /** The name findings carry (workspace-relative in the editor). */
  file: string;
  /** The file's absolute path on disk, when it has one: finds its kernel tree (version, summary index). */
  path?: string;
  text: string;
  version: number;
  options: CheckOptions;
  /** Key of a catalogue set given to `configure` ('' for the built-in catalogue only). */
  catalogue: string;
}

export interface AnalysisResult {
  uri: string;
  version: number;
  result: FileResult;
  /** Milliseconds this computation took (parse + re-analysis of changed functions). */
  ms: number;
}

export type CheckSummary = Pick<FileResult, 'file' | 'findings' | 'era' | 'ms' | 'error'> & {
  /**
   * With `positions`: the line/character of every offset the findings use (start, end, related), so the host
   * makes diagnostics without the text (no line map, no decoded copy on the extension host's thread).
   */
  positions?: [offset: number, line: number, character: number][];
};

/**
 * A one-shot check: the text, its UTF-8 bytes (decoded here, in the worker), or the path of a file the session's
 * thread reads itself (where it has a `SourceReader`: the desktop worker), so the host never holds the bytes.
 */
export interface CheckParams {
  file: string;
  text?: string;
  bytes?: Uint8Array;
  path?: string;
  options: CheckOptions;
  catalogue: string;
  positions?: boolean;
}

export interface FindingRef {
  ruleId: string;
  start: number;
  end: number;
}

/** A kernel tree's summary index, for documents of that tree (tree-index.ts; none in the browser). */
export interface IndexProvider {
  /**
   * The index for the file at absolute `path` (whose text is `text`), or null: nothing to summarise for it, or not
   * built yet (then its build has started, and the provider's owner is told when it is ready:
   * `Session.refreshIndexes()`).
   */
  viewFor(
    path: string,
    text: string,
    catalogueKey: string,
    catalogues: CatalogueData[],
    options: CheckOptions,
  ): IndexView | null;
}

/** What the host is told about a tree's index. */
export interface IndexEvent {
  /** The kernel tree, or (scope 'file') the file outside any tree whose included headers are read. */
  root: string;
  state: 'building' | 'ready' | 'failed';
  /** 'tree': a kernel tree's fs/, security/, kernel/ and mm/; 'file': the headers one file includes. */
  scope?: 'tree' | 'file';
  cached?: boolean;
  ms?: number;
  functions?: number;
  error?: string;
  /** With 'ready': the documents whose results changed (the host asks for them again). */
  uris?: string[];
}

interface Open {
  doc: Document;
  version: number;
  file: string;
  path?: string;
  view: IndexView | null;
  options: CheckOptions;
  catalogue: string;
}

/** Reads a source file by path, at most `maxBytes` of it (only regular files; Node hosts). */
export type SourceReader = (path: string, maxBytes: number) => { text: string } | { error: string };

export class Session {
  private readonly docs = new Map<string, Open>();
  private readonly analyzers = new Map<string, Analyzer>();
  private readonly catalogues = new Map<string, CatalogueData[]>([['', []]]);
  private indexes: IndexProvider | null = null;
  private indexing = true;
  private sourceReader: SourceReader | null = null;

  /** `tree`: file-system access to find a file's kernel tree and its Makefile version (absent in the browser). */
  constructor(
    private readonly base: Analyzer,
    private readonly tree?: TreeReader,
  ) {
    this.analyzers.set('', base);
  }

  static async create(wasm: Parameters<typeof Analyzer.create>[0], tree?: TreeReader): Promise<Session> {
    return new Session(await Analyzer.create(wasm), tree);
  }

  /**
   * Summaries across files: documents in a kernel tree get its index once built (null: each file on its own).
   * Returns the documents whose results may have changed.
   */
  setIndexProvider(indexes: IndexProvider | null): string[] {
    this.indexes = indexes;
    return this.refreshIndexes();
  }

  /** Turns summaries across files on or off (they are on when a provider is set); returns the documents changed. */
  setIndexing(enabled: boolean): string[] {
    this.indexing = enabled;
    return this.refreshIndexes();
  }

  private viewOf(path: string | undefined, text: string, catalogue: string, options: CheckOptions): IndexView | null {
    if (!this.indexes || !this.indexing || !path) return null;
    const view = this.indexes.viewFor(path, text, catalogue, this.catalogues.get(catalogue) ?? [], options);
    return view ? this.asFile(view, path) : null;
  }

  /** Views by the path they answer for, per index view: the same object for the same index (no needless re-check). */
  private readonly fileViews = new WeakMap<IndexView, Map<string, IndexView>>();

  /**
   * The index as `path` sees it. A document carries the name its findings show (workspace-relative in the editor),
   * while the index knows files by absolute path: the headers a file includes, and so their `static inline` helpers,
   * are found by that path.
   */
  private asFile(view: IndexView, path: string): IndexView {
    let byPath = this.fileViews.get(view);
    if (!byPath) this.fileViews.set(view, (byPath = new Map()));
    let v = byPath.get(path);
    if (!v) {
      v = {
        summariesFor: () => view.summariesFor(path),
        uncalled: (name, isStatic) => view.uncalled(name, isStatic, path),
        ...(view.callersDecide
          ? { callersDecide: (name: string, isStatic: boolean) => view.callersDecide!(name, isStatic, path) }
          : {}),
        ...(view.deferredOutcomes ? { deferredOutcomes: (name: string) => view.deferredOutcomes!(name) } : {}),
      };
      byPath.set(path, v);
    }
    return v;
  }

  /** Gives every open document its tree's index as it is now; returns those whose index changed. */
  refreshIndexes(): string[] {
    const changed: string[] = [];
    for (const [uri, o] of this.docs) {
      const view = this.viewOf(o.path, o.doc.source, o.catalogue, o.options);
      if (view === o.view) continue;
      o.view = view;
      o.doc.setIndex(view);
      changed.push(uri);
    }
    return changed;
  }

  /**
   * Resolves when the parser can parse: at once, or once a new parser instance has loaded after a document made
   * the last one abort (out of memory). The host waits on it before each request.
   */
  ready(): Promise<void> {
    return this.base.ready();
  }

  /** With kernel 'auto', the version of the kernel tree the file is in, when the host can read it. */
  private withTree(file: string, options: CheckOptions): CheckOptions {
    if (
      !this.tree ||
      (options.kernel && options.kernel !== 'auto') ||
      options.treeVersion !== undefined ||
      !file.startsWith('/')
    )
      return options;
    const treeVersion = kernelTreeVersion(file, this.tree);
    return treeVersion ? { ...options, treeVersion } : options;
  }

  /** Registers a catalogue set under a key (re-registering replaces it and re-checks documents using it). */
  configure(key: string, catalogues: CatalogueData[]): void {
    this.analyzers.set(key, catalogues.length ? this.base.withCatalogues(catalogues) : this.base);
    this.catalogues.set(key, catalogues);
    for (const [uri, o] of this.docs) {
      if (o.catalogue === key) this.reopen(uri, o, o.options, key);
    }
  }

  /** The analyzer of a catalogue set registered with `configure` (the built-in catalogue for an unknown key). */
  analyzerFor(key: string): Analyzer {
    return this.analyzers.get(key) ?? this.base;
  }

  open(p: OpenParams): void {
    this.close(p.uri);
    const doc = this.analyzerFor(p.catalogue).open(p.file, p.text, this.withTree(p.path ?? p.file, p.options));
    const view = this.viewOf(p.path, p.text, p.catalogue, p.options);
    if (view) doc.setIndex(view);
    this.docs.set(p.uri, {
      doc,
      version: p.version,
      file: p.file,
      path: p.path,
      view,
      options: p.options,
      catalogue: p.catalogue,
    });
  }

  version(uri: string): number | null {
    return this.docs.get(uri)?.version ?? null;
  }

  /** Applies edits made against the previous version (in order). False if the document is not open. */
  edit(uri: string, version: number, edits: CoreEdit[]): boolean {
    const o = this.docs.get(uri);
    if (!o) return false;
    const before = o.doc.source;
    try {
      for (const e of edits) o.doc.edit(e.start, e.oldEnd, e.newText);
    } catch {
      // Out of step with the editor: the host sends the whole text instead.
      o.doc.replace(before);
      return false;
    }
    o.version = version;
    return true;
  }

  replace(uri: string, version: number, text: string): boolean {
    const o = this.docs.get(uri);
    if (!o) return false;
    o.doc.replace(text);
    o.version = version;
    return true;
  }

  setOptions(uri: string, options: CheckOptions, catalogue: string): void {
    const o = this.docs.get(uri);
    if (o) this.reopen(uri, o, options, catalogue);
  }

  private reopen(uri: string, o: Open, options: CheckOptions, catalogue: string): void {
    const text = o.doc.source;
    o.doc.dispose();
    const doc = this.analyzerFor(catalogue).open(o.file, text, this.withTree(o.path ?? o.file, options));
    const view = this.viewOf(o.path, text, catalogue, options);
    if (view) doc.setIndex(view);
    this.docs.set(uri, { ...o, doc, view, options, catalogue });
  }

  close(uri: string): void {
    const o = this.docs.get(uri);
    if (!o) return;
    o.doc.dispose();
    this.docs.delete(uri);
  }

  result(uri: string): AnalysisResult | null {
    const o = this.docs.get(uri);
    if (!o) return null;
    const t0 = now();
    const result = o.doc.result();
    return { uri, version: o.version, result, ms: now() - t0 };
  }

  text(uri: string): string | null {
    return this.docs.get(uri)?.doc.source ?? null;
  }

  eventsAt(uri: string, offset: number): { version: number; events: EventInfo[] } | null {
    const o = this.docs.get(uri);
    if (!o) return null;
    return { version: o.version, events: o.doc.eventsAt(offset) };
  }

  /** Quick fixes for the finding at `ref` in the current version, each re-checked by the analyzer. */
  fixes(uri: string, ref: FindingRef): { version: number; fixes: Fix[] } | null {
    const o = this.docs.get(uri);
    if (!o) return null;
    const r = o.doc.result();
    const f =
      r.findings.find((x) => x.ruleId === ref.ruleId && x.start === ref.start && x.end === ref.end) ??
      r.findings.find((x) => x.ruleId === ref.ruleId && x.start <= ref.start && ref.start <= x.end);
    if (!f) return { version: o.version, fixes: [] };
    // Each fix is re-analysed on the whole file (core/fixes/offer.ts) and dropped if it adds any finding.
    return { version: o.version, fixes: verifiedFixes(this.analyzerFor(o.catalogue), o.doc, r, f, t) };
  }

  /** Lets `check` take a path (`CheckParams.path`), read on this thread. */
  setSourceReader(reader: SourceReader | null): void {
    this.sourceReader = reader;
  }

  /** One-shot check (workspace check): the findings, without the per-function table (less to copy back). */
  check(p: CheckParams): CheckSummary {
    let text: string;
    if (p.text !== undefined) text = p.text;
    else if (p.bytes !== undefined || p.path === undefined)
      text = new TextDecoder().decode(p.bytes ?? new Uint8Array());
    else {
      const read = this.sourceReader
        ? this.sourceReader(p.path, MAX_FILE_BYTES)
        : { error: 'this host cannot read files by path' };
      if ('error' in read)
        return { file: p.file, findings: [], era: '3.13', ms: 0, error: `cannot read: ${read.error}` };
      text = read.text;
    }
    const r = this.analyzerFor(p.catalogue).check(p.file, text, this.withTree(p.file, p.options));
    const out: CheckSummary = {
      file: r.file,
      findings: r.findings,
      era: r.era,
      ms: r.ms,
      ...(r.error ? { error: r.error } : {}),
    };
    if (p.positions && r.findings.length) {
      const map = new LineMap(text);
      const offsets = new Set(
        r.findings.flatMap((f) => [f.start, f.end, ...f.relatedLocated.flatMap((x) => [x.start, x.end])]),
      );
      out.positions = [...offsets].map((o) => {
        const pos = map.positionAt(o);
        return [o, pos.line, pos.character];
      });
    }
    return out;
  }

  /**
   * A race simulation with the built-in catalogue (as the CLI's `vfslock simulate`), explored in slices: other
   * requests are answered between them, and `signal` stops it with a "cancelled" bound.
   */
  simulate(request: SimulationRequest, limits: ExploreLimits = {}, signal?: AbortSignal): Promise<Outcome> {
    return simulateRequest(() => this.base, request, limits, signal);
  }

  /**
   * The function at `offset`: from the open document when the session has this version of it (its last result's
   * functions), else from a parse of `text` alone (no analysis).
   */
  functionAt(
    uri: string,
    version: number,
    file: string,
    text: string,
    offset: number,
  ): { name: string; start: number; end: number } | null {
    const o = this.docs.get(uri);
    const within = (f: { start: number; end: number }) => offset >= f.start && offset <= f.end;
    if (o && o.version === version && o.doc.source === text) {
      const f = o.doc.result().functions.find(within);
      return f ? { name: f.name, start: f.start, end: f.end } : null;
    }
    const parser = this.base.parser;
    const tree = parser.parse(text, null);
    try {
      const f = findFunctions(tree.rootNode, text, parser.language.types as string[]).find(within);
      return f ? { name: f.name, start: f.start, end: f.end } : null;
    } finally {
      tree.delete();
    }
  }

  /** Patch review against the host's tree (service/review.ts), with the built-in catalogue (as `vfslock review`). */
  review(params: ReviewParams, host: HostChannel, signal?: { readonly aborted: boolean }): Promise<ReviewOutcome> {
    return reviewRequest(this.base, params, host, signal);
  }

  dispose(): void {
    for (const uri of [...this.docs.keys()]) this.close(uri);
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
