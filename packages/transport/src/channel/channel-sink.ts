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
  /** Message records sent again after their packet was lost (reliable only). */
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

/**
 * The counters of a channel, as fields of the channel itself (its base class): one object per
 * channel instead of two; the queue lengths are read off the channel's queues when asked.
 * {@link ChannelCounters.stats} is the channel read as its {@link ChannelStats}.
 */
export abstract class ChannelCounters implements ChannelStats {
  readonly id: number;
  messagesSent = 0;
  messagesDelivered = 0;
  messagesResent = 0;
  redundantSends = 0;
  messagesAcked = 0;
  messagesLost = 0;
  duplicatesDropped = 0;
  staleDropped = 0;
  queueOverflows = 0;

  constructor(id: number) {
    this.id = id;
  }

  /** Messages waiting to be sent for the first time (read off the queue, not counted). */
  abstract get queued(): number;
  /** Bytes waiting to be sent for the first time (summed on read). */
  abstract get queuedBytes(): number;
  /** Reliable units sent and not yet acked (counted on read). */
  abstract get inFlight(): number;

  /** The channel's counters (live). */
  get stats(): ChannelStats {
    return this;
  }
}
