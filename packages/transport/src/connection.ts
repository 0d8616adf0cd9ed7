/**
 * The sans-IO protocol core: one connection to one peer. It owns no socket and no timer. Feed it
 * datagrams with {@link Connection.receive} and messages with {@link Connection.send}; call
 * {@link Connection.flush} with the current time to get the datagrams to put on the wire, and again
 * by {@link Connection.nextTimeout}. Time is always passed in, so it runs on a virtual clock.
 * @module
 */
import { type ChannelLayout, channelLayout, NO_CHANNEL } from './channel/channel-layout.js';
import type { ChannelStats } from './channel/channel-sink.js';
import { ReliableOrderedChannel, type SendBudget } from './channel/reliable-ordered-channel.js';
import { UnreliableChannel } from './channel/unreliable-channel.js';
import {
  type ConnectionOptions,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
} from './connection-options.js';
import { type ConnectionStats, createConnectionStats } from './connection-stats.js';
import {
  ClosedError,
  CodecError,
  InvalidOptionError,
  MessageTooLargeError,
  type NetplayError,
  UnknownChannelError,
} from './errors.js';
import { ACK_BITS, rebaseAckBits } from './packet/ack-bits.js';
import { CongestionController } from './packet/congestion-controller.js';
import { newDoubles } from './packet/doubles.js';
import { LossWindow } from './packet/loss-window.js';
import { type RecordHeader, readRecordHeader } from './packet/message-record.js';
import { MAX_HEADROOM, type PacketBuilder } from './packet/packet-builder.js';
import { PACKET_HEADER_SIZE, type PacketHeader, PacketType, readPacketHeader } from './packet/packet-header.js';
import { ReceivedPackets, ReceiveVerdict } from './packet/received-packets.js';
import {
  initRtt,
  noteRttTimeout,
  RTT_SLOTS,
  Rtt,
  rttLossDelay,
  rttTimeout,
  sampleRtt,
} from './packet/rtt-estimator.js';
import { refCount, releaseRefsArray, runFirst, runLength, SentPackets, SentState } from './packet/sent-packets.js';
import { seqDiff, seqGreaterThan } from './packet/sequence.js';

/** Callbacks of a {@link Connection}. Exceptions thrown by them are caught and reported to `onError`. */
export interface ConnectionHandlers {
  /**
   * A message arrived on `channel`. `payload` may be a view into the received datagram: copy it to
   * keep it past the call if the link reuses buffers (no built-in link does).
   */
  onMessage(channel: number, payload: Uint8Array): void;
  /**
   * The peer acknowledged message `messageId` (the id `send` returned) on `channel`. On reliable
   * channels this is reported in order, once the message and everything before it arrived.
   */
  onAcked?(channel: number, messageId: number): void;
  /** An unreliable message was lost (its packet was not acked in time, or it overflowed the queue). */
  onLost?(channel: number, messageId: number): void;
  /**
   * Something went wrong that the caller should know: a handler threw (the connection carries on),
   * or the peer broke the protocol (`PROTOCOL_VIOLATION`; the connection has failed). When no
   * `onError` is set, the error is rethrown asynchronously so it is never silently lost.
   */
  onError?(error: Error): void;
}

/** Lifecycle of a {@link Connection}. */
export type ConnectionState = 'open' | 'failed' | 'closed';

/** A packet is lost once a packet sent this many later was acked (RFC 9002 kPacketThreshold). */
const LOSS_PACKET_THRESHOLD = 3;
/** Consecutive resend timeouts without an ack that count as persistent congestion. */
const PERSISTENT_CONGESTION_TIMEOUTS = 2;
const LOSS_WINDOW_PACKETS = 256;
/** Slots of a connection's `times` array; its RTT estimator's follow. */
const ACK_DEADLINE = 0;
const LAST_SENT = 1;
const LAST_PROBE = 2;
const LAST_RECEIVED = 3;
const LAST_DATA = 4;
const LAST_TIMEOUT = 5;
const TIME_SLOTS = 6;
/** Where the RTT estimator's slots start in `times`. */
const RTT_AT = TIME_SLOTS;

/** The counters of a {@link ConnectionStats} that stay 0 on a healthy connection. */
type TroubleCounters = Pick<
  ConnectionStats,
  | 'packetsLost'
  | 'spuriousLosses'
  | 'timeouts'
  | 'duplicatePacketsDropped'
  | 'stalePacketsDropped'
  | 'invalidPacketsDropped'
  | 'handlerErrors'
>;
const NO_TROUBLE: Readonly<TroubleCounters> = Object.freeze({
  packetsLost: 0,
  spuriousLosses: 0,
  timeouts: 0,
  duplicatePacketsDropped: 0,
  stalePacketsDropped: 0,
  invalidPacketsDropped: 0,
  handlerErrors: 0,
});

/** A channel of a connection (created on first use). */
type Channel = ReliableOrderedChannel | UnreliableChannel;

/**
 * Scratch of the receive path, shared by every connection: a datagram is parsed and its records
 * walked synchronously; values needed after a callback (which may feed another connection) are
 * copied out first.
 */
const header: PacketHeader = { type: 0, sequence: 0, hasAck: false, ack: 0, ackBits: 0 };
const record: RecordHeader = { channel: 0, sequence: 0, fragmentsRemaining: -1, payloadOffset: 0, payloadLength: 0 };
/** Reliable budget of the packet being built; shared, as building a packet calls no callback. */
const budget: SendBudget = { bytes: 0 };

