/**
 * Per-session rate limits: a message bucket and a byte bucket, and flood detection. A message over
 * the limit is dropped (the session hears `RATE_LIMITED`, at most once a second); a session that
 * keeps sending far past its limit is a flood and gets disconnected.
 * @module
 */
import type { RateLimitOptions } from '../options.js';

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

/**
 * The rate limits of one session: two token buckets (messages, bytes) refilled continuously at
 * `messagesPerSecond` and `bytesPerSecond` up to `burstSeconds` of each, kept as plain fields of one
 * object (both buckets are always refilled at the same instant), and the drops of the current
 * one-second window.
 */
export class SessionRateLimiter {
  private messageTokens: number;
  private byteTokens: number;
  private refilledAt: number;
  private windowStart: number;
  private droppedInWindow = 0;
  /** Messages dropped over the session's lifetime. */
  dropped = 0;

  constructor(
    private readonly limits: ResolvedRateLimit,
    now: number,
  ) {
    this.messageTokens = limits.messagesPerSecond * limits.burstSeconds;
    this.byteTokens = limits.bytesPerSecond * limits.burstSeconds;
    this.refilledAt = now;
    this.windowStart = now;
  }

  /** Account for one message of `size` bytes at `now`. */
  admit(size: number, now: number): RateVerdict {
    if (now - this.windowStart >= WINDOW_MS) {
      this.windowStart = now;
      this.droppedInWindow = 0;
    }
    this.refill(now);
    // Check both before taking either, so a refused message costs no tokens.
    if (this.messageTokens >= 1 && this.byteTokens >= size) {
      this.messageTokens -= 1;
      this.byteTokens -= size;
      return RateVerdict.Ok;
    }
    this.dropped++;
    this.droppedInWindow++;
    if (this.droppedInWindow > this.limits.floodFactor * this.limits.messagesPerSecond) return RateVerdict.Flood;
    return this.droppedInWindow === 1 ? RateVerdict.Limited : RateVerdict.LimitedQuiet;
  }

  /**
   * The session resumed at `now` after its link dropped, the client last heard from at `lastHeard`.
   * What the client sent meanwhile was held back by the network or queued for the resume, and
   * arrives at once: beyond the burst allowance, the buckets take in what the rates allowed while it
   * was away (spent before the burst allowance refills), so a client within its limits loses
   * nothing reliable to a resume, and no client gains more than its rates over that time.
   */
  resumed(lastHeard: number, now: number): void {
    this.refill(Math.min(lastHeard, now));
    const away = now - this.refilledAt;
    if (away <= 0) return;
    this.refilledAt = now;
    this.messageTokens += (away * this.limits.messagesPerSecond) / 1000;
    this.byteTokens += (away * this.limits.bytesPerSecond) / 1000;
  }

  /** Refill both buckets up to `now`, to their burst allowance (a bucket above it, after a resume, keeps its tokens). */
  private refill(now: number): void {
    const elapsed = now - this.refilledAt;
    if (elapsed <= 0) return;
    this.refilledAt = now;
    const l = this.limits;
    this.messageTokens = topUp(
      this.messageTokens,
      l.messagesPerSecond * l.burstSeconds,
      (elapsed * l.messagesPerSecond) / 1000,
    );
    this.byteTokens = topUp(this.byteTokens, l.bytesPerSecond * l.burstSeconds, (elapsed * l.bytesPerSecond) / 1000);
  }
}

/** `tokens + added`, but not past `cap`; a bucket already past it (after a resume) is left as it is. */
function topUp(tokens: number, cap: number, added: number): number {
  return tokens >= cap ? tokens : Math.min(cap, tokens + added);
}
