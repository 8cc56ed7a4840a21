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
import { isHeader, summarySig, type FileInterface, type IndexView } from '../core/index/summary-index';
import type { Summary } from '../core/analysis/types';
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
  /** The kernel tree of the file at absolute `path`, or null (documents of one tree see each other's edits). */
  rootOf?(path: string): string | null;
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
  /** What the document's analysis sees of other files: the tree's index, with what open files changed over it. */
  view: IndexView | null;
  /** The tree's index alone, as the file's path sees it. */
  baseView: IndexView | null;
  /** The kernel tree the file is in (null: none, or no provider). */
  root: string | null;
  options: CheckOptions;
  catalogue: string;
  /** Times in a row it was re-analysed because another document's summaries changed (a cycle stops at 4). */
  ripples: number;
}

/**
 * What a file of a kernel tree offers the others while the tree's index is older than it: an open document whose
 * functions' summaries differ from the index's (edited in this session), or such a file re-read from disk when it
 * was closed. Its summaries are used over the index's by the other open documents of the tree.
 */
interface Offer {
  root: string;
  sig: string;
  /** Its non-static functions (a header's static helpers too), by name; null: one that does nothing summarised. */
  defs: Map<string, Summary | null>;
}

/** Summaries' signatures, computed once per summary object (a document keeps the objects of unchanged functions). */
const sigs = new WeakMap<Summary, string>();
function sigOf(s: Summary | undefined): string {
  if (!s) return summarySig(s);
  let v = sigs.get(s);
  if (v === undefined) sigs.set(s, (v = summarySig(s)));
  return v;
}

/** How many times in a row a document is re-analysed for other documents' changes before that stops (cycles). */
const MAX_RIPPLES = 4;

/** Reads a source file by path, at most `maxBytes` of it (only regular files; Node hosts). */
export type SourceReader = (path: string, maxBytes: number) => { text: string } | { error: string };

export class Session {
  private readonly docs = new Map<string, Open>();
  private readonly analyzers = new Map<string, Analyzer>();
  private readonly catalogues = new Map<string, CatalogueData[]>([['', []]]);
  private indexes: IndexProvider | null = null;
  private indexing = true;
  private sourceReader: SourceReader | null = null;
  /** Files whose summaries changed in this session, by absolute path (see `Offer`). */
  private readonly offers = new Map<string, Offer>();
  /** Documents whose view changed because another document's summaries did, not yet told (`takeDependents`). */
  private readonly dependents = new Set<string>();

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

  /** The tree's index as `path` sees it (null: none, or not built yet). */
  private baseViewOf(
    path: string | undefined,
    text: string,
    catalogue: string,
    options: CheckOptions,
  ): IndexView | null {
    if (!this.indexes || !this.indexing || !path) return null;
    const view = this.indexes.viewFor(path, text, catalogue, this.catalogues.get(catalogue) ?? [], options);
    return view ? this.asFile(view, path) : null;
  }

  private rootOf(path: string | undefined): string | null {
    return path && this.indexes?.rootOf ? this.indexes.rootOf(path) : null;
  }

  /** The last overlay made over each base view: the same object while the offers it reads are the same. */
  private readonly overlays = new WeakMap<IndexView, { key: string; view: IndexView }>();

  /** `base` with the summaries other files of the tree offer over it (see `Offer`); `base` itself when none do. */
  private overlaid(base: IndexView | null, path: string | undefined, root: string | null): IndexView | null {
    if (!base || !path || !root) return base;
    const offers = [...this.offers].filter(([p, o]) => p !== path && o.root === root);
    if (!offers.length) return base;
    const key = offers
      .map(([p, o]) => `${p}\u0000${o.sig}`)
      .sort()
      .join('\u0001');
    const last = this.overlays.get(base);
    if (last?.key === key) return last.view;
    let memo: Map<string, Summary> | null = null;
    const view: IndexView = {
      summariesFor: () => {
        if (memo) return memo;
        const m = new Map(base.summariesFor(path));
        for (const [p, o] of offers)
          for (const [name, summary] of o.defs) {
            // A header's helpers count where the index has them (a header this file includes); a .c file's everywhere.
            if (isHeader(p) && !m.has(name)) continue;
            if (summary) m.set(name, summary);
            else m.delete(name);
          }
        return (memo = m);
      },
      uncalled: (name, isStatic, file) => base.uncalled(name, isStatic, file),
      ...(base.callersDecide
        ? {
            callersDecide: (name: string, isStatic: boolean, file: string) => base.callersDecide!(name, isStatic, file),
          }
        : {}),
      ...(base.deferredOutcomes ? { deferredOutcomes: (name: string) => base.deferredOutcomes!(name) } : {}),
    };
    this.overlays.set(base, { key, view });
    return view;
  }

