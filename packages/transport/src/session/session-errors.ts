/**
 * Error codes that cross the wire between server and client (join refusals, room errors, why a
 * session was closed). One registry, shared by `@netplay/server` and `@netplay/client`: the server
 * sends the code, the client rebuilds a {@link SessionError} with the same code.
 * @module
 */
import { NetplayError } from '../errors.js';

/** Stable codes of errors reported by a Netplay server. */
export const SessionErrorCode = {
  /** No room with that id, or no room type with that name, exists (or it is private and was not asked for by id). */
  ROOM_NOT_FOUND: 'ROOM_NOT_FOUND',
  /** The room has `maxClients` members and reserved seats. */
  ROOM_FULL: 'ROOM_FULL',
  /** The room is locked and takes no new members. */
  ROOM_LOCKED: 'ROOM_LOCKED',
  /** The room's `onAuth` refused the client (returned false or threw). */
  AUTH_FAILED: 'AUTH_FAILED',
  /** The session sends faster than its rate limit; the message was dropped. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A request, a handshake or a session timed out. */
  TIMEOUT: 'TIMEOUT',
  /** A seat token or resume token is forged, expired or already used. */
  INVALID_TOKEN: 'INVALID_TOKEN',
  /** A request was malformed (bad room name, bad options, unknown operation). */
  INVALID_REQUEST: 'INVALID_REQUEST',
  /** The room has no handler for this message type. */
  UNHANDLED_MESSAGE: 'UNHANDLED_MESSAGE',
  /** The server is shutting down and accepts no new sessions or joins. */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** A room hook threw; the room reported it and carried on. */
  ROOM_ERROR: 'ROOM_ERROR',
  /** The room's host process died; the room is gone (the client may join again). */
  ROOM_LOST: 'ROOM_LOST',
  /** No server is available to place the room right now; retry with backoff. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** Too many sessions, handshakes or rooms: a server limit was reached. */
  LIMIT_REACHED: 'LIMIT_REACHED',
} as const;

/** One of the {@link SessionErrorCode} values. */
export type SessionErrorCode = (typeof SessionErrorCode)[keyof typeof SessionErrorCode];

const KNOWN = new Set<string>(Object.values(SessionErrorCode));

/** `true` when `code` is one of the {@link SessionErrorCode}s. */
export function isSessionErrorCode(code: unknown): code is SessionErrorCode {
  return typeof code === 'string' && KNOWN.has(code);
}

/**
 * An error reported by the server (or raised by the client for the same reasons), with a
 * {@link SessionErrorCode} (or, from a newer server, a code this version does not know yet).
 */
export class SessionError extends NetplayError {
  constructor(code: SessionErrorCode | (string & {}), message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Why a session or room membership ended (numeric, WebSocket-style; 4000+ are Netplay's). */
export const CloseCode = {
  /** The client left (consented) or the server closed normally. */
  NORMAL: 1000,
  /** The server is shutting down. */
  SHUTDOWN: 4000,
  /** The room removed the client (`client.leave()`). */
  KICKED: 4001,
  /** Nothing heard from the peer within the idle timeout, and no resume within the grace period. */
  TIMEOUT: 4002,
  /** The client flooded past its rate limit. */
  FLOODING: 4003,
  /** The room was disposed. */
  ROOM_DISPOSED: 4004,
  /** The peer broke the protocol (malformed control message, corrupt stream). */
  PROTOCOL_ERROR: 4005,
  /** The session was resumed on another link; this link is obsolete. */
  REPLACED: 4006,
  /** The room's host process died. */
  ROOM_LOST: 4007,
  /** The peer did not read fast enough: its send queue overflowed. */
  SLOW_CONSUMER: 4008,
} as const;

/** One of the {@link CloseCode} values (other numbers may come from newer servers). */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
