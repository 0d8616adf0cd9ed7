/**
 * What the simulator does to the datagrams of one direction: the options, their defaults in one
 * place, and their validation.
 * @module
 */

import { InvalidOptionError } from '../errors.js';

/**
 * Gilbert–Elliott burst loss: a two-state Markov chain stepped once per datagram. In the *good*
 * state datagrams are lost with probability `lossInGood`, in the *bad* state with `lossInBad`.
 * With the defaults (lose everything in bad, nothing in good) losses come in bursts whose mean
 * length is `1 / pBadToGood` datagrams, separated by gaps of mean `1 / pGoodToBad`.
 */
export interface BurstLoss {
  /** Probability, per datagram, of moving from the good to the bad state. Required, in [0, 1]. */
  pGoodToBad: number;
  /** Probability, per datagram, of moving from the bad back to the good state. Required, in [0, 1]. */
  pBadToGood: number;
  /** Loss probability in the bad state. Defaults to `1`. */
  lossInBad?: number;
  /** Loss probability in the good state. Defaults to `0`. */
  lossInGood?: number;
}

/** {@link BurstLoss} with every field present. */
export type ResolvedBurstLoss = Required<BurstLoss>;

/** A time window, in clock milliseconds, half-open: `from ≤ t < to`. */
export interface DropWindow {
  /** Start of the window (inclusive). */
  readonly from: number;
  /** End of the window (exclusive); `Infinity` for "from then on". */
  readonly to: number;
}

/**
 * What a {@link DropPredicate} learns about a datagram. The simulator reuses one object per
 * direction: copy the fields if you need them after the call.
 */
export interface DropInfo {
  /** 0-based index of the datagram in this direction (counting every datagram that entered it). */
  readonly index: number;
  /** Clock time at which the datagram entered the simulator, in milliseconds. */
  readonly time: number;
  /** The direction, as seen from the simulated link. */
  readonly direction: 'outbound' | 'inbound';
}

/** Scripted loss: return `true` to drop `datagram`. Must not modify or keep `datagram`. */
export type DropPredicate = (datagram: Uint8Array, info: DropInfo) => boolean;

/**
 * Network conditions of one direction. Every field is optional; a missing field takes its value
 * from {@link DEFAULT_NETWORK_CONDITIONS} (a perfect, instant network).
 *
 * A datagram goes through the stages in this order, and the first that drops it is the cause
 * counted in the stats: `mtu` → scripted (`dropIndices`, `dropWindows`, `dropIf`) → `burst` →
 * `loss` → `bandwidth` queue → delay (`latency` ± `jitter`, `reorder`) and `duplicate`.
 */
export interface NetworkConditions {
  /** Fixed one-way delay in milliseconds, added after the bandwidth queue. Defaults to `0`. */
  latency?: number;
  /**
   * Random extra delay in milliseconds, uniform in [−`jitter`, +`jitter`] per datagram; a total
   * delay below `0` is clamped to `0` (so `jitter` > `latency` skews the distribution).
   * Defaults to `0`.
   */
  jitter?: number;
  /**
   * When `true`, jitter never makes a datagram overtake an earlier one (each delivery waits for the
   * previous one, as on a single path). Explicit `reorder` still reorders. Defaults to `false`.
   */
  keepOrder?: boolean;
  /** Independent (Bernoulli) loss probability per datagram, in [0, 1]. Defaults to `0`. */
  loss?: number;
  /** Gilbert–Elliott burst loss, applied on top of `loss`; `undefined` turns it off. Defaults to `undefined`. */
  burst?: BurstLoss;
  /** Probability that a datagram is delivered twice (the copy gets its own jitter), in [0, 1]. Defaults to `0`. */
  duplicate?: number;
  /** Probability that a datagram is held back by `reorderDelay`, letting later ones overtake it, in [0, 1]. Defaults to `0`. */
  reorder?: number;
  /** Extra delay in milliseconds of a datagram picked by `reorder`. Defaults to `10`. */
  reorderDelay?: number;
  /**
   * Bottleneck rate in bytes per second: datagrams leave one after another, each taking
   * `size / bandwidth` seconds (a token bucket one datagram deep). `Infinity` means no limit.
   * Defaults to `Infinity`.
   */
  bandwidth?: number;
  /**
   * Bytes that may wait in the bandwidth queue (including the datagram being sent); a datagram that
   * would exceed it is dropped (tail drop). Only used with a finite `bandwidth`. Defaults to `Infinity`.
   */
  queueLimit?: number;
  /** Datagrams larger than this many bytes are dropped (a path MTU black hole). Defaults to `Infinity`. */
  mtu?: number;
  /** Drop the datagrams with these 0-based indices in this direction. Defaults to `[]`. */
  dropIndices?: readonly number[];
  /** Drop every datagram that enters this direction during one of these windows. Defaults to `[]`. */
  dropWindows?: readonly DropWindow[];
  /** Drop every datagram for which this returns `true`. Defaults to `undefined`. */
  dropIf?: DropPredicate;
}

