/**
 * Round-trip time estimation in the style of RFC 6298 / RFC 9002: SRTT and RTTVAR, a retransmission
 * timeout with a floor of a few milliseconds (not RFC 6298's 1 s) and a capped exponential backoff.
 * @module
 */

import { newDoubles } from './doubles.js';

/** Settings of {@link RttEstimator}; see {@link ConnectionOptions} for defaults. */
export interface RttSettings {
  initialRtt: number;
  minRto: number;
  maxRto: number;
  /** Longest the peer may hold an ack back, added to the timeout (RFC 9002's max_ack_delay). */
  maxAckDelay: number;
  /** Largest backoff exponent: the timeout doubles at most this many times. */
  maxBackoff: number;
}

const GRANULARITY = 1;

/** Slots of an {@link RttEstimator}'s doubles in its array. */
const SRTT = 0;
const RTTVAR = 1;
const MIN = 2;
const MAX = 3;
const LATEST = 4;
const JITTER = 5;
/** Doubles an {@link RttEstimator} keeps ({@link RttEstimator} `slots`). */
export const RTT_SLOTS = 6;

/**
 * Smoothed RTT, variation, min/max, jitter and the resend timeout derived from them. The six
 * doubles live in an array (its own, or a part of its owner's): a double in an object field is a
 * heap number of its own, 16 bytes each, per connection.
 */
export class RttEstimator {
  /** Number of samples taken. */
  samples = 0;
  /** Consecutive timeouts without an ack in between; the timeout is doubled this many times. */
  backoff = 0;
  private readonly settings: RttSettings;
  private readonly slots: number[];
  private readonly at: number;

  /**
   * @param slots - Array of doubles to keep the state in, from `offset` on ({@link RTT_SLOTS} of
   *   them). Defaults to an array of its own.
   */
  constructor(settings: RttSettings, slots?: number[], offset = 0) {
    this.settings = settings;
    this.slots = slots ?? newDoubles(RTT_SLOTS);
    this.at = offset;
    this.srtt = settings.initialRtt;
    this.rttvar = settings.initialRtt / 2;
    this.min = Number.POSITIVE_INFINITY;
    this.max = 0;
    this.latest = 0;
    this.jitter = 0;
  }

  /** Smoothed RTT (ms). Equals the initial RTT until the first sample. */
  get srtt(): number {
    return this.slots[this.at + SRTT]!;
  }
  private set srtt(v: number) {
    this.slots[this.at + SRTT] = v;
  }

  /** RTT mean deviation (ms). */
  get rttvar(): number {
    return this.slots[this.at + RTTVAR]!;
  }
  private set rttvar(v: number) {
    this.slots[this.at + RTTVAR] = v;
  }

  /** Smallest sample seen (ms); `Infinity` before the first. */
  get min(): number {
    return this.slots[this.at + MIN]!;
  }
  private set min(v: number) {
    this.slots[this.at + MIN] = v;
  }

  /** Largest sample seen (ms); 0 before the first. */
  get max(): number {
    return this.slots[this.at + MAX]!;
  }
  private set max(v: number) {
    this.slots[this.at + MAX] = v;
  }

  /** Most recent sample (ms). */
  get latest(): number {
    return this.slots[this.at + LATEST]!;
  }
  private set latest(v: number) {
    this.slots[this.at + LATEST] = v;
  }

  /** Smoothed difference between consecutive samples (ms), RFC 3550 style. */
  get jitter(): number {
    return this.slots[this.at + JITTER]!;
  }
  private set jitter(v: number) {
    this.slots[this.at + JITTER] = v;
  }

  /** Feed one RTT sample (ms). Resets the backoff. */
  sample(rtt: number): void {
    if (rtt < 0) rtt = 0;
    if (this.samples === 0) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rtt);
      this.srtt = 0.875 * this.srtt + 0.125 * rtt;
      this.jitter += (Math.abs(rtt - this.latest) - this.jitter) / 16;
    }
    this.latest = rtt;
    this.samples++;
    if (rtt < this.min) this.min = rtt;
    if (rtt > this.max) this.max = rtt;
    this.backoff = 0;
  }

  /** Retransmission timeout (ms) including the current backoff. */
  rto(): number {
    const s = this.settings;
    const base = this.srtt + Math.max(GRANULARITY, 4 * this.rttvar) + s.maxAckDelay;
    const clamped = Math.min(s.maxRto, Math.max(s.minRto, base));
    return Math.min(s.maxRto, clamped * 2 ** Math.min(this.backoff, s.maxBackoff));
  }

  /** Time after which a packet is lost once a later one was acked (RFC 9002 time threshold, 9/8). */
  lossDelay(): number {
    return Math.max(GRANULARITY, 1.125 * Math.max(this.srtt, this.latest));
  }

  /** Record a timeout: the next {@link rto} doubles, up to `maxBackoff` times. */
  onTimeout(): void {
    if (this.backoff < this.settings.maxBackoff) this.backoff++;
  }
}
