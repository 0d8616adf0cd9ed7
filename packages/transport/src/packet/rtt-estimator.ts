/**
 * Round-trip time estimation in the style of RFC 6298 / RFC 9002: SRTT and RTTVAR, a retransmission
 * timeout with a floor of a few milliseconds (not RFC 6298's 1 s) and a capped exponential backoff.
 *
 * The estimator is state in an array of doubles ({@link RTT_SLOTS} entries from an offset, in its
 * owner's array: a connection keeps it beside its own times) and functions over it, not an object:
 * a server holds one per session, and an object with six double fields would cost a heap number per
 * field besides the object itself.
 * @module
 */

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

/** Where each value of an estimator lives, from its offset. */
export const Rtt = {
  /** Smoothed RTT (ms). Equals the initial RTT until the first sample. */
  SRTT: 0,
  /** RTT mean deviation (ms). */
  RTTVAR: 1,
  /** Smallest sample seen (ms); `Infinity` before the first. */
  MIN: 2,
  /** Largest sample seen (ms); 0 before the first. */
  MAX: 3,
  /** Most recent sample (ms). */
  LATEST: 4,
  /** Smoothed difference between consecutive samples (ms), RFC 3550 style. */
  JITTER: 5,
  /** Number of samples taken. */
  SAMPLES: 6,
  /** Consecutive timeouts without an ack in between; the timeout is doubled this many times. */
  BACKOFF: 7,
} as const;

/** Slots an estimator takes in its array. */
export const RTT_SLOTS = 8;

/** Start an estimator at `v[at …]`: SRTT the initial RTT, RTTVAR half of it, no sample yet. */
export function initRtt(v: number[], at: number, s: RttSettings): void {
  v[at + Rtt.SRTT] = s.initialRtt;
  v[at + Rtt.RTTVAR] = s.initialRtt / 2;
  v[at + Rtt.MIN] = Number.POSITIVE_INFINITY;
  v[at + Rtt.MAX] = 0;
  v[at + Rtt.LATEST] = 0;
  v[at + Rtt.JITTER] = 0;
  v[at + Rtt.SAMPLES] = 0;
  v[at + Rtt.BACKOFF] = 0;
}

/** Feed one RTT sample (ms). Resets the backoff. */
export function sampleRtt(v: number[], at: number, rtt: number): void {
  if (rtt < 0) rtt = 0;
  if (v[at + Rtt.SAMPLES] === 0) {
    v[at + Rtt.SRTT] = rtt;
    v[at + Rtt.RTTVAR] = rtt / 2;
  } else {
    const srtt = v[at + Rtt.SRTT]!;
    v[at + Rtt.RTTVAR] = 0.75 * v[at + Rtt.RTTVAR]! + 0.25 * Math.abs(srtt - rtt);
    v[at + Rtt.SRTT] = 0.875 * srtt + 0.125 * rtt;
    const jitter = v[at + Rtt.JITTER]!;
    v[at + Rtt.JITTER] = jitter + (Math.abs(rtt - v[at + Rtt.LATEST]!) - jitter) / 16;
  }
  v[at + Rtt.LATEST] = rtt;
  v[at + Rtt.SAMPLES]!++;
  if (rtt < v[at + Rtt.MIN]!) v[at + Rtt.MIN] = rtt;
  if (rtt > v[at + Rtt.MAX]!) v[at + Rtt.MAX] = rtt;
  v[at + Rtt.BACKOFF] = 0;
}

/** Retransmission timeout (ms) including the current backoff. */
export function rttTimeout(v: number[], at: number, s: RttSettings): number {
  const base = v[at + Rtt.SRTT]! + Math.max(GRANULARITY, 4 * v[at + Rtt.RTTVAR]!) + s.maxAckDelay;
  const clamped = Math.min(s.maxRto, Math.max(s.minRto, base));
  return Math.min(s.maxRto, clamped * 2 ** Math.min(v[at + Rtt.BACKOFF]!, s.maxBackoff));
}

/** Time after which a packet is lost once a later one was acked (RFC 9002 time threshold, 9/8). */
export function rttLossDelay(v: number[], at: number): number {
  return Math.max(GRANULARITY, 1.125 * Math.max(v[at + Rtt.SRTT]!, v[at + Rtt.LATEST]!));
}

/** Record a timeout: the next {@link rttTimeout} doubles, up to `maxBackoff` times. */
export function noteRttTimeout(v: number[], at: number, s: RttSettings): void {
  if (v[at + Rtt.BACKOFF]! < s.maxBackoff) v[at + Rtt.BACKOFF]!++;
}
