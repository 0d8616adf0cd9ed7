/**
 * {@link randomId}: random url-safe ids (session ids, room ids) drawn from a pooled buffer of
 * cryptographic randomness, refilled with one `randomFillSync` per few hundred ids instead of one
 * `randomBytes` call (a system call) per id: a burst of a thousand joins asked the kernel for
 * randomness two thousand times.
 * @module
 */
import { randomFillSync } from 'node:crypto';

/** Bytes of randomness fetched at once. */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/** A random url-safe id of `bytes` random bytes (base64url), from the pool. */
export function randomId(bytes: number): string {
  if (bytes > POOL_BYTES) return randomFillSync(Buffer.alloc(bytes)).toString('base64url');
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const id = pool.toString('base64url', used, used + bytes);
  used += bytes;
  return id;
}
