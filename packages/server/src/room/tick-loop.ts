/**
 * A fixed-rate loop on a {@link Clock}: ticks are scheduled against a fixed timeline (start +
 * n × interval) so timer lateness does not accumulate as drift; a loop that falls more than
 * {@link MAX_TICK_CATCH_UP} intervals behind skips ahead instead of bursting.
 * @module
 */
import type { Clock, TimerHandle } from '@netplay/transport';
import { InvalidOptionError } from '@netplay/transport';

/** Most ticks a late loop runs back to back before it skips ahead to now. */
export const MAX_TICK_CATCH_UP = 1;
/** Highest tick rate accepted, in Hz. */
export const MAX_TICK_HZ = 1000;

/** Counters of a {@link TickLoop}. */
export interface TickStats {
  /** Ticks run. */
  ticks: number;
  /** Ticks skipped because the loop was late. */
  skipped: number;
  /** Wall-clock duration of the last tick's callback, in ms. */
  lastDurationMs: number;
  /** Longest tick callback so far, in ms. */
  maxDurationMs: number;
}

/** Runs `onTick(dt, tick)` at `hz` on `clock`. */
export class TickLoop {
  readonly stats: TickStats = { ticks: 0, skipped: 0, lastDurationMs: 0, maxDurationMs: 0 };
  private readonly intervalMs: number;
  private timer: TimerHandle | undefined;
  private nextAt: number;
  private lastAt: number;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    hz: number,
    private readonly onTick: (dt: number, tick: number) => void,
    private readonly onError: (error: unknown) => void,
  ) {
    if (!(Number.isFinite(hz) && hz > 0 && hz <= MAX_TICK_HZ)) {
      throw new InvalidOptionError('hz', `must be a number in (0, ${MAX_TICK_HZ}]`);
    }
    this.intervalMs = 1000 / hz;
    this.lastAt = clock.now();
    this.nextAt = this.lastAt + this.intervalMs;
    this.arm();
  }

  /** Stop ticking. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(this.run, Math.max(0, this.nextAt - this.clock.now()));
  }

  private readonly run = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.clock.now();
    const behind = Math.floor((now - this.nextAt) / this.intervalMs);
    if (behind > MAX_TICK_CATCH_UP) {
      this.stats.skipped += behind;
      this.nextAt += behind * this.intervalMs;
    }
    const dt = (now - this.lastAt) / 1000;
    this.lastAt = now;
    this.stats.ticks++;
    const started = performance.now();
    try {
      this.onTick(dt, this.stats.ticks);
    } catch (error) {
      this.onError(error);
    }
    const took = performance.now() - started;
    this.stats.lastDurationMs = took;
    if (took > this.stats.maxDurationMs) this.stats.maxDurationMs = took;
    this.nextAt += this.intervalMs;
    this.arm();
  };
}
