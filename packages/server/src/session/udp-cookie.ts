/**
 * Stateless UDP challenge cookies: an HMAC of the client's address and a coarse time bucket. The
 * server keeps nothing per unverified address; a client proves it receives at its address by
 * echoing the cookie. Valid for the current and the previous bucket.
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Lifetime of one cookie bucket, in ms (a cookie is valid for one to two buckets). */
export const COOKIE_BUCKET_MS = 10_000;
/** Cookie length in bytes. */
export const COOKIE_SIZE = 16;

function mac(secret: Uint8Array, address: string, port: number, bucket: number): Uint8Array {
  return createHmac('sha256', secret).update(`${address}|${port}|${bucket}`).digest().subarray(0, COOKIE_SIZE);
}

/** The cookie for `address:port` at `now`. */
export function makeCookie(secret: Uint8Array, address: string, port: number, now: number): Uint8Array {
  return new Uint8Array(mac(secret, address, port, Math.floor(now / COOKIE_BUCKET_MS)));
}

/** `true` when `cookie` was made for `address:port` within the last one to two buckets. */
export function verifyCookie(
  secret: Uint8Array,
  address: string,
  port: number,
  now: number,
  cookie: Uint8Array,
): boolean {
  if (cookie.length !== COOKIE_SIZE) return false;
  const bucket = Math.floor(now / COOKIE_BUCKET_MS);
  for (const b of [bucket, bucket - 1]) {
    if (timingSafeEqual(mac(secret, address, port, b), cookie)) return true;
  }
  return false;
}