/**
 * One connection to one peer: channels over a packet-level ack layer, in the style of reliable.io
 * and QUIC. See docs/protocol.md for the wire format.
 *
 * ```ts
 * const a = new Connection({}, { onMessage: (ch, bytes) => {} });
 * a.send(DefaultChannel.Reliable, bytes);
 * for (const datagram of a.flush(now)) link.send(datagram);
 * link.setHandlers({ onDatagram: (d) => a.receive(d, clock.now()) });
 * ```
 */
export class Connection {
  private handlers: ConnectionHandlers;
  private _state: ConnectionState = 'open';
  /** The object {@link stats} returns, created on its first read (counters live in the fields below). */
  private statsView: ConnectionStats | undefined;
  #packetsSent = 0;
  #packetsReceived = 0;
  #bytesSent = 0;
  #bytesReceived = 0;
  #packetsAcked = 0;
  /** Counters of things that go wrong, created with the first (a healthy connection keeps none). */
  #trouble: TroubleCounters | undefined;

  /** Shared, derived from the options: channel settings, wire ids, limits. */
  private readonly layout: ChannelLayout;
  /** Channels by index (position in options.channels), created on first use. */
  private readonly channels: (Channel | undefined)[];

  private readonly sent: SentPackets;
  private readonly received: ReceivedPackets;
  private readonly cc: CongestionController | undefined;
  /** Outcomes of the last packets, created with the first loss (a link that never loses keeps none). */
  private lossWindow: LossWindow | undefined;
  /** Packets acked before the loss window exists. */
  private ackedBeforeLoss = 0;

  private nextSequence = 0;
  /** Oldest packet sequence that may still be in flight. */
  private oldestInFlight = 0;
  private inFlightPackets = 0;
  /** Largest packet sequence the peer acked, or -1 before the first ack. */
  private largestAcked = -1;
  /**
   * Unreliable links: the ack bits (relative to {@link largestAcked}) of packets whose acks were
   * already read, so that an ack reads only the bits that are new since the largest one: in a
   * steady stream, one or two instead of all 32.
   */
  private largestAckedBits = 0;
  /**
   * The connection's times and its RTT estimator's state (`packet/rtt-estimator.ts`, from
   * `RTT_AT`), unboxed in one array of doubles (see `packet/doubles.ts`).
   */
  private readonly times: number[];
  private probeSequence = -1;
  /**
   * Unreliable links: a probe timeout fired, and the next packet sent is owed as a probe for the
   * packets in flight before this sequence, which timed out (-1: no probe owed).
   */
  private probeEnd = -1;
  /** Reliable links: the first sequence after the packets declared lost by {@link resendUnacked} (-1: none). */
  private lostBefore = -1;

  constructor(options: ConnectionOptions = {}, handlers: ConnectionHandlers = { onMessage: () => {} }) {
    const o = resolveConnectionOptions(options);
    this.handlers = handlers;
    this.layout = channelLayout(o);
    this.channels = new Array<Channel | undefined>(o.channels.length).fill(undefined);
    this.sent = new SentPackets(o.packetWindow);
    this.received = new ReceivedPackets(o.packetWindow, o.reliableLink);
    this.times = newDoubles(TIME_SLOTS + RTT_SLOTS);
    this.ackDeadline = Number.POSITIVE_INFINITY;
    this.lastSentAt = -1;
    this.lastProbeAt = -1;
    this.lastReceivedAtMs = -1;
    this.lastDataAt = -1;
    this.lastTimeoutAt = -1;
    initRtt(this.times, RTT_AT, this.layout.rtt);
    const congestion = this.layout.congestion;
    this.cc = congestion === undefined ? undefined : new CongestionController(congestion);
  }

  /** The resolved options (defaults filled in; frozen, and shared by connections built from the same options). */
  get options(): ResolvedConnectionOptions {
    return this.layout.options;
  }

  /** When an ack-only packet is due if no other packet carries the ack first (Infinity: none pending). */
  private get ackDeadline(): number {
    return this.times[ACK_DEADLINE]!;
  }
  private set ackDeadline(t: number) {
    this.times[ACK_DEADLINE] = t;
  }

  /** When the last packet was sent (-1: none yet). */
  private get lastSentAt(): number {
    return this.times[LAST_SENT]!;
  }
  private set lastSentAt(t: number) {
    this.times[LAST_SENT] = t;
  }

  /**
   * Reliable links: RTT samples come only from KeepAlive probes, which the peer acks without the
   * long delay. When the last probe was sent (and, while `probeSequence` waits for its ack, its send time).
   */
  private get lastProbeAt(): number {
    return this.times[LAST_PROBE]!;
  }
  private set lastProbeAt(t: number) {
    this.times[LAST_PROBE] = t;
  }

  /**
   * When the last Data packet was sent or received (-1: before the first flush, which counts as
   * one): keep-alives wait their idle interval once none was for that long.
   */
  private get lastDataAt(): number {
    return this.times[LAST_DATA]!;
  }
  private set lastDataAt(t: number) {
    this.times[LAST_DATA] = t;
  }

  /**
   * When the last resend timeout fired (-1: none yet). The next one counts from there, not from
   * the packet's send time, as RFC 9002 counts a probe timeout from the last probe: a sender that
   * wakes from a stall past several doubled timeouts sends one probe and waits, instead of
   * firing them all before it reads the acks that came meanwhile.
   */
  private get lastTimeoutAt(): number {
    return this.times[LAST_TIMEOUT]!;
  }
  private set lastTimeoutAt(t: number) {
    this.times[LAST_TIMEOUT] = t;
  }

  /** When the last datagram was accepted (-1: none yet). */
  private get lastReceivedAtMs(): number {
    return this.times[LAST_RECEIVED]!;
  }
  private set lastReceivedAtMs(t: number) {
    this.times[LAST_RECEIVED] = t;
  }

