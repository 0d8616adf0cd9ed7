/**
 * A latency histogram with bounded memory: logarithmic buckets (about 1 % wide) from 1 µs up,
 * exact count, sum and max. Percentiles are the upper edge of the bucket they fall in.
 * @module
 */

const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** Smallest value told apart, ms. */
const FLOOR_MS = 0.001;

/** Counts of latencies in ms. */
export class LatencyHistogram {
  readonly #buckets = new Map<number, number>();
  #count = 0;
  #sum = 0;
  #max = 0;

  /** Record one latency (ms); negative or non-finite values are ignored. */
  record(ms: number): void {
    if (!(ms >= 0 && Number.isFinite(ms))) return;
    const bucket = ms <= FLOOR_MS ? 0 : Math.ceil(Math.log(ms / FLOOR_MS) / LOG_GROWTH);
    this.#buckets.set(bucket, (this.#buckets.get(bucket) ?? 0) + 1);
    this.#count++;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#count;
  }

  get max(): number {
    return this.#max;
  }

  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  /** The `p`-th percentile (0–100) in ms, at most {@link max}; 0 when empty. */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.#count));
    let seen = 0;
    for (const bucket of [...this.#buckets.keys()].sort((a, b) => a - b)) {
      seen += this.#buckets.get(bucket) ?? 0;
      if (seen >= rank) return Math.min(this.#max, FLOOR_MS * GROWTH ** bucket);
    }
    return this.#max;
  }
}
