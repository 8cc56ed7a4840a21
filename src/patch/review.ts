/**
 * Patch review: apply a series in memory, patch by patch, and say for each what it does to delegation and locking
 * safety: findings introduced (present after, absent before), fixed (present before, absent after) and remaining in
 * the functions it touches. Nothing on disk changes.
 *
 * Beyond the patched files ("following contracts"), bounded and structural:
 *  1. Contract changes. After analysing a changed file before and after, each function visible to other files
 *     (extern, or defined in a header) whose summary changed in a way callers see (locks acquired, released or
 *     required, delegations broken, unbroken changes left to callers, sleeping, delegated-inode out-parameters) is a
 *     changed contract. Catalogued kernel APIs are excluded: callers are checked against the catalogue's contract,
 *     and the implementation itself against the rules.
 *  2. Callers. Files of the tree that call a changed function (found through the analyzer's function units and the
 *     identifiers each body mentions; the file must not define a function of that name itself) are re-analysed
 *     with the function's definition, and the in-file functions it reaches, appended once as it was before the
 *     patch and once as it is after. What differs in the caller file's own functions is reported, with `via`
 *     naming the changed function. Direct callers only; at most `maxCallerFiles` files per patch.
 *  3. Callees. A touched function calling a function defined in another file of the tree whose own analysis
 *     summarises something (it locks, breaks, changes names or attributes, sleeps...) is analysed with that
 *     definition appended, on both sides, so a patch that now calls such a helper outside a lock is judged by the
 *     helper's contract. At most `maxCalleeFiles` files per patch.
 * Appended definitions leave the offsets of the file's own text unchanged, so findings keep their positions.
 */
import type { Analyzer, CheckOptions, FunctionInfo, LocatedFinding } from '../core/engine';
import type { Summary } from '../core/analysis/types';
import { LineIndex } from '../core/parse/syntax';
import { applyPatch, ApplyError, type FileChange, type LineOrigin } from './apply';
import { Analyses, matchFindings, type Analysed } from './compare';
import { contractKey, describeContractChange } from './contracts';
import { displayPath } from './diff';
import type { PatchMail, SkippedMail } from './mbox';
import { OverlayTree, SOURCE_FILE, TreeError, type TreeReader } from './tree';
import { contextText, TreeIndex, visibleOutside, type IndexedFile } from './tree-index';

export interface ReviewOptions extends CheckOptions {
  /** Follow changed contracts into callers and callees in other files of the tree (default: true). */
  follow?: boolean;
  /** Caller files re-analysed per patch (default 12). */
  maxCallerFiles?: number;
  /** Callee files whose definitions are brought in per patch (default 6). */
  maxCalleeFiles?: number;
  /** Progress messages (the editor shows them). */
  onProgress?: (message: string) => void;
  /** Called after each patch is reviewed (`done` of `total`), for a progress line. */
  onPatchDone?: (review: PatchReview, done: number, total: number) => void;
  /**
   * Polled before each analysis step (a parse, an analysis of a file); once it returns true the review stops: the
   * patch under review and the remaining ones are reported as not checked.
   */
  cancelled?: () => boolean;
  /** Keep the texts findings refer to (PatchReview.sources), for an editor to show the patched source. */
  keepSources?: boolean;
}

export interface ReviewFinding {
  /** Tree-relative path: the file after the patch, or before it for a fixed finding. */
  file: string;
  finding: LocatedFinding;
  /** Which text the position refers to. */
  side: 'before' | 'after';
  /** The line of the patch input the finding is shown on, when the file is part of the patch. */
  patchLine?: number;
  /** What that patch line is (`+` added, `-` removed, ` ` context). */
  patchLineKind?: LineOrigin['kind'];
  /** The finding's own source line appears in the patch (otherwise patchLine is the nearest changed line). */
  exact: boolean;
  /** The source line the finding is on. */
  sourceLine: string;
  /** Changed functions (in other files, or untouched callees in this file) whose contract change caused it. */
  via?: string[];
}

export interface ContractChange {
  function: string;
  file: string;
  changes: string[];
  /** Caller files re-analysed because of this change. */
  callers: string[];
}