  /** The trouble counters, created on first use. */
  private get trouble(): TroubleCounters {
    this.#trouble ??= { ...NO_TROUBLE };
    return this.#trouble;
  }

  /** The packet builder of this MTU (shared by every connection: building a packet calls nothing back). */
  private get builder(): PacketBuilder {
    return this.layout.builder;
  }

  /** Replace the callbacks. */
  setHandlers(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
  }

  /** `open`, `failed` (the peer broke the protocol) or `closed` (by {@link close}). */
  get state(): ConnectionState {
    return this._state;
  }

  /** Largest payload of an unreliable message (one packet, minus framing). */
  get maxUnreliableMessageSize(): number {
    return this.layout.maxUnreliablePayload;
  }

  // ======================================================================= send

  /**
   * Queue `payload` on `channel`; it goes out on the next {@link flush}. Ownership of `payload`
   * passes to the connection (do not modify it afterwards; it is not copied). Returns the message id
   * (a u16 sequence, wrapping) that `onAcked` / `onLost` report.
   *
   * @throws {@link MessageTooLargeError} when an unreliable message does not fit one packet, or a
   *   reliable one exceeds `maxMessageSize` (never silently dropped or made reliable).
   * @throws {@link SendQueueFullError} when a reliable channel's queue is full.
   * @throws {@link CodecError} when `payload` is not a `Uint8Array` (a JavaScript caller's strings
   *   or arrays would otherwise go out mangled).
   * @throws {@link UnknownChannelError}, {@link ClosedError}.
   */
  send(channel: number, payload: Uint8Array): number {
    if (this._state !== 'open') throw new ClosedError();
    if (!(payload instanceof Uint8Array)) throw new CodecError('payload must be a Uint8Array (bytes)');
    const ch = this.channelById(channel);
    if (ch === undefined) throw new UnknownChannelError(channel);
    if (ch instanceof UnreliableChannel) {
      const max = this.layout.maxUnreliablePayload;
      if (payload.length > max) throw new MessageTooLargeError(payload.length, max, 'unreliable message');
      return ch.send(payload);
    }
    if (payload.length > this.options.maxMessageSize) {
      throw new MessageTooLargeError(payload.length, this.options.maxMessageSize, 'reliable message');
    }
    return ch.send(payload);
  }

  /**
   * Produce the datagrams to send at `now`: resends of lost reliable messages, queued unreliable
   * messages and new reliable messages, coalesced into packets of at most `mtu` bytes, with spare
   * room filled by redundant copies of unacked reliable messages. With nothing to send it may
   * return an ack-only or keep-alive packet, or nothing.
   *
   * @param headroom - free bytes to leave before each datagram in its buffer (an integer from 0 to
   *   16), for a link that writes its framing in front (see {@link Link.send}). Defaults to 0.
   * @throws An {@link InvalidOptionError} (`INVALID_OPTION`) if `headroom` is not such an integer.
   */
  flush(now: number, headroom = 0): Uint8Array[] {
    if (!(Number.isInteger(headroom) && headroom >= 0 && headroom <= MAX_HEADROOM)) {
      throw new InvalidOptionError('headroom', `must be an integer from 0 to ${MAX_HEADROOM}`);
    }
    const out: Uint8Array[] = [];
    if (this._state !== 'open') return out;
    if (this.lastSentAt < 0) this.lastSentAt = now;
    if (this.lastProbeAt < 0) this.lastProbeAt = now;
    if (this.lastDataAt < 0) this.lastDataAt = now;
    this.detectLosses(now);
    const b = this.builder;
    const redundancy = this.options.redundantSends > 0 && !this.options.reliableLink;
    const sent = this.sent;
    const channels = this.channels;
    for (;;) {
      // packetWindow packets unacked: wait for acks. Overwriting the oldest would declare it lost
      // and queue its reliable messages again, which would fill the next packet, and so on forever.
      if (sent.isFull(this.nextSequence)) break;
      b.begin(headroom);
      const seq = this.nextSequence;
      budget.bytes = this.reliableBudget();
      // Resends first, then unreliable messages, then new reliable ones, then redundant copies.
      for (const ch of channels) if (ch instanceof ReliableOrderedChannel) ch.writeResends(b, seq, budget);
      for (const ch of channels) if (ch instanceof UnreliableChannel) ch.write(b);
      for (const ch of channels) if (ch instanceof ReliableOrderedChannel) ch.writeNew(b, seq, budget);
      const more = b.deferred; // something did not fit: another packet may carry it
      if (this.probeEnd >= 0) {
        // The first packet after a probe timeout is the probe (RFC 9002, section 6.2.4).
        this.writeProbe(b, seq);
        if (b.records === 0) {
          out.push(this.emit(PacketType.KeepAlive, now)); // nothing to copy: an ack-eliciting probe
          break;
        }
      } else {
        if (b.records === 0) break;
        if (redundancy)
          for (const ch of channels) if (ch instanceof ReliableOrderedChannel) ch.writeRedundant(b, seq, budget);
      }
      out.push(this.emit(PacketType.Data, now));
      if (!more) break;
    }
    const o = this.options;
    const full = sent.isFull(this.nextSequence);
    if (o.reliableLink && !full && now >= this.probeDue()) {
      // An RTT probe, even while data flows: acks of Data may wait reliableLinkAckDelay (not for this).
      b.begin(headroom);
      out.push(this.emit(PacketType.KeepAlive, now));
    } else if (out.length === 0) {
      if (now >= this.ackDeadline) {
        b.begin(headroom);
        out.push(this.emit(PacketType.Ack, now));
      } else if (!full && !o.reliableLink && now >= this.keepAliveDue()) {
        // (A reliable link's keep-alive is its RTT probe, above.)
        b.begin(headroom);
        out.push(this.emit(PacketType.KeepAlive, now));
      }
    }
    return out;
  }

