/**
 * 16-bit wrapping sequence numbers (packets and messages), compared with wrap-around arithmetic:
 * `a` is newer than `b` when `a - b (mod 2^16)` lies in `(0, 2^15)`.
 * @module
 */

/** Size of the sequence number space. */
export const SEQUENCE_SPACE = 0x10000;
const MASK = 0xffff;
const HALF = 0x8000;

/** `s + n` wrapped to 16 bits. */
export function seqAdd(s: number, n: number): number {
  return (s + n) & MASK;
}

/**
 * Signed distance from `b` to `a` in [-32768, 32767]: positive when `a` is newer than `b`.
 * `seqDiff(1, 65535) === 2`.
 */
export function seqDiff(a: number, b: number): number {
  const d = (a - b) & MASK;
  return d >= HALF ? d - SEQUENCE_SPACE : d;
}

/** `true` when `a` is strictly newer than `b` (wrap-around aware). */
export function seqGreaterThan(a: number, b: number): boolean {
  const d = (a - b) & MASK;
  return d !== 0 && d < HALF;
}
