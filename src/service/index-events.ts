/** How a summary index build goes, in one sentence for a log (the editor's output channel, `vfslock lsp`'s log). */
import type { IndexEvent } from './session';

export function indexEventText(e: IndexEvent): string {
  const file = e.scope === 'file';
  const ms = Math.round(e.ms ?? 0);
  switch (e.state) {
    case 'building':
      return file
        ? `reading the headers ${e.root} includes in the background (their static inline helpers)`
        : `building the summary index of ${e.root} in the background (fs/, security/, kernel/, mm/; cached for later)`;
    case 'failed':
      return `${file ? `headers of ${e.root} not read` : `summary index of ${e.root} not built`}: ${e.error ?? 'unknown error'}`;
    case 'ready':
      return file
        ? `headers of ${e.root} read in ${ms} ms`
        : `summary index of ${e.root} ${e.cached ? 'loaded from the cache' : 'built'} in ${ms} ms (${e.functions ?? 0} functions summarised)`;
  }
}
