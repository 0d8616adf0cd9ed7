/**
 * The typed-message shape the upper layers (rooms, client handles) send: a message type plus a
 * payload, carried as the two-element msgpack array `[type, payload]`.
 * @module
 */
import { CodecError } from '../errors.js';

/** A message type: a string (`'move'`) or a small integer (cheaper on the wire: one byte up to 127). */
export type MessageType = string | number;

/** A decoded typed message. `payload` came from the network: validate it before use. */
export interface TypedMessage<P = unknown> {
  /** The message type, a string or a safe integer. */
  readonly type: MessageType;
  /** The payload; `null` if the sender passed `undefined`. */
  readonly payload: P;
}

/** Whether `value` is a valid {@link MessageType}: a string or a safe integer. */
export function isMessageType(value: unknown): value is MessageType {
  return typeof value === 'string' || Number.isSafeInteger(value);
}

/**
 * Throws unless `type` is a valid {@link MessageType}.
 * @throws {@link CodecError}
 */
export function assertMessageType(type: unknown): asserts type is MessageType {
  if (!isMessageType(type)) {
    throw new CodecError(`message type must be a string or a safe integer, got ${describe(type)}`);
  }
}

/**
 * Validate a decoded value as `[type, payload]`.
 * @throws {@link CodecError} if it is not a two-element array with a valid type.
 */
export function toTypedMessage(decoded: unknown): TypedMessage {
  if (!Array.isArray(decoded) || decoded.length !== 2) {
    throw new CodecError(`a typed message must be a [type, payload] array, got ${describe(decoded)}`);
  }
  const [type, payload] = decoded as [unknown, unknown];
  assertMessageType(type);
  return { type, payload };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : typeof value;
}
