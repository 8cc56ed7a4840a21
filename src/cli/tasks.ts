/** One task of a tree check (in a worker thread or in the main one): check a file, or summarise a header. */
import type { Analyzer, CheckOptions, Document } from '../core/engine';
import { identifiersIn } from '../core/parse/units';
import { EMPTY_INDEX, IndexSnapshot, type IndexData, type IndexView } from '../core/index/summary-index';
import type { Task, TaskOutcome } from '../core/index/tree-check';
import { attachFixes, fixesOfDocument } from '../core/fixes/offer';
import { readSource, withTreeVersion } from './files';

/**
 * Holds the index last given and runs tasks against it. By default each file's document is dropped after its task
 * and a re-check round parses the file again; with `retain`, documents are kept between rounds without their syntax
 * tree (`Document.compact()`), so a re-check re-analyses only the functions whose callees' summaries changed. Dropping
 * them measured better on linux-source-6.12 fs/ with --index: the same findings, 504 instead of 948 MB peak RSS and
 * 16.4 instead of 17.5 s wall (less garbage to collect outweighs the files parsed again).
 */
export class TaskRunner {
  private snap = new IndexSnapshot(EMPTY_INDEX);
  private readonly docs = new Map<string, Document>();

  constructor(
    private readonly analyzer: Analyzer,
    private readonly options: CheckOptions,
    private readonly retain = false,
  ) {}

  setIndex(data: IndexData): void {
    this.snap = new IndexSnapshot(data);
  }

  run(task: Task): TaskOutcome {
    const snap = this.snap;
    const key = task.key;
    const view: IndexView = {
      summariesFor: () => snap.summariesFor(key),
      uncalled: (name, isStatic) => snap.uncalled(name, isStatic, key),
      callersDecide: (name, isStatic) => snap.callersDecide(name, isStatic, key),
      deferredOutcomes: (name) => snap.deferredOutcomes(name),
    };
    let doc = this.docs.get(key);
    if (!doc) {
      const src = readSource(task.file);
      if ('error' in src) return { error: src.error };
      if (task.mode === 'summary') {
        // A header outside the checked files: parsed only when it mentions a catalogued name or a summarised function.
        const ids = identifiersIn(src.text, 0, src.text.length);
        const visible = snap.summariesFor(key);
        if (!this.analyzer.catalogue.isInteresting(ids) && ![...ids].some((id) => visible.has(id))) {
          return {
            iface: {
              file: key,
              defs: [],
              refs: [],
              mentions: [...ids].filter((id) => !this.analyzer.catalogue.calls.has(id)),
            },
          };
        }
      }
      doc = this.analyzer.open(task.file, src.text, withTreeVersion(task.file, this.options));
      this.docs.set(key, doc);
    }
    try {
      doc.setIndex(view);
      const result = doc.result();
      if (task.mode === 'check' && task.fixes)
        attachFixes(result, fixesOfDocument(this.analyzer, doc, result), doc.source);
      const iface = doc.interface();
      if (this.retain) doc.compact();
      else {
        doc.dispose();
        this.docs.delete(key);
      }
      return task.mode === 'check' ? { result, iface } : { iface };
    } catch (e) {
      doc.dispose();
      this.docs.delete(key);
      // A wasm abort outside parse() itself: the parser starts a new instance for the next task.
      const aborted = this.analyzer.parser.failed(e);
      return { error: aborted ? `cannot parse: ${aborted.message}` : `internal error: ${(e as Error).message}` };
    }
  }

  /** Resolves when the parser can parse (a new instance loads after a file made the last one abort). */
  ready(): Promise<void> {
    return this.analyzer.ready();
  }

  /** Forgets the files' documents (the end of a tree check). */
  clear(): void {
    for (const d of this.docs.values()) d.dispose();
    this.docs.clear();
  }
}
