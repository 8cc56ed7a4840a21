/**
 * The analysis pipeline for a file: parse, find functions, decide which need analysis, analyse callees before
 * callers (so in-file summaries are available), and collect findings. A `Document` keeps the tree and per-function
 * results between edits, so a keystroke re-parses incrementally and re-analyses only the functions it touched.
 */
import type { Tree, Edit, Node as TsNode, Range } from 'web-tree-sitter';
import { detectEra, type EraSource } from './catalogue/era';
import { buildCatalogue, type Catalogue, type CatalogueData, type Era } from './catalogue/catalogue';
import { CParser, ParseBudgetError, ParserAbortedError, type WasmSource } from './parse/parser';
import { copySubtree, type SNode } from './parse/syntax';
import { LineIndex } from './text/lines';
import { findFunctions, identifiersIn, type FunctionUnit, type HeaderCache } from './parse/units';
import { itemIdentifiers, prescan, signatureWords, vocabularyIn, type ScanFunction } from './parse/prescan';
import { analyzeFunction, DEFAULT_MAX_STATES, type FunctionAnalysis } from './analysis/function';
import { pseudoFsGlobals } from './analysis/globals';
import { stronglyConnected } from './graph';
import type { AnalyzeOptions, DeferredFinding, Finding, RuleId, Severity, Summary } from './analysis/types';
import type { FileInterface, IndexView } from './index/summary-index';

export type KernelOption = 'auto' | string;

export interface CheckOptions {
  /** 'auto' (detect from the file), or a version such as "3.12", "3.13", "6.19". */
  kernel?: KernelOption;
  severity?: Partial<Record<RuleId, Severity | 'off'>>;
  /**
   * Wall-clock milliseconds allowed for parsing one file, on top of the parser's own work budget (which stops a
   * parse at the same point on every machine: parse/parser.ts). Unset by default, so that results do not depend on
   * how loaded the machine is.
   */
  parseBudgetMs?: number;
  /**
   * Milliseconds allowed for analysing one file's functions once it is parsed (default DEFAULT_ANALYSIS_BUDGET_MS;
   * 0 or Infinity: no limit). Checked before each function: when it has run out, the functions not yet analysed are
   * skipped; a function too large for what is left is skipped on its own; and the per-function state cap shrinks
   * with the time left. Whatever is skipped is named in an `analysis/truncated` note. Files of normal size use a
   * small fraction of it (the slowest file of the kernel corpus, fs/namei.c, takes about 0.25 s).
   */
  analysisBudgetMs?: number;
  /** Abstract states allowed per function. */
  maxStates?: number;
  /** Version of the kernel tree the file is in (its top Makefile; see catalogue/era.ts kernelTreeVersion). */
  treeVersion?: string | null;
  /**
   * One-shot checks only (`Analyzer.check` without an index): false parses every function, even those the token
   * pre-scan shows cannot matter (parse/prescan.ts; default true, and VFSLOCK_NO_PRESCAN=1 turns it off). The
   * findings are the same either way; this is for comparing the two.
   */
  prescan?: boolean;
}

/** A few seconds per file: 20x the slowest file of the kernel corpus, short enough not to look hung. */
export const DEFAULT_ANALYSIS_BUDGET_MS = 5000;
/**
 * Calibration of the budget, deliberately conservative: statements (`;` and `{`) a function may have per millisecond
 * left (a function of 10,000 statements takes ~2.7 s, of 15,000 ~7 s: the CFG and liveness grow faster than the
 * text), and abstract states per millisecond left (the kernel corpus runs at 20-50 states/ms, its largest function
 * needs ~5,300 states).
 */
const STATEMENTS_PER_MS = 2;
const STATES_PER_MS = 20;
/** Functions up to this size always fit (~0.2 s at most): the time check before the next function catches them. */
const MIN_STATEMENTS = 1000;
/** A state cap below this is not worth starting a fixpoint with. */
const MIN_STATES = 500;

export interface LocatedFinding extends Finding {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  relatedLocated: { line: number; column: number; message: string; start: number; end: number }[];
}

export interface FunctionInfo {
  name: string;
  start: number;
  end: number;
  nameStart: number;
  nameEnd: number;
  analyzed: boolean;
  findings: number;
  /** Short description of the function's delegation-relevant behaviour (for code lenses). */
  locks: string[];
  breaks: string[];
}

export interface FileResult {
  file: string;
  findings: LocatedFinding[];
  era: Era;
  eraSource: EraSource;
  /** The kernel version the file was read as (the option, or what its code shows: "6.12", "4.19", ...). */
  version?: string;
  functions: FunctionInfo[];
  /** Set when `functions` was left out and only counted (a `vfslock check --jobs` thread's result). */
  functionCount?: number;
  analyzedFunctions: number;
  ms: number;
  /** Set when the file could not be analysed (binary, too large, ...). */
  error?: string;
}

/**
 * Larger files are refused before they are parsed. Memory grows with the size: tree-sitter's wasm heap needs ~35
 * bytes per character of kernel C (up to ~280 for dense generated token soup, which the parser's memory limit stops:
 * parse/parser.ts), and the analysis as much again; a 16 MB generated file took 1.1-1.5 GB. 4 MB is over ten times
 * the largest file of fs/ (about 330 KB) and keeps a file to about 0.6 GB at most.
 */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/**
 * A one-shot check with the pre-scan still reads a larger file, up to this size, for the token scan alone: one that
 * mentions nothing the analysis tracks (drivers/' generated register headers, 5-23 MB of #defines) has nothing to
 * report and is not refused; one that does is refused as before. The scan keeps no tree: the text, twice its size
 * as a string, is the memory it costs.
 */
export const MAX_SCAN_BYTES = 32 * 1024 * 1024;
/**
 * Brackets ((, [ and {) open at once beyond which a file is refused before it is parsed. Kernel C nests under 10
 * deep (counted over all brackets, comments and strings included); each level costs the parser ~200 bytes that it
 * keeps to the end of the parse (12 million opening parentheses ran its 2 GB heap out and aborted it).
 */
export const MAX_NESTING = 1000;

export interface HeldLockInfo {
  key: string;
  display: string;
  api: string;
  origin: string;
  line: number;
  column: number;
  always: boolean;
}

export interface EventInfo {
  api: string;
  kind: string;
  function: string;
  start: number;
  end: number;
  line: number;
  column: number;
  /** Number of analysed paths reaching the event. */
  paths: number;
  /** What the call acts on (the inode, lock or delegated_inode variable), when known. */
  target?: string;
  /** For breaks and waits: whether the call can sleep (null: it depends on the flags passed). */
  blocking?: boolean | null;
  always: HeldLockInfo[];
  sometimes: HeldLockInfo[];
}

/** Names a pre-scan looks for, with the longest one's length (`vocabularyIn`). */
export interface Vocabulary {
  names: ReadonlySet<string>;
  maxLength: number;
}

function vocabularyOf(names: ReadonlySet<string>): Vocabulary {
  return { names, maxLength: Math.max(0, ...[...names].map((x) => x.length)) };
}

export class Analyzer {
  private constructor(
    readonly parser: CParser,
    readonly catalogue: Catalogue,
  ) {}

  static async create(wasm: WasmSource, catalogues: CatalogueData[] = []): Promise<Analyzer> {
    const parser = await CParser.create(wasm);
    return new Analyzer(parser, buildCatalogue(catalogues));
  }

  /**
   * Resolves when the parser can parse: at once, or once a new parser instance has loaded after a file made the
   * last one abort. Hosts checking file after file wait on it between files.
   */
  ready(): Promise<void> {
    return this.parser.ready();
  }

  private locking: Set<string> | null = null;

  /** Catalogued calls that take or drop a lock of any class (spin locks and mutexes included). */
  lockCalls(): ReadonlySet<string> {
    if (!this.locking) {
      this.locking = new Set();
      for (const [name, entries] of this.catalogue.calls) {
        if (entries.some((e) => e.effects.some((x) => x.op === 'lock' || x.op === 'unlock'))) this.locking.add(name);
      }
    }
    return this.locking;
  }

  private vocabulary: Vocabulary | null = null;

  /**
   * Every name whose presence can make a function worth analysing on its own (the pre-scan's test, `Document.prescanPlan`):
   * the catalogue's interesting names, its methods and the fields they are called through, lock calls and `mutex`.
   */
  seedVocabulary(): Vocabulary {
    if (!this.vocabulary) {
      const names = new Set<string>([...this.catalogue.interesting, ...this.lockCalls(), 'mutex']);
      for (const [name, entries] of this.catalogue.methods) {
        names.add(name);
        for (const e of entries) for (const v of e.via ?? []) names.add(v);
      }
      this.vocabulary = vocabularyOf(names);
    }
    return this.vocabulary;
  }

