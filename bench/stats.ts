/** Small helpers shared by the benchmark scripts. */

/** The median of a list of timings (the upper middle for an even count; NaN for none). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}
