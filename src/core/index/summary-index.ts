/**
 * The summaries of a tree's functions, for checking one file of it: every non-static function of the checked files
 * by name, the `static inline` helpers of the headers each file includes (directly or through other headers), and
 * which functions nothing in the tree calls. Pure data (no file system): built by `tree-check.ts`, sent to worker
 * threads as `IndexData`, read through `IndexView`.
 */
import type { Summary } from '../analysis/types';

/** What one file offers the others: its functions (with their summaries) and the names it uses but does not define. */
export interface FileInterface {
  file: string;
  /** `root`: analysed as a function nothing in the tree calls (its obligations were reported in it). */
  /** `deferrable`: it reported a finding its callers could rule out, were they all known (see IndexView.callersDecide). */
  defs: { name: string; isStatic: boolean; summary: Summary | null; root?: boolean; deferrable?: boolean }[];
  /** Identifiers its function bodies use that it does not define (catalogued APIs left out). */
  refs: string[];
  /** Identifiers outside function bodies that reach functions (ops tables, macros, initcalls). */
  topRefs?: string[];
  /** A header read but not parsed: every identifier it mentions (it is parsed once one of them gets a summary). */
  mentions?: string[];
  /**
   * What its calls of other files' functions decided about their deferred findings: [callee, finding id, ruled out
   * at this call site (the inode is a directory, open for write, or cannot be delegated there)].
   */
  outcomes?: [string, string, boolean][];
}

/** What the engine asks of an index while checking one file. */
export interface IndexView {
  /** Summaries the file's calls may use: other files' functions and its headers' static helpers (by name). */
  summariesFor(file: string): ReadonlyMap<string, Summary>;
  /** Whether nothing in the tree calls this function of `file`, beyond what the file itself shows. */
  uncalled(name: string, isStatic: boolean, file: string): boolean;
  /**
   * Whether the function's callers in other files are all known calls by name (it is not stored in an ops table or
   * named by a macro): a finding they can rule out is left to them (`deferred`).
   */
  callersDecide?(name: string, isStatic: boolean, file: string): boolean;
  /** What other files' call sites decided about the function's deferred findings, by finding id. */
  deferredOutcomes?(name: string): ReadonlyMap<string, readonly boolean[]> | undefined;
}

/** The index as plain data (structured-cloneable, JSON-able). */
export interface IndexData {
  /** Non-static functions: name → summary (the first non-empty one when several files define the name). */
  global: [string, Summary][];
  /** Headers: path → its static functions' summaries. */
  headers: [string, [string, Summary][]][];
  /** File or header → the headers it includes, resolved to paths in the tree. */
  includes: [string, string[]][];
  /** Non-static functions of the tree that no other file of the tree refers to. */
  uncalled: string[];
  /** Every file of the tree was read: `uncalled` is complete, and names not in it or in `stored` have known callers. */
  complete?: boolean;
  /** Names stored in an ops table or named by a macro somewhere (called through pointers). */
  stored?: string[];
  /** Callee → its deferred findings' outcomes at other files' call sites (finding id → ruled out, per call site). */
  deferred?: [string, [string, boolean[]][]][];
}

export const EMPTY_INDEX: IndexData = { global: [], headers: [], includes: [], uncalled: [] };

export function isHeader(file: string): boolean {
  return file.endsWith('.h');
}

/** An `IndexView` over `IndexData`, with each file's visible summaries computed once. */
export class IndexSnapshot implements IndexView {
  private readonly global: Map<string, Summary>;
  private readonly headers: Map<string, Map<string, Summary>>;
  private readonly includes: Map<string, string[]>;
  private readonly uncalledSet: Set<string>;
  private readonly storedSet: Set<string>;
  private readonly deferredMap: Map<string, Map<string, boolean[]>>;
  private readonly perFile = new Map<string, Map<string, Summary>>();

  constructor(readonly data: IndexData) {
    this.global = new Map(data.global);
    this.headers = new Map(data.headers.map(([h, defs]) => [h, new Map(defs)]));
    this.includes = new Map(data.includes);
    this.uncalledSet = new Set(data.uncalled);
    this.storedSet = new Set(data.stored ?? []);
    this.deferredMap = new Map((data.deferred ?? []).map(([n, os]) => [n, new Map(os)]));
  }

  callersDecide(name: string, isStatic: boolean, file: string): boolean {
    return (
      !!this.data.complete && !isStatic && !isHeader(file) && !this.uncalledSet.has(name) && !this.storedSet.has(name)
    );
  }

  deferredOutcomes(name: string): ReadonlyMap<string, readonly boolean[]> | undefined {
    return this.deferredMap.get(name);
  }