  /**
   * The time at which {@link flush} should next be called if nothing else happens (resend timeout,
   * delayed ack, keep-alive); `now` itself when something is ready to go. Call after every
   * send/receive/flush.
   */
  nextTimeout(now: number): number {
    if (this._state !== 'open') return Number.POSITIVE_INFINITY;
    if (this.hasSendable()) return now;
    const o = this.options;
    let t = this.ackDeadline;
    if (!this.sent.isFull(this.nextSequence)) {
      // Keep-alives and probes wait while the packet window is full (an ack or a loss frees it).
      if (o.reliableLink) t = Math.min(t, this.lastProbeAt < 0 ? now + o.rttProbeInterval : this.probeDue());
      else t = Math.min(t, this.lastSentAt < 0 ? now + o.keepAliveInterval : this.keepAliveDue());
    }
    if (!o.reliableLink && this.inFlightPackets > 0) {
      const oldest = this.findOldestInFlight();
      if (oldest >= 0) {
        const sentAt = this.sent.sentAtOf(oldest);
        const ackedLater = this.ackedPast(this.oldestInFlight);
        t = Math.min(t, this.timeoutFrom(sentAt, ackedLater) + rttTimeout(this.times, RTT_AT, this.layout.rtt));
        if (ackedLater) t = Math.min(t, sentAt + rttLossDelay(this.times, RTT_AT));
      }
    }
    return Math.max(now, t);
  }

  /**
   * Treat every packet in flight as lost, so their reliable messages go again on the next flush.
   * Call after the link was replaced (session resume over a new socket): nothing reliable is lost,
   * and the peer drops whatever it already had.
   */
  resendUnacked(): void {
    const span = this.inFlightSpan();
    const sent = this.sent;
    for (let i = 0; i < span; i++) {
      const p = sent.find((this.oldestInFlight + i) & 0xffff);
      if (p < 0 || sent.stateOf(p) !== SentState.InFlight) continue;
      sent.setState(p, SentState.Lost);
      this.inFlightPackets--;
      this.cc?.onDiscarded(sent.sizeOf(p));
      this.notifyLost(p);
    }
    if (span > 0 && this.options.reliableLink) this.lostBefore = this.nextSequence;
    this.times[RTT_AT + Rtt.BACKOFF] = 0;
    this.probeEnd = -1; // everything goes again anyway
  }

  /** Stop: further sends throw `CLOSED`, received datagrams are ignored, flush returns nothing. */
  close(): void {
    if (this._state === 'open') this._state = 'closed';
  }

  // ======================================================================= receive

  /**
   * Feed one datagram received at `now`. Malformed, duplicate and stale datagrams are dropped and
   * counted; nothing throws out of here. Messages are delivered through `onMessage`.
   */
  receive(datagram: Uint8Array, now: number): void {
    if (this._state !== 'open') return;
    const h = header;
    if (
      !readPacketHeader(datagram, h) ||
      !this.validAck(h) ||
      (h.type === PacketType.Data && !this.validRecords(datagram))
    ) {
      this.trouble.invalidPacketsDropped++;
      return;
    }
    const verdict = this.received.check(h.sequence);
    if (verdict !== ReceiveVerdict.New) {
      if (verdict === ReceiveVerdict.Duplicate) this.trouble.duplicatePacketsDropped++;
      else this.trouble.stalePacketsDropped++;
      return;
    }
    this.received.record(h.sequence);
    this.#packetsReceived++;
    this.#bytesReceived += datagram.length;
    this.lastReceivedAtMs = now;
    const type = h.type; // copied: acks run callbacks, which may feed another connection (shared header)
    if (type === PacketType.KeepAlive) {
      // An RTT probe (or an idle keep-alive): acked in this turn, so that its RTT sample is the
      // path's round trip and not also the time an ack waited here for a packet to ride on.
      this.ackDeadline = now;
    } else if (type !== PacketType.Ack) {
      // On a reliable link acks only release the resume buffer: Data acks may wait longer for a
      // packet to ride on.
      const delay = this.options.reliableLink ? this.options.reliableLinkAckDelay : this.options.ackDelay;
      if (now + delay < this.ackDeadline) this.ackDeadline = now + delay;
    }
    if (h.hasAck) this.processAcks(h.ack, h.ackBits, now);
    if (type === PacketType.Data) {
      this.lastDataAt = now;
      this.deliverRecords(datagram);
    }
  }

  /** Reliable links: when the next RTT probe is due. */
  private probeDue(): number {
    const o = this.options;
    return this.idleDue(this.lastProbeAt, o.rttProbeInterval, o.idleRttProbeInterval);
  }

  /** Unreliable links: when silence has lasted long enough for a KeepAlive. */
  private keepAliveDue(): number {
    const o = this.options;
    return this.idleDue(this.lastSentAt, o.keepAliveInterval, o.idleKeepAliveInterval);
  }

  /**
   * `active` ms after `since`, or `idle` ms after it when by then no Data packet will have been
   * sent or received for `idle` ms (the connection is idle; `idle` below `active` counts as `active`).
   */
  private idleDue(since: number, active: number, idle: number): number {
    const due = since + active;
    return idle <= active || due - this.lastDataAt < idle ? due : since + idle;
  }

  // ======================================================================= stats

