/**
 * What channels report to their connection: deliveries and per-message outcomes. The connection
 * guards user callbacks, so a throwing handler never corrupts channel state.
 * @module
 */
import type { NetplayError } from '../errors.js';

/** Callbacks from a channel to its connection. */
export interface ChannelSink {
  /** Deliver a message to the application. */
  deliver(channelId: number, payload: Uint8Array): void;
  /** A message was acked by the peer. */
  acked(channelId: number, messageId: number): void;
  /** An unreliable message was lost (its packet was declared lost, or it was dropped from a full queue). */
  lost(channelId: number, messageId: number): void;
  /** The peer broke the protocol on this channel; the connection fails. */
  violation(error: NetplayError): void;
}

/** Counters kept per channel. */
export interface ChannelStats {
  /** Channel id. */
  readonly id: number;
  /** Messages accepted by `send`. */
  messagesSent: number;
  /** Messages delivered to the application. */
  messagesDelivered: number;
  /** Message records sent again after their packet was lost, or in a probe (reliable only). */
  messagesResent: number;
  /** Extra copies of unacked reliable messages sent in spare packet space. */
  redundantSends: number;
  /** Messages acked by the peer. */
  messagesAcked: number;
  /** Unreliable messages reported lost. */
  messagesLost: number;
  /** Duplicate messages dropped on receive. */
  duplicatesDropped: number;
  /** Messages dropped on receive as stale (older than the newest delivered, or outside the window). */
  staleDropped: number;
  /** Unreliable messages dropped from a full send queue (reported lost to the sender). */
  queueOverflows: number;
  /** Messages waiting to be sent for the first time. */
  queued: number;
  /** Bytes waiting to be sent for the first time. */
  queuedBytes: number;
  /** Reliable messages (fragments count singly) sent and not yet acked. */
  inFlight: number;
}

/** The counters of a channel that stay 0 on a healthy link (see {@link ChannelCounters}). @internal */
export interface RareChannelCounters {
  messagesResent: number;
  redundantSends: number;
  messagesLost: number;
  duplicatesDropped: number;
  staleDropped: number;
  queueOverflows: number;
}

/** What a channel without rare events reads. */
const NO_RARE: Readonly<RareChannelCounters> = Object.freeze({
  messagesResent: 0,
  redundantSends: 0,
  messagesLost: 0,
  duplicatesDropped: 0,
  staleDropped: 0,
  queueOverflows: 0,
});

/**
 * The counters of a channel, as fields of the channel itself (its base class): the common ones in
 * the channel, the rarer ones in an object created with the first of them; the queue lengths are
 * read off the channel's queues when asked.
 * {@link ChannelCounters.stats} is the channel read as its {@link ChannelStats}.
 */
export abstract class ChannelCounters implements ChannelStats {
  readonly id: number;
  messagesSent = 0;
  messagesDelivered = 0;
  messagesAcked = 0;
  /** Counters of the rarer outcomes, created with the first (a channel that never resends, drops or loses keeps none). */
  #rare: RareChannelCounters | undefined;

  constructor(id: number) {
    this.id = id;
  }

  get messagesResent(): number {
    return this.rareSeen.messagesResent;
  }
  get redundantSends(): number {
    return this.rareSeen.redundantSends;
  }
  get messagesLost(): number {
    return this.rareSeen.messagesLost;
  }
  get duplicatesDropped(): number {
    return this.rareSeen.duplicatesDropped;
  }
  get staleDropped(): number {
    return this.rareSeen.staleDropped;
  }
  get queueOverflows(): number {
    return this.rareSeen.queueOverflows;
  }

  /** The rarer counters, to count one: `this.rare.staleDropped++` (created on first use). */
  protected get rare(): RareChannelCounters {
    this.#rare ??= { ...NO_RARE };
    return this.#rare;
  }

  /** The rarer counters, to read them: zeros while none happened (creates nothing). */
  private get rareSeen(): Readonly<RareChannelCounters> {
    return this.#rare ?? NO_RARE;
  }

  /** Messages waiting to be sent for the first time (read off the queue, not counted). */
  abstract get queued(): number;
  /** Bytes waiting to be sent for the first time (summed on read). */
  abstract get queuedBytes(): number;
  /** Reliable units sent and not yet acked (counted on read). */
  abstract get inFlight(): number;

  /** The channel's counters (live: a view of the channel; `JSON.stringify` writes {@link ChannelCounters.toJSON}). */
  get stats(): ChannelStats {
    return this;
  }

  /** The counters as a plain object: what `JSON.stringify(stats)` writes (the rarer counters are getters). */
  toJSON(): ChannelStats {
    return {
      id: this.id,
      messagesSent: this.messagesSent,
      messagesDelivered: this.messagesDelivered,
      messagesResent: this.messagesResent,
      redundantSends: this.redundantSends,
      messagesAcked: this.messagesAcked,
      messagesLost: this.messagesLost,
      duplicatesDropped: this.duplicatesDropped,
      staleDropped: this.staleDropped,
      queueOverflows: this.queueOverflows,
      queued: this.queued,
      queuedBytes: this.queuedBytes,
      inFlight: this.inFlight,
    };
  }
}
