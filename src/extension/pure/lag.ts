/**
 * Event-loop lag of the extension host during a long command: a timer that should fire every `periodMs` records
 * how late each tick is. A late tick has two possible causes, which need different fixes, so both are kept:
 *  - the thread was busy (our code, another extension, a garbage collection): it used CPU time for the whole gap;
 *  - the thread was runnable but not running (other threads and processes had the CPUs): wall time passed, CPU
 *    time did not.
 * `cpuMs` is the calling thread's CPU time (Node's `process.threadCpuUsage`, Node 23.9+); without it only the
 * wall-clock figure is known. No `vscode` import; unit-tested with fake clocks.
 */
export interface LagReport {
  /** Longest wall-clock gap between ticks beyond the period (the event loop could not run a timer for this long). */
  longestMs: number;
  /** CPU time the thread used during that gap (NaN when unknown). */
  longestCpuMs: number;
  /**
   * The most of any one late tick's lateness that the thread's own CPU time can account for (min(CPU used, gap)):
   * an upper bound on how long the thread was really computing while a timer waited. NaN when unknown.
   */
  longestBusyMs: number;
  /** What the caller said it was doing when the longest gap ended (the `label` given to the sampler). */
  longestDuring: string;
  ticks: number;
}

export class LagSampler {
  private lastWall: number;
  private lastCpu: number;
  private readonly r: LagReport;

  constructor(
    private readonly periodMs: number,
    private readonly wallMs: () => number,
    private readonly cpuMs: () => number = () => NaN,
    private readonly label: () => string = () => '',
  ) {
    this.lastWall = wallMs();
    this.lastCpu = cpuMs();
    const known = Number.isFinite(this.lastCpu) ? 0 : NaN;
    this.r = { longestMs: 0, longestCpuMs: known, longestBusyMs: known, longestDuring: '', ticks: 0 };
  }

  /** Called by the timer. */
  tick(): void {
    const wall = this.wallMs();
    const cpu = this.cpuMs();
    const gap = Math.max(0, wall - this.lastWall - this.periodMs);
    const used = Math.max(0, cpu - this.lastCpu);
    this.r.ticks++;
    if (gap > this.r.longestMs) {
      this.r.longestMs = gap;
      this.r.longestCpuMs = used;
      this.r.longestDuring = this.label();
    }
    if (gap > 0 && Math.min(used, gap) > this.r.longestBusyMs) this.r.longestBusyMs = Math.min(used, gap);
    this.lastWall = wall;
    this.lastCpu = cpu;
  }

  report(): LagReport {
    return { ...this.r };
  }
}

/** The calling thread's CPU time in ms, where the runtime offers it (Node 23.9+), else NaN. */
export function threadCpuMs(): number {
  const p = (globalThis as { process?: { threadCpuUsage?: () => { user: number; system: number } } }).process;
  const u = p?.threadCpuUsage?.();
  return u ? (u.user + u.system) / 1000 : NaN;
}