  private creators: Vocabulary | null = null;

  /** The pseudo-filesystem creators' names (analysis/globals.ts), as a vocabulary. */
  creatorVocabulary(): Vocabulary {
    this.creators ??= vocabularyOf(new Set(this.catalogue.contexts.pseudoFsCreators));
    return this.creators;
  }

  withCatalogues(catalogues: CatalogueData[]): Analyzer {
    return new Analyzer(this.parser, buildCatalogue(catalogues));
  }

  /**
   * One-shot analysis of a file's text; with `index`, calls to functions of other files of the tree (and to `static
   * inline` helpers of the headers it includes) use their summaries.
   */
  check(file: string, text: string, options: CheckOptions = {}, index?: IndexView | null): FileResult {
    if (index || options.prescan === false || PRESCAN_DISABLED)
      return this.checkWithInterface(file, text, options, index).result;
    // Without an index nothing outside the file reads its interface: the functions that cannot matter are not parsed.
    const doc = new Document(this, file, text, options, true);
    try {
      return doc.result();
    } finally {
      doc.dispose();
    }
  }

  /** A one-shot check and what the file offers other files of its tree (its functions' summaries, what it calls). */
  checkWithInterface(
    file: string,
    text: string,
    options: CheckOptions = {},
    index?: IndexView | null,
  ): { result: FileResult; iface: FileInterface } {
    const doc = new Document(this, file, text, options);
    try {
      if (index) doc.setIndex(index);
      const result = doc.result();
      return { result, iface: doc.interface() };
    } finally {
      doc.dispose();
    }
  }

  open(file: string, text: string, options: CheckOptions = {}): Document {
    return new Document(this, file, text, options);
  }

  /** The in-file function summaries a check of this text computes (for per-function re-analysis). */
  summariesOf(file: string, text: string, options: CheckOptions = {}): Map<string, Summary> {
    const doc = new Document(this, file, text, options);
    try {
      doc.result();
      return doc.lastSummaries;
    } finally {
      doc.dispose();
    }
  }
}

interface CachedUnit {
  analysis: FunctionAnalysis | null;
  /** Findings with offsets relative to the function's start (the analysis works in those offsets). */
  rel: Finding[];
  deferred: DeferredFinding[];
  summary: Summary | null;
  calleeSig: string;
}

/** A function of the current text: its header, absolute position, text, and (lazily) its body's syntax copy. */
interface UnitRec extends FunctionUnit {
  text: string;
  /** Body copy in offsets relative to `start`; made from `bodyTs` while its tree is alive. */
  body: SNode | null;
  /** Edited since the last parse (its text was re-parsed on its own, or must be). */
  dirty: boolean;
}

/** An open file: text, syntax tree, and per-function results reused across edits. */
export class Document {
  private tree: Tree | null = null;
  private cache = new Map<string, CachedUnit>();
  private last: FileResult | null = null;
  private disposed = false;
  /** Summaries of the functions of the last computed result. */
  lastSummaries = new Map<string, Summary>();
  /** Analysed functions of the last result (analyses are relative to `start`). */
  private lastUnits: { name: string; start: number; end: number; analysis: FunctionAnalysis | null }[] = [];
  /**
   * The functions of the current text. Null when the next result needs a parse of the whole file; otherwise every
   * edit since the last parse fell inside one function body, and only those functions are re-parsed, on their own.
   */
  private units: UnitRec[] | null = null;
  private readonly headers: HeaderCache = new Map();
  private identCache = new Map<string, Set<string>>();
  private bodyCache = new Map<string, SNode>();
  private lines: LineIndex | null = null;
  /** The current text's bracket nesting is known to be within the limit (badInput need not count it again). */
  private nestingOk = false;
  /** Summaries of the other files of the tree, when the file is checked as part of one. */
  private index: IndexView | null = null;
  /** The functions and identifiers of the last computed result (for `interface()`). */
  private lastIface: {
    units: FunctionUnit[];
    idents: Set<string>[];
    roots: Set<string>;
    /** Functions with a finding their callers could rule out, were they all known (FunctionAnalysis.deferrable). */
    deferrable: Set<string>;
    /** Outcomes of other files' functions' deferred findings at this file's call sites. */
    outcomes: [string, string, boolean][];
  } | null = null;

  /** Functions the pre-scan left out of the last parse (they cannot have findings or matter to those analysed). */
  private skipped: FunctionInfo[] = [];
  /** How the last parse went (for tests and benchmarks): whole, partial (functions left out), or none at all. */
  parseMode: 'whole' | 'partial' | 'none' | 'fallback' = 'whole';
  /** The parse of the pre-scan's selection did not agree with it: this document parses whole from now on. */
  private prescanFailed = false;

  /** `prescan`: a one-shot check that may leave out of the parse the functions that cannot matter (see prescanPlan). */
  constructor(
    private readonly analyzer: Analyzer,
    readonly file: string,
    private text: string,
    private options: CheckOptions,
    private readonly prescan = false,
  ) {}

  get source(): string {
    return this.text;
  }

  setOptions(options: CheckOptions): void {
    this.options = options;
    this.cache.clear();
    this.last = null;
  }

  /**
   * Uses the summaries of the file's tree (null: this file alone). Cached per-function results stay valid: their
   * keys include the summaries of the callees they used.
   */
  setIndex(index: IndexView | null): void {
    if (index === this.index) return;
    this.index = index;
    this.last = null;
  }

  get indexed(): boolean {
    return !!this.index;
  }

  /**
   * What the last result offers other files: each function's summary (deferred findings stay in this file) and the
   * identifiers its functions use that it does not define (what it may call elsewhere).
   */
  interface(): FileInterface {
    this.result();
    const li = this.lastIface;
    const defs: FileInterface['defs'] = [];
    const refs = new Set<string>();
    if (li) {
      const own = new Set(li.units.map((u) => u.name));
      const cat = this.analyzer.catalogue;
      li.units.forEach((u, i) => {
        const s = this.ownSummaries.get(u.name);
        defs.push({
          name: u.name,
          isStatic: u.isStatic,
          // A non-static function's deferred findings go with it: other files' calls decide them.
          summary: s ? (u.isStatic ? { ...s, deferred: [] } : s) : null,
          ...(li.roots.has(u.name) ? { root: true } : {}),
          ...(li.deferrable.has(u.name) ? { deferrable: true } : {}),
        });
        for (const id of li.idents[i]) if (!own.has(id) && !cat.calls.has(id)) refs.add(id);
      });
    }
    return {
      file: this.file,
      defs,
      refs: [...refs],
      topRefs: [...this.topRefs],
      ...(li?.outcomes.length ? { outcomes: li.outcomes } : {}),
    };
  }

  /** Summaries of this file's own functions in the last result. */
  private ownSummaries = new Map<string, Summary>();
  /**
   * Identifiers used outside function bodies in a way that reaches a function: ops tables and other initialisers,
   * macros, initcalls (not prototypes, not EXPORT_SYMBOL()). A function named there has callers the file does not show.
   */
  private topRefs = new Set<string>();

  /**
   * A function handed a `struct mutex *` that calls a lock API: it may be a wrapper its callers hand `&inode->i_mutex`
   * (kernels before 4.7), so it is analysed although generic mutexes alone do not make a function interesting.
   */
  private locksMutexParam(u: FunctionUnit, ids: ReadonlySet<string>): boolean {
    if (!u.params.some((p) => p.type.replace(/\s+/g, '') === 'structmutex*')) return false;
    const locking = this.analyzer.lockCalls();
    for (const id of ids) if (locking.has(id)) return true;
    return false;
  }

  /**
   * The delegation-relevant events whose call contains `offset` (innermost first), each with the locks held just
   * before it: on every path (`always`) or only some (`sometimes`), and where each was taken.
   */
  eventsAt(offset: number): EventInfo[] {
    this.result();
    const lines = this.lineIndex();
    const out: EventInfo[] = [];
    for (const cu of this.lastUnits) {
      if (offset < cu.start || offset > cu.end || !cu.analysis?.heldAt) continue;
      const a = cu.analysis;
      for (const [relStart, rec] of a.heldAt) {
        const start = relStart + cu.start;
        const end = rec.end + cu.start;
        if (offset < start || offset > end) continue;
        const locks = [...rec.locks].map(([key, l]) => {
          const p = lines.position(l.site + cu.start);
          return {
            key,
            display: a.show(key),
            api: l.api,
            origin: l.origin,
            line: p.line + 1,
            column: p.column + 1,
            always: l.count === rec.paths,
          };
        });
        const p = lines.position(start);
        out.push({
          api: rec.api,
          kind: rec.kind,
          start,
          end,
          line: p.line + 1,
          column: p.column + 1,
          paths: rec.paths,
          target: rec.target,
          blocking: rec.blocking,
          always: locks.filter((l) => l.always),
          sometimes: locks.filter((l) => !l.always),
          function: cu.name,
        });
      }
    }
    return out.sort((x, y) => x.end - x.start - (y.end - y.start));
  }

