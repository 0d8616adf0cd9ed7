/**
 * Resume tokens, derived instead of stored: a session's token is its id followed by an HMAC of the
 * id under the server's secret. The server keeps no token per session and no map of tokens: a
 * presented token names its session (the id), and the MAC proves the server issued it. As
 * unguessable as a random token (128 bits of MAC), and, as session ids do, it starts with the
 * cluster worker's prefix, so a replacement worker still tells an old token apart (`ROOM_LOST`).
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Bytes of MAC in a token (128 bits). */
const MAC_BYTES = 16;
/** Between the id and the MAC (not in the base64url alphabet ids are made of). */
const SEPARATOR = '~';

/** The MAC of `id`, as its base64url text. */
function macOf(secret: Uint8Array, id: string): string {
  return createHmac('sha256', secret).update(`resume|${id}`).digest().subarray(0, MAC_BYTES).toString('base64url');
}

/** The resume token of session `id`. */
export function resumeTokenFor(secret: Uint8Array, id: string): string {
  return `${id}${SEPARATOR}${macOf(secret, id)}`;
}

/**
 * The session id a token was issued for, or `undefined` when it is malformed or its MAC is wrong.
 * The MAC's text is compared (in constant time), so a variant encoding of the same bytes is refused too.
 */
export function sessionOfResumeToken(secret: Uint8Array, token: string): string | undefined {
  const at = token.lastIndexOf(SEPARATOR);
  if (at <= 0) return undefined;
  const id = token.slice(0, at);
  const given = Buffer.from(token.slice(at + 1), 'latin1');
  const expected = Buffer.from(macOf(secret, id), 'latin1');
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined;
}