export interface PatchReview {
  /** 1-based position in the series. */
  index: number;
  subject: string;
  title: string;
  /** The input file and line the patch was read from. */
  source: string;
  line: number;
  files: string[];
  functions: string[];
  applied: boolean;
  /** False when an earlier patch did not apply (or the review was cancelled). */
  checked: boolean;
  error?: string;
  /** Patch-input line of the hunk that did not apply. */
  errorLine?: number;
  introduced: ReviewFinding[];
  fixed: ReviewFinding[];
  remaining: ReviewFinding[];
  contracts: ContractChange[];
  notes: string[];
  ms: number;
  /** With `keepSources`: texts of the files findings refer to, as they were before and after this patch. */
  sources?: { before: Record<string, string>; after: Record<string, string> };
}

export interface SeriesReview {
  tree: string;
  patches: PatchReview[];
  skipped: SkippedMail[];
  stats: { ms: number; analyses: number };
}

interface FileReview {
  change: FileChange;
  /** Path after the patch (or before, for a deletion). */
  path: string;
  before: Analysed | null;
  after: Analysed | null;
  touched: Set<string>;
}

interface SideTexts {
  before: (path: string) => Promise<string | null>;
  after: (path: string) => Promise<string | null>;
}

/** Reviews a series against a tree. The tree itself is never modified. */
export async function reviewSeries(
  analyzer: Analyzer,
  tree: TreeReader,
  mails: readonly PatchMail[],
  options: ReviewOptions = {},
  skipped: SkippedMail[] = [],
): Promise<SeriesReview> {
  const t0 = now();
  const reviewer = new SeriesReviewer(analyzer, tree, options);
  try {
    const patches: PatchReview[] = [];
    let blocked: string | null = null;
    for (let i = 0; i < mails.length; i++) {
      const mail = mails[i];
      if (!blocked && options.cancelled?.()) blocked = 'not checked: the review was cancelled';
      if (blocked) {
        patches.push(emptyReview(mail, i + 1, { applied: false, checked: false, error: blocked }));
        continue;
      }
      options.onProgress?.(`[${i + 1}/${mails.length}] ${mail.title}`);
      let r: PatchReview;
      try {
        r = await reviewer.review(mail, i + 1);
      } catch (e) {
        if (!(e instanceof ReviewCancelled)) throw e;
        blocked = 'not checked: the review was cancelled';
        patches.push(emptyReview(mail, i + 1, { applied: false, checked: false, error: blocked }));
        continue;
      }
      patches.push(r);
      options.onPatchDone?.(r, i + 1, mails.length);
      if (!r.applied) blocked = `not checked: patch ${i + 1} did not apply`;
    }
    return { tree: tree.label, patches, skipped, stats: { ms: now() - t0, analyses: reviewer.analyses.runs } };
  } finally {
    reviewer.dispose();
  }
}

function emptyReview(mail: PatchMail, index: number, extra: Partial<PatchReview>): PatchReview {
  return {
    index,
    subject: mail.subject,
    title: mail.title,
    source: mail.source,
    line: mail.line,
    files: mail.files.map(displayPath),
    functions: [],
    applied: false,
    checked: false,
    introduced: [],
    fixed: [],
    remaining: [],
    contracts: [],
    notes: [],
    ms: 0,
    ...extra,
  };
}

const isSource = (p: string | null): p is string => p !== null && SOURCE_FILE.test(p);

/** Thrown inside a patch's review once `cancelled` says so; the series marks that patch as not checked. */
class ReviewCancelled extends Error {}

class SeriesReviewer {
  readonly analyses: Analyses;
  readonly index: TreeIndex;
  private readonly overlay: OverlayTree;
  private readonly follow: boolean;
  /** The patch being reviewed: its changes (not yet in the overlay) and its notes. */
  private current: { changes: FileChange[]; notes: string[]; searchNoted: boolean } = {
    changes: [],
    notes: [],
    searchNoted: false,
  };

  constructor(
    private readonly analyzer: Analyzer,
    tree: TreeReader,
    private readonly options: ReviewOptions,
  ) {
    // The engine's options are what remains once the review's own are taken out.
    const { follow, maxCallerFiles, maxCalleeFiles, onProgress, cancelled, keepSources, ...check } = options;
    this.analyses = new Analyses(analyzer, check);
    this.index = new TreeIndex(analyzer.parser);
    this.overlay = new OverlayTree(tree);
    this.follow = follow !== false;
  }

  dispose(): void {
    this.analyses.dispose();
  }

