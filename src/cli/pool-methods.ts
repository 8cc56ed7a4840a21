/**
 * The pool's methods (service/protocol.ts `PoolMethods`), served by the analysis thread (service/worker-main.ts) for
 * `vfslock check --jobs N` and for the summary index the editor and `vfslock lsp` build in the background: a file
 * read here and checked on its own, or a tree check's task against the index the pool sends between rounds.
 */
import type { Analyzer, CheckOptions } from '../core/engine';
import type { PoolHandlers } from '../service/protocol';
import type { Session } from '../service/session';
import { checkFile } from './files';
import { TaskRunner } from './tasks';

/** The catalogue key the pool's requests use in the thread's session. */
const POOL_CATALOGUE = 'vfslock.pool';

export function poolHandlers(): PoolHandlers {
  let state: { analyzer: Analyzer; options: CheckOptions; withFixes: boolean; tasks: TaskRunner } | null = null;
  const init = () => {
    if (!state) throw new Error('poolInit must come before the pool’s other requests');
    return state;
  };
  return {
    poolInit(s: Session, p) {
      s.configure(POOL_CATALOGUE, p.catalogues);
      const analyzer = s.analyzerFor(POOL_CATALOGUE);
      state = { analyzer, options: p.options, withFixes: !!p.withFixes, tasks: new TaskRunner(analyzer, p.options) };
      return null;
    },
    checkFile(_s: Session, p) {
      const { analyzer, options, withFixes } = init();
      const out = checkFile(analyzer, p.file, options, withFixes);
      // What the check prints needs only how many functions there were: tens of thousands of them over a tree are
      // not worth copying between threads.
      if ('result' in out && out.result.functions.length)
        return { result: { ...out.result, functions: [], functionCount: out.result.functions.length } };
      return out;
    },
    runTask(_s: Session, p) {
      return init().tasks.run(p.task);
    },
    setTreeIndex(_s: Session, p) {
      init().tasks.setIndex(p.data);
      return null;
    },
  };
}