  /** Read-only: the analysed functions of the last result (offsets in each analysis are relative to `start`). */
  analyses(): readonly { name: string; start: number; end: number; analysis: FunctionAnalysis | null }[] {
    this.result();
    return this.lastUnits;
  }

  /** Replaces the text (whole-document change). */
  replace(text: string): void {
    this.text = text;
    this.nestingOk = false;
    this.lines = null;
    this.analyzer.parser.free(this.tree);
    this.tree = null;
    this.units = null;
    this.last = null;
  }

  /** Applies an edit given as a range of the old text (UTF-16 offsets) and its replacement. */
  edit(start: number, oldEnd: number, newText: string): void {
    const old = this.text;
    if (start < 0 || oldEnd < start || oldEnd > old.length)
      throw new RangeError(`edit ${start}..${oldEnd} outside the text (0..${old.length})`);
    const text = old.slice(0, start) + newText + old.slice(oldEnd);
    this.dropStaleTree();
    if (this.tree) {
      // The parser sees a lone \r as \n (lineEndsForParser), so its rows are the line index's lines. A \r just before
      // the edit can stop or start being lone: the edit given to tree-sitter then covers it.
      const from = start > 0 && old.charCodeAt(start - 1) === 13 ? start - 1 : start;
      const inserted = old.slice(from, start) + newText;
      const lines = this.lineIndex();
      const sp = lines.position(from);
      const op = lines.position(oldEnd);
      // The new end position follows from the start and the inserted text alone.
      const ni = new LineIndex(inserted);
      const last = ni.position(inserted.length);
      const np = { row: sp.line + last.line, column: last.line ? last.column : sp.column + last.column };
      const e: Edit = {
        startIndex: from,
        oldEndIndex: oldEnd,
        newEndIndex: from + inserted.length,
        startPosition: { row: sp.line, column: sp.column },
        oldEndPosition: { row: op.line, column: op.column },
        newEndPosition: np,
      } as Edit;
      this.tree.edit(e);
    }
    this.updateUnits(start, oldEnd, newText, text);
    // Only an opening bracket added or a closing one removed can take the nesting deeper anywhere after the edit.
    if (this.nestingOk) this.nestingOk = !hasBracket(newText, OPENERS) && !hasBracket(old, CLOSERS, start, oldEnd);
    this.lines = this.lines ? this.lines.afterEdit(start, oldEnd, newText, text) : null;
    this.text = text;
    this.last = null;
  }

  /**
   * A tree of a parser instance discarded after an abort cannot be edited or reused: drop it with the function
   * table made from it (the next result parses the whole file on the new instance).
   */
  private dropStaleTree(): void {
    if (this.tree && !this.analyzer.parser.owns(this.tree)) {
      this.tree = null;
      this.units = null;
    }
  }

  /** Keeps the function table in step with an edit inside one body; anything else needs a whole-file parse. */
  private updateUnits(start: number, oldEnd: number, newText: string, text: string): void {
    if (!this.units) return;
    // Comments, strings, character literals and preprocessor lines are lexical: an edit that makes or breaks one can
    // change how everything after it is read, far beyond this function. Those need a whole-file parse.
    const old = this.text;
    const before = old.slice(Math.max(0, start - 1), Math.min(old.length, oldEnd + 1));
    const after = old.slice(Math.max(0, start - 1), start) + newText + old.slice(oldEnd, oldEnd + 1);
    if (LEXICAL.some((t) => before.includes(t) || after.includes(t))) {
      this.units = null;
      return;
    }
    const delta = newText.length - (oldEnd - start);
    // Only a function that parsed cleanly on its own can be re-parsed on its own and give what a whole-file parse
    // would (tree-sitter's error recovery elsewhere can swallow a neighbouring function).
    const u = this.units.find((x) => start > x.bodyStart && oldEnd < x.end - 1);
    if (!u || !u.clean) {
      this.units = null;
      return;
    }
    for (const x of this.units) {
      if (x === u) {
        x.end += delta;
        x.text = text.slice(x.start, x.end);
        x.body = null;
        x.bodyTs = undefined;
        x.dirty = true;
      } else if (x.start >= oldEnd) {
        x.start += delta;
        x.end += delta;
        x.nameStart += delta;
        x.nameEnd += delta;
        x.bodyStart += delta;
        // Node objects cache their old positions: find the body again in the edited tree when it is needed.
        x.bodyTs = undefined;
      }
    }
  }

  result(): FileResult {
    if (this.disposed) throw new Error('document disposed');
    if (!this.last) this.last = this.compute();
    return this.last;
  }

  dispose(): void {
    this.disposed = true;
    this.analyzer.parser.free(this.tree);
    this.tree = null;
    this.units = null;
    this.cache.clear();
    this.bodyCache.clear();
    this.planMemo = null;
  }

  private lineIndex(): LineIndex {
    if (!this.lines) this.lines = new LineIndex(this.text);
    return this.lines;
  }

  private types(): string[] {
    return this.analyzer.parser.language.types as string[];
  }

  /** Re-parses each edited function on its own. False if one no longer parses as exactly that function. */
  private reparseDirtyUnits(units: UnitRec[]): boolean {
    const types = this.types();
    for (const u of units) {
      if (!u.dirty) continue;
      const tree = this.analyzer.parser.parse(u.text, null, this.options.parseBudgetMs);
      try {
        const found = findFunctions(tree.rootNode, u.text, types, this.headers);
        const f = found[0];
        if (
          found.length !== 1 ||
          f.start !== 0 ||
          f.end !== u.text.length ||
          f.name !== u.name ||
          !f.bodyTs ||
          tree.rootNode.hasError
        )
          return false;
        // The closing brace must be a real token ending the text: an unterminated comment or string that swallowed
        // it would, in the whole file, run on into the next function.
        const close = f.bodyTs.child(f.bodyTs.childCount - 1);
        if (!close || close.type !== '}' || close.isMissing || close.endIndex !== u.text.length) return false;
        u.params = f.params;
        u.annotations = f.annotations;
        u.isStatic = f.isStatic;
        u.nameStart = u.start + f.nameStart;
        u.nameEnd = u.start + f.nameEnd;
        u.bodyStart = u.start + f.bodyStart;
        u.body = this.bodyCache.get(u.text) ?? copySubtree(f.bodyTs, types, 0);
        u.dirty = false;
      } finally {
        this.analyzer.parser.free(tree);
      }
    }
    return true;
  }

  /** Parses the whole file (incrementally when a tree exists) and rebuilds the function table. */
  /** A parse now may leave out what the pre-scan shows cannot matter (no tree to reparse, no index to feed). */
  private prescanApplies(): boolean {
    return this.prescan && !this.prescanFailed && !this.tree && !this.index;
  }

  private parseAll(): UnitRec[] {
    this.skipped = [];
    // A tree of a partial parse (included ranges) is not a base for an incremental parse of the whole text.
    if (this.parseMode === 'partial') {
      this.analyzer.parser.free(this.tree);
      this.tree = null;
    }
    this.parseMode = this.prescanFailed ? 'fallback' : 'whole';
    if (this.prescanApplies()) {
      const partial = this.parsePrescanned();
      if (partial) return partial;
      this.skipped = [];
    }
    const budget = this.options.parseBudgetMs;
    const parser = this.analyzer.parser;
    let tree = parser.parse(this.text, this.tree, budget);
    // tree-sitter's error recovery can differ between an incremental and a fresh parse; where the text has
    // syntax errors, parse afresh so that what an editor shows is exactly what `vfslock check` reports.
    if (this.tree && tree.rootNode.hasError) {
      parser.free(tree);
      tree = parser.parse(this.text, null, budget);
    }
    parser.free(this.tree);
    this.tree = tree;
    if (this.headers.size > 20000) this.headers.clear();
    this.topRefs = topLevelReferences(tree.rootNode, this.text, this.types());
    return findFunctions(tree.rootNode, this.text, this.types(), this.headers).map((u) => ({
      ...u,
      text: this.text.slice(u.start, u.end),
      body: null,
      dirty: false,
    }));
  }

