/**
 * The network simulator: a {@link SimulatedLink} wrapper, {@link createSimulatedPair}, the
 * {@link NetworkConditions} it applies and the {@link SeededRng} behind its random choices.
 * Clocks live in `clock.ts`.
 * @module
 */

export type { SimulatedDirectionStats, SimulatedDropCounts } from './direction.js';
export {
  type BurstLoss,
  DEFAULT_NETWORK_CONDITIONS,
  type DropInfo,
  type DropPredicate,
  type DropWindow,
  type NetworkConditions,
  preservesDelivery,
  type ResolvedBurstLoss,
  type ResolvedNetworkConditions,
  resolveNetworkConditions,
} from './network-conditions.js';
export { SeededRng } from './seeded-rng.js';
export {
  DEFAULT_SIMULATED_LINK_OPTIONS,
  type SimulatedConditionsUpdate,
  SimulatedLink,
  type SimulatedLinkOptions,
  type SimulatedLinkStats,
} from './simulated-link.js';
export { createSimulatedPair, type SimulatedPairOptions } from './simulated-pair.js';
