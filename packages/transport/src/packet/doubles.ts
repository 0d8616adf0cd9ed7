/**
 * {@link newDoubles}: arrays of doubles for per-connection state. V8 stores a double kept in an
 * object field as a heap number of its own (16 bytes, per field, per object); an array that has
 * held only doubles stores them unboxed, 8 bytes each. A connection keeps its send times and RTT
 * state in such arrays.
 * @module
 */

/** An array of `n` doubles, all 0 (filled with a fraction first, so V8 stores it as doubles). */
export function newDoubles(n: number): number[] {
  return new Array<number>(n).fill(0.5).fill(0);
}