  /** Before each analysis step: stops the review once it is cancelled. */
  private step(): void {
    if (this.options.cancelled?.()) throw new ReviewCancelled();
  }

  /** An analysis of a text (remembered per key), after a cancellation check. */
  private run(key: string, text: string): Analysed {
    this.step();
    return this.analyses.run(key, text);
  }

  /** The function units of a text (a parse, cached per path), after a cancellation check. */
  private unitsOf(path: string, text: string): IndexedFile {
    this.step();
    return this.index.unitsOf(path, text);
  }

  /** Names whose meaning the catalogue gives (APIs, lock predicates, assertions, accessors): callers use that. */
  private catalogued(name: string): boolean {
    const c = this.analyzer.catalogue;
    return (
      c.calls.has(name) ||
      c.lockedPredicates.has(name) ||
      c.asserts.has(name) ||
      c.predicates.has(name) ||
      c.accessors.has(name) ||
      c.transparent.has(name)
    );
  }

  async review(mail: PatchMail, index: number): Promise<PatchReview> {
    const t0 = now();
    const review = emptyReview(mail, index, {
      applied: true,
      checked: true,
      ...(this.options.keepSources ? { sources: { before: {}, after: {} } } : {}),
    });
    let changes: FileChange[];
    try {
      changes = await applyPatch(this.overlay, mail.files);
    } catch (e) {
      if (!(e instanceof ApplyError)) throw e;
      review.applied = false;
      review.error = e.message;
      review.errorLine = e.patchLine;
      review.ms = now() - t0;
      return review;
    }
    review.files = changes.map((c) =>
      c.op === 'rename' || c.op === 'copy' ? `${c.oldPath} => ${c.newPath}` : (c.newPath ?? c.oldPath)!,
    );
    for (const c of changes) {
      for (const o of c.offsets)
        review.notes.push(
          `${c.newPath ?? c.oldPath}: hunk #${o.hunk} applied at offset ${o.by > 0 ? '+' : ''}${o.by} line(s)`,
        );
      if (c.binary) review.notes.push(`${c.newPath ?? c.oldPath}: binary change, not analysed`);
    }

    const beforeOf = new Map<string, string | null>();
    const afterOf = new Map<string, string | null>();
    for (const c of changes) {
      if (c.oldPath !== null) {
        if (!beforeOf.has(c.oldPath)) beforeOf.set(c.oldPath, c.before);
        if (c.op === 'rename' || c.op === 'delete') afterOf.set(c.oldPath, null);
      }
      if (c.newPath !== null) {
        if (!beforeOf.has(c.newPath)) beforeOf.set(c.newPath, c.op === 'modify' ? c.before : null);
        afterOf.set(c.newPath, c.binary ? await this.overlay.read(c.newPath) : c.after);
      }
    }
    const texts: SideTexts = {
      before: async (p) => (beforeOf.has(p) ? beforeOf.get(p)! : this.overlay.read(p)),
      after: async (p) => (afterOf.has(p) ? afterOf.get(p)! : this.overlay.read(p)),
    };

    // 1. Each changed C file on its own, before and after.
    const files: FileReview[] = [];
    for (const c of changes) {
      const path = c.newPath ?? c.oldPath!;
      if (c.binary || !isSource(path)) continue;
      if (c.op === 'rename' && c.oldPath) this.analyses.rename(c.oldPath, path);
      const before = c.before !== null && isSource(c.oldPath) ? this.run(path, c.before) : null;
      const after = c.after !== null ? this.run(path, c.after) : null;
      for (const [side, a] of [
        ['before', before],
        ['after', after],
      ] as const) {
        if (a?.result.error) review.notes.push(`${path} (${side} the patch): not analysed: ${a.result.error}`);
      }
      files.push({ change: c, path, before, after, touched: touchedFunctions(c, before, after) });
    }
    review.functions = [...new Set(files.flatMap((f) => [...f.touched]))];

    // 2. Contracts that changed, and the files that see them.
    this.current = { changes, notes: review.notes, searchNoted: false };
    const contracts = this.follow ? await this.changedContracts(files, texts) : [];
    const calleeFiles = new Set<string>();
    for (const f of files) {
      this.step();
      await this.reviewFile(f, review, contracts, texts, calleeFiles);
    }
    if (this.follow && contracts.length) await this.reviewCallers(review, contracts, changes, texts, calleeFiles);
    review.contracts = contracts.map((c) => ({
      function: c.name,
      file: c.file,
      changes: c.changes,
      callers: c.callers,
    }));

    // 3. The tree now has this patch.
    for (const c of changes) {
      if ((c.op === 'rename' || c.op === 'delete') && c.oldPath) this.overlay.set(c.oldPath, null);
      if (c.newPath !== null && !c.binary) this.overlay.set(c.newPath, c.after);
    }
    review.ms = now() - t0;
    return review;
  }