  /**
   * Which functions a parse can leave out, from the token pre-scan (parse/prescan.ts): null when every function must
   * be parsed. A function is kept when it could be analysed or could change what an analysed function sees:
   * - it mentions a name the catalogue makes interesting (`Catalogue.isInteresting`, the analyzer's own test), or a
   *   lock call together with `mutex` (see `locksMutexParam`);
   * - it mentions the name of a kept function (a caller: its summary may matter, and callers are counted);
   * - when the version is read from the code (no --kernel, no enclosing tree), it mentions a version marker, an API
   *   with a version range, or the words of a version signature (catalogue/era.ts reads all functions);
   * - it cannot be cut out cleanly (its #if lines do not pair up, or it is not followed by a new item).
   * Files mentioning a pseudo-filesystem creator are parsed whole (analysis/globals.ts reads every function).
   * Everything outside function definitions is always parsed. `none: true`: nothing in the file can be analysed.
   */
  private prescanPlan(): { scan: ScanFunction[]; keep: boolean[]; none: boolean } | null {
    const m = this.planMemo;
    if (m?.text === this.text && m.options === this.options) return m.plan;
    const plan = this.computePrescanPlan();
    this.planMemo = { text: this.text, options: this.options, plan };
    return plan;
  }

  private planMemo: {
    text: string;
    options: CheckOptions;
    plan: ReturnType<Document['computePrescanPlan']>;
  } | null = null;

  private computePrescanPlan(): { scan: ScanFunction[]; keep: boolean[]; none: boolean } | null {
    const text = this.text;
    const vocab = this.analyzer.seedVocabulary();
    const scan = prescan(text, vocab);
    if (!scan.ok) return null;
    const cat = this.analyzer.catalogue;
    const fns = scan.functions;
    const locking = this.analyzer.lockCalls();
    const seed = (s: ReadonlySet<string>) =>
      cat.isInteresting(s) || (s.has('mutex') && [...s].some((id) => locking.has(id)));
    // Nothing at all to analyse: no function can be a seed, not even one the lexer did not see or split differently.
    // (`seed` reads only the names of `seedVocabulary()`.)
    if (!seed(scan.vocabulary)) return { scan: fns, keep: fns.map(() => false), none: true };
    if (!fns.length) return null;
    const ids = fns.map((f) => itemIdentifiers(text, f));
    // Functions assigning a pseudo-filesystem creator's result to a global (analysis/globals.ts): computeOnce checks
    // that no function left out mentions a global found that way.
    const creators = cat.contexts.pseudoFsCreators;
    // A function is a seed as the analysis reads it: it mentions a catalogued name, or its header names `mutex` (a
    // `struct mutex *` parameter, see `locksMutexParam`) and it calls a lock API.
    const seedFn = (i: number) =>
      seed(ids[i]) && (cat.isInteresting(ids[i]) || identifiersIn(text, fns[i].start, fns[i].bodyStart).has('mutex'));
    const isSeed = fns.map((_, i) => seedFn(i));
    const keep = fns.map((f, i) => !f.removable || !f.name || isSeed[i] || creators.some((c) => ids[i].has(c)));
    // An untidy item (one the parser's error recovery could run out of) can be joined by that recovery with the item
    // before it and with any number of items after it (`f1 { inode }` made the rest of a file one function), and
    // how far it reaches depends on which of them the parse sees. So from the function before the first untidy item
    // to the end of the file nothing is left out; what comes before is parsed as it would be whole. (Parsing every
    // such file whole cost a tenth of a whole-tree check: 66 files of linux-source-6.12 fs/, 4.2 MB.)
    const firstUntidy = Math.min(scan.untidy[0]?.start ?? Infinity, fns.find((f) => !f.tidy)?.start ?? Infinity);
    if (firstUntidy < Infinity) {
      const after = fns.findIndex((f) => f.end > firstUntidy);
      for (let i = Math.max(0, (after < 0 ? fns.length : after) - 1); i < fns.length; i++) keep[i] = true;
    }
    if (!keep.some((k) => k)) {
      // No function the lexer found is kept. One it missed (the parse would find it between them) could only be a
      // seed, or assign a pseudo-filesystem creator's result, with the names of the text between them: without
      // any, nothing in the file can be analysed, exactly as when the file has no seed name at all.
      const between = new Set<string>();
      const made = new Set<string>();
      const creatorSet = this.analyzer.creatorVocabulary();
      fns.forEach((f, i) => {
        const from = i ? fns[i - 1].end : 0;
        vocabularyIn(text, vocab.names, vocab.maxLength, from, f.start, between);
        vocabularyIn(text, creatorSet.names, creatorSet.maxLength, from, f.start, made);
      });
      const last = fns[fns.length - 1].end;
      vocabularyIn(text, vocab.names, vocab.maxLength, last, text.length, between);
      vocabularyIn(text, creatorSet.names, creatorSet.maxLength, last, text.length, made);
      if (!seed(between) && !made.size) return { scan: fns, keep, none: true };
    }
    const relevant = keep.map((k, i) => k && isSeed[i]);
    // Callers of relevant functions, transitively (a worklist over who mentions which function's names).
    const allNames = new Set<string>();
    for (const f of fns) for (const n of f.names) allNames.add(n);
    const callers = new Map<string, number[]>();
    fns.forEach((f, i) => {
      for (const id of ids[i]) {
        if (allNames.has(id) && !f.names.has(id)) {
          const list = callers.get(id);
          if (list) list.push(i);
          else callers.set(id, [i]);
        }
      }
    });
    const work = relevant.flatMap((r, i) => (r ? [i] : []));
    while (work.length) {
      const i = work.pop()!;
      for (const n of fns[i].names) {
        for (const j of callers.get(n) ?? []) {
          if (relevant[j]) continue;
          relevant[j] = keep[j] = true;
          work.push(j);
        }
      }
    }
    const none = false;
    const auto = (!this.options.kernel || this.options.kernel === 'auto') && !this.options.treeVersion;
    if (auto) {
      const words = cat.versionSignatures.map((sig) => signatureWords(sig));
      fns.forEach((f, i) => {
        if (keep[i]) return;
        const s = ids[i];
        for (const id of s) {
          if (cat.versionMarkers.has(id) || cat.apiRange(id)) {
            keep[i] = true;
            return;
          }
        }
        if (words.some((w) => w === null || w.every((x) => [...s].some((id) => id.includes(x))))) keep[i] = true;
      });
    }
    if (!none && keep.every((k) => k)) return null;
    return { scan: fns, keep, none };
  }

  /**
   * Parses only what the pre-scan plan keeps (tree-sitter's included ranges: the text outside the left-out
   * functions, offsets and lines unchanged), and checks that the parse agrees with the plan: every function found
   * lies inside a kept function of the scan and has a name the scan gave it. Null: parse the whole file instead.
   */
  private parsePrescanned(): UnitRec[] | null {
    const plan = this.prescanPlan();
    if (!plan) return null;
    const { scan, keep } = plan;
    const skipped: FunctionInfo[] = [];
    scan.forEach((f, i) => {
      if (!keep[i] || plan.none) {
        skipped.push({
          name: f.name,
          start: f.start,
          end: f.end,
          nameStart: f.nameStart,
          nameEnd: f.nameEnd,
          analyzed: false,
          findings: 0,
          locks: [],
          breaks: [],
        });
      }
    });
    this.skipped = skipped;
    this.topRefs = new Set();
    if (plan.none) {
      this.parseMode = 'none';
      return [];
    }
    const lines = this.lineIndex();
    const ranges: Range[] = [];
    let at = 0;
    const add = (from: number, to: number) => {
      if (to <= from) return;
      const a = lines.position(from);
      const b = lines.position(to);
      ranges.push({
        startIndex: from,
        endIndex: to,
        startPosition: { row: a.line, column: a.column },
        endPosition: { row: b.line, column: b.column },
      });
    };
    scan.forEach((f, i) => {
      if (keep[i]) return;
      add(at, f.start);
      at = f.end;
    });
    add(at, this.text.length);
    if (!ranges.length) return null;
    const parser = this.analyzer.parser;
    const tree = parser.parse(this.text, null, this.options.parseBudgetMs, undefined, ranges);
    const kept = scan.filter((_, i) => keep[i]);
    let units: FunctionUnit[];
    try {
      units = findFunctions(tree.rootNode, this.text, this.types(), this.headers);
    } catch (e) {
      parser.free(tree);
      throw e;
    }
    // Every function found must be one the scan saw, under a name it gave (callers were found by those names).
    let k = 0;
    for (const u of units) {
      while (k < kept.length && kept[k].end <= u.start) k++;
      const f = kept[k];
      if (!f || u.start < f.start || u.end > f.end || !f.names.has(u.name)) {
        parser.free(tree);
        this.prescanFailed = true;
        this.parseMode = 'fallback';
        return null;
      }
    }
    this.tree = tree;
    this.parseMode = 'partial';
    // Ops tables and macros lie between functions, which are all in the partial parse.
    this.topRefs = topLevelReferences(tree.rootNode, this.text, this.types());
    return units.map((u) => ({ ...u, text: this.text.slice(u.start, u.end), body: null, dirty: false }));
  }

