/**
 * How long to wait after a keystroke before re-checking: a re-check that takes a few milliseconds needs no long
 * pause, one that takes a hundred does (each superseded analysis would only delay the next). The wait is the
 * document's recent analysis time, so re-checks keep the analysis thread busy at most half the time however fast
 * one types, at least `MIN_DEBOUNCE_MS` (keys pressed together are one change) and at most the `debounceMs` setting,
 * which is also the wait before the first analysis time is known.
 */
export const MIN_DEBOUNCE_MS = 10;
/** The wait, in multiples of the recent analysis time. */
const FACTOR = 1;
/** Weight of the newest analysis time in the running average. */
const WEIGHT = 0.3;

export function debounceFor(maxMs: number, recentAnalysisMs: number | null): number {
  if (recentAnalysisMs === null || !Number.isFinite(recentAnalysisMs)) return maxMs;
  return Math.min(maxMs, Math.max(MIN_DEBOUNCE_MS, Math.round(recentAnalysisMs * FACTOR)));
}

/** The running average of analysis times after one more (null: none yet). */
export function recentAnalysis(previous: number | null, ms: number): number {
  return previous === null ? ms : previous * (1 - WEIGHT) + ms * WEIGHT;
}
