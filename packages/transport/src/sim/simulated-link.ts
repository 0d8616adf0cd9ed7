/**
 * {@link SimulatedLink}: a {@link Link} wrapper that puts a simulated network between a game and
 * any real link, driven by a {@link Clock} and a seed.
 * @module
 */

import type { Clock } from '../clock.js';
import { InvalidOptionError, MessageTooLargeError } from '../errors.js';
import type { Link, LinkCloseInfo, LinkHandlers } from '../link/link.js';
import { SimulatedDirection, type SimulatedDirectionStats } from './direction.js';
import {
  type NetworkConditions,
  type ResolvedNetworkConditions,
  resolveNetworkConditions,
} from './network-conditions.js';
import { SeededRng } from './seeded-rng.js';

/** Options of {@link SimulatedLink}. */
export interface SimulatedLinkOptions {
  /**
   * Clock on which every delay runs. Required: a `VirtualClock` in tests (fully deterministic),
   * `realClock` for playing at real speed.
   */
  clock: Clock;
  /** Seed of every random choice of this link (integer). Same seed, same clock steps, same run. Defaults to `0`. */
  seed?: number;
  /** Conditions applied to what this side sends. Defaults to {@link DEFAULT_NETWORK_CONDITIONS}. */
  outbound?: NetworkConditions;
  /** Conditions applied to what this side receives. Defaults to {@link DEFAULT_NETWORK_CONDITIONS}. */
  inbound?: NetworkConditions;
  /**
   * Report `reliable: false` from the start, whatever the conditions. Use it when you will turn
   * loss on at runtime, so the connection above keeps resending from the first packet.
   * Defaults to `false`.
   */
  reportUnreliable?: boolean;
  /** Datagrams kept for the handler before {@link SimulatedLink.setHandlers}; more are dropped. Defaults to `256`. */
  maxQueuedBeforeHandlers?: number;
}

/** Defaults of the optional {@link SimulatedLinkOptions}. */
export const DEFAULT_SIMULATED_LINK_OPTIONS = Object.freeze({
  seed: 0,
  reportUnreliable: false,
  maxQueuedBeforeHandlers: 256,
}) satisfies Required<Omit<SimulatedLinkOptions, 'clock' | 'outbound' | 'inbound'>>;

/** New conditions for {@link SimulatedLink.setConditions}; an omitted direction keeps its conditions. */
export interface SimulatedConditionsUpdate {
  /** Replaces the outbound conditions (missing fields take the defaults, not the previous values). */
  outbound?: NetworkConditions;
  /** Replaces the inbound conditions (missing fields take the defaults, not the previous values). */
  inbound?: NetworkConditions;
}

/** Counters of a {@link SimulatedLink}. Live: the objects update as datagrams flow. */
export interface SimulatedLinkStats {
  /** What this side sent. */
  readonly outbound: SimulatedDirectionStats;
  /** What this side received. */
  readonly inbound: SimulatedDirectionStats;
  /** Received datagrams dropped because no handler was set and the queue was full. */
  readonly droppedBeforeHandlers: number;
}

/**
 * A {@link Link} that wraps another link and simulates a network on it: `outbound` conditions on
 * what this side sends, `inbound` conditions on what it receives (latency, jitter, loss, burst loss,
 * duplication, reordering, bandwidth, MTU and scripted drops; see {@link NetworkConditions}).
 *
 * Every datagram, even at latency 0, is delivered from a `clock.setTimeout` callback: `send` never
 * calls back into user code, and on a `VirtualClock` a run depends only on the seed and on how the
 * clock is driven. Random choices come from a {@link SeededRng}.
 *
 * `reliable` is the inner link's value until any condition (either direction, now or since
 * construction) can lose, duplicate or reorder a datagram; from then on it is `false`.
 *
 * Closing is immediate: datagrams still inside the simulator are discarded. `onClose` is reported
 * from a clock timer, after any datagrams queued for the handler.
 *
 * Most tests want {@link createSimulatedPair}; wrap a link yourself to put a bad network in front of
 * a real UDP or WebSocket link.
 */