  private bodyOf(u: UnitRec): SNode {
    if (!u.body) {
      const cached = this.bodyCache.get(u.text);
      if (cached) u.body = cached;
      else if (!u.bodyTs && !this.tree) u.body = this.standaloneBody(u);
      else u.body = copySubtree(u.bodyTs ?? this.relocateBody(u), this.types(), -u.start);
    }
    return u.body;
  }

  /** A function's body parsed from its own text (after `compact()`); LostBody when it does not parse the same alone. */
  private standaloneBody(u: UnitRec): SNode {
    if (!u.clean) throw new LostBody(`${u.name} needs the whole file to parse`);
    const types = this.types();
    const tree = this.analyzer.parser.parse(u.text, null, this.options.parseBudgetMs);
    try {
      const found = findFunctions(tree.rootNode, u.text, types, this.headers);
      const f = found[0];
      if (
        found.length !== 1 ||
        !f.bodyTs ||
        f.name !== u.name ||
        f.start !== 0 ||
        f.end !== u.text.length ||
        f.bodyStart !== u.bodyStart - u.start ||
        tree.rootNode.hasError
      ) {
        throw new LostBody(`${u.name} does not parse alone as it does in the file`);
      }
      return copySubtree(f.bodyTs, types, 0);
    } finally {
      this.analyzer.parser.free(tree);
    }
  }

  /**
   * Frees the syntax tree and body copies, keeping the function table and per-function results: a later result
   * (with another index) re-parses only the functions it must analyse again, each on its own. For a tree check,
   * whose later rounds re-check files whose callees' summaries changed.
   */
  compact(): void {
    // Only what a later result reads of each analysis is kept (not its CFG, states and events: eventsAt() is empty
    // until the next result).
    for (const [k, cu] of this.cache) {
      const a = cu.analysis;
      if (a)
        this.cache.set(k, {
          ...cu,
          analysis: {
            deferredOutcomes: a.deferredOutcomes,
            lockApis: a.lockApis,
            breakApis: a.breakApis,
          } as unknown as FunctionAnalysis,
        });
    }
    this.lastUnits = [];
    this.headers.clear();
    this.analyzer.parser.free(this.tree);
    this.tree = null;
    for (const u of this.units ?? []) {
      u.bodyTs = undefined;
      u.body = null;
    }
    this.bodyCache.clear();
  }

  /** The body node of an unedited function, looked up again in the (edited) tree. */
  private relocateBody(u: UnitRec): TsNode {
    let n: TsNode | null = this.tree?.rootNode.descendantForIndex(u.bodyStart, u.bodyStart + 1) ?? null;
    while (n && !(n.startIndex === u.bodyStart && n.type === 'compound_statement')) n = n.parent;
    if (!n || n.endIndex !== u.end) throw new LostBody(`lost the body of ${u.name} after an edit`);
    return n;
  }

  private compute(retried = false): FileResult {
    try {
      return this.computeOnce();
    } catch (e) {
      if (e instanceof PrescanMismatch && !this.prescanFailed) {
        this.prescanFailed = true;
        this.parseMode = 'fallback';
        this.analyzer.parser.free(this.tree);
        this.tree = null;
        this.units = null;
        return this.compute(retried);
      }
      // A function table kept across edits no longer matches the tree: parse the whole file and start again.
      if (!(e instanceof LostBody) || retried) throw e;
      this.units = null;
      return this.compute(true);
    }
  }

