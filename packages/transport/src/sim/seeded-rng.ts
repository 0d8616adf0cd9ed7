/**
 * The simulator's random numbers: small, fast and deterministic, so a seed replays a run exactly.
 * @module
 */

import { InvalidOptionError } from '../errors.js';

/**
 * A seeded pseudo-random generator: sfc32 (Chris Doty-Humphrey's Small Fast Chaotic PRNG, 128-bit
 * state, 32-bit output), its state filled from the seed by a splitmix32-style mixer (golden-ratio
 * increments through the murmur3 finalizer), then warmed up by 12 rounds. Not cryptographic.
 *
 * The same seed gives the same sequence on every platform (only 32-bit integer arithmetic).
 *
 * @example
 * ```ts
 * const rng = new SeededRng(42);
 * rng.next();  // float in [0, 1)
 * rng.int(6);  // integer in [0, 6)
 * const child = rng.fork(); // independent stream, itself determined by the seed
 * ```
 */
export class SeededRng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /**
   * @param seed Any safe integer; it is reduced to 32 bits (`seed >>> 0`), so seeds equal modulo
   * 2³² give the same sequence.
   * @throws {@link InvalidOptionError} when `seed` is not a safe integer.
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new InvalidOptionError('seed', `must be an integer, got ${seed}`);
    let s = seed >>> 0;
    s = (s + 0x9e3779b9) | 0;
    this.#a = mix32(s);
    s = (s + 0x9e3779b9) | 0;
    this.#b = mix32(s);
    s = (s + 0x9e3779b9) | 0;
    this.#c = mix32(s);
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** Next unsigned 32-bit integer, uniform in [0, 2³²). */
  nextU32(): number {
    const a = this.#a;
    const b = this.#b;
    const c = this.#c;
    const d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** Next float, uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /**
   * Next integer, uniform in [0, `n`) (bias below 2⁻³² × n, negligible for the simulator's uses).
   * @throws {@link InvalidOptionError} when `n` is not an integer in [1, 2³²].
   */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1 || n > 4294967296) {
      throw new InvalidOptionError('n', `must be an integer in [1, 2^32], got ${n}`);
    }
    return Math.floor(this.next() * n);
  }

  /** `true` with probability `p` (`p` ≤ 0 never draws and is always `false`). */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /**
   * A new generator seeded from this one's next output: an independent stream, still fully
   * determined by the original seed. Use one fork per concern so that drawing more numbers for one
   * (say, jitter) does not shift another (say, loss).
   */
  fork(): SeededRng {
    return new SeededRng(this.nextU32());
  }
}

/** Murmur3's 32-bit finalizer: the splitmix32-style output mix. */
function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
