/**
 * {@link createSimulatedPair}: two connected links with a simulated network between them, the
 * usual way to test a game or a protocol under latency and loss.
 * @module
 */

import type { Clock } from '../clock.js';
import { createMemoryLinkPair } from '../link/memory.js';
import type { NetworkConditions } from './network-conditions.js';
import { SeededRng } from './seeded-rng.js';
import { SimulatedLink } from './simulated-link.js';

/** Options of {@link createSimulatedPair}. */
export interface SimulatedPairOptions {
  /** Clock on which every delay runs (a `VirtualClock` in tests). Required. */
  clock: Clock;
  /** Seed of every random choice on both sides (integer). Defaults to `0`. */
  seed?: number;
  /** Conditions of what `a` sends to `b`. Defaults to {@link DEFAULT_NETWORK_CONDITIONS}. */
  aToB?: NetworkConditions;
  /** Conditions of what `b` sends to `a`. Defaults to {@link DEFAULT_NETWORK_CONDITIONS}. */
  bToA?: NetworkConditions;
  /** Largest datagram either side may send, in bytes. Defaults to `65536`. */
  maxDatagramSize?: number;
}

/**
 * Create two links `[a, b]` connected through the simulator: each side is a {@link SimulatedLink}
 * whose `outbound` conditions are `aToB` (for `a`) or `bToA` (for `b`), over an in-memory pair that
 * runs on the same clock. Change conditions later with `a.setConditions({ outbound })` (a → b) and
 * `b.setConditions({ outbound })` (b → a).
 *
 * On a `VirtualClock` a datagram sent at `t` with latency `L` reaches the other handler during the
 * `advance` that crosses `t + L`, with `clock.now() === t + L`. On `realClock` each hop adds the
 * host's minimum timer delay (about 1 ms in Node).
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const [a, b] = createSimulatedPair({ clock, seed: 1, aToB: { latency: 75, loss: 0.05 }, bToA: { latency: 75 } });
 * ```
 */
export function createSimulatedPair(options: SimulatedPairOptions): [SimulatedLink, SimulatedLink] {
  const { clock } = options;
  const rng = new SeededRng(options.seed ?? 0);
  const [ma, mb] = createMemoryLinkPair({ clock, maxDatagramSize: options.maxDatagramSize });
  const a = new SimulatedLink(ma, { clock, seed: rng.nextU32(), outbound: options.aToB });
  const b = new SimulatedLink(mb, { clock, seed: rng.nextU32(), outbound: options.bToA });
  return [a, b];
}
