/**
 * Checking a set of files as one tree, with summaries across files (Node only: reads files and headers).
 *
 * Round A summarises the headers: the checked ones and those the checked files include from the tree's include/
 * (read only when they mention a catalogued name). Round B checks every source file with the headers' helpers and
 * records each file's interface (its functions' summaries, what it calls elsewhere). Then, until nothing changes,
 * only the files that use a function whose summary changed (or that define a function found to have no caller in the
 * tree) are checked again with the new index: callees' effects reach callers across files, however far apart, while a
 * file that calls nothing summarised elsewhere is parsed and analysed once, as without the index.
 */
import { resolve } from 'node:path';
import type { FileResult } from '../engine';
import {
  changedNames,
  changedOutcomes,
  changedUncalled,
  EMPTY_INDEX,
  IndexBuilder,
  isHeader,
  type FileInterface,
  type IndexData,
} from './summary-index';
import { IncludeResolver, readText } from './tree';

/** `check`: findings wanted; `summary`: only the interface (a header outside the checked set). */
export interface Task {
  /** The path as given (results carry it). */
  file: string;
  /** Absolute path: the file's name in the index. */
  key: string;
  mode: 'check' | 'summary';
  /** Attach each finding's verified fixes to the result (SARIF output), verified with the index in place. */
  fixes?: boolean;
  /** The worker thread that checked it last (it keeps the file's function table and results). */
  worker?: number;
}

export interface TaskOutcome {
  result?: FileResult;
  iface?: FileInterface;
  error?: string;
  worker?: number;
}

/** Runs tasks (on worker threads or in this thread) against the index last given. */
export interface Runner {
  setIndex(data: IndexData): Promise<void>;
  run(tasks: Task[]): Promise<TaskOutcome[]>;
}

export interface TreeCheckStats {
  rounds: number;
  /** Source files checked more than once. */
  rechecked: number;
  /** Headers outside the checked files that were summarised. */
  headers: number;
  /** Per round: tasks, seconds, changed names. */
  detail: string[];
  /** Non-static functions with a summary, header helpers with one. */
  globalSummaries: number;
  headerSummaries: number;
}

export interface TreeCheck {
  /** Outcome of each checked file, in input order. */
  outcomes: TaskOutcome[];
  data: IndexData;
  stats: TreeCheckStats;
}

export interface TreeCheckOptions {
  /** The kernel tree (for `<...>` includes); null: quoted includes only. */
  root: string | null;
  /** Re-check rounds after round B at most (a cycle of files whose summaries keep changing stops there). */
  maxRounds?: number;
  /** Headers outside the checked set are summarised (default true). */
  headers?: boolean;
  /**
   * The files are the whole tree (default true): a function none of them calls has no caller, and what it would
   * charge its callers is reported in it. False for a few loose files, whose callers may be anywhere.
   */
  complete?: boolean;
}

const DEFAULT_ROUNDS = 8;
/** Times a name's summary may change and still be propagated to its callers. */
const MAX_CHANGES = 3;