  private computeOnce(): FileResult {
    const t0 = now();
    const text = this.text;
    const base: FileResult = {
      file: this.file,
      findings: [],
      era: '3.13',
      eraSource: 'default',
      functions: [],
      analyzedFunctions: 0,
      ms: 0,
    };
    this.lastIface = null;
    this.ownSummaries = new Map();
    // Nothing to parse (the pre-scan finds nothing the analysis tracks): how deep the brackets nest cannot matter.
    const nothingToParse =
      !this.nestingOk && this.prescanApplies() && text.length <= MAX_FILE_BYTES && !!this.prescanPlan()?.none;
    const bad = badInput(text, this.nestingOk || nothingToParse);
    this.nestingOk = !bad && !nothingToParse;
    // Too large to parse, but small enough to scan: nothing to report when the pre-scan finds nothing to analyse.
    if (
      bad &&
      this.prescan &&
      text.length > MAX_FILE_BYTES &&
      text.length <= MAX_SCAN_BYTES &&
      this.prescanPlan()?.none
    ) {
      this.parseMode = 'none';
      return { ...base, ms: now() - t0 };
    }
    if (bad) return { ...base, error: bad, ms: now() - t0 };
    this.dropStaleTree();
    let units = this.units;
    try {
      if (!units || !this.reparseDirtyUnits(units)) units = this.parseAll();
    } catch (e) {
      // A wasm abort while reading the tree (not in parse() itself) discards the instance too.
      const err = e instanceof ParserAbortedError ? e : (this.analyzer.parser.failed(e) ?? (e as Error));
      this.analyzer.parser.free(this.tree);
      this.tree = null;
      this.units = null;
      const msg = err instanceof ParseBudgetError ? `parsing stopped: ${err.message}` : `cannot parse: ${err.message}`;
      return { ...base, error: msg, ms: now() - t0 };
    }
    this.units = units;
    const tParsed = now();
    const cat = this.analyzer.catalogue;
    const identCache = new Map<string, Set<string>>();
    const idents = units.map((u) => {
      let ids = this.identCache.get(u.text) ?? identCache.get(u.text);
      if (!ids) ids = identifiersIn(u.text, 0, u.text.length);
      identCache.set(u.text, ids);
      return ids;
    });
    this.identCache = identCache;
    const tUnits = now();
    const { era, version, source } = this.parseMode === 'none' ? this.eraFromScan() : this.era(units, idents);
    const opts: AnalyzeOptions = {
      catalogue: cat,
      version,
      era,
      dirRules: era === '6.19',
      severity: this.options.severity,
      maxStates: this.options.maxStates,
    };
    opts.noDelegationGlobals = pseudoFsGlobals(
      units.map((u, i) => ({
        text: u.text,
        paramNames: u.params.map((p) => p.name),
        idents: idents[i],
        body: () => this.bodyOf(u),
      })),
      cat,
    );
    if (this.parseMode === 'partial' && opts.noDelegationGlobals.size) {
      // A function left out of the parse could assign one of those globals too (which would rule it out).
      for (const f of this.skipped) {
        const ids = identifiersIn(text, f.start, f.end);
        if ([...opts.noDelegationGlobals].some((g) => ids.has(g))) throw new PrescanMismatch();
      }
    }
    const byName = new Map<string, number[]>();
    units.forEach((u, i) => byName.set(u.name, [...(byName.get(u.name) ?? []), i]));
    const order = calleesFirst(units, idents, byName);
    const callerCount = new Map<string, number>();
    units.forEach((u, i) => {
      for (const id of idents[i])
        if (id !== u.name && byName.has(id)) callerCount.set(id, (callerCount.get(id) ?? 0) + 1);
    });
    const summaries = new Map<string, Summary>();
    // Functions of other files and `static inline` helpers of included headers: their summaries, unless the file
    // defines the name itself (or the catalogue describes it: the catalogue wins at call sites).
    const external = this.index?.summariesFor(this.file);
    if (external?.size) {
      for (const ids of idents) {
        for (const id of ids) {
          if (byName.has(id) || summaries.has(id)) continue;
          const ext = external.get(id);
          if (ext && !cat.calls.has(id)) summaries.set(id, ext);
        }
      }
    }
    const results = new Map<number, CachedUnit>();
    const roots = new Set<string>();
    const passedOn = new Map<string, Summary>();
    const newCache = new Map<string, CachedUnit>();
    const newBodies = new Map<string, SNode>();
    // Functions of this file whose effects are known without a summary (AnalyzeOptions.knownBodies), callees first.
    const knownBodies = new Set<string>();
    // Functions the pre-scan left out of the parse (they mention nothing that matters): looked at when called.
    const skippedByName = new Map<string, FunctionInfo[]>();
    for (const f of this.skipped) {
      const list = skippedByName.get(f.name);
      if (list) list.push(f);
      else skippedByName.set(f.name, [f]);
    }
    const mayLockUnknown = (self: string, ids: ReadonlySet<string>) =>
      [...ids].some(
        (id) => id !== self && id.includes('lock') && !cat.calls.has(id) && !summaries.has(id) && !knownBodies.has(id),
      );
    const skippedKnown = new Map<string, boolean>();
    // A name defined once in the file, parsed or left out (two definitions under #ifdef may differ).
    const definedOnce = (name: string) =>
      (byName.get(name)?.length ?? 0) + (skippedByName.get(name)?.length ?? 0) === 1;
    const known = (name: string): boolean => {
      if (knownBodies.has(name)) return true;
      const fs = skippedByName.get(name);
      if (!fs || !definedOnce(name)) return false;
      let k = skippedKnown.get(name);
      if (k === undefined) {
        k = !mayLockUnknown(name, identifiersIn(text, fs[0].start, fs[0].end));
        skippedKnown.set(name, k);
      }
      return k;
    };
    opts.knownBodies = { has: known };
    let analyzed = 0;
    // The time budget starts once the file is parsed (parsing has its own); cached results cost nothing and are
    // used whatever is left, so an editor fills in what a first, truncated analysis skipped as the user types.
    const budgetMs = this.options.analysisBudgetMs ?? DEFAULT_ANALYSIS_BUDGET_MS;
    const deadline = budgetMs > 0 ? tUnits + budgetMs : Infinity;
    const stateCap = this.options.maxStates ?? DEFAULT_MAX_STATES;
    const tooLarge = new Map<number, number>();
    const outOfTime = new Set<number>();
    let stoppedAt: number | null = null;
    for (const group of order) {
      const passes = group.length > 1 ? 2 : 1;
      for (let pass = 0; pass < passes; pass++) {
        for (const i of group) {
          const u = units[i];
          const interesting = cat.isInteresting(idents[i]);
          const relevant =
            interesting ||
            [...idents[i]].some((id) => id !== u.name && summaries.has(id)) ||
            this.locksMutexParam(u, idents[i]);
          if (!relevant) {
            // It mentions nothing catalogued nor summarised: nothing it does is tracked, unless it may call an
            // unknown lock helper (which callers would read from its name).
            if (definedOnce(u.name) && !mayLockUnknown(u.name, idents[i])) knownBodies.add(u.name);
            continue;
          }
          if (!interesting && this.index) {
            // With a tree's index, a function that mentions nothing catalogued and no lock, and calls summarised
            // functions that only sleep (waiting for a break deep down), only passes that on: its summary says so
            // without an analysis (whole-tree cost: such chains run through much of fs/).
            const passed = sleepsOnlyPassOn(u.name, idents[i], summaries, this.analyzer.lockCalls());
            if (passed) {
              const synth: Summary = {
                name: u.name,
                arity: u.params.length,
                outParams: [],
                breaks: [],
                requires: [],
                mutates: [],
                sleeps: passed,
                acquires: [],
                releases: [],
                deferred: [],
                isEmpty: false,
              };
              summaries.set(u.name, synth);
              passedOn.set(u.name, synth);
              continue;
            }
          }
          const calleeSig = [...idents[i]]
            .filter((id) => summaries.has(id) || known(id))
            .sort()
            .map((id) => id + '=' + (summaries.has(id) ? sigOf(summaries.get(id)!) : '-'))
            .join(';');
          // With the tree's index: a function nothing in the tree calls (an ops-table method, an exported symbol) has
          // no caller to charge its obligations to; they are reported in it.
          const root =
            !!this.index &&
            !callerCount.get(u.name) &&
            !this.topRefs.has(u.name) &&
            this.index.uncalled(u.name, u.isStatic, this.file);
          if (root) roots.add(u.name);
          // Callers in other files, all direct calls: they decide the findings they can rule out.
          const treeCallers =
            !root && !!this.index?.callersDecide?.(u.name, u.isStatic, this.file) && !this.topRefs.has(u.name);
          // A static function only ever called through a pointer stored outside function bodies (an ops table).
          const methodOnly = !root && u.isStatic && !callerCount.get(u.name) && this.topRefs.has(u.name);
          // Everything the analysis of one function depends on: its text, the kernel reading, its callees' summaries.
          const globalsSig = [...opts.noDelegationGlobals!].filter((g) => idents[i].has(g)).join(',');
          const cacheKey = `${u.name}\u0000${version}\u0000${era}\u0000${u.text}\u0000${calleeSig}\u0000${callerCount.get(u.name) ?? 0}\u0000${globalsSig}\u0000${root}\u0000${treeCallers}\u0000${methodOnly}`;
          let cu = this.cache.get(cacheKey) ?? newCache.get(cacheKey);
          let cacheable = true;
          if (!cu) {
            const left = deadline - now();
            if (left <= 0) {
              stoppedAt ??= now() - tUnits;
              if (!results.has(i)) outOfTime.add(i);
              continue;
            }
            // One function's analysis cannot be interrupted: a large one that does not fit in the time left is not started.
            const statements = left === Infinity ? 0 : statementCount(u.text);
            if (statements > MIN_STATEMENTS && statements > left * STATEMENTS_PER_MS) {
              if (!results.has(i)) tooLarge.set(i, statements);
              continue;
            }
            const body = this.bodyOf(u);
            const rel: FunctionUnit = {
              ...u,
              start: 0,
              end: u.text.length,
              nameStart: u.nameStart - u.start,
              nameEnd: u.nameEnd - u.start,
              bodyStart: u.bodyStart - u.start,
            };
            // The fixpoint stops at its state cap; with little time left the cap is lowered to fit.
            const cap = Math.min(stateCap, Math.max(MIN_STATES, Math.floor(left * STATES_PER_MS)));
            let analysis: FunctionAnalysis;
            try {
              const fnOpts = root
                ? { ...opts, noCallers: true }
                : treeCallers
                  ? { ...opts, treeCallers: true }
                  : methodOnly
                    ? { ...opts, methodOnly: true }
                    : opts;
              analysis = analyzeFunction(
                rel,
                body,
                u.text,
                cap < stateCap ? { ...fnOpts, maxStates: cap } : fnOpts,
                summaries,
                callerCount.get(u.name) ?? 0,
              );
              if (cap < stateCap && analysis.truncated && !analysis.cfg.truncated) {
                analysis = withBudgetNote(analysis, rel, budgetMs);
                // Cut short by the clock, not by the function: the next check (an editor's next keystroke) tries again.
                cacheable = false;
              }
            } catch (e) {
              // Pathological input (expressions nested thousands deep): report it and go on with the other functions.
              analysis = failedAnalysis(rel, e as Error);
            }
            analyzed++;
            cu = {
              analysis,
              rel: analysis.findings,
              deferred: analysis.summary.deferred,
              summary: analysis.summary.isEmpty ? null : analysis.summary,
              calleeSig,
            };
          }
          if (u.body) newBodies.set(u.text, u.body);
          if (cacheable) newCache.set(cacheKey, cu);
          results.set(i, cu);
          // Deferred findings stay relative to their function: callers' cached analyses refer to them by that.
          if (cu.summary) summaries.set(u.name, cu.summary);
          else summaries.delete(u.name);
          const a = cu.analysis;
          if (
            !cu.summary &&
            definedOnce(u.name) &&
            !!a &&
            !a.truncated &&
            // It releases a lock its caller holds in a way its summary could not say (nfsd_create_locked's
            // end_creating() of a dentry its caller looked up): not known to do nothing.
            !a.entryLocks.length &&
            !a.ops.some((ops) => ops.some((o) => o.k === 'unknownLockHelper' || o.k === 'unknownUnlockHelper'))
          )
            knownBodies.add(u.name);
          else knownBodies.delete(u.name);
        }
      }
    }
    const tAnalysed = now();
    const ownSummaries = new Map<string, Summary>(passedOn);
    for (const [i, cu] of results) if (cu.summary) ownSummaries.set(units[i].name, cu.summary);
    this.ownSummaries = ownSummaries;
    const own = new Set(units.map((u) => u.name));
    const deferrable = new Set<string>();
    const decided: [string, string, boolean][] = [];
    for (const [i, cu] of results) {
      if (cu.analysis?.deferrable) deferrable.add(units[i].name);
      for (const o of cu.analysis?.deferredOutcomes ?? [])
        if (!own.has(o.finding.finding.function))
          decided.push([o.finding.finding.function, deferredId(o.finding.finding), o.ruledOut]);
    }
    this.lastIface = { units, idents, roots, deferrable, outcomes: decided };
    this.cache = newCache;
    this.bodyCache = newBodies;
    this.lastSummaries = summaries;
    this.lastUnits = [...results].map(([i, cu]) => ({
      name: units![i].name,
      start: units![i].start,
      end: units![i].end,
      analysis: cu.analysis,
    }));
    // Deferred findings stand unless every call site ruled them out.
    const outcomes = new Map<string, boolean[]>();
    for (const cu of results.values()) {
      for (const o of cu.analysis?.deferredOutcomes ?? []) {
        const id = deferredId(o.finding.finding);
        outcomes.set(id, [...(outcomes.get(id) ?? []), o.ruledOut]);
      }
    }
    const findings: Finding[] = [];
    const functions: FunctionInfo[] = [];
    for (const i of results.keys()) {
      tooLarge.delete(i);
      outOfTime.delete(i);
    }
    findings.push(...this.budgetNotes(units, tooLarge, outOfTime, budgetMs, stoppedAt));
    units.forEach((u, i) => {
      const cu = results.get(i);
      const own = cu ? cu.rel.map((f) => relativize(f, u.start)) : [];
      // Outcomes at this file's call sites, and (a non-static function) at other files' (the tree's index).
      const elsewhere = u.isStatic ? undefined : this.index?.deferredOutcomes?.(u.name);
      for (const d of cu?.deferred ?? []) {
        const abs = relativize(d.finding, u.start);
        const id = deferredId(d.finding);
        const seen = [...(outcomes.get(id) ?? []), ...(elsewhere?.get(id) ?? [])];
        if (!seen || seen.length === 0 || seen.some((r) => !r)) own.push(abs);
      }
      findings.push(...own);
      functions.push({
        name: u.name,
        start: u.start,
        end: u.end,
        nameStart: u.nameStart,
        nameEnd: u.nameEnd,
        analyzed: !!cu,
        findings: own.filter((f) => f.severity !== 'info').length,
        ...describeFunction(cu?.analysis ?? null),
      });
    });
    if (this.skipped.length) {
      functions.push(...this.skipped);
      functions.sort((a, b) => a.start - b.start);
    }
    // Lines are counted only when there is something to place on them.
    const located = findings.length
      ? findings
          .sort((a, b) => a.start - b.start || a.ruleId.localeCompare(b.ruleId))
          .map((f) => locate(f, this.lineIndex()))
      : [];
    if (DEBUG_TIMING)
      console.log(
        `compute: parse ${(tParsed - t0).toFixed(1)} units ${(tUnits - tParsed).toFixed(1)} analyse ${(tAnalysed - tUnits).toFixed(1)} finish ${(now() - tAnalysed).toFixed(1)}`,
      );
    return {
      file: this.file,
      findings: located,
      era,
      eraSource: source,
      version,
      functions,
      analyzedFunctions: analyzed,
      ms: now() - t0,
    };
  }

