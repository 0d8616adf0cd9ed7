/**
 * Every error the transport throws or reports is a {@link NetplayError} with a stable `code`.
 * The registry below is the single place codes are defined (one code, one class, one sentence);
 * a test checks that codes, classes and docs agree.
 * @module
 */

/** Stable error codes of `@netplay/transport`. */
export const TransportErrorCode = {
  /** A message is larger than its channel allows (an unreliable message over one packet, a reliable one over `maxMessageSize`). */
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  /** The reliable send queue is full: the message was not accepted (nothing already queued is lost). */
  SEND_QUEUE_FULL: 'SEND_QUEUE_FULL',
  /** A channel id that the connection was not configured with. */
  UNKNOWN_CHANNEL: 'UNKNOWN_CHANNEL',
  /** The connection or link is closed. */
  CLOSED: 'CLOSED',
  /** An option is out of range or inconsistent. */
  INVALID_OPTION: 'INVALID_OPTION',
  /** The peer broke the protocol in a way that cannot be dropped and counted (e.g. a corrupt fragment chain). */
  PROTOCOL_VIOLATION: 'PROTOCOL_VIOLATION',
  /** A link failed (socket error, connect refused, …). */
  LINK_ERROR: 'LINK_ERROR',
  /** A payload could not be encoded or decoded (msgpack). */
  CODEC_ERROR: 'CODEC_ERROR',
  /** A virtual clock in a test kept firing timers without going quiet (a timer re-arming itself forever). */
  LIVELOCK: 'LIVELOCK',
} as const;

/** One of the {@link TransportErrorCode} values. */
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/**
 * Base class of every Netplay error. `code` is stable across versions and safe to switch on;
 * `message` is for humans and may change.
 */
export class NetplayError extends Error {
  /** Stable machine-readable code, e.g. `MESSAGE_TOO_LARGE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A message exceeds the size its channel accepts. */
export class MessageTooLargeError extends NetplayError {
  /** Size of the refused message in bytes. */
  readonly size: number;
  /** Largest size the channel accepts, in bytes. */
  readonly limit: number;
  constructor(size: number, limit: number, what = 'message') {
    super(TransportErrorCode.MESSAGE_TOO_LARGE, `${what} of ${size} bytes exceeds the limit of ${limit} bytes`);
    this.size = size;
    this.limit = limit;
  }
}

/** The reliable send queue of a channel is full; the message was refused. */
export class SendQueueFullError extends NetplayError {
  constructor(channel: number, limitBytes: number) {
    super(TransportErrorCode.SEND_QUEUE_FULL, `send queue of channel ${channel} is full (${limitBytes} bytes queued)`);
  }
}

/** A channel id that is not configured on this connection. */
export class UnknownChannelError extends NetplayError {
  constructor(channel: number) {
    super(TransportErrorCode.UNKNOWN_CHANNEL, `channel ${channel} is not configured on this connection`);
  }
}

/** An operation on a closed connection or link. */
export class ClosedError extends NetplayError {
  constructor(what = 'connection') {
    super(TransportErrorCode.CLOSED, `${what} is closed`);
  }
}

/** An option is invalid. */
export class InvalidOptionError extends NetplayError {
  constructor(option: string, reason: string) {
    super(TransportErrorCode.INVALID_OPTION, `invalid option ${option}: ${reason}`);
  }
}

/** The peer sent something that breaks the protocol beyond a droppable packet. */
export class ProtocolViolationError extends NetplayError {
  constructor(reason: string) {
    super(TransportErrorCode.PROTOCOL_VIOLATION, `protocol violation: ${reason}`);
  }
}

/** A link (socket) failed. */
export class LinkError extends NetplayError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(TransportErrorCode.LINK_ERROR, `link error: ${reason}`, options);
  }
}

/** A payload could not be encoded or decoded. */
export class CodecError extends NetplayError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(TransportErrorCode.CODEC_ERROR, `codec error: ${reason}`, options);
  }
}

/**
 * A `VirtualClock` fired too many timers at one instant, or was still busy after its step
 * budget: something keeps re-arming (a livelock). Thrown from `advance`, `runUntilIdle`, `runUntil`.
 */
export class LivelockError extends NetplayError {
  /** Virtual time at which the clock gave up, in milliseconds. */
  readonly at: number;
  constructor(reason: string, at: number) {
    super(TransportErrorCode.LIVELOCK, `virtual clock livelock at t=${at} ms: ${reason}`);
    this.at = at;
  }
}
