/**
 * Channel configuration: each connection has up to 16 channels, each with an id and a mode
 * (ENet / LiteNetLib style). Ordering and windows are per channel: one channel never blocks another.
 * @module
 */

/** How a channel treats its messages. */
export type ChannelMode =
  /** Never resent; duplicates dropped; the sender learns per message whether it was acked or lost. */
  | 'unreliable'
  /** As `unreliable`, and a message older than the newest delivered one is dropped. */
  | 'unreliable-sequenced'
  /** Every message delivered exactly once, in order; large messages are fragmented. */
  | 'reliable-ordered';

/** One channel of a connection. */
export interface ChannelConfig {
  /** Channel id on the wire, 0–15. Both peers must configure the same ids and modes. */
  readonly id: number;
  /** Delivery mode. */
  readonly mode: ChannelMode;
}

/** Channel ids of {@link DEFAULT_CHANNELS}. */
export const DefaultChannel = {
  /** Reliable-ordered: the default for game messages. */
  Reliable: 0,
  /** Unreliable: fire-and-forget, acked/lost notifications. */
  Unreliable: 1,
  /** Unreliable-sequenced: latest-state updates (positions). */
  Sequenced: 2,
} as const;

/** The channels a connection gets when none are configured. */
export const DEFAULT_CHANNELS: readonly ChannelConfig[] = [
  { id: DefaultChannel.Reliable, mode: 'reliable-ordered' },
  { id: DefaultChannel.Unreliable, mode: 'unreliable' },
  { id: DefaultChannel.Sequenced, mode: 'unreliable-sequenced' },
];

/**
 * Most units (messages, and fragments singly) a reliable channel with this window may hold queued
 * or in flight: 16-bit unit sequences compare correctly while the send buffer and the peer's
 * receive window span half the space.
 */
export const maxQueuedUnits = (window: number): number => 0x8000 - 2 * window;
