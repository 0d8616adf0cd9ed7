/**
 * Reconnect backoff: exponential delays with jitter, bounded by a maximum delay, a number of
 * attempts and a deadline (the server's grace period).
 * @module
 */
import type { ResolvedReconnectOptions } from './options.js';

/**
 * Delay before attempt `attempt` (0-based): `min(maxDelay, initialDelay × 2^attempt)`, of which the
 * fraction `jitter` is random: `d × (1 − jitter + jitter × random())`.
 */
export function backoffDelay(
  attempt: number,
  o: Pick<ResolvedReconnectOptions, 'initialDelay' | 'maxDelay' | 'jitter' | 'random'>,
): number {
  const base = Math.min(o.maxDelay, o.initialDelay * 2 ** Math.min(attempt, 52));
  const r = Math.min(Math.max(o.random(), 0), 1);
  return base * (1 - o.jitter + o.jitter * r);
}

/** Tracks the attempts of one reconnection: when the next one is due, and when to give up. */
export class Backoff {
  private readonly options: ResolvedReconnectOptions;
  private readonly deadline: number;
  private attempts = 0;

  /**
   * @param options Reconnect options.
   * @param deadline Time (on the client's clock) after which no attempt starts: the moment the link
   * dropped plus the server's grace period.
   */
  constructor(options: ResolvedReconnectOptions, deadline: number) {
    this.options = options;
    this.deadline = deadline;
  }

  /** Attempts started so far. */
  get attempted(): number {
    return this.attempts;
  }

  /**
   * Delay before the next attempt, or `undefined` when it is time to give up (attempts used up, or
   * the attempt would start after the deadline).
   */
  next(now: number): number | undefined {
    if (this.attempts >= this.options.maxAttempts) return undefined;
    const delay = backoffDelay(this.attempts, this.options);
    if (now + delay > this.deadline) {
      // One last try right at the deadline is still worth it when there is time left.
      if (now >= this.deadline) return undefined;
      this.attempts++;
      return this.deadline - now;
    }
    this.attempts++;
    return delay;
  }
}