/** {@link NetworkConditions} with every field resolved and validated. */
export interface ResolvedNetworkConditions {
  readonly latency: number;
  readonly jitter: number;
  readonly keepOrder: boolean;
  readonly loss: number;
  readonly burst: Readonly<ResolvedBurstLoss> | undefined;
  readonly duplicate: number;
  readonly reorder: number;
  readonly reorderDelay: number;
  readonly bandwidth: number;
  readonly queueLimit: number;
  readonly mtu: number;
  readonly dropIndices: readonly number[];
  readonly dropWindows: readonly DropWindow[];
  readonly dropIf: DropPredicate | undefined;
}

/** Defaults of {@link NetworkConditions}: a perfect network that delivers everything at once (on the next timer). */
export const DEFAULT_NETWORK_CONDITIONS = Object.freeze({
  latency: 0,
  jitter: 0,
  keepOrder: false,
  loss: 0,
  burst: undefined,
  duplicate: 0,
  reorder: 0,
  reorderDelay: 10,
  bandwidth: Number.POSITIVE_INFINITY,
  queueLimit: Number.POSITIVE_INFINITY,
  mtu: Number.POSITIVE_INFINITY,
  dropIndices: Object.freeze([]) as readonly number[],
  dropWindows: Object.freeze([]) as readonly DropWindow[],
  dropIf: undefined,
}) satisfies ResolvedNetworkConditions;

/**
 * Fill in defaults and validate.
 * @param conditions The options; `undefined` gives the defaults.
 * @param path Prefix of option names in error messages, e.g. `outbound`.
 * @throws {@link InvalidOptionError} for any out-of-range value.
 */
export function resolveNetworkConditions(
  conditions: NetworkConditions | undefined,
  path = 'conditions',
): ResolvedNetworkConditions {
  const c = conditions ?? {};
  const d = DEFAULT_NETWORK_CONDITIONS;
  const at = (name: string) => `${path}.${name}`;
  const burst = c.burst === undefined ? undefined : resolveBurst(c.burst, at('burst'));
  const resolved: ResolvedNetworkConditions = {
    latency: nonNegative(c.latency ?? d.latency, at('latency')),
    jitter: nonNegative(c.jitter ?? d.jitter, at('jitter')),
    keepOrder: bool(c.keepOrder ?? d.keepOrder, at('keepOrder')),
    loss: probability(c.loss ?? d.loss, at('loss')),
    burst,
    duplicate: probability(c.duplicate ?? d.duplicate, at('duplicate')),
    reorder: probability(c.reorder ?? d.reorder, at('reorder')),
    reorderDelay: nonNegative(c.reorderDelay ?? d.reorderDelay, at('reorderDelay')),
    bandwidth: positive(c.bandwidth ?? d.bandwidth, at('bandwidth')),
    queueLimit: positive(c.queueLimit ?? d.queueLimit, at('queueLimit')),
    mtu: positive(c.mtu ?? d.mtu, at('mtu')),
    dropIndices: indices(c.dropIndices ?? d.dropIndices, at('dropIndices')),
    dropWindows: windows(c.dropWindows ?? d.dropWindows, at('dropWindows')),
    dropIf: predicate(c.dropIf, at('dropIf')),
  };
  return Object.freeze(resolved);
}