  /** Whether the index knows what `file` includes (it was built from it, or its includes were added). */
  knows(file: string): boolean {
    return this.includes.has(file);
  }

  /** Headers `file` includes, directly or through other headers, that have static helpers with summaries. */
  visibleHeaders(file: string): string[] {
    const out: string[] = [];
    const seen = new Set<string>([file]);
    const queue = [...(this.includes.get(file) ?? [])];
    while (queue.length) {
      const h = queue.shift()!;
      if (seen.has(h)) continue;
      seen.add(h);
      if (this.headers.has(h)) out.push(h);
      for (const n of this.includes.get(h) ?? []) if (!seen.has(n)) queue.push(n);
    }
    return out;
  }

  summariesFor(file: string): ReadonlyMap<string, Summary> {
    let m = this.perFile.get(file);
    if (!m) {
      m = new Map(this.global);
      // A header's own helpers (nearest include first) win over a same-named function elsewhere.
      for (const h of this.visibleHeaders(file).reverse()) for (const [name, s] of this.headers.get(h)!) m.set(name, s);
      if (this.perFile.size > 5000) this.perFile.clear();
      this.perFile.set(file, m);
    }
    return m;
  }

  uncalled(name: string, isStatic: boolean, file: string): boolean {
    // A header's functions are there for the files that include it.
    if (isHeader(file)) return false;
    // A static function: the engine has already seen that nothing in its file calls it or stores it (ops table).
    if (isStatic) return true;
    return this.uncalledSet.has(name);
  }
}

/**
 * A summary that says only "may return holding a lock the analysis could not name" (a third of a tree's non-empty
 * summaries: functions calling iget5_locked() and the like) is left out of the tree's index: callers in other files
 * read such a call as they read any unknown helper (by its name), and do not all get analysed again for it.
 */
function onlyMayLock(s: Summary): boolean {
  // Likewise "may sleep waiting for a break somewhere below": across a whole kernel tree (kernel/, mm/) it reaches
  // thousands of functions and the rounds never settle; it stays a summary within a file.
  return (
    (!!s.mayLock || !!s.sleeps) &&
    !s.childOfRet &&
    !s.argChildren &&
    !s.returns &&
    !s.outParams.length &&
    !s.breaks.length &&
    !s.leaseBreaks &&
    !s.leaseTries &&
    !s.requires.length &&
    !s.mutates.length &&
    !s.acquires.length &&
    !s.takes?.length &&
    !s.releases.length
  );
}

/** A stable text of what callers use from a summary (to tell whether a re-computed one changed). */
export function summarySig(s: Summary | undefined): string {
  if (!s) return '';
  return JSON.stringify([
    s.arity,
    s.outParams,
    s.breaks,
    s.leaseBreaks ?? [],
    s.leaseTries ?? [],
    s.requires.map((r) => [r.role, r.class, !!r.changes]),
    s.mutates.map((m) => [
      m.role,
      m.kind,
      m.what,
      m.dirIf ?? '',
      m.severity ?? '',
      m.note ?? '',
      (m.onlyIf ?? []).map((c) => `${c.role}&${c.flag}`),
    ]),
    !!s.sleeps && s.sleeps.what,
    !!s.sleeps?.blocking,
    s.acquires,
    s.takes ?? [],
    s.releases,
    s.returns ?? '',
    !!s.mayLock,
    s.childOfRet ?? '',
    s.argChildren ?? [],
    s.deferred.map((d) => `${d.finding.ruleId}@${d.finding.start}:${d.finding.inode}|${d.unlessDir.join(',')}`),
  ]);
}

/**
 * Collects the files' interfaces as they are (re)checked and turns them into `IndexData`; tells which names'
 * summaries changed since a given snapshot.
 */
export class IndexBuilder {
  private readonly ifaces = new Map<string, FileInterface>();
  private readonly includes = new Map<string, string[]>();
  /** Name → files whose functions refer to it (a parsed file's references do not change between its checks). */
  private readonly referenced = new Map<string, Set<string>>();
  private readonly indexedRefs = new Set<string>();
  /** Files indexed from an interface without references (not parsed yet). */
  private readonly unread = new Set<string>();
  /** Names stored in an ops table or named by a macro somewhere: called through a pointer, by the kernel's own contract. */
  private readonly storedAway = new Set<string>();