  /** Live statistics (the same object every time, refreshed on read; created by the first read). */
  get stats(): Readonly<ConnectionStats> {
    let s = this.statsView;
    if (s === undefined) {
      s = createConnectionStats();
      this.statsView = s;
    }
    const t = this.times;
    s.rtt = t[RTT_AT + Rtt.SRTT]!;
    s.rttMin = t[RTT_AT + Rtt.SAMPLES]! > 0 ? t[RTT_AT + Rtt.MIN]! : 0;
    s.rttMax = t[RTT_AT + Rtt.MAX]!;
    s.rttVariance = t[RTT_AT + Rtt.RTTVAR]!;
    s.jitter = t[RTT_AT + Rtt.JITTER]!;
    s.rto = rttTimeout(t, RTT_AT, this.layout.rtt);
    s.packetLoss = this.lossWindow?.fraction() ?? 0;
    s.packetsSent = this.#packetsSent;
    s.packetsReceived = this.#packetsReceived;
    s.bytesSent = this.#bytesSent;
    s.bytesReceived = this.#bytesReceived;
    s.packetsAcked = this.#packetsAcked;
    const trouble = this.#trouble ?? NO_TROUBLE;
    s.packetsLost = trouble.packetsLost;
    s.spuriousLosses = trouble.spuriousLosses;
    s.timeouts = trouble.timeouts;
    s.duplicatePacketsDropped = trouble.duplicatePacketsDropped;
    s.stalePacketsDropped = trouble.stalePacketsDropped;
    s.invalidPacketsDropped = trouble.invalidPacketsDropped;
    s.handlerErrors = trouble.handlerErrors;
    s.congestionWindow = this.cc ? this.cc.window : Number.POSITIVE_INFINITY;
    s.bytesInFlight = this.cc ? this.cc.bytesInFlight : 0;
    s.lastReceivedAt = this.lastReceivedAtMs;
    let resent = 0;
    let redundant = 0;
    for (const ch of this.channels) {
      if (!(ch instanceof ReliableOrderedChannel)) continue;
      resent += ch.stats.messagesResent;
      redundant += ch.stats.redundantSends;
    }
    s.messagesResent = resent;
    s.redundantSends = redundant;
    return s;
  }

  /** Time of the last datagram accepted (`-1` before the first); {@link ConnectionStats.lastReceivedAt} without building the stats. */
  get lastReceivedAt(): number {
    return this.lastReceivedAtMs;
  }

  /** Bytes of datagrams sent; {@link ConnectionStats.bytesSent} without building the stats. */
  get bytesSent(): number {
    return this.#bytesSent;
  }

  /** Bytes of datagrams accepted; {@link ConnectionStats.bytesReceived} without building the stats. */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /** Smoothed RTT in ms; {@link ConnectionStats.rtt} without building the stats. */
  get rtt(): number {
    return this.times[RTT_AT + Rtt.SRTT]!;
  }

  /** Reliable message records sent again after loss; {@link ConnectionStats.messagesResent} without building the stats. */
  get messagesResent(): number {
    let resent = 0;
    for (const ch of this.channels) if (ch instanceof ReliableOrderedChannel) resent += ch.stats.messagesResent;
    return resent;
  }

  /** Statistics of one channel (queue lengths, per-message counters). */
  channelStats(channel: number): Readonly<ChannelStats> {
    const ch = this.channelById(channel);
    if (ch === undefined) throw new UnknownChannelError(channel);
    return ch.stats;
  }

  /** `true` while reliable messages are unacked or anything waits to be sent. */
  get hasPendingData(): boolean {
    if (this.hasSendable()) return true;
    for (const ch of this.channels) if (ch instanceof ReliableOrderedChannel && ch.hasUnacked()) return true;
    return false;
  }

  // ======================================================================= channel sink

  /** @internal {@link ChannelSink.deliver}: hand a message to the application. */
  deliver(channel: number, payload: Uint8Array): void {
    try {
      this.handlers.onMessage(channel, payload);
    } catch (error) {
      this.handlerFailed(error);
    }
  }

  /** @internal {@link ChannelSink.acked}. */
  acked(channel: number, messageId: number): void {
    this.notify(this.handlers.onAcked, channel, messageId);
  }

  /** @internal {@link ChannelSink.lost}. */
  lost(channel: number, messageId: number): void {
    this.notify(this.handlers.onLost, channel, messageId);
  }

  /** @internal {@link ChannelSink.violation}: the peer broke the protocol on a channel. */
  violation(error: NetplayError): void {
    this.fail(error);
  }

  // ======================================================================= internals

  /**
   * `true` when a flush now would send data. Reliable data counts only while the congestion window
   * has room for a packet holding the next reliable record (or nothing is in flight): a flush then
   * always makes progress, and a window with less room waits for acks instead of spinning. The room
   * needed is that record's real size, not a full MTU: a game's packets of a few hundred bytes must
   * not stall behind a window that is merely smaller than 1200 bytes of spare room.
   */
  private hasSendable(): boolean {
    if (this.sent.isFull(this.nextSequence)) return false;
    if (this.probeEnd >= 0) return true;
    const channels = this.channels;
    for (const ch of channels) if (ch instanceof UnreliableChannel && ch.hasPending()) return true;
    const cc = this.cc;
    if (cc !== undefined && cc.bytesInFlight > 0) {
      const room = cc.available() - PACKET_HEADER_SIZE;
      for (const ch of channels) if (ch instanceof ReliableOrderedChannel && ch.nextSendSize() <= room) return true;
      return false;
    }
    for (const ch of channels) if (ch instanceof ReliableOrderedChannel && ch.hasSendable()) return true;
    return false;
  }

  /** The channel with wire id `id` (created on first use), or `undefined` when none is configured. */
  private channelById(id: number): Channel | undefined {
    const index = Number.isInteger(id) && id >= 0 && id < 16 ? this.layout.indexById[id]! : NO_CHANNEL;
    return index === NO_CHANNEL ? undefined : this.channelAt(index);
  }