  /**
   * Records what a document of a tree offers the others after an analysis (`Offer`), when its summaries differ
   * from the index's or an offer of it was recorded before; the other open documents of the tree whose view changes
   * become dependents.
   */
  private noteOffer(uri: string, o: Open): void {
    if (!o.root || !o.path || !o.baseView) return;
    this.setOffer(o.path, o.root, o.baseView, o.doc.interface().defs, uri);
  }

  private setOffer(
    path: string,
    root: string,
    baseView: IndexView,
    defs: { name: string; isStatic: boolean; summary: Summary | null }[] | null,
    except?: string,
  ): void {
    const prev = this.offers.get(path);
    const base = baseView.summariesFor(path);
    const mine = new Map<string, Summary | null>();
    let differs = false;
    for (const d of defs ?? []) {
      if (d.isStatic && !isHeader(path)) continue;
      mine.set(d.name, d.summary);
      if (sigOf(base.get(d.name)) !== sigOf(d.summary ?? undefined)) differs = true;
    }
    if (!differs) {
      // As the index has it again (or unreadable once closed): the index's summaries are right.
      if (!prev) return;
      this.offers.delete(path);
    } else {
      const sig = [...mine]
        .map(([n, x]) => `${n}=${sigOf(x ?? undefined)}`)
        .sort()
        .join(';');
      if (prev?.sig === sig) return;
      this.offers.set(path, { root, sig, defs: mine });
    }
    for (const [u, d] of this.docs) {
      if (u === except || d.root !== root) continue;
      const view = this.overlaid(d.baseView, d.path, d.root);
      if (view === d.view) continue;
      d.view = view;
      d.doc.setIndex(view);
      if (++d.ripples <= MAX_RIPPLES) this.dependents.add(u);
    }
  }

  /**
   * The documents whose results may have changed because another document's summaries changed (an edit of a helper
   * that other open files call): the host analyses them again. Each is told once.
   */
  takeDependents(): string[] {
    const out = [...this.dependents].filter((u) => this.docs.has(u));
    this.dependents.clear();
    return out;
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
      o.root = this.rootOf(o.path);
      o.baseView = this.baseViewOf(o.path, o.doc.source, o.catalogue, o.options);
      const view = this.overlaid(o.baseView, o.path, o.root);
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
    this.drop(p.uri);
    const doc = this.analyzerFor(p.catalogue).open(p.file, p.text, this.withTree(p.path ?? p.file, p.options));
    const root = this.rootOf(p.path);
    const baseView = this.baseViewOf(p.path, p.text, p.catalogue, p.options);
    const view = this.overlaid(baseView, p.path, root);
    if (view) doc.setIndex(view);
    this.docs.set(p.uri, {
      doc,
      version: p.version,
      file: p.file,
      path: p.path,
      view,
      baseView,
      root,
      options: p.options,
      catalogue: p.catalogue,
      ripples: 0,
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
    o.ripples = 0;
    return true;
  }

  replace(uri: string, version: number, text: string): boolean {
    const o = this.docs.get(uri);
    if (!o) return false;
    o.doc.replace(text);
    o.version = version;
    o.ripples = 0;
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
    const baseView = this.baseViewOf(o.path, text, catalogue, options);
    const view = this.overlaid(baseView, o.path, o.root);
    if (view) doc.setIndex(view);
    this.docs.set(uri, { ...o, doc, view, baseView, options, catalogue });
  }

  /**
   * Closes a document. If it offered the others summaries that differ from the index (it was edited), the file is
   * read again from disk, where its saved text is, and what that offers replaces it (or nothing, without a way to read
   * files): the other documents of the tree see the file as it is now, not as the index or the editor last had it.
   */
  close(uri: string): void {
    const o = this.docs.get(uri);
    if (!o) return;
    this.drop(uri);
    if (!o.path || !o.root || !o.baseView || !this.offers.has(o.path)) return;
    let defs: FileInterface['defs'] | null = null;
    const read = this.sourceReader?.(o.path, MAX_FILE_BYTES);
    if (read && 'text' in read) {
      const options = this.withTree(o.path, o.options);
      defs = this.analyzerFor(o.catalogue).checkWithInterface(o.file, read.text, options, o.baseView).iface.defs;
    }
    this.setOffer(o.path, o.root, o.baseView, defs);
  }

  private drop(uri: string): void {
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
    if (!result.error) this.noteOffer(uri, o);
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
    for (const uri of [...this.docs.keys()]) this.drop(uri);
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
