/**
 * A plain reliable protocol to compare Netplay against: go-back-N with cumulative acks.
 *
 * - One message per datagram: `[0x01][seq u32][payload]`; acks are `[0x02][next expected seq u32]`.
 * - The receiver delivers only the next expected sequence, discards anything out of order, and acks
 *   every data packet at once (duplicate acks included; they are harmless, the sender ignores them).
 * - The sender keeps up to `window` messages in flight. One timer runs on the oldest unacked packet;
 *   when it fires, every packet in flight is sent again (go-back-N) and the timeout doubles (capped).
 * - The timeout is RFC 6298's `SRTT + max(G, 4·RTTVAR)` with Karn's rule (no samples from resent
 *   packets), but with a game-style floor (`minRto`, 10 ms) instead of RFC 6298's 1 s, and timed from
 *   the oldest packet's send time rather than restarted on every ack: both make the baseline faster.
 * - No selective ack, no redundancy, no fast retransmit, no coalescing, no congestion control.
 *
 * Sequences are u32 and never wrap within a benchmark run. Not for production use.
 * @module
 */
import type { Clock, TimerHandle } from '../../packages/transport/src/clock.js';
import type { Link } from '../../packages/transport/src/link/link.js';

/** Options of {@link GoBackNEndpoint}. */
export interface GoBackNOptions {
  /** Largest number of unacked messages in flight. Defaults to 256. */
  window?: number;
  /** RTT assumed before the first sample, in ms. Defaults to 100 (as Netplay's `initialRtt`). */
  initialRtt?: number;
  /** Floor of the resend timeout, in ms. Defaults to 10. */
  minRto?: number;
  /** Ceiling of the resend timeout after backoff, in ms. Defaults to 1000. */
  maxRto?: number;
  /** Use this resend timeout (ms, before backoff) instead of the RTT estimate. Defaults to `undefined`. */
  fixedRto?: number;
}

const DATA = 1;
const ACK = 2;
const HEADER = 5;
const GRANULARITY = 1;

/** Counters of a {@link GoBackNEndpoint}. */
export interface GoBackNStats {
  packetsSent: number;
  bytesSent: number;
  /** Data packets sent again by a timeout. */
  retransmissions: number;
  timeouts: number;
  /** Data packets discarded by the receiver because they were out of order or duplicates. */
  discarded: number;
}

/** One end of a go-back-N connection (both sender and receiver). */
export class GoBackNEndpoint {
  readonly stats: GoBackNStats = { packetsSent: 0, bytesSent: 0, retransmissions: 0, timeouts: 0, discarded: 0 };
  private readonly link: Link;
  private readonly clock: Clock;
  private readonly onMessage: (payload: Uint8Array) => void;
  private readonly window: number;
  private readonly minRto: number;
  private readonly maxRto: number;
  private readonly fixedRto: number | undefined;
  // Send side: messages[seq] for base ≤ seq < queued; sent up to nextSeq (exclusive).
  private readonly messages: (Uint8Array | undefined)[] = [];
  private readonly sentAt: number[] = [];
  private readonly resent: boolean[] = [];
  private base = 0;
  private nextSeq = 0;
  private srtt: number;
  private rttvar: number;
  private hasSample = false;
  private backoff = 0;
  private timer: TimerHandle | undefined;
  // Receive side.
  private expected = 0;

  constructor(link: Link, clock: Clock, onMessage: (payload: Uint8Array) => void, options: GoBackNOptions = {}) {
    this.link = link;
    this.clock = clock;
    this.onMessage = onMessage;
    this.window = options.window ?? 256;
    this.minRto = options.minRto ?? 10;
    this.maxRto = options.maxRto ?? 1000;
    this.fixedRto = options.fixedRto;
    this.srtt = options.initialRtt ?? 100;
    this.rttvar = this.srtt / 2;
    link.setHandlers({ onDatagram: (d) => this.receive(d) });
  }

  /** Queue a message; it leaves at once if the window has room. */
  send(payload: Uint8Array): void {
    this.messages.push(payload);
    this.pump();
  }

  /** Current resend timeout in ms, backoff included. */
  rto(): number {
    const estimate = this.fixedRto ?? this.srtt + Math.max(GRANULARITY, 4 * this.rttvar);
    const base = Math.min(this.maxRto, Math.max(this.minRto, estimate));
    return Math.min(this.maxRto, base * 2 ** this.backoff);
  }

  private pump(): void {
    while (this.nextSeq < this.messages.length && this.nextSeq < this.base + this.window) {
      this.transmit(this.nextSeq++);
    }
    this.arm();
  }

  private transmit(seq: number): void {
    const payload = this.messages[seq]!;
    const d = new Uint8Array(HEADER + payload.length);
    d[0] = DATA;
    new DataView(d.buffer).setUint32(1, seq);
    d.set(payload, HEADER);
    this.sentAt[seq] = this.clock.now();
    this.put(d);
  }

  private put(d: Uint8Array): void {
    this.stats.packetsSent++;
    this.stats.bytesSent += d.length;
    this.link.send(d);
  }

  /** Timer on the oldest unacked packet (re-armed whenever it changes). */
  private arm(): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.base === this.nextSeq) return;
    const at = this.sentAt[this.base]! + this.rto();
    this.timer = this.clock.setTimeout(this.onTimeout, at - this.clock.now());
  }

  private readonly onTimeout = (): void => {
    this.timer = undefined;
    this.stats.timeouts++;
    if (this.backoff < 16) this.backoff++;
    for (let seq = this.base; seq < this.nextSeq; seq++) {
      this.resent[seq] = true;
      this.stats.retransmissions++;
      this.transmit(seq);
    }
    this.arm();
  };

  private receive(d: Uint8Array): void {
    if (d.length < HEADER) return;
    const seq = new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(1);
    if (d[0] === DATA) {
      if (seq === this.expected) {
        this.expected++;
        this.onMessage(d.subarray(HEADER));
      } else {
        this.stats.discarded++;
      }
      const ack = new Uint8Array(HEADER);
      ack[0] = ACK;
      new DataView(ack.buffer).setUint32(1, this.expected);
      this.put(ack);
    } else if (d[0] === ACK && seq > this.base && seq <= this.nextSeq) {
      const newest = seq - 1;
      if (!this.resent[newest]) this.sample(this.clock.now() - this.sentAt[newest]!);
      for (let s = this.base; s < seq; s++) {
        this.messages[s] = undefined;
        this.resent[s] = false;
      }
      this.base = seq;
      this.backoff = 0;
      this.pump();
    }
  }

  /** RFC 6298 section 2. */
  private sample(rtt: number): void {
    if (!this.hasSample) {
      this.hasSample = true;
      this.srtt = rtt;
      this.rttvar = rtt / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rtt);
      this.srtt = 0.875 * this.srtt + 0.125 * rtt;
    }
  }
}