  /** The channel at `index` (a configured one), created on first use. */
  private channelAt(index: number): Channel {
    let ch = this.channels[index];
    if (ch === undefined) {
      const c = this.layout.channels[index]!;
      ch = c.reliable ? new ReliableOrderedChannel(c.settings, this) : new UnreliableChannel(c.settings, this);
      this.channels[index] = ch;
    }
    return ch;
  }

  /** Bytes of reliable records allowed in the packet being built. */
  private reliableBudget(): number {
    if (this.cc === undefined) return Number.POSITIVE_INFINITY;
    const available = this.cc.available() - this.builder.length;
    // With nothing in flight, always allow one packet so a tiny window cannot stall the connection.
    return this.cc.bytesInFlight === 0 ? Math.max(available, this.options.mtu) : available;
  }

  private emit(type: number, now: number): Uint8Array {
    const b = this.builder;
    const seq = this.nextSequence;
    const r = this.received;
    b.writeHeader(type, seq, r.hasAny, r.latest, r.hasAny ? r.ackBits() : 0);
    const datagram = b.take();
    const sent = this.sent;
    if (type === PacketType.Ack && sent.isFull(seq)) {
      // Never acked itself, so not recorded: the packet in flight keeps its slot.
      this.nextSequence = (seq + 1) & 0xffff;
      this.ackDeadline = Number.POSITIVE_INFINITY;
      this.lastSentAt = now;
      this.#packetsSent++;
      this.#bytesSent += datagram.length;
      return datagram;
    }
    // Never a packet in flight here: flush() stops at sent.isFull(), and a packet a lap old is
    // declared lost by then. (Nothing in emit() may call back: the builder is shared.)
    const slot = sent.slotFor(seq);
    const ackEliciting = type !== PacketType.Ack;
    if (this.inFlightPackets === 0) this.oldestInFlight = seq;
    b.refs = sent.record(slot, seq, now, datagram.length, ackEliciting ? SentState.InFlight : SentState.Empty, b.refs);
    if (ackEliciting) {
      this.inFlightPackets++;
      this.cc?.onSent(datagram.length);
    }
    this.nextSequence = (seq + 1) & 0xffff;
    this.ackDeadline = Number.POSITIVE_INFINITY;
    this.lastSentAt = now;
    if (type === PacketType.KeepAlive && this.options.reliableLink) {
      this.lastProbeAt = now;
      this.probeSequence = seq;
    } else if (type === PacketType.Data) {
      this.lastDataAt = now;
    }
    this.#packetsSent++;
    this.#bytesSent += datagram.length;
    return datagram;
  }

  /**
   * An ack must name a packet this side has sent: acking the future is impossible, so the datagram
   * is forged or corrupt. An ack older than the tracking window is merely useless (ignored).
   */
  private validAck(h: PacketHeader): boolean {
    if (!h.hasAck) return true;
    return this.#packetsSent > 0 && seqDiff((this.nextSequence - 1) & 0xffff, h.ack) >= 0;
  }

  /** Walk the records once before delivering any, so a malformed packet delivers nothing. */
  private validRecords(datagram: Uint8Array): boolean {
    const rec = record;
    const layout = this.layout;
    let at = PACKET_HEADER_SIZE;
    if (at === datagram.length) return false; // a data packet carries at least one record
    while (at < datagram.length) {
      at = readRecordHeader(datagram, at, rec);
      if (at < 0) return false;
      const index = layout.indexById[rec.channel]!;
      if (index === NO_CHANNEL) return false;
      if (rec.fragmentsRemaining >= 0 && !layout.channels[index]!.reliable) return false;
    }
    return true;
  }

  private deliverRecords(datagram: Uint8Array): void {
    const rec = record;
    let at = PACKET_HEADER_SIZE;
    while (at < datagram.length && this._state === 'open') {
      at = readRecordHeader(datagram, at, rec);
      // Copied out before the channel runs the application's handler (the scratch is shared).
      const sequence = rec.sequence;
      const fragmentsRemaining = rec.fragmentsRemaining;
      const payload = datagram.subarray(rec.payloadOffset, rec.payloadOffset + rec.payloadLength);
      const ch = this.channelAt(this.layout.indexById[rec.channel]!);
      if (ch instanceof ReliableOrderedChannel) ch.receive(sequence, fragmentsRemaining, payload);
      else ch.receive(sequence, payload);
    }
  }