  /** Compares one changed file's findings, with the context its calls need (changed contracts, helper callees). */
  private async reviewFile(
    f: FileReview,
    review: PatchReview,
    contracts: Contract[],
    texts: SideTexts,
    calleeFiles: Set<string>,
  ): Promise<void> {
    const c = f.change;
    let before = f.before;
    let after = f.after;
    if (this.follow) {
      const ctx = await this.contextFor(f, contracts, texts, calleeFiles);
      if (ctx.before || ctx.after) {
        if (c.before !== null && before)
          before = this.own(this.run(`ctx:${f.path}`, c.before + ctx.before), c.before.length);
        if (c.after !== null && after) after = this.own(this.run(`ctx:${f.path}`, c.after + ctx.after), c.after.length);
      }
    }
    const m = matchFindings(before?.result.findings ?? [], after?.result.findings ?? []);
    if (review.sources) {
      if (c.before !== null) review.sources.before[c.oldPath ?? f.path] = c.before;
      if (c.after !== null) review.sources.after[f.path] = c.after;
    }
    const changedNames = new Set(contracts.map((x) => x.name));
    const afterIdx = c.after !== null ? this.unitsOf(f.path, c.after) : null;
    const viaOf = (fn: string): string[] | undefined => {
      if (f.touched.has(fn)) return undefined;
      const u = afterIdx?.byName.get(fn);
      const names = u ? [...u.calls].filter((id) => changedNames.has(id) || f.touched.has(id)) : [];
      return names.length ? names.sort() : undefined;
    };
    // One line index per side, built only when some finding is located on it.
    const side = (
      text: string | null,
      shown: Map<number, LineOrigin>,
      fns: readonly FunctionInfo[],
      prefer: '+' | '-',
    ) => {
      let lines: LineIndex | null = null;
      return (x: LocatedFinding) => locateInPatch(x, text!, (lines ??= new LineIndex(text!, 'lf')), shown, fns, prefer);
    };
    const onAfter = side(c.after, c.newLines, after?.result.functions ?? [], '+');
    const onBefore = side(c.before, c.oldLines, before?.result.functions ?? [], '-');
    for (const x of m.introduced)
      review.introduced.push({ ...onAfter(x), file: f.path, side: 'after', via: viaOf(x.function) });
    for (const x of m.fixed)
      review.fixed.push({ ...onBefore(x), file: c.oldPath ?? f.path, side: 'before', via: viaOf(x.function) });
    for (const [, x] of m.kept) {
      if (f.touched.has(x.function)) review.remaining.push({ ...onAfter(x), file: f.path, side: 'after' });
    }
  }

  /** An analysis of a file with appended context, restricted to the file's own functions. */
  private own(a: Analysed, length: number): Analysed {
    return {
      result: {
        ...a.result,
        findings: a.result.findings.filter((x) => x.start < length),
        functions: a.result.functions.filter((x) => x.start < length),
      },
      summaries: a.summaries,
    };
  }

  /** Definitions to append to a changed file, before and after: changed contracts it calls, and helper callees. */
  private async contextFor(
    f: FileReview,
    contracts: Contract[],
    texts: SideTexts,
    calleeFiles: Set<string>,
  ): Promise<{ before: string; after: string }> {
    const c = f.change;
    const own = new Set<string>();
    const called = new Set<string>();
    const touchedCalls = new Set<string>();
    for (const t of [c.before, c.after]) {
      if (t === null) continue;
      const idx = this.unitsOf(f.path, t);
      for (const u of idx.units) {
        own.add(u.name);
        for (const id of u.calls) {
          called.add(id);
          if (f.touched.has(u.name)) touchedCalls.add(id);
        }
      }
    }
    return this.buildContext(f.path, own, called, touchedCalls, contracts, texts, calleeFiles);
  }

