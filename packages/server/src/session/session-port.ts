/**
 * The seam between the session layer and rooms: what a room sees of one member's session. Rooms
 * never touch links, connections or sockets, so a room does not care which process or transport
 * hosts it.
 * @module
 */
import type { ConnectionStats } from '@netplay/transport';

/** Told once whether a tracked message reached the client (`true`: acked) or was lost (`false`). */
export type DeliveryCallback = (acked: boolean) => void;

/** One member's session, as the room layer uses it. Implemented by the server's session layer. */
export interface SessionPort {
  /** Session id: unique on this server, shown to other members as the relay sender. */
  readonly id: string;
  /** Secret that lets the client resume this session on a new link. */
  readonly resumeToken: string;
  /** `false` while the link is down and the session waits for a resume (grace period). */
  readonly connected: boolean;
  /** Address the client connected from (for source-hash placement, logging, limits). */
  readonly remoteAddress: string;
  /** Live transport statistics of the session. */
  readonly stats: Readonly<ConnectionStats>;
  /**
   * The room layer's state for this session (the matchmaker's membership), kept on the session so
   * that finding it costs no map lookup per message. Owned by the room layer: the session layer
   * never reads it. Starts `undefined`.
   */
  roomSlot: unknown;
  /**
   * Queue a pre-encoded room-protocol message on `channel`. The bytes may be shared between many
   * sessions (encode once, fan out): the session never modifies them. Unreliable messages are
   * dropped while disconnected; reliable ones are kept for the resume (bounded by the send queue).
   */
  send(channel: number, bytes: Uint8Array): void;
  /**
   * Like {@link SessionPort.send}, and learn whether the client got the message: `onDelivery(true)`
   * once the packet carrying it is acked, `onDelivery(false)` once it is declared lost (unreliable
   * channels only; reliable messages are only ever acked). Called at most once, later, never from
   * inside this call. Returns `false` when the message was not sent (session disconnected, ending or
   * closed, or the queue overflowed): `onDelivery` is then never called. A message whose fate the
   * connection never reports (the session closed first) is never called back either.
   * Optional: session ports that cannot track delivery leave it out.
   */
  sendTracked?(channel: number, bytes: Uint8Array, onDelivery: DeliveryCallback): boolean;
  /**
   * End the membership: send `Left(code, reason)` reliably, flush, then close the link. The room
   * layer has already removed the member; the session layer does not call back into the room.
   */
  end(code: number, reason: string): void;
}

/** What the session layer calls on the room layer (implemented by the matchmaker / room host). */
export interface SessionEvents {
  /**
   * A decoded room-protocol message from the session's client, with the channel it arrived on (relays
   * are forwarded on the same channel kind) and, when known, its encoded size in bytes (for rate limits).
   */
  onClientMessage(
    session: SessionPort,
    message: import('@netplay/transport').ClientMessage,
    channel: number,
    size?: number,
  ): void;
  /** A bad message: the session answered with an error and carries on. */
  onBadMessage?(session: SessionPort, error: Error): void;
  /** The link dropped; the session waits for a resume (rooms may show the member as away). */
  onDisconnected?(session: SessionPort): void;
  /**
   * The client resumed the session on a new link, `lastHeard` (host clock, ms) being when the old
   * link last brought anything. Called on every resume, also one the session layer had not seen
   * the link drop for (then no {@link SessionEvents.onDisconnected} came before), and before
   * {@link SessionEvents.onReconnected}.
   */
  onResumed?(session: SessionPort, lastHeard: number): void;
  /** The session resumed on a new link, after {@link SessionEvents.onDisconnected}. */
  onReconnected?(session: SessionPort): void;
  /** The session is gone for good (grace expired, kicked, flooding, shutdown): remove the member. */
  onClosed(session: SessionPort, code: number, reason: string): void;
}
