/**
 * Event-loop delay over a measured window, for the relay benchmark's server and bot children: the
 * longest a ready callback waited for its turn. A process that stalls (a long garbage collection,
 * a long task, no core from the host) delays every message it holds by as much, so this tells
 * which process a latency tail comes from.
 * @module
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** Sampling resolution of the histogram, ms (Node's default). */
const RESOLUTION_MS = 10;

/** One window at a time: {@link start}, then {@link stop} gives its longest delay. */
export class LoopDelayWindow {
  #histogram: IntervalHistogram | undefined;

  /** Start a new window (ending one still open). */
  start(): void {
    this.#histogram?.disable();
    this.#histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.#histogram.enable();
  }

  /** End the window: its longest event-loop delay, ms (NaN when none was started). */
  stop(): number {
    const h = this.#histogram;
    if (h === undefined) return Number.NaN;
    h.disable();
    this.#histogram = undefined;
    return h.max / 1e6;
  }
}
