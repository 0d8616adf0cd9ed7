/**
 * The 32 ack bits of a packet header, relative to its ack: bit `i` set means the packet with
 * sequence `ack - 1 - i` was received too.
 * @module
 */

/** Number of packets before the ack that the ack bits cover. */
export const ACK_BITS = 32;

/**
 * What an earlier ack named (its own sequence and its `bits`), as ack bits relative to an ack
 * `distance` sequences later: `rebaseAckBits(0b1, 2) === 0b110` (the earlier ack is bit 1 and
 * its bit 0 is bit 2). 0 when `distance` is outside 1..32 (nothing overlaps).
 */
export function rebaseAckBits(bits: number, distance: number): number {
  if (distance < 1 || distance > ACK_BITS) return 0;
  const own = 1 << (distance - 1);
  return distance === ACK_BITS ? own : own | (bits << distance);
}