  /** `analysis/truncated` notes for what the time budget left out: each function too large on its own, the rest at once. */
  private budgetNotes(
    units: UnitRec[],
    tooLarge: Map<number, number>,
    outOfTime: Set<number>,
    budgetMs: number,
    stoppedAt: number | null,
  ): Finding[] {
    const configured = this.options.severity?.['analysis/truncated'];
    if (configured === 'off') return [];
    const severity: Severity = configured ?? 'info';
    const budget = formatMs(budgetMs);
    const out: Finding[] = [];
    for (const [i, statements] of tooLarge) {
      const u = units[i];
      out.push({
        ruleId: 'analysis/truncated',
        severity,
        start: u.nameStart,
        end: u.nameEnd,
        function: u.name,
        inode: '',
        related: [],
        message:
          `${u.name}: not analysed: with ${statements.toLocaleString('en-US')} statements it does not fit in what was left of the ` +
          `analysis budget (${budget} per file). Findings in this function are missing.`,
      });
    }
    if (outOfTime.size) {
      const skipped = [...outOfTime].sort((a, b) => a - b).map((i) => units[i]);
      const first = skipped[0];
      const names =
        skipped
          .slice(0, 5)
          .map((u) => u.name)
          .join(', ') + (skipped.length > 5 ? ` and ${(skipped.length - 5).toLocaleString('en-US')} more` : '');
      out.push({
        ruleId: 'analysis/truncated',
        severity,
        start: first.nameStart,
        end: first.nameEnd,
        function: first.name,
        inode: '',
        related: skipped
          .slice(1, 10)
          .map((u) => ({ start: u.nameStart, end: u.nameEnd, message: `${u.name}: not analysed` })),
        message:
          `analysis stopped after ${formatMs(stoppedAt ?? budgetMs)}, its budget for this file (${budget}): ` +
          `${skipped.length.toLocaleString('en-US')} function${skipped.length === 1 ? '' : 's'} not analysed (${names}). Findings in them are missing.`,
      });
    }
    return out;
  }

  /**
   * The kernel the file was written for, from what its code uses: `struct delegated_inode` (6.19+), `struct inode **`
   * out-parameters and try_break_deleg (3.13+), struct mnt_idmap (6.3+) or mnt_userns (5.12+). Only the era matters
   * for rules; the version picks between catalogue signatures of equal arity.
   */
  /** The version read from the identifiers of the functions the pre-scan found, for a file not parsed at all. */
  private eraFromScan(): { era: Era; version: string; source: FileResult['eraSource'] } {
    // A version given (option or the tree's Makefile) needs no spellings: the identifiers are not gathered.
    const given = (this.options.kernel && this.options.kernel !== 'auto') || !!this.options.treeVersion;
    const fns = given ? [] : this.skipped;
    return detectEra({
      kernel: this.options.kernel,
      treeVersion: this.options.treeVersion,
      catalogue: this.analyzer.catalogue,
      units: fns.map(() => ({ params: [] })),
      idents: fns.map((f) => identifiersIn(this.text, f.start, f.end)),
    });
  }

  private era(
    units: FunctionUnit[],
    idents: Set<string>[],
  ): { era: Era; version: string; source: FileResult['eraSource'] } {
    // Option, then the enclosing kernel tree's Makefile, then every catalogued spelling the file uses (catalogue/era.ts).
    return detectEra({
      kernel: this.options.kernel,
      treeVersion: this.options.treeVersion,
      units,
      idents,
      catalogue: this.analyzer.catalogue,
    });
  }
}

class LostBody extends Error {}
/** The partial parse of a pre-scanned file left out something the analysis needs after all: parse it whole. */
class PrescanMismatch extends Error {}

/** See computeOnce: the `sleeps` of a function whose summarised callees only sleep, or null. */
function sleepsOnlyPassOn(
  name: string,
  ids: Set<string>,
  summaries: ReadonlyMap<string, Summary>,
  lockCalls: ReadonlySet<string>,
): Summary['sleeps'] {
  let first: { id: string; what: string; blocking: boolean } | null = null;
  for (const id of ids) {
    if (lockCalls.has(id)) return null;
    if (id === name) continue;
    const s = summaries.get(id);
    if (!s) continue;
    // Only from an analysed summary (a passed-on one has site 0): one level, or it spreads through all of kernel/.
    if (
      !s.sleeps ||
      s.sleeps.site === 0 ||
      s.childOfRet ||
      s.argChildren ||
      s.mayLock ||
      s.returns ||
      s.outParams.length ||
      s.breaks.length ||
      s.leaseBreaks ||
      s.leaseTries ||
      s.requires.length ||
      s.mutates.length ||
      s.acquires.length ||
      s.takes?.length ||
      s.releases.length ||
      s.deferred.length
    )
      return null;
    if (!first || (s.sleeps.blocking && !first.blocking) || (s.sleeps.blocking === first.blocking && id < first.id))
      first = { id, what: s.sleeps.what, blocking: s.sleeps.blocking };
  }
  return first ? { site: 0, what: `${first.id}() ${first.what}`, blocking: first.blocking } : null;
}

const TOP_CONTAINERS = new Set([
  'translation_unit',
  'preproc_if',
  'preproc_ifdef',
  'preproc_else',
  'preproc_elif',
  'preproc_elifdef',
  'linkage_specification',
  'declaration_list',
]);

/** See `Document.topRefs`: identifiers of initialisers, macros and macro calls outside function bodies. */
function topLevelReferences(root: TsNode, text: string, types: readonly string[]): Set<string> {
  const out = new Set<string>();
  const add = (n: TsNode) => {
    for (const id of identifiersIn(text, n.startIndex, n.endIndex)) out.add(id);
  };
  const stack: TsNode[] = [root];
  while (stack.length) {
    const c = stack.pop()!;
    for (const n of c.namedChildren) {
      if (!n) continue;
      const type = types[n.typeId] ?? 'ERROR';
      if (TOP_CONTAINERS.has(type)) stack.push(n);
      else if (type === 'declaration') {
        // Only initialisers: `struct x_operations ops = { .setattr = f }`, `void (*hook)(void) = f;` (not prototypes).
        for (const d of n.namedChildren) if (d && types[d.typeId] === 'init_declarator') add(d);
      } else if (type === 'expression_statement') {
        const call = n.namedChildren[0];
        const fn = call && types[call.typeId] === 'call_expression' ? call.namedChildren[0] : null;
        const name = fn ? text.slice(fn.startIndex, fn.endIndex) : '';
        // EXPORT_SYMBOL(f) makes f callable from modules; it does not call f.
        if (!name.startsWith('EXPORT_SYMBOL')) add(n);
      } else if (type === 'preproc_def' || type === 'preproc_function_def' || type === 'ERROR') add(n);
    }
  }
  return out;
}

