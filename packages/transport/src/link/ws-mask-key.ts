/**
 * Masking keys for the frames a WebSocket client sends (RFC 6455 §5.3: a fresh key per frame,
 * unpredictable, "derived from a strong source of entropy"), also the randomness of its
 * `Sec-WebSocket-Key` nonces. Keys are drawn from Node's CSPRNG (`crypto.randomFillSync`) a pool
 * at a time rather than with one call per frame: a call costs more than framing a small datagram
 * (tens of µs in the relay bench's bots), and a relay client sends dozens of frames a second.
 * Every key is used once. Node only.
 * @module
 */
import { randomFillSync } from 'node:crypto';

/** Keys drawn per call to the CSPRNG (4 bytes each: the pool is 1 KiB). @internal */
export const MASK_KEY_POOL_SIZE = 256;

const pool = new Int32Array(MASK_KEY_POOL_SIZE);
/** Index of the next unused key in `pool`; the pool is refilled when it reaches the end. */
let next = MASK_KEY_POOL_SIZE;

/**
 * A fresh masking key as a 32-bit integer (the first key byte in the top bits), for
 * `writeFrameHeader` and `maskBytes`.
 * @internal
 */
export function nextMaskKey(): number {
  if (next === MASK_KEY_POOL_SIZE) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]!;
}
