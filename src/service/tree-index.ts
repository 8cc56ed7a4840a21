/**
 * Summaries across files for the editor and the language server (Node only): the first document opened inside a
 * kernel tree (a directory with `Makefile`, `fs/` and `include/`) starts building that tree's summary index in the
 * background, on a thread of its own at a lower priority, or loads it from the on-disk cache `vfslock check --index`
 * shares. Until it is ready, documents are checked on their own; once it is, the session gives it to them and the
 * host re-checks them, so an open file gets the findings a whole-tree run gives it. A document outside any kernel
 * tree that includes a header beside it (`#include "overlayfs.h"`) gets that header's helpers the same way, as
 * `vfslock check FILE` reads them.
 */
import { resolve } from 'node:path';
import type { CheckOptions } from '../core/engine';
import type { CatalogueData } from '../core/catalogue/catalogue';
import { IndexSnapshot, type IndexView } from '../core/index/summary-index';
import { findKernelTree, IncludeResolver } from '../core/index/tree';
import { fileIndex, treeIndex, withIncludesOf } from '../cli/tree';
import type { PoolOptions } from '../cli/pool';
import { BUILD, VERSION } from '../cli/version';
import type { IndexProvider, IndexEvent } from './session';

interface Entry {
  /** The kernel tree, or (`lone`) the file outside any tree whose headers are summarised. */
  root: string;
  lone?: boolean;
  state: 'building' | 'ready' | 'failed';
  snapshot?: IndexSnapshot;
  /** Views for files the index was not built from (their includes resolved on first use). */
  extra: Map<string, IndexSnapshot>;
}

export interface TreeIndexOptions {
  /** How to start the build's thread (default: the analysis thread, worker.js next to the bundle). */
  pool?: PoolOptions;
  /** Told when a tree's index starts building, is ready (documents must be checked again) or failed. */
  onEvent: (e: IndexEvent) => void;
}

export class TreeIndexes implements IndexProvider {
  private readonly entries = new Map<string, Entry>();
  private readonly roots = new Map<string, string | null>();

  constructor(private readonly o: TreeIndexOptions) {}

  /** The kernel tree the file at `path` is in (a directory with Makefile, fs/ and include/ above it), or null. */
  rootOf(path: string): string | null {
    const dir = resolve(path, '..');
    let root = this.roots.get(dir);
    if (root === undefined) {
      root = findKernelTree(dir);
      this.roots.set(dir, root);
    }
    return root;
  }

  viewFor(
    path: string,
    text: string,
    catalogueKey: string,
    catalogues: CatalogueData[],
    options: CheckOptions,
  ): IndexView | null {
    if (!path.startsWith('/')) return null;
    const root = this.rootOf(path);
    if (!root) return this.loneView(resolve(path), text, catalogueKey, catalogues, options);
    const kernel = options.kernel ?? 'auto';
    const key = `${root}\u0000${catalogueKey}\u0000${kernel}`;
    let e = this.entries.get(key);
    if (!e) {
      e = { root, state: 'building', extra: new Map() };
      this.entries.set(key, e);
      this.build(e, catalogues, { kernel });
    }
    if (e.state !== 'ready' || !e.snapshot) return null;
    const file = resolve(path);
    if (e.snapshot.knows(file)) return e.snapshot;
    let v = e.extra.get(file);
    if (!v) {
      v = new IndexSnapshot(withIncludesOf(e.snapshot.data, root, [file]));
      e.extra.set(file, v);
    }
    return v;
  }

  /**
   * A file outside any kernel tree: the helpers of the headers beside it that it includes, built in the background
   * once per file (null until then, and for a file that includes none: it has nothing to learn).
   */
  private loneView(
    file: string,
    text: string,
    catalogueKey: string,
    catalogues: CatalogueData[],
    options: CheckOptions,
  ): IndexView | null {
    const kernel = options.kernel ?? 'auto';
    const key = `${file}\u0000${catalogueKey}\u0000${kernel}\u0000file`;
    let e = this.entries.get(key);
    if (!e) {
      // The document's own text names its includes (no read of the file from disk).
      const headers = new IncludeResolver(null).includesOf(file, text);
      e = { root: file, lone: true, state: headers.length ? 'building' : 'failed', extra: new Map() };
      this.entries.set(key, e);
      if (headers.length) this.build(e, catalogues, { kernel });
    }
    return e.state === 'ready' && e.snapshot ? e.snapshot : null;
  }

  private build(e: Entry, catalogues: CatalogueData[], options: CheckOptions): void {
    const t0 = Date.now();
    const scope = e.lone ? 'file' : 'tree';
    this.o.onEvent({ root: e.root, state: 'building', scope });
    const pool = this.o.pool ?? {};
    const built = e.lone
      ? fileIndex(e.root, options, catalogues, pool).then((data) => ({ data, cached: false }))
      : treeIndex(e.root, 1, options, catalogues, `${VERSION}+${BUILD}`, undefined, pool);
    built.then(
      (r) => {
        e.state = 'ready';
        e.snapshot = new IndexSnapshot(r.data);
        this.o.onEvent({
          root: e.root,
          state: 'ready',
          scope,
          cached: r.cached,
          ms: Date.now() - t0,
          functions: r.data.global.length,
        });
      },
      (err: Error) => {
        e.state = 'failed';
        this.o.onEvent({ root: e.root, state: 'failed', scope, error: err.message });
      },
    );
  }
}