export async function checkTree(files: string[], runner: Runner, options: TreeCheckOptions): Promise<TreeCheck> {
  const resolver = new IncludeResolver(options.root);
  const builder = new IndexBuilder();
  const keys = files.map((f) => resolve(f));
  const checked = new Set(keys);
  // Include graph: the headers each checked file includes (those of a checked header too, so a subsystem's own
  // header passes on what it includes); a header outside the checked files is summarised, not followed further.
  const extraHeaders = new Set<string>();
  for (const f of keys) {
    const text = readText(f);
    if (text === null) continue;
    const inc = resolver.includesOf(f, text);
    builder.setIncludes(f, inc);
    if (options.headers !== false) for (const h of inc) if (!checked.has(h)) extraHeaders.add(h);
  }
  const outcomes = new Map<string, TaskOutcome>();
  const lastVersion = new Map<string, number>();
  const versions: IndexData[] = [];
  /** changed[v]: names whose summary changed between versions v-1 and v. */
  const changed: Set<string>[] = [];
  const uncalledChanged: Set<string>[] = [];
  /** outcomesChanged[v]: callees whose deferred findings' outcomes at other files' calls changed at version v. */
  const outcomesChanged: Set<string>[] = [];
  const changeCount = new Map<string, number>();
  const byKey = new Map<string, Task>();
  keys.forEach((k, i) => byKey.set(k, { file: files[i], key: k, mode: 'check' }));
  for (const h of extraHeaders) byKey.set(h, { file: h, key: h, mode: 'summary' });

  const detail: string[] = [];
  const runRound = async (tasks: Task[], version: number) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const res = await runner.run(tasks);
    const cpu = process.cpuUsage(c0);
    detail.push(
      `v${version}: ${tasks.length} tasks ${((performance.now() - t0) / 1000).toFixed(1)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s; changed ${[...(changed[version] ?? [])].slice(0, 8).join(',')} (${changed[version]?.size ?? 0})`,
    );
    tasks.forEach((t, i) => {
      const o = res[i];
      if (t.mode === 'check') outcomes.set(t.key, o);
      if (o.iface) builder.setInterface({ ...o.iface, file: t.key });
      if (o.worker !== undefined) t.worker = o.worker;
      lastVersion.set(t.key, version);
    });
  };
  const publish = async (uncalledKnown: boolean) => {
    const data = builder.data(uncalledKnown);
    const prev = versions.length ? versions[versions.length - 1] : EMPTY_INDEX;
    versions.push(data);
    // A name whose summary keeps changing (functions of different files calling each other, whose summaries do not
    // settle) stops being propagated after a few rounds: its callers keep what they last saw.
    const names = changedNames(prev, data);
    for (const n of names) {
      const c = (changeCount.get(n) ?? 0) + 1;
      changeCount.set(n, c);
      if (c > MAX_CHANGES) names.delete(n);
    }
    changed.push(names);
    uncalledChanged.push(changedUncalled(prev, data));
    outcomesChanged.push(changedOutcomes(prev, data));
    await runner.setIndex(data);
    return versions.length - 1;
  };

  // Round A: headers, with no index yet (their helpers call little outside themselves).
  versions.push(EMPTY_INDEX);
  changed.push(new Set());
  uncalledChanged.push(new Set());
  outcomesChanged.push(new Set());
  await runner.setIndex(EMPTY_INDEX);
  const headerTasks = [...byKey.values()].filter((t) => isHeader(t.key));
  await runRound(headerTasks, 0);
  // Round B: source files with the headers' summaries.
  let v = await publish(false);
  await runRound(
    [...byKey.values()].filter((t) => !isHeader(t.key)),
    v,
  );
  let rounds = 2;
  const checkedTwice = new Set<string>();
  for (let r = 0; r < (options.maxRounds ?? DEFAULT_ROUNDS); r++) {
    v = await publish(options.complete !== false);
    const stale: Task[] = [];
    // What changed since each version files were last checked with (a handful of versions: computed once each).
    const since = new Map<number, { names: Set<string>; uncalled: Set<string>; outcomes: Set<string> }>();
    const changedSince = (at: number) => {
      let c = since.get(at);
      if (!c) {
        c = { names: new Set(), uncalled: new Set(), outcomes: new Set() };
        for (let x = at + 1; x <= v; x++) {
          for (const n of changed[x]) c.names.add(n);
          for (const n of uncalledChanged[x]) c.uncalled.add(n);
          for (const n of outcomesChanged[x]) c.outcomes.add(n);
        }
        since.set(at, c);
      }
      return c;
    };
    for (const t of byKey.values()) {
      const iface = builder.interfaceOf(t.key);
      if (!iface) continue;
      const { names, uncalled, outcomes } = changedSince(lastVersion.get(t.key) ?? -1);
      const deferrable = r === 0 && !!builder.interfaceOf(t.key)?.defs.some((d) => d.deferrable);
      if (!names.size && !uncalled.size && !outcomes.size && !deferrable) continue;
      const uses = (iface.mentions ?? iface.refs).some((n) => names.has(n));
      // Whether a function is a root matters only when it has obligations to charge or report.
      const roots =
        !isHeader(t.key) &&
        iface.defs.some(
          (d) =>
            !d.isStatic &&
            uncalled.has(d.name) &&
            (d.root || !!d.summary?.mutates.length || !!d.summary?.requires.length),
        );
      // Other files' calls decided about this file's deferred findings differently: its findings change.
      // Or the tree is now known whole (first round): a function with a finding its callers could rule out defers it.
      const decided =
        t.mode === 'check' &&
        iface.defs.some((d) => !d.isStatic && (outcomes.has(d.name) || (r === 0 && d.deferrable)));
      if (uses || roots || decided) stale.push(t);
    }
    if (!stale.length) break;
    for (const t of stale) if (t.mode === 'check') checkedTwice.add(t.key);
    await runRound(stale, v);
    rounds++;
  }
  const data = versions[versions.length - 1];
  return {
    outcomes: keys.map((k) => outcomes.get(k) ?? { error: 'not checked' }),
    data,
    stats: {
      rounds,
      rechecked: checkedTwice.size,
      detail,
      headers: extraHeaders.size,
      globalSummaries: data.global.length,
      headerSummaries: data.headers.reduce((n, [, d]) => n + d.length, 0),
    },
  };
}