  /**
   * The text to append to a file on each side: the definitions (with their in-file callees) of changed contracts
   * the file calls, and of helpers its relevant functions call that are defined elsewhere in the tree and whose own
   * analysis summarises something (taken as they are after the patch, on both sides).
   */
  private async buildContext(
    self: string,
    own: ReadonlySet<string>,
    called: ReadonlySet<string>,
    relevantCalls: ReadonlySet<string>,
    contracts: Contract[],
    texts: SideTexts,
    calleeFiles: Set<string>,
  ): Promise<{ before: string; after: string }> {
    // Keyed by the defining file after the patch; a renamed file is read under its old name before.
    const wanted = new Map<string, { before: string; names: Set<string> }>();
    const want = (file: string, oldFile: string, name: string) => {
      if (!wanted.has(file)) wanted.set(file, { before: oldFile, names: new Set() });
      wanted.get(file)!.names.add(name);
    };
    for (const k of contracts) {
      if (k.file !== self && called.has(k.name) && !own.has(k.name)) {
        want(k.file, k.oldFile, k.name);
        if (!k.callers.includes(self)) k.callers.push(self);
      }
    }
    const candidates = [...relevantCalls].filter(
      (n) => !own.has(n) && !this.catalogued(n) && !contracts.some((k) => k.name === n),
    );
    if (candidates.length) {
      const maxFiles = this.options.maxCalleeFiles ?? 6;
      const defs = await this.definitions(candidates, self, texts.after);
      for (const [name, file] of defs) {
        if (!calleeFiles.has(file) && calleeFiles.size >= maxFiles) continue;
        const text = await texts.after(file);
        if (text === null) continue;
        // Only helpers whose own analysis says something callers must know.
        const s = this.run(file, text).summaries.get(name);
        if (!s || s.isEmpty) continue;
        calleeFiles.add(file);
        want(file, file, name);
      }
    }
    const out = { before: '', after: '' };
    for (const side of ['before', 'after'] as const) {
      const parts: string[] = [];
      for (const [file, w] of wanted) {
        const from = side === 'before' ? w.before : file;
        const text = await texts[side](from);
        if (text === null) continue;
        const idx = this.unitsOf(from, text);
        const units = this.index.closure(idx, w.names, own);
        if (units.length) parts.push(`/* vfslock review: from ${from} */\n${contextText(idx, units)}`);
      }
      if (parts.length) out[side] = `\n\n${parts.join('\n\n')}\n`;
    }
    return out;
  }

