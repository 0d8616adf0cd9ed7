/**
 * A token bucket: `rate` tokens per second, holding at most `capacity`. The building block of
 * per-session rate limits. Time is passed in (ms), so it runs on a virtual clock.
 * @module
 */

/** A continuously refilled token bucket. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  /**
   * @param rate - tokens added per second.
   * @param capacity - most tokens held (the burst).
   * @param now - current time in ms.
   */
  constructor(
    private readonly rate: number,
    private readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /** Take `n` tokens if there are that many; `false` (and nothing taken) otherwise. */
  take(n: number, now: number): boolean {
    this.refill(now);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Tokens available at `now`. */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  private refill(now: number): void {
    const elapsed = now - this.updatedAt;
    if (elapsed <= 0) return;
    this.updatedAt = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.rate) / 1000);
  }
}