  private processAcks(ack: number, ackBits: number, now: number): void {
    const sent = this.sent;
    const newest = sent.find(ack);
    const reliableLink = this.options.reliableLink;
    if (newest >= 0 && (sent.stateOf(newest) === SentState.InFlight || sent.stateOf(newest) === SentState.Lost)) {
      if (!reliableLink) sampleRtt(this.times, RTT_AT, now - sent.sentAtOf(newest));
      this.onPacketAcked(newest);
    }
    if (reliableLink) {
      // In order and lossless: the peer has every packet sent before `ack`, also those the 32 ack
      // bits no longer reach. (Packets lost with a replaced link are Lost, not InFlight: untouched.)
      for (let seq = this.oldestInFlight; seqDiff(ack, seq) > 0 && this.inFlightPackets > 0; seq = (seq + 1) & 0xffff) {
        const p = sent.find(seq);
        if (p >= 0 && sent.stateOf(p) === SentState.InFlight) this.onPacketAcked(p);
      }
      // Nothing up to `ack` is in flight any more: the next walk starts after it.
      const next = (ack + 1) & 0xffff;
      if (seqDiff(next, this.oldestInFlight) > 0) this.oldestInFlight = next;
    }
    let probeAcked = false;
    if (reliableLink && this.probeSequence >= 0) {
      // The first packet acking the probe (as `ack` or in the bits) left the peer within its short
      // ackDelay of receiving it: an RTT sample as honest as on an unreliable link.
      const d = seqDiff(ack, this.probeSequence);
      if (d === 0 || (d > 0 && d <= ACK_BITS && (ackBits & (1 << (d - 1))) !== 0)) {
        sampleRtt(this.times, RTT_AT, now - this.lastProbeAt); // the probe's send time
        this.probeSequence = -1;
        probeAcked = true;
      } else if (d > ACK_BITS) {
        this.probeSequence = -1; // acked (or not) too long ago to tell
      }
    }
    // On a reliable link the walk above acked everything the bits name, but for packets declared
    // lost with a replaced link: only while the bits can still reach those are they read.
    if (reliableLink && (this.lostBefore < 0 || seqDiff(ack, this.lostBefore) > ACK_BITS)) {
      this.lostBefore = -1;
      ackBits = 0;
    }
    const newer = this.largestAcked < 0 || seqGreaterThan(ack, this.largestAcked);
    // The packets that acks up to the largest one named were read then: only the rest is new.
    const read =
      newer && !reliableLink && this.largestAcked >= 0
        ? rebaseAckBits(this.largestAckedBits, seqDiff(ack, this.largestAcked))
        : 0;
    let unread = ackBits & ~read;
    while (unread !== 0) {
      const lowest = unread & -unread; // newest first, as the bits go
      unread ^= lowest;
      const i = 31 - Math.clz32(lowest);
      const p = sent.find((ack - 1 - i) & 0xffff);
      if (p >= 0 && (sent.stateOf(p) === SentState.InFlight || sent.stateOf(p) === SentState.Lost))
        this.onPacketAcked(p);
    }
    if (newer) {
      this.largestAcked = ack;
      this.largestAckedBits = ackBits | read;
    }
    // A reliable link with nothing in flight and no packet lost with a replaced link: no slot can
    // be acked any more. Freed when the ack is a probe's (an idle connection sends nothing else, and
    // keeps no ring between its probes; a busy one would allocate a ring again on every packet).
    if (probeAcked && this.inFlightPackets === 0 && this.lostBefore < 0) this.sent.clear();
    this.detectLosses(now);
  }

  private onPacketAcked(p: number): void {
    const sent = this.sent;
    const wasInFlight = sent.stateOf(p) === SentState.InFlight;
    sent.setState(p, SentState.Acked);
    if (wasInFlight) {
      this.inFlightPackets--;
      this.#packetsAcked++;
      this.cc?.onAcked(sent.sizeOf(p), sent.sentAtOf(p));
      if (this.lossWindow === undefined) this.ackedBeforeLoss++;
      else this.lossWindow.record(false);
    } else {
      this.trouble.spuriousLosses++;
    }
    // Taken out of the ring before any callback runs (a callback may flush, and the ring may grow).
    const run = sent.takeRun(p);
    if (run !== 0) {
      for (let ref = runFirst(run), end = ref + runLength(run); ref < end; ref++) this.refAcked(ref, wasInFlight);
      return;
    }
    const refs = sent.takeRefs(p);
    if (refs === undefined) return;
    for (let i = 1, end = refCount(refs); i <= end; i++) this.refAcked(refs[i]!, wasInFlight);
    releaseRefsArray(refs);
  }

  /** Message `ref` (see `messageRef`) rode on a packet now acked (`wasInFlight`: not declared lost before). */
  private refAcked(ref: number, wasInFlight: boolean): void {
    const ch = this.channels[ref >>> 16]!;
    // An unreliable message already reported lost stays lost; a reliable one is acked late.
    if (ch instanceof ReliableOrderedChannel) ch.onAcked(ref & 0xffff);
    else if (wasInFlight) ch.onAcked(ref & 0xffff);
  }

  private declareLost(p: number, now: number): void {
    const sent = this.sent;
    sent.setState(p, SentState.Lost);
    this.inFlightPackets--;
    this.trouble.packetsLost++;
    this.cc?.onLost(sent.sizeOf(p), sent.sentAtOf(p), now);
    if (this.lossWindow === undefined) {
      this.lossWindow = new LossWindow(LOSS_WINDOW_PACKETS);
      this.lossWindow.recordAcked(this.ackedBeforeLoss);
    }
    this.lossWindow.record(true);
    this.notifyLost(p);
  }

  private notifyLost(p: number): void {
    // Both stay in the slot (a late ack still retires them). The run is a value, read once; the
    // array is read in place: its count is read again after each callback (its slot may be reused).
    const run = this.sent.run(p);
    for (let ref = runFirst(run), end = ref + runLength(run); ref < end; ref++) this.refLost(ref);
    const refs = this.sent.refs(p);
    for (let i = 1; i <= refCount(refs); i++) this.refLost(refs[i]!);
  }

  /** Message `ref` (see `messageRef`) rode on a packet declared lost. */
  private refLost(ref: number): void {
    this.channels[ref >>> 16]!.onLost(ref & 0xffff);
  }

  /**
   * Fill probe packet `seq` with the reliable messages a resend would send if the packets that
   * timed out (before `probeEnd`) were declared lost: those with no copy in flight after them.
   * The timed-out packets stay in flight.
   */
  private writeProbe(b: PacketBuilder, seq: number): void {
    const end = this.probeEnd;
    this.probeEnd = -1;
    budget.bytes = Number.POSITIVE_INFINITY; // a probe is not held back by the congestion window
    const sent = this.sent;
    const span = seqDiff(end, this.oldestInFlight); // ≤ 0 once acks retired them all meanwhile
    for (let i = 0; i < span; i++) {
      const p = sent.find((this.oldestInFlight + i) & 0xffff);
      if (p < 0 || sent.stateOf(p) !== SentState.InFlight) continue;
      const run = sent.run(p);
      for (let ref = runFirst(run), last = ref + runLength(run); ref < last; ref++) this.probeCopy(ref, end, b, seq);
      const refs = sent.refs(p);
      for (let r = 1, last = refCount(refs); r <= last; r++) this.probeCopy(refs[r]!, end, b, seq);
    }
  }

