/**
 * `vfslock check` with summaries across files. A directory (or several paths) is checked as one tree; a lone file
 * of a kernel tree is checked with the index of its whole tree (fs/, security/, kernel/, mm/), built once and cached
 * on disk, so it gets the findings a whole-tree run gives it.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CheckOptions } from '../core/engine';
import type { CatalogueData } from '../core/catalogue/catalogue';
import type { IndexData } from '../core/index/summary-index';
import { checkTree, type Runner, type Task, type TaskOutcome, type TreeCheckStats } from '../core/index/tree-check';
import { findKernelTree, IncludeResolver, readText, treeScope } from '../core/index/tree';
import { IndexCache } from '../core/index/cache';
import { collectFiles, type Outcome } from './files';
import { WorkerPool, type PoolOptions } from './pool';
import { TaskRunner } from './tasks';
import { processAnalyzer } from './process-analyzer';

class SerialRunner implements Runner {
  constructor(private readonly tasks: TaskRunner) {}

  async setIndex(data: IndexData): Promise<void> {
    this.tasks.setIndex(data);
  }

  async run(tasks: Task[]): Promise<TaskOutcome[]> {
    const out: TaskOutcome[] = [];
    for (const t of tasks) {
      await this.tasks.ready();
      out.push(this.tasks.run(t));
    }
    return out;
  }
}

async function makeRunner(
  jobs: number,
  files: number,
  options: CheckOptions,
  catalogues: CatalogueData[],
  poolOptions?: PoolOptions,
): Promise<{ runner: Runner; close: () => Promise<void> }> {
  if ((jobs > 1 && files > 1) || poolOptions) {
    const pool = new WorkerPool(Math.max(1, Math.min(jobs, files)), options, catalogues, false, undefined, poolOptions);
    return { runner: pool, close: () => pool.close() };
  }
  const analyzer = await processAnalyzer(catalogues);
  return { runner: new SerialRunner(new TaskRunner(analyzer, options)), close: async () => undefined };
}

const toOutcome = (o: TaskOutcome): Outcome => (o.result ? { result: o.result } : { error: o.error ?? 'not checked' });

export interface IndexedCheck {
  outcomes: Outcome[];
  /** What was done, for a note on stderr. */
  note: string;
  stats?: TreeCheckStats;
}

/** Checks `files` (collected from `paths`) as one tree. */
export async function checkAsTree(
  paths: string[],
  files: string[],
  jobs: number,
  options: CheckOptions,
  catalogues: CatalogueData[],
  complete = true,
  withFixes = false,
): Promise<IndexedCheck> {
  const root = findKernelTree(paths[0]);
  const { runner, close } = await makeRunner(jobs, files.length, options, catalogues);
  try {
    const t = await checkTree(files, runner, { root, complete });
    if (process.env.VFSLOCK_INDEX_DUMP) writeFileSync(process.env.VFSLOCK_INDEX_DUMP, JSON.stringify(t.data));
    let outcomes = t.outcomes;
    if (withFixes) {
      // Fixes once, against the settled index (not in every re-check round).
      await runner.setIndex(t.data);
      outcomes = await runner.run(
        files.map((f, i) => ({
          file: f,
          key: resolve(f),
          mode: 'check' as const,
          fixes: true,
          worker: t.outcomes[i].worker,
        })),
      );
    }
    const s = t.stats;
    return {
      outcomes: outcomes.map(toOutcome),
      stats: s,
      note:
        `summary index: ${s.globalSummaries} functions and ${s.headerSummaries} header helpers summarised (${s.headers} headers read), ` +
        `${s.rounds} rounds, ${s.rechecked} files checked again\n  ${s.detail.join('\n  ')}`,
    };
  } finally {
    await close();
  }
}

export interface TreeIndex {
  root: string;
  data: IndexData;
  /** Loaded from the on-disk cache (not built). */
  cached: boolean;
  note: string;
}

/**
 * The summary index of the kernel tree `root` (its fs/, security/, kernel/ and mm/): loaded from the on-disk cache
 * when no file it was built from changed, else built on `jobs` worker threads (one: in this thread, unless `pool`
 * says how to start one) and cached.
 */
