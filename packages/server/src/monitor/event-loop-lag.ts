/**
 * Event-loop delay of the process, from `perf_hooks.monitorEventLoopDelay`, read and reset once per
 * sample.
 * @module
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** Mean and max event-loop delay since the last read, in ms. */
export class EventLoopLag {
  #histogram: IntervalHistogram | undefined;

  /** Start measuring. Idempotent. */
  start(): void {
    if (this.#histogram !== undefined) return;
    this.#histogram = monitorEventLoopDelay({ resolution: 10 });
    this.#histogram.enable();
  }

  /** Mean and max delay (ms) since the last read, then reset. Zeros before {@link start}. */
  read(): { meanMs: number; maxMs: number } {
    const h = this.#histogram;
    if (h === undefined || h.count === 0) return { meanMs: 0, maxMs: 0 };
    // The histogram measures timer delay including its own resolution: subtract it.
    const result = { meanMs: Math.max(0, h.mean / 1e6 - 10), maxMs: Math.max(0, h.max / 1e6 - 10) };
    h.reset();
    return result;
  }

  /** Stop measuring. Idempotent. */
  stop(): void {
    this.#histogram?.disable();
    this.#histogram = undefined;
  }
}