  /** Message `ref` rode on a packet that timed out: a copy goes in probe `seq` (see {@link writeProbe}). */
  private probeCopy(ref: number, end: number, b: PacketBuilder, seq: number): void {
    const ch = this.channels[ref >>> 16];
    if (ch instanceof ReliableOrderedChannel) ch.writeProbeCopy(b, ref & 0xffff, end, seq, budget);
  }

  /** Number of sequences from the oldest possibly-in-flight packet to the newest sent. */
  private inFlightSpan(): number {
    return seqDiff(this.nextSequence, this.oldestInFlight);
  }

  /** Slot of the oldest packet in flight (and its sequence in `oldestInFlight`), or -1. */
  private findOldestInFlight(): number {
    const span = this.inFlightSpan();
    const sent = this.sent;
    for (let i = 0; i < span; i++) {
      const seq = (this.oldestInFlight + i) & 0xffff;
      const p = sent.find(seq);
      if (p >= 0 && sent.stateOf(p) === SentState.InFlight) {
        this.oldestInFlight = seq;
        return p;
      }
    }
    this.oldestInFlight = this.nextSequence;
    return -1;
  }

  /**
   * RFC 9002-style loss detection: a packet is lost when a packet sent 3 or more later was acked,
   * or when it is older than 9/8 RTT or the resend timeout (with backoff) and a later packet was
   * acked. When no later packet was acked, the resend timeout is a probe timeout: it sends a probe
   * and declares nothing lost, `probeTimeouts` times in a row; the next one declares the packets
   * in flight past it lost. Off on reliable links.
   */
  private detectLosses(now: number): void {
    if (this.options.reliableLink || this.inFlightPackets === 0) return;
    if (this.findOldestInFlight() < 0) return;
    const rto = rttTimeout(this.times, RTT_AT, this.layout.rtt);
    const lossDelay = rttLossDelay(this.times, RTT_AT);
    // Fewer probes unanswered than allowed (the backoff resets with the next RTT sample), and room
    // in the packet window for another: a timeout sends a probe instead of declaring losses.
    const probing =
      this.times[RTT_AT + Rtt.BACKOFF]! < this.options.probeTimeouts && !this.sent.isFull(this.nextSequence);
    let timedOut = false;
    const sent = this.sent;
    const span = this.inFlightSpan();
    for (let i = 0; i < span; i++) {
      const seq = (this.oldestInFlight + i) & 0xffff;
      const p = sent.find(seq);
      if (p < 0 || sent.stateOf(p) !== SentState.InFlight) continue;
      const sentAt = sent.sentAtOf(p);
      // Deadlines are compared as `now >= sentAt + delay`, the same expression nextTimeout() schedules.
      const ackedLater = this.ackedPast(seq);
      if (ackedLater && (seqDiff(this.largestAcked, seq) >= LOSS_PACKET_THRESHOLD || now >= sentAt + lossDelay)) {
        this.declareLost(p, now);
        continue;
      }
      if (now >= this.timeoutFrom(sentAt, ackedLater) + rto) {
        timedOut = true;
        // A later packet was acked: this one is lost. None was: the peer may only be late.
        if (probing && !ackedLater) this.probeEnd = (seq + 1) & 0xffff;
        else this.declareLost(p, now);
      } else if (!ackedLater) {
        break; // sent later than every packet left to check: none of them has timed out either
      }
    }
    if (timedOut) {
      this.trouble.timeouts++;
      this.lastTimeoutAt = now;
      noteRttTimeout(this.times, RTT_AT, this.layout.rtt);
      if (!probing && this.times[RTT_AT + Rtt.BACKOFF]! >= PERSISTENT_CONGESTION_TIMEOUTS)
        this.cc?.onPersistentCongestion(now);
    }
  }

  /** `true` when the peer acked a packet sent after packet `seq`: evidence that a gap is a loss. */
  private ackedPast(seq: number): boolean {
    return this.largestAcked >= 0 && seqGreaterThan(this.largestAcked, seq);
  }

  /**
   * Where a packet's resend timeout counts from: its send time once a later packet was acked (the
   * timeout then only confirms a loss), else also no earlier than the last timeout (a probe
   * timeout counts from the last probe).
   */
  private timeoutFrom(sentAt: number, ackedLater: boolean): number {
    return ackedLater ? sentAt : Math.max(sentAt, this.lastTimeoutAt);
  }

  /** Call an optional `onAcked` / `onLost` handler; a throw is counted and reported as any handler's is. */
  private notify(
    handler: ((channel: number, messageId: number) => void) | undefined,
    channel: number,
    id: number,
  ): void {
    if (handler === undefined) return;
    try {
      handler.call(this.handlers, channel, id);
    } catch (error) {
      this.handlerFailed(error);
    }
  }

  private handlerFailed(error: unknown): void {
    this.trouble.handlerErrors++;
    this.report(error instanceof Error ? error : new Error(String(error)));
  }

  private fail(error: NetplayError): void {
    if (this._state !== 'open') return;
    this._state = 'failed';
    this.report(error);
  }

  private report(error: Error): void {
    const onError = this.handlers.onError;
    if (onError) {
      try {
        onError(error);
        return;
      } catch (inner) {
        error = inner instanceof Error ? inner : error;
      }
    }
    queueMicrotask(() => {
      throw error;
    });
  }
}
