/** One task of a tree check (in a worker thread or in the main one): check a file, or summarise a header. */
import type { Analyzer, CheckOptions } from '../core/engine';
import { identifiersIn } from '../core/parse/units';
import { IndexSnapshot, type IndexData, type IndexView } from '../core/index/summary-index';
import type { Task, TaskOutcome } from '../core/index/tree-check';
import { readSource } from './files';

/** Holds the index last given and runs tasks against it. */
export class TaskRunner {
  private snap = new IndexSnapshot({ global: [], headers: [], includes: [], uncalled: [] });

  constructor(private readonly analyzer: Analyzer, private readonly options: CheckOptions) {}

  setIndex(data: IndexData): void {
    this.snap = new IndexSnapshot(data);
  }

  run(task: Task): TaskOutcome {
    const src = readSource(task.file);
    if ('error' in src) return { error: src.error };
    const snap = this.snap;
    const key = task.key;
    if (task.mode === 'summary') {
      // A header outside the checked files: parsed only when it mentions a catalogued name or a summarised function.
      const ids = identifiersIn(src.text, 0, src.text.length);
      const visible = snap.summariesFor(key);
      if (!this.analyzer.catalogue.isInteresting(ids) && ![...ids].some((id) => visible.has(id))) {
        return { iface: { file: key, defs: [], refs: [...ids].filter((id) => !this.analyzer.catalogue.calls.has(id)) } };
      }
    }
    const view: IndexView = {
      summariesFor: () => snap.summariesFor(key),
      uncalled: (name, isStatic) => snap.uncalled(name, isStatic, key),
    };
    try {
      const { result, iface } = this.analyzer.checkWithInterface(task.file, src.text, this.options, view);
      return task.mode === 'check' ? { result, iface } : { iface };
    } catch (e) {
      return { error: `internal error: ${(e as Error).message}` };
    }
  }
}