  /** For each name, the first file (in path order) of the tree defining it where other files can call it. */
  private async definitions(
    names: string[],
    self: string,
    read: (p: string) => Promise<string | null>,
  ): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const left = new Set(names);
    for (const file of await this.search(names, true)) {
      if (!left.size) break;
      if (file === self) continue;
      const text = await this.readCandidate(file, read);
      if (text === null) continue;
      const hits = [...left].filter((n) => this.index.mentions(file, text, n));
      if (!hits.length) continue;
      const idx = this.unitsOf(file, text);
      for (const n of hits) {
        const u = idx.byName.get(n);
        if (u && visibleOutside(file, u)) {
          out.set(n, file);
          left.delete(n);
        }
      }
    }
    return out;
  }

  private async changedContracts(files: FileReview[], texts: SideTexts): Promise<Contract[]> {
    const out: Contract[] = [];
    for (const f of files) {
      const names = new Set<string>([...(f.before?.summaries.keys() ?? []), ...(f.after?.summaries.keys() ?? [])]);
      for (const name of names) {
        if (this.catalogued(name)) continue;
        const b = f.before?.summaries.get(name);
        const a = f.after?.summaries.get(name);
        if (contractKey(b) === contractKey(a)) continue;
        const text = (await texts.after(f.path)) ?? (await texts.before(f.change.oldPath ?? f.path));
        if (text === null) continue;
        const idx = this.unitsOf(f.path, text);
        const u =
          idx.byName.get(name) ??
          (f.change.before !== null ? this.unitsOf(f.path, f.change.before).byName.get(name) : undefined);
        if (!u || !visibleOutside(f.path, u)) continue;
        const changes = describeContractChange(b, a, u.params);
        out.push({
          name,
          file: f.path,
          oldFile: f.change.oldPath ?? f.path,
          before: b,
          after: a,
          changes: changes.length ? changes : ['its contract changed'],
          callers: [],
        });
      }
    }
    return out;
  }

  /** Re-analyses files of the tree that call a function whose contract the patch changed. */
  private async reviewCallers(
    review: PatchReview,
    contracts: Contract[],
    changes: FileChange[],
    texts: SideTexts,
    calleeFiles: Set<string>,
  ): Promise<void> {
    const changed = new Set<string>();
    for (const c of changes) {
      if (c.oldPath) changed.add(c.oldPath);
      if (c.newPath) changed.add(c.newPath);
    }
    const names = new Set(contracts.map((k) => k.name));
    const maxFiles = this.options.maxCallerFiles ?? 12;
    // Callers near the changed code first (same directory), then the rest of the tree in path order.
    const dirs = new Set(contracts.map((k) => dirOf(k.file)));
    const pool = await this.search([...names]);
    const ordered = [...pool.filter((p) => dirs.has(dirOf(p))), ...pool.filter((p) => !dirs.has(dirOf(p)))];
    let done = 0;
    let more = 0;
    for (const [pos, file] of ordered.entries()) {
      if (changed.has(file)) continue;
      this.step();
      if (done >= maxFiles) {
        // Not parsed: a name such as a common helper's is mentioned in thousands of files.
        more = ordered.slice(pos).filter((p) => !changed.has(p)).length;
        break;
      }
      const text = await this.readCandidate(file, (p) => this.overlay.read(p));
      if (text === null) continue;
      const refs = [...names].filter((n) => this.index.mentions(file, text, n));
      if (!refs.length) continue;
      const idx = this.unitsOf(file, text);
      const called = refs.filter((n) => !idx.byName.has(n) && idx.units.some((u) => u.calls.has(n)));
      if (!called.length) continue;
      done++;
      this.options.onProgress?.(`callers of ${called.join(', ')}: ${file}`);
      const own = new Set(idx.units.map((u) => u.name));
      const all = new Set<string>();
      const relevant = new Set<string>();
      for (const u of idx.units) {
        const calls = called.some((n) => u.calls.has(n));
        for (const id of u.calls) {
          all.add(id);
          if (calls) relevant.add(id);
        }
      }
      const ctx = await this.buildContext(file, own, all, relevant, contracts, texts, calleeFiles);
      const before = this.own(this.run(`ctx:${file}`, text + ctx.before), text.length);
      const after = this.own(this.run(`ctx:${file}`, text + ctx.after), text.length);
      const m = matchFindings(before.result.findings, after.result.findings);
      if (review.sources && (m.introduced.length || m.fixed.length))
        review.sources.before[file] = review.sources.after[file] = text;
      const viaOf = (fn: string) => {
        const u = idx.byName.get(fn);
        const v = u ? called.filter((n) => u.calls.has(n)) : [];
        return (v.length ? v : called).sort();
      };
      const lines = new LineIndex(text, 'lf');
      const at = (x: LocatedFinding) => sourceLineAt(text, lines, lines.position(x.start).line + 1);
      for (const x of m.introduced)
        review.introduced.push({
          file,
          finding: x,
          side: 'after',
          exact: false,
          sourceLine: at(x),
          via: viaOf(x.function),
        });
      for (const x of m.fixed)
        review.fixed.push({
          file,
          finding: x,
          side: 'before',
          exact: false,
          sourceLine: at(x),
          via: viaOf(x.function),
        });
    }
    if (more)
      review.notes.push(
        `${more} more file(s) mentioning ${[...names].join(', ')} not examined for callers (limit ${maxFiles} caller files per patch)`,
      );
  }

  /**
   * C files of the tree (as this patch leaves it) that mention one of `names` (with `definitions`, where a name
   * starts a declaration: see MentionOptions): the tree's own search (git grep, a bounded walk), with the files this
   * patch adds, renames or deletes accounted for. A search cut short is noted.
   */
  private async search(names: string[], definitions = false): Promise<string[]> {
    const { changes, notes } = this.current;
    const found = await this.overlay.filesMentioning(names, { definitions });
    if (!found) {
      if (!this.current.searchNoted)
        notes.push(`${this.overlay.label} cannot be listed: callers and callees in other files not followed`);
      this.current.searchNoted = true;
      return [];
    }
    if (found.truncated && !this.current.searchNoted) {
      notes.push(
        `callers and callees: the search of ${this.overlay.label} (${found.how}) was cut short: it covered ${found.searched ?? `${found.paths.length} files`}`,
      );
      this.current.searchNoted = true;
    }
    const paths = new Set(found.paths);
    for (const c of changes) {
      if ((c.op === 'rename' || c.op === 'delete') && c.oldPath) paths.delete(c.oldPath);
      if (isSource(c.newPath) && !c.binary) paths.add(c.newPath);
    }
    return [...paths].sort();
  }

  /** A candidate file's text; one the tree refuses to read (too large, a FIFO) is skipped with a note. */
  private async readCandidate(path: string, read: (p: string) => Promise<string | null>): Promise<string | null> {
    try {
      return await read(path);
    } catch (e) {
      if (!(e instanceof TreeError)) throw e;
      const { notes } = this.current;
      if (notes.filter((n) => n.startsWith('not searched for callers and callees: ')).length < 5)
        notes.push(`not searched for callers and callees: ${e.message}`);
      return null;
    }
  }
}