export async function treeIndex(
  root: string,
  jobs: number,
  options: CheckOptions,
  catalogues: CatalogueData[],
  version: string,
  progress: (s: string) => void = () => undefined,
  pool?: PoolOptions,
): Promise<TreeIndex> {
  const { cache, sources } = treeIndexCache(root, options, catalogues, version);
  const data = cache.load(sources);
  if (data) return { root, data, cached: true, note: `summary index of ${root} loaded from ${cache.path}` };
  progress(`vfslock: building the summary index of ${root} (${sources.length} files; cached for later runs)...\n`);
  const { runner, close } = await makeRunner(jobs, sources.length, options, catalogues, pool);
  try {
    const t = await checkTree(sources, runner, { root });
    cache.save(sources, t.data);
    return {
      root,
      data: t.data,
      cached: false,
      note: `summary index of ${root} built (${t.stats.globalSummaries} functions, ${t.stats.headerSummaries} header helpers, ${t.stats.rounds} rounds)`,
    };
  } finally {
    await close();
  }
}

function treeIndexCache(
  root: string,
  options: CheckOptions,
  catalogues: CatalogueData[],
  version: string,
): { cache: IndexCache; sources: string[] } {
  const scope = treeScope(root);
  const sources = collectFiles(scope).files.map((f) => resolve(f));
  return {
    cache: new IndexCache(JSON.stringify({ version, root, scope, kernel: options.kernel ?? 'auto', catalogues })),
    sources,
  };
}

/** The tree's index when the cache has it and none of its files changed (built by `--index`, the editor or `lsp`), else null. */
export function cachedTreeIndex(
  root: string,
  options: CheckOptions,
  catalogues: CatalogueData[],
  version: string,
): IndexData | null {
  const { cache, sources } = treeIndexCache(root, options, catalogues, version);
  return cache.load(sources);
}

/**
 * The index of a file outside any kernel tree: the `static inline` helpers of the headers it includes by a quoted
 * path (a subsystem's own header beside it), what `vfslock check FILE` reads for such a file. Not cached on disk
 * (a handful of headers).
 */
export async function fileIndex(
  file: string,
  options: CheckOptions,
  catalogues: CatalogueData[],
  pool?: PoolOptions,
): Promise<IndexData> {
  const { runner, close } = await makeRunner(1, 1, options, catalogues, pool);
  try {
    return (await checkTree([file], runner, { root: null, complete: false })).data;
  } finally {
    await close();
  }
}

/** `data` with the includes of `files` that it does not know yet (files outside the index's scope). */
export function withIncludesOf(data: IndexData, root: string, files: string[]): IndexData {
  const known = new Set(data.includes.map(([f]) => f));
  const extra = files.map((f) => resolve(f)).filter((f) => !known.has(f));
  if (!extra.length) return data;
  const r = new IncludeResolver(root);
  return {
    ...data,
    includes: [...data.includes, ...extra.map((f): [string, string[]] => [f, r.includesOf(f, readText(f) ?? '')])],
  };
}

/**
 * Checks lone files: with their kernel tree's index (built, or loaded from the cache), or, outside a kernel tree, as
 * a tree of their own.
 */
export async function checkFilesIndexed(
  files: string[],
  jobs: number,
  options: CheckOptions,
  catalogues: CatalogueData[],
  version: string,
  progress: (s: string) => void,
  withFixes = false,
  cached?: { root: string; data: IndexData },
): Promise<IndexedCheck> {
  // `cached` comes from cachedIndexOf(), which already found every file in its tree.
  const root = cached ? cached.root : findKernelTree(files[0]);
  // Loose files: one tree of their own, but their functions' callers may be anywhere.
  if (!root || (!cached && files.some((f) => findKernelTree(f) !== root)))
    return checkAsTree(files, files, jobs, options, catalogues, false, withFixes);
  const index = cached
    ? { data: cached.data, note: `summary index of ${root} loaded from the cache` }
    : await treeIndex(root, jobs, options, catalogues, version, progress);
  const { runner, close } = await makeRunner(jobs, files.length, options, catalogues);
  try {
    // Files outside the index's scope need their includes resolved too.
    await runner.setIndex(withIncludesOf(index.data, root, files));
    const res = await runner.run(
      files.map((f) => ({ file: f, key: resolve(f), mode: 'check' as const, fixes: withFixes })),
    );
    return { outcomes: res.map(toOutcome), note: index.note };
  } finally {
    await close();
  }
}
