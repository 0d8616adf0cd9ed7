/**
 * Congestion control over the bytes of ack-eliciting packets in flight: slow start, additive
 * increase / multiplicative decrease, and fast recovery (one halving per loss episode: losses of
 * packets sent before the episode began do not halve again). Persistent congestion collapses to
 * the minimum window. In the style of RFC 9002's NewReno.
 *
 * A loss episode all of whose losses turn out to be spurious (every packet declared lost in it is
 * acked later) is undone: the window, threshold and recovery period return to what they were
 * before it, as Linux TCP's undo and RFC 4015's Eifel response do. A resend timeout declares
 * packets lost before any ack says so, so a peer that stalls for longer than the timeout (a
 * garbage collection, a busy machine, a radio waking up) would otherwise cost a halving or, after
 * consecutive timeouts, the minimum window, on a path that lost nothing.
 * @module
 */

/** Most losses of one episode remembered for an undo; an episode with more is never undone. */
const UNDO_LIMIT = 64;

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
  /** Loss episodes undone because every packet declared lost in them was acked later. */
  undoneLossEvents = 0;
  private recoveryStart = Number.NEGATIVE_INFINITY;
  private readonly settings: CongestionSettings;
  /** Window, threshold and recovery start from before the current episode, for an undo. */
  private undoWindow = 0;
  private undoSsthresh = Number.POSITIVE_INFINITY;
  private undoRecoveryStart = Number.NEGATIVE_INFINITY;
  /**
   * Sequences declared lost in the current episode and not acked since, the first
   * `episodeLossCount` entries; created with the first loss. A count of -1: the episode cannot
   * be undone (none began, more than {@link UNDO_LIMIT} losses, or it was undone already).
   */
  private episodeLosses: number[] | undefined;
  private episodeLossCount = -1;

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

  /** Packet `sequence` of `bytes`, sent at `sentAt`, was declared lost at `now`. */
  onLost(bytes: number, sentAt: number, now: number, sequence: number): void {
    this.bytesInFlight -= bytes;
    if (sentAt > this.recoveryStart) {
      this.undoWindow = this.window;
      this.undoSsthresh = this.ssthresh;
      this.undoRecoveryStart = this.recoveryStart;
      this.episodeLossCount = 0;
      this.recoveryStart = now;
      this.lossEvents++;
      this.window = Math.max(this.minWindow(), this.window / 2);
      this.ssthresh = this.window;
    }
    const count = this.episodeLossCount;
    if (count < 0) return;
    if (count === UNDO_LIMIT) {
      this.episodeLossCount = -1;
      return;
    }
    this.episodeLosses ??= [];
    this.episodeLosses[count] = sequence;
    this.episodeLossCount = count + 1;
  }

  /**
   * Packet `sequence`, declared lost before, was acked: its loss was spurious. When it was the last
   * loss of the current episode not yet acked, the episode is undone.
   */
  onSpuriousLoss(sequence: number): void {
    const losses = this.episodeLosses;
    const count = this.episodeLossCount;
    if (losses === undefined || count <= 0) return;
    const at = losses.lastIndexOf(sequence, count - 1);
    if (at < 0) return; // lost in an earlier episode
    losses[at] = losses[count - 1]!;
    this.episodeLossCount = count - 1;
    if (count > 1) return;
    this.window = Math.max(this.window, this.undoWindow);
    this.ssthresh = this.undoSsthresh;
    this.recoveryStart = this.undoRecoveryStart;
    this.undoneLossEvents++;
    this.episodeLossCount = -1;
  }

  /**
   * Persistent congestion (consecutive resend timeouts with no ack between them, RFC 9002 §7.6):
   * restart from the minimum window. A single timeout is only a loss episode. The timeouts' losses
   * began an episode: if all of them turn out spurious, the undo restores the window from before it.
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