export class SimulatedLink implements Link {
  readonly #inner: Link;
  readonly #clock: Clock;
  readonly #outbound: SimulatedDirection;
  readonly #inbound: SimulatedDirection;
  readonly #maxQueued: number;
  readonly #reportUnreliable: boolean;
  readonly #early: Uint8Array[] = [];
  readonly #stats: {
    outbound: SimulatedDirectionStats;
    inbound: SimulatedDirectionStats;
    droppedBeforeHandlers: number;
  };
  readonly #onFlush = (): void => this.#flush();
  #handlers: LinkHandlers | undefined = undefined;
  #closed = false;
  #closeInfo: LinkCloseInfo | undefined = undefined;
  #closeReported = false;
  #flushScheduled = false;
  #everDisturbs = false;

  /**
   * @param inner The link to wrap. The simulated link installs its own handlers on it and owns it from
   * now on (closing the wrapper closes it).
   * @throws {@link InvalidOptionError} for invalid options or conditions.
   */
  constructor(inner: Link, options: SimulatedLinkOptions) {
    if (typeof options?.clock?.now !== 'function' || typeof options.clock.setTimeout !== 'function') {
      throw new InvalidOptionError('clock', 'a Clock is required');
    }
    const d = DEFAULT_SIMULATED_LINK_OPTIONS;
    const maxQueued = options.maxQueuedBeforeHandlers ?? d.maxQueuedBeforeHandlers;
    if (!Number.isSafeInteger(maxQueued) || maxQueued < 0) {
      throw new InvalidOptionError('maxQueuedBeforeHandlers', `must be an integer ≥ 0, got ${maxQueued}`);
    }
    this.#inner = inner;
    this.#clock = options.clock;
    this.#maxQueued = maxQueued;
    this.#reportUnreliable = options.reportUnreliable ?? d.reportUnreliable;
    const rng = new SeededRng(options.seed ?? d.seed);
    this.#outbound = new SimulatedDirection(this.#clock, rng.fork(), 'outbound', (datagram) =>
      this.#inner.send(datagram),
    );
    this.#inbound = new SimulatedDirection(this.#clock, rng.fork(), 'inbound', (datagram) => this.#receive(datagram));
    this.#stats = { outbound: this.#outbound.stats, inbound: this.#inbound.stats, droppedBeforeHandlers: 0 };
    this.setConditions({ outbound: options.outbound ?? {}, inbound: options.inbound ?? {} });
    inner.setHandlers({
      onDatagram: (datagram) => {
        if (!this.#closed) this.#inbound.push(datagram);
      },
      onClose: (info) => this.#onInnerClose(info),
    });
    if (inner.closed) this.#onInnerClose({ local: false, reason: 'inner link was already closed' });
  }

  /** `false` once any condition can lose, duplicate or reorder (or with `reportUnreliable`), else the inner link's value. */
  get reliable(): boolean {
    return !this.#reportUnreliable && !this.#everDisturbs && this.#inner.reliable;
  }

  /** The inner link's limit (a smaller simulated `mtu` drops silently instead). */
  get maxDatagramSize(): number {
    return this.#inner.maxDatagramSize;
  }

  /** `true` once this side closed or the inner link reported its close. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Counters per direction. */
  get stats(): SimulatedLinkStats {
    return this.#stats;
  }

  /** The conditions in force, resolved. */
  get conditions(): { readonly outbound: ResolvedNetworkConditions; readonly inbound: ResolvedNetworkConditions } {
    return { outbound: this.#outbound.conditions, inbound: this.#inbound.conditions };
  }

  /**
   * Change conditions at runtime. Both directions are validated before either changes. Datagrams
   * already in flight keep their schedule; burst state and the bandwidth queue carry over.
   * @throws {@link InvalidOptionError} for invalid conditions (nothing changes then).
   */
  setConditions(update: SimulatedConditionsUpdate): void {
    const outbound = update.outbound && resolveNetworkConditions(update.outbound, 'outbound');
    const inbound = update.inbound && resolveNetworkConditions(update.inbound, 'inbound');
    if (outbound) this.#outbound.setConditions(outbound);
    if (inbound) this.#inbound.setConditions(inbound);
    if (!this.#outbound.preservesDelivery || !this.#inbound.preservesDelivery) this.#everDisturbs = true;
  }

  /**
   * Send through the simulator. Ownership of `datagram` passes to the link.
   * @throws {@link MessageTooLargeError} when larger than {@link maxDatagramSize}.
   */
  send(datagram: Uint8Array): void {
    if (this.#closed) return;
    const limit = this.#inner.maxDatagramSize;
    if (datagram.byteLength > limit) throw new MessageTooLargeError(datagram.byteLength, limit, 'datagram');
    this.#outbound.push(datagram);
  }

  /** Install the receiver; datagrams queued before are delivered from a clock timer. */
  setHandlers(handlers: LinkHandlers): void {
    this.#handlers = handlers;
    if (this.#early.length > 0 || this.#closeInfo !== undefined) this.#scheduleFlush();
  }

  /** Close this side and the inner link. Idempotent. */
  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeInfo = { local: true, reason };
    this.#early.length = 0;
    this.#outbound.clear();
    this.#inbound.clear();
    this.#inner.close(reason);
    this.#scheduleFlush();
  }

  #receive(datagram: Uint8Array): void {
    const handlers = this.#handlers;
    if (handlers !== undefined && this.#early.length === 0) {
      handlers.onDatagram(datagram);
    } else if (this.#early.length < this.#maxQueued) {
      this.#early.push(datagram);
    } else {
      this.#stats.droppedBeforeHandlers++;
    }
  }

  #onInnerClose(info: LinkCloseInfo): void {
    if (this.#closeInfo !== undefined) return;
    this.#closed = true;
    this.#closeInfo = info;
    this.#outbound.clear();
    this.#inbound.clear();
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    this.#clock.setTimeout(this.#onFlush, 0);
  }

  #flush(): void {
    this.#flushScheduled = false;
    const handlers = this.#handlers;
    if (handlers === undefined) return;
    const early = this.#early;
    let i = 0;
    try {
      // Stop if the handler closes this side: nothing is delivered after a local close.
      while (i < early.length && !this.#closeInfo?.local) handlers.onDatagram(early[i++]!);
    } finally {
      early.splice(0, i);
      if (early.length > 0) this.#scheduleFlush();
    }
    if (this.#closeInfo !== undefined && !this.#closeReported && (early.length === 0 || this.#closeInfo.local)) {
      early.length = 0;
      this.#closeReported = true;
      handlers.onClose?.(this.#closeInfo);
    }
  }
}