  setInterface(iface: FileInterface): void {
    this.ifaces.set(iface.file, iface);
    // A file first indexed unread (a header nobody needed yet: its `mentions`, no references) is indexed again from
    // its first parse: the functions its helpers call have a caller.
    if (this.indexedRefs.has(iface.file) && !(this.unread.has(iface.file) && !iface.mentions)) return;
    this.indexedRefs.add(iface.file);
    if (iface.mentions) this.unread.add(iface.file);
    else this.unread.delete(iface.file);
    for (const r of iface.refs) {
      let s = this.referenced.get(r);
      if (!s) this.referenced.set(r, (s = new Set()));
      s.add(iface.file);
    }
    for (const r of iface.topRefs ?? []) this.storedAway.add(r);
  }

  /** Callee → finding id → outcomes, over every file's latest interface. */
  private outcomesData(): [string, [string, boolean[]][]][] {
    const by = new Map<string, Map<string, boolean[]>>();
    for (const f of [...this.ifaces.keys()].sort()) {
      for (const [callee, id, ruledOut] of this.ifaces.get(f)!.outcomes ?? []) {
        let m = by.get(callee);
        if (!m) by.set(callee, (m = new Map()));
        m.set(id, [...(m.get(id) ?? []), ruledOut]);
      }
    }
    return [...by]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([n, m]) => [n, [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1))]);
  }

  interfaceOf(file: string): FileInterface | undefined {
    return this.ifaces.get(file);
  }

  setIncludes(file: string, headers: string[]): void {
    this.includes.set(file, headers);
  }

  includesOf(file: string): string[] | undefined {
    return this.includes.get(file);
  }

  /** `uncalledKnown`: every file of the tree has an interface, so a name nobody refers to is really uncalled. */
  data(uncalledKnown: boolean): IndexData {
    const files = [...this.ifaces.keys()].sort();
    const global = new Map<string, Summary>();
    const headers: [string, [string, Summary][]][] = [];
    const definedIn = new Map<string, string[]>();
    for (const f of files) {
      const iface = this.ifaces.get(f)!;
      const statics: [string, Summary][] = [];
      for (const d of iface.defs) {
        if (d.isStatic) {
          if (isHeader(f) && d.summary) statics.push([d.name, d.summary]);
          continue;
        }
        definedIn.set(d.name, [...(definedIn.get(d.name) ?? []), f]);
        if (d.summary && !global.has(d.name) && !onlyMayLock(d.summary)) global.set(d.name, d.summary);
      }
      if (statics.length) headers.push([f, statics]);
    }
    const uncalled: string[] = [];
    if (uncalledKnown) {
      for (const [name, defs] of definedIn) {
        const by = this.referenced.get(name);
        if (this.storedAway.has(name)) continue;
        if (!by || [...by].every((f) => defs.includes(f))) uncalled.push(name);
      }
    }
    const deferred = this.outcomesData();
    return {
      global: [...global],
      headers,
      includes: [...this.includes].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      uncalled: uncalled.sort(),
      ...(uncalledKnown ? { complete: true, stored: [...this.storedAway].sort() } : {}),
      ...(deferred.length ? { deferred } : {}),
    };
  }
}

/** Names whose summary differs between two indexes (added, removed or changed), and names whose uncalled status did. */
export function changedNames(before: IndexData, after: IndexData): Set<string> {
  const out = new Set<string>();
  const diff = (a: Map<string, string>, b: Map<string, string>) => {
    for (const [k, v] of a) if (b.get(k) !== v) out.add(k);
    for (const k of b.keys()) if (!a.has(k)) out.add(k);
  };
  const sigs = (d: IndexData) => {
    const m = new Map<string, string>();
    for (const [n, s] of d.global) m.set(n, summarySig(s));
    for (const [h, defs] of d.headers) for (const [n, s] of defs) m.set(`${h}\u0000${n}`, summarySig(s));
    return m;
  };
  diff(sigs(before), sigs(after));
  const names = new Set<string>();
  for (const k of out) names.add(k.includes('\u0000') ? k.split('\u0000')[1] : k);
  return names;
}

/** Callees whose deferred findings' outcomes differ. */
export function changedOutcomes(before: IndexData, after: IndexData): Set<string> {
  const sig = (d: IndexData) => new Map((d.deferred ?? []).map(([n, os]) => [n, JSON.stringify(os)]));
  const a = sig(before);
  const b = sig(after);
  const out = new Set<string>();
  for (const [n, v] of a) if (b.get(n) !== v) out.add(n);
  for (const n of b.keys()) if (!a.has(n)) out.add(n);
  return out;
}

/** Names whose uncalled status differs. */
export function changedUncalled(before: IndexData, after: IndexData): Set<string> {
  const a = new Set(before.uncalled);
  const b = new Set(after.uncalled);
  const out = new Set<string>();
  for (const n of a) if (!b.has(n)) out.add(n);
  for (const n of b) if (!a.has(n)) out.add(n);
  return out;
}
