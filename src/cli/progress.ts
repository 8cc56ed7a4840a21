/**
 * Progress of a long run on standard error: one line, rewritten in place with a carriage return (`vfslock: 120/4210
 * files, 3 findings`), at most every `intervalMs`, and blanked at the end so the report starts on a clean line.
 * Only when standard error is a terminal: a log, a pipe, b4 or make capturing the output gets nothing.
 */
import type { Io } from './io';

export class Progress {
  private last = 0;
  private width = 0;

  /** `enabled`: the caller's decision (see `progressWanted`); a disabled Progress writes nothing. */
  constructor(
    private readonly io: Io,
    readonly enabled: boolean,
    private readonly intervalMs = 100,
    private readonly now = () => Date.now(),
  ) {}

  /** Shows `done`/`total` `unit` and the findings so far (always the first and the last update, else throttled). */
  update(done: number, total: number, findings: number, unit = 'files'): void {
    if (!this.enabled) return;
    const t = this.now();
    if (done !== total && done !== 1 && t - this.last < this.intervalMs) return;
    this.last = t;
    const line = `vfslock: ${done}/${total} ${unit}, ${findings} finding${findings === 1 ? '' : 's'}`;
    this.io.err(`\r${line.padEnd(this.width)}`);
    this.width = Math.max(this.width, line.length);
  }

  /** Blanks the line (nothing when nothing was shown). */
  clear(): void {
    if (!this.enabled || !this.width) return;
    this.io.err(`\r${' '.repeat(this.width)}\r`);
    this.width = 0;
  }
}

/**
 * Progress is for a person watching a terminal: standard error must be one, and it stays off with -q or --terse
 * (asked for quiet), and for JSON or SARIF going to a pipe or file (a program is reading).
 */
export function progressWanted(io: Io, o: { quiet?: boolean; terse?: boolean; format?: string }): boolean {
  if (!io.errIsTTY || o.quiet || o.terse) return false;
  return !(o.format && o.format !== 'text' && !io.isTTY);
}