interface Contract {
  name: string;
  file: string;
  oldFile: string;
  before: Summary | undefined;
  after: Summary | undefined;
  changes: string[];
  callers: string[];
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** Functions the patch changes: those of the new text with an added line, and those of the old text with a removed one. */
function touchedFunctions(c: FileChange, before: Analysed | null, after: Analysed | null): Set<string> {
  const out = new Set<string>();
  const mark = (
    text: string | null,
    fns: readonly FunctionInfo[],
    lines: Map<number, LineOrigin>,
    kind: '+' | '-',
    all: boolean,
  ) => {
    if (text === null) return;
    const idx = new LineIndex(text, 'lf');
    const changed = [...lines].filter(([, o]) => o.kind === kind).map(([l]) => l);
    for (const fn of fns) {
      if (all) {
        out.add(fn.name);
        continue;
      }
      const first = idx.position(fn.start).line + 1;
      const last = idx.position(fn.end).line + 1;
      if (changed.some((l) => l >= first && l <= last)) out.add(fn.name);
    }
  };
  mark(c.after, after?.result.functions ?? [], c.newLines, '+', c.op === 'add' || c.op === 'copy');
  mark(c.before, before?.result.functions ?? [], c.oldLines, '-', c.op === 'delete');
  return out;
}

function sourceLineAt(text: string, lines: LineIndex, line: number): string {
  const s = lines.lineStart(line - 1);
  const e = text.indexOf('\n', s);
  return text.slice(s, e < 0 ? text.length : e);
}

/**
 * Where a finding shows in the patch: its own line if the patch shows it (added or context), else the nearest line
 * of the prefered kind the patch changed in the same function, else the nearest changed line of the file.
 */
function locateInPatch(
  f: LocatedFinding,
  text: string,
  lines: LineIndex,
  shown: Map<number, LineOrigin>,
  fns: readonly FunctionInfo[],
  prefer: '+' | '-',
): Omit<ReviewFinding, 'file' | 'side'> {
  // The patch's line numbers are git's (lines end at \n only), so the finding's line is counted the same way here.
  const line = lines.position(f.start).line + 1;
  const sourceLine = sourceLineAt(text, lines, line);
  const own = shown.get(line);
  if (own) return { finding: f, patchLine: own.patchLine, patchLineKind: own.kind, exact: true, sourceLine };
  const fn = fns.find((x) => x.name === f.function && x.start <= f.start && f.start <= x.end);
  const range = fn ? [lines.position(fn.start).line + 1, lines.position(fn.end).line + 1] : null;
  const candidates = [...shown].filter(([l]) => !range || (l >= range[0] && l <= range[1]));
  const pick = (list: [number, LineOrigin][]) =>
    list.sort((a, b) => Math.abs(a[0] - line) - Math.abs(b[0] - line) || a[0] - b[0])[0];
  const best =
    pick(candidates.filter(([, o]) => o.kind === prefer)) ??
    pick(candidates) ??
    pick([...shown].filter(([, o]) => o.kind === prefer)) ??
    pick([...shown]);
  if (!best) return { finding: f, exact: false, sourceLine };
  return { finding: f, patchLine: best[1].patchLine, patchLineKind: best[1].kind, exact: false, sourceLine };
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