/**
 * `true` when these conditions deliver every datagram exactly once and in order (they may still
 * delay it): no loss of any kind, no duplication, no reordering. The simulated link reports
 * `reliable: false` as soon as one direction stops preserving delivery.
 */
export function preservesDelivery(c: ResolvedNetworkConditions): boolean {
  const burstLoses =
    c.burst !== undefined && (c.burst.lossInGood > 0 || (c.burst.pGoodToBad > 0 && c.burst.lossInBad > 0));
  return (
    c.loss === 0 &&
    !burstLoses &&
    c.duplicate === 0 &&
    (c.reorder === 0 || c.reorderDelay === 0) &&
    (c.jitter === 0 || c.keepOrder) &&
    c.mtu === Number.POSITIVE_INFINITY &&
    (c.bandwidth === Number.POSITIVE_INFINITY || c.queueLimit === Number.POSITIVE_INFINITY) &&
    c.dropIndices.length === 0 &&
    c.dropWindows.length === 0 &&
    c.dropIf === undefined
  );
}

function resolveBurst(b: BurstLoss, path: string): Readonly<ResolvedBurstLoss> {
  if (typeof b !== 'object' || b === null) throw new InvalidOptionError(path, 'must be an object');
  return Object.freeze({
    pGoodToBad: probability(b.pGoodToBad, `${path}.pGoodToBad`),
    pBadToGood: probability(b.pBadToGood, `${path}.pBadToGood`),
    lossInBad: probability(b.lossInBad ?? 1, `${path}.lossInBad`),
    lossInGood: probability(b.lossInGood ?? 0, `${path}.lossInGood`),
  });
}

function probability(v: number, name: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new InvalidOptionError(name, `must be in [0, 1], got ${v}`);
  return v;
}

function nonNegative(v: number, name: string): number {
  if (typeof v !== 'number' || !(v >= 0) || v === Number.POSITIVE_INFINITY) {
    throw new InvalidOptionError(name, `must be a finite number ≥ 0, got ${v}`);
  }
  return v;
}

function positive(v: number, name: string): number {
  if (typeof v !== 'number' || !(v > 0))
    throw new InvalidOptionError(name, `must be > 0 (Infinity for no limit), got ${v}`);
  return v;
}

function bool(v: boolean, name: string): boolean {
  if (typeof v !== 'boolean') throw new InvalidOptionError(name, `must be a boolean, got ${String(v)}`);
  return v;
}

function indices(v: readonly number[], name: string): readonly number[] {
  if (!Array.isArray(v)) throw new InvalidOptionError(name, 'must be an array of indices');
  for (const i of v) {
    if (!Number.isSafeInteger(i) || i < 0) throw new InvalidOptionError(name, `must hold integers ≥ 0, got ${i}`);
  }
  return Object.freeze([...v]);
}

function windows(v: readonly DropWindow[], name: string): readonly DropWindow[] {
  if (!Array.isArray(v)) throw new InvalidOptionError(name, 'must be an array of {from, to}');
  return Object.freeze(
    v.map((w, i) => {
      if (
        typeof w !== 'object' ||
        w === null ||
        !Number.isFinite(w.from) ||
        typeof w.to !== 'number' ||
        !(w.to >= w.from)
      ) {
        throw new InvalidOptionError(`${name}[${i}]`, 'must be {from, to} with a finite from and to ≥ from');
      }
      return Object.freeze({ from: w.from, to: w.to });
    }),
  );
}

function predicate(v: DropPredicate | undefined, name: string): DropPredicate | undefined {
  if (v !== undefined && typeof v !== 'function') throw new InvalidOptionError(name, 'must be a function');
  return v;
}