const LEXICAL = ['/*', '*/', '//', '"', "'", '#', '\\'];

function failedAnalysis(u: FunctionUnit, e: Error): FunctionAnalysis {
  const why = e instanceof RangeError ? 'its syntax is nested too deeply' : `internal error (${e.message})`;
  const finding: Finding = {
    ruleId: 'analysis/truncated',
    severity: 'info',
    start: u.nameStart,
    end: u.nameEnd,
    function: u.name,
    inode: '',
    message: `${u.name}: not analysed: ${why}. Findings in this function are missing.`,
    related: [],
  };
  return {
    findings: [finding],
    deferredOutcomes: [],
    statesProcessed: 0,
    truncated: true,
    cfg: { nodes: [], entry: 0, exit: 0, labels: new Map(), truncated: true },
    lockApis: [],
    breakApis: [],
    ops: [],
    entryLocks: [],
    show: (k) => k,
    heldAt: new Map(),
    conditionFact: () => null,
    summary: {
      name: u.name,
      arity: u.params.length,
      outParams: [],
      breaks: [],
      requires: [],
      mutates: [],
      sleeps: null,
      acquires: [],
      releases: [],
      deferred: [],
      isEmpty: true,
    },
  };
}

/** The fixpoint's own truncation note says "too many paths"; when the budget lowered its cap, say so instead. */
function withBudgetNote(a: FunctionAnalysis, u: FunctionUnit, budgetMs: number): FunctionAnalysis {
  const findings = a.findings.map((f) =>
    f.ruleId === 'analysis/truncated' && f.start === u.nameStart
      ? {
          ...f,
          message: `${u.name}: analysis stopped early: the file's analysis budget (${formatMs(budgetMs)}) was nearly spent; findings in this function may be incomplete.`,
        }
      : f,
  );
  return { ...a, findings };
}

/** Statements of a function's text, roughly (`;` and `{`): what its analysis costs grows with them. */
function statementCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 59 /* ; */ || c === 123 /* { */) n++;
  }
  return n;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s` : `${Math.round(ms)} ms`;
}

function sigOf(s: Summary): string {
  return JSON.stringify([
    s.outParams,
    s.breaks,
    s.leaseBreaks ?? [],
    s.leaseTries ?? [],
    s.requires.map((r) => r.role + (r.changes ? '!' : '')),
    s.mutates.map((m) => m.role + m.kind + (m.onlyIf ?? []).map((c) => `|${c.role}&${c.flag}`).join('')),
    !!s.sleeps,
    !!s.sleeps?.blocking,
    s.acquires,
    s.takes ?? [],
    s.releases,
    s.deferred.length,
    s.returns,
    s.mayLock,
    s.childOfRet,
    s.argChildren,
  ]);
}

/** A deferred finding's identity: its function and its offset within that function (stable under edits elsewhere). */
function deferredId(f: Finding): string {
  return `${f.function}|${f.ruleId}@${f.start}:${f.inode}`;
}

function relativize(f: Finding, delta: number): Finding {
  const fix = f.fix ? shiftFix(f.fix, delta) : undefined;
  return {
    ...f,
    start: f.start + delta,
    end: f.end + delta,
    related: f.related.map((r) => ({ ...r, start: r.start + delta, end: r.end + delta })),
    ...(fix ? { fix } : {}),
  };
}

function shiftFix(fix: NonNullable<Finding['fix']>, d: number): NonNullable<Finding['fix']> {
  switch (fix.kind) {
    case 'insert-try-break':
      return { ...fix, before: fix.before + d };
    case 'make-nonblocking':
      return { ...fix, start: fix.start + d, end: fix.end + d };
    case 'add-wait-retry':
      return { ...fix, after: fix.after + d };
    case 'add-unlock':
      return { ...fix, before: fix.before + d };
  }
}

function locate(f: Finding, lines: LineIndex): LocatedFinding {
  const s = lines.position(f.start);
  const e = lines.position(f.end);
  return {
    ...f,
    line: s.line + 1,
    column: s.column + 1,
    endLine: e.line + 1,
    endColumn: e.column + 1,
    relatedLocated: f.related.map((r) => {
      const p = lines.position(r.start);
      return { line: p.line + 1, column: p.column + 1, message: r.message, start: r.start, end: r.end };
    }),
  };
}

function describeFunction(a: FunctionAnalysis | null): { locks: string[]; breaks: string[] } {
  if (!a) return { locks: [], breaks: [] };
  return { locks: [...new Set(a.lockApis)], breaks: [...new Set(a.breakApis)] };
}

/** Groups of mutually recursive functions, callees before callers. */
function calleesFirst(units: FunctionUnit[], idents: Set<string>[], byName: Map<string, number[]>): number[][] {
  const edges: number[][] = units.map((u, i) => {
    const out: number[] = [];
    for (const id of idents[i]) {
      if (id === u.name) continue;
      const targets = byName.get(id);
      if (targets) out.push(...targets);
    }
    return out;
  });
  return stronglyConnected(edges);
}

/** The last text `badInput` looked at, and its answer (reading a file checks it, and so does its analysis). */
let lastInput: { text: string; bad: string | null } | null = null;

/**
 * A clear reason the text is not C we can analyse, or null. `nestingKnown`: the bracket nesting is known to be within
 * the limit (an edit that adds no opening bracket and removes no closing one cannot deepen it), so the pass over
 * the whole text for it is skipped.
 */
export function badInput(text: string, nestingKnown = false): string | null {
  if (lastInput?.text === text) return lastInput.bad;
  const bad = inputProblem(text, nestingKnown);
  if (!nestingKnown) lastInput = { text, bad };
  return bad;
}

function inputProblem(text: string, nestingKnown: boolean): string | null {
  if (text.length > MAX_FILE_BYTES) {
    return (
      `file is too large to analyse (${(text.length / 1048576).toFixed(1)} MB; the limit is ${MAX_FILE_BYTES / 1048576} MB: ` +
      'parsing and analysing a file takes over 100 bytes of memory per character)'
    );
  }
  const probe = text.length > 65536 ? text.slice(0, 65536) : text;
  if (probe.includes('\u0000')) return 'binary file (contains NUL bytes)';
  // Replacement characters, counted by search (most files have none: one native scan, not a loop per character).
  let bad = 0;
  for (let i = probe.indexOf('\ufffd'); i >= 0; i = probe.indexOf('\ufffd', i + 1)) bad++;
  if (bad > 16 && bad > probe.length / 100) return 'not valid UTF-8 text';
  const deep = nestingKnown ? -1 : nestingBeyond(text, MAX_NESTING);
  if (deep >= 0) {
    const at = new LineIndex(text).position(deep);
    return (
      `too deeply nested: more than ${MAX_NESTING} brackets are open at line ${at.line + 1}, column ${at.column + 1}; ` +
      'the file is not parsed (kernel C nests a few levels deep, and each level costs the parser memory)'
    );
  }
  return null;
}

const OPENERS = [0x28, 0x5b, 0x7b];
const CLOSERS = [0x29, 0x5d, 0x7d];

/** Whether `text[from, to)` has one of the bracket characters `which`. */
function hasBracket(text: string, which: readonly number[], from = 0, to = text.length): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === which[0] || c === which[1] || c === which[2]) return true;
  }
  return false;
}

/**
 * Where more than `limit` brackets are first open at once (-1: nowhere). A count over every character, comments and
 * strings included: a lexer here could be misled into skipping what the parser reads as code, a plain count cannot.
 * Closing brackets without an opening one are ignored.
 */
export function nestingBeyond(text: string, limit: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x28 || c === 0x5b || c === 0x7b) {
      if (++depth > limit) return i;
    } else if ((c === 0x29 || c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return -1;
}

const PRESCAN_DISABLED = typeof process !== 'undefined' && !!process.env?.VFSLOCK_NO_PRESCAN;

const DEBUG_TIMING = typeof process !== 'undefined' && !!process.env?.VFSLOCK_TIMING;

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
