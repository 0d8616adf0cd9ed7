/**
 * Congestion control over the bytes of ack-eliciting packets in flight: slow start, additive
 * increase / multiplicative decrease, and fast recovery (one halving per loss episode: losses of
 * packets sent before the episode began do not halve again). Persistent congestion collapses to
 * the minimum window. In the style of RFC 9002's NewReno.
 * @module
 */

/** Settings of {@link CongestionController}; see {@link ConnectionOptions} for defaults. */
export interface CongestionSettings {
  /** Maximum datagram size in bytes. */
  mtu: number;
  /** Initial window, in datagrams. */
  initialWindowPackets: number;
  /** Smallest window, in datagrams. */
  minWindowPackets: number;
}

/** NewReno-style AIMD window. */
export class CongestionController {
  /** Congestion window in bytes. */
  window: number;
  /** Slow-start threshold in bytes. */
  ssthresh = Number.POSITIVE_INFINITY;
  /** Bytes of ack-eliciting packets sent and neither acked nor lost. */
  bytesInFlight = 0;
  /** Number of loss episodes (window halvings). */
  lossEvents = 0;
  private recoveryStart = Number.NEGATIVE_INFINITY;
  private readonly settings: CongestionSettings;

  constructor(settings: CongestionSettings) {
    this.settings = settings;
    this.window = settings.initialWindowPackets * settings.mtu;
  }

  /** Bytes that may still be sent now. */
  available(): number {
    return this.window - this.bytesInFlight;
  }

  /** An ack-eliciting packet of `bytes` went out. */
  onSent(bytes: number): void {
    this.bytesInFlight += bytes;
  }

  /** A packet of `bytes` sent at `sentAt` was acked. */
  onAcked(bytes: number, sentAt: number): void {
    this.bytesInFlight -= bytes;
    if (sentAt <= this.recoveryStart) return; // still recovering from the last loss episode
    if (this.window < this.ssthresh) this.window += bytes;
    else this.window += (this.settings.mtu * bytes) / this.window;
  }

  /** A packet of `bytes` sent at `sentAt` was declared lost at `now`. */
  onLost(bytes: number, sentAt: number, now: number): void {
    this.bytesInFlight -= bytes;
    if (sentAt <= this.recoveryStart) return;
    this.recoveryStart = now;
    this.lossEvents++;
    this.window = Math.max(this.minWindow(), this.window / 2);
    this.ssthresh = this.window;
  }

  /**
   * Persistent congestion (consecutive resend timeouts with no ack between them, RFC 9002 §7.6):
   * restart from the minimum window. A single timeout is only a loss episode.
   */
  onPersistentCongestion(now: number): void {
    this.recoveryStart = now;
    this.ssthresh = Math.max(this.minWindow(), this.window / 2);
    this.window = this.minWindow();
  }

  /** A packet left the books without being acked or lost (e.g. connection reset). */
  onDiscarded(bytes: number): void {
    this.bytesInFlight -= bytes;
  }

  private minWindow(): number {
    return this.settings.minWindowPackets * this.settings.mtu;
  }
}
