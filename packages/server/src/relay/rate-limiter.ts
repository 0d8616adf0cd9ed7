/**
 * Per-session rate limits: a message bucket and a byte bucket, and flood detection. A message over
 * the limit is dropped (the session hears `RATE_LIMITED`, at most once a second); a session that
 * keeps sending far past its limit is a flood and gets disconnected.
 * @module
 */
import type { RateLimitOptions } from '../options.js';
import { TokenBucket } from './token-bucket.js';

/** What {@link SessionRateLimiter.admit} decided about one message. */
export const RateVerdict = {
  /** Within the limits: process it. */
  Ok: 0,
  /** Over the limits: drop it and tell the client (this is the first drop in its one-second window). */
  Limited: 1,
  /** Over the limits: drop it silently (the client was told already this window). */
  LimitedQuiet: 2,
  /** Dropped messages this window passed `floodFactor × messagesPerSecond`: disconnect the session. */
  Flood: 3,
} as const;

/** One of the {@link RateVerdict} values. */
export type RateVerdict = (typeof RateVerdict)[keyof typeof RateVerdict];

/** Resolved rate-limit settings shared by every session of a server. */
export type ResolvedRateLimit = Required<RateLimitOptions>;

const WINDOW_MS = 1000;

/** The rate limits of one session. */
export class SessionRateLimiter {
  private readonly messages: TokenBucket;
  private readonly bytes: TokenBucket;
  private windowStart: number;
  private droppedInWindow = 0;
  /** Messages dropped over the session's lifetime. */
  dropped = 0;

  constructor(
    private readonly limits: ResolvedRateLimit,
    now: number,
  ) {
    this.messages = new TokenBucket(limits.messagesPerSecond, limits.messagesPerSecond * limits.burstSeconds, now);
    this.bytes = new TokenBucket(limits.bytesPerSecond, limits.bytesPerSecond * limits.burstSeconds, now);
    this.windowStart = now;
  }

  /** Account for one message of `size` bytes at `now`. */
  admit(size: number, now: number): RateVerdict {
    if (now - this.windowStart >= WINDOW_MS) {
      this.windowStart = now;
      this.droppedInWindow = 0;
    }
    // Check both before taking either, so a refused message costs no tokens.
    if (this.messages.available(now) >= 1 && this.bytes.available(now) >= size) {
      this.messages.take(1, now);
      this.bytes.take(size, now);
      return RateVerdict.Ok;
    }
    this.dropped++;
    this.droppedInWindow++;
    if (this.droppedInWindow > this.limits.floodFactor * this.limits.messagesPerSecond) return RateVerdict.Flood;
    return this.droppedInWindow === 1 ? RateVerdict.Limited : RateVerdict.LimitedQuiet;
  }
}
