/**
 * Round-trip time estimation in the style of RFC 6298 / RFC 9002: SRTT and RTTVAR, a retransmission
 * timeout with a floor of a few milliseconds (not RFC 6298's 1 s) and a capped exponential backoff.
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

/** Smoothed RTT, variation, min/max, jitter and the resend timeout derived from them. */
export class RttEstimator {
  /** Smoothed RTT (ms). Equals the initial RTT until the first sample. */
  srtt: number;
  /** RTT mean deviation (ms). */
  rttvar: number;
  /** Smallest sample seen (ms); `Infinity` before the first. */
  min = Number.POSITIVE_INFINITY;
  /** Largest sample seen (ms); 0 before the first. */
  max = 0;
  /** Most recent sample (ms). */
  latest = 0;
  /** Smoothed difference between consecutive samples (ms), RFC 3550 style. */
  jitter = 0;
  /** Number of samples taken. */
  samples = 0;
  /** Consecutive timeouts without an ack in between; the timeout is doubled this many times. */
  backoff = 0;
  private readonly settings: RttSettings;

  constructor(settings: RttSettings) {
    this.settings = settings;
    this.srtt = settings.initialRtt;
    this.rttvar = settings.initialRtt / 2;
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
