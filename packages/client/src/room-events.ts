/**
 * The typed event map of a {@link Room} and the statistics it exposes.
 * @module
 */
import type { ConnectionStats, MessageType, RelayTarget } from '@netplay/transport';

/**
 * Events of a {@link Room} (eventemitter3, labelled tuples: `room.on('relay', (payload, from) => …)`).
 *
 * | event | arguments | when |
 * |---|---|---|
 * | `relay` | `(payload, fromSessionId)` | another member relayed something to this client |
 * | `direct` | `(payload, fromSessionId)` | a session (in any room, on any worker) sent this client a direct message (`room.message`) |
 * | `peer-join` | `(sessionId)` | a member joined (`room.peers` already includes it) |
 * | `peer-leave` | `(sessionId)` | a member left (`room.peers` no longer includes it) |
 * | `leave` | `(code, reason)` | the membership is over (once): `1000` after `leave()`, the server's code otherwise, `4002` (TIMEOUT) when the session could not be resumed, `4007` (ROOM_LOST) when the room's worker died |
 * | `error` | `(error)` | a server-reported error (`SessionError`; the session carries on), a handler that threw, a malformed server message, or why a resume failed |
 * | `reconnecting` | `()` | the link dropped; the client is reconnecting to resume the session |
 * | `reconnected` | `()` | the session was resumed on a new link; nothing reliable was lost |
 */
export interface RoomEvents {
  relay: [payload: unknown, from: string];
  direct: [payload: unknown, from: string];
  'peer-join': [sessionId: string];
  'peer-leave': [sessionId: string];
  leave: [code: number, reason: string];
  error: [error: Error];
  reconnecting: [];
  reconnected: [];
}

/** Handler of one message type: `room.onMessage('chat', (payload) => …)`. */
export type MessageHandler<P = unknown> = (payload: P) => void;

/** Handler of every message type: `room.onMessage('*', (type, payload) => …)`. */
export type AnyMessageHandler = (type: MessageType, payload: unknown) => void;

/** Options of `room.send`. */
export interface SendOptions {
  /**
   * `true` (default): reliable-ordered. `false`: unreliable-sequenced (a newer message makes older
   * ones stale; lost ones are not resent; dropped while reconnecting).
   */
  reliable?: boolean;
}

/** Options of `room.relay`. */
export interface RelayOptions extends SendOptions {
  /** Who receives it: every other member (`'others'`, default), every member (`'all'`), or these session ids. */
  to?: RelayTarget;
}

/** Statistics of a room's session: the connection's (RTT, jitter, loss, bytes, …) plus the client's own. */
export interface RoomStats extends ConnectionStats {
  /** Successful resumes so far. */
  reconnects: number;
  /** Unreliable messages dropped because they were sent while reconnecting. */
  droppedWhileReconnecting: number;
}

/** Lifecycle of a {@link Room}. */
export type RoomState = 'joined' | 'reconnecting' | 'leaving' | 'left';
