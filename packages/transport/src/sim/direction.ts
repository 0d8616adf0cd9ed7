/**
 * One direction of a simulated link: the pipeline a datagram goes through (drops, bandwidth queue,
 * delay, duplication) and the in-flight queue that delivers it on the clock.
 * @module
 */

import type { Clock, TimerHandle } from '../clock.js';
import {
  DEFAULT_NETWORK_CONDITIONS,
  type DropInfo,
  preservesDelivery,
  type ResolvedNetworkConditions,
} from './network-conditions.js';
import type { SeededRng } from './seeded-rng.js';
import { type TimedEntry, TimedQueue } from './timed-queue.js';

/** Datagrams dropped by one direction of a simulated link, by cause. */
export interface SimulatedDropCounts {
  /** Dropped by independent `loss`. */
  readonly loss: number;
  /** Dropped by Gilbert–Elliott `burst` loss. */
  readonly burst: number;
  /** Dropped for being larger than `mtu`. */
  readonly mtu: number;
  /** Dropped because the bandwidth queue was over `queueLimit`. */
  readonly bandwidth: number;
  /** Dropped by `dropIndices`, `dropWindows` or `dropIf`. */
  readonly scripted: number;
}

/** Counters of one direction of a simulated link. Live: the object updates as datagrams flow. */
export interface SimulatedDirectionStats {
  /** Datagrams that entered this direction. */
  readonly datagramsIn: number;
  /** Bytes that entered this direction. */
  readonly bytesIn: number;
  /** Datagrams handed on (to the inner link when outbound, to the handler when inbound), duplicates included. */
  readonly delivered: number;
  /** Bytes handed on, duplicates included. */
  readonly bytesDelivered: number;
  /** Datagrams dropped, by cause. */
  readonly dropped: SimulatedDropCounts;
  /** Extra copies made by `duplicate`. */
  readonly duplicated: number;
  /** Datagrams held back by `reorder`. */
  readonly reordered: number;
  /** Datagrams currently in flight (scheduled, not yet handed on). */
  readonly inFlight: number;
}

class DropCounters implements SimulatedDropCounts {
  loss = 0;
  burst = 0;
  mtu = 0;
  bandwidth = 0;
  scripted = 0;
}

class DirectionCounters implements SimulatedDirectionStats {
  datagramsIn = 0;
  bytesIn = 0;
  delivered = 0;
  bytesDelivered = 0;
  readonly dropped = new DropCounters();
  duplicated = 0;
  reordered = 0;
  readonly #queue: TimedQueue<Delivery>;
  constructor(queue: TimedQueue<Delivery>) {
    this.#queue = queue;
  }
  get inFlight(): number {
    return this.#queue.size;
  }
}

/** A datagram in flight: an entry of the delivery queue, recycled through a small pool. */
class Delivery implements TimedEntry {
  at = 0;
  seq = 0;
  index = -1;
  datagram: Uint8Array | undefined = undefined;
}

const POOL_LIMIT = 1024;

/**
 * The simulator pipeline of one direction. Internal to {@link SimulatedLink}.
 * @internal
 */
export class SimulatedDirection {
  readonly stats: SimulatedDirectionStats;
  readonly #counters: DirectionCounters;
  readonly #clock: Clock;
  readonly #sink: (datagram: Uint8Array) => void;
  readonly #info: { index: number; time: number; direction: DropInfo['direction'] };
  readonly #queue = new TimedQueue<Delivery>();
  readonly #pool: Delivery[] = [];
  readonly #onTimer = (): void => this.#drain();
  // One stream per random effect, so turning one effect on does not shift another's pattern.
  readonly #lossRng: SeededRng;
  readonly #burstRng: SeededRng;
  readonly #jitterRng: SeededRng;
  readonly #duplicateRng: SeededRng;
  readonly #reorderRng: SeededRng;
  #c: ResolvedNetworkConditions = DEFAULT_NETWORK_CONDITIONS;
  #dropIndices: ReadonlySet<number> = new Set();
  #preserves = true;
  #index = 0;
  #bad = false;
  #busyUntil = Number.NEGATIVE_INFINITY;
  #lastAt = Number.NEGATIVE_INFINITY;
  #timer: TimerHandle | undefined = undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(clock: Clock, rng: SeededRng, direction: DropInfo['direction'], sink: (datagram: Uint8Array) => void) {
    this.#clock = clock;
    this.#sink = sink;
    this.#info = { index: 0, time: 0, direction };
    this.#lossRng = rng.fork();
    this.#burstRng = rng.fork();
    this.#jitterRng = rng.fork();
    this.#duplicateRng = rng.fork();
    this.#reorderRng = rng.fork();
    this.#counters = new DirectionCounters(this.#queue);
    this.stats = this.#counters;
  }

  /** The conditions in force. */
  get conditions(): ResolvedNetworkConditions {
    return this.#c;
  }

  /** `true` while the conditions deliver every datagram once and in order. */
  get preservesDelivery(): boolean {
    return this.#preserves;
  }

  /** Replace the conditions (already validated). State (burst state, queue, in-flight datagrams) carries over. */
  setConditions(c: ResolvedNetworkConditions): void {
    this.#c = c;
    this.#dropIndices = new Set(c.dropIndices);
    this.#preserves = preservesDelivery(c);
  }

  /** A datagram enters this direction. */
  push(datagram: Uint8Array): void {
    const c = this.#c;
    const s = this.#counters;
    const now = this.#clock.now();
    const size = datagram.byteLength;
    const index = this.#index++;
    s.datagramsIn++;
    s.bytesIn += size;

    // The random stages draw for every datagram, also one an earlier stage drops: adding a
    // scripted drop or an MTU to a seeded run leaves which other datagrams they drop as it was.
    const burst = c.burst;
    let burstLoss = false;
    if (burst !== undefined) {
      this.#bad = this.#bad ? !this.#burstRng.chance(burst.pBadToGood) : this.#burstRng.chance(burst.pGoodToBad);
      burstLoss = this.#burstRng.chance(this.#bad ? burst.lossInBad : burst.lossInGood);
    }
    const randomLoss = this.#lossRng.chance(c.loss);
    if (size > c.mtu) {
      s.dropped.mtu++;
      return;
    }
    if (this.#scriptedDrop(datagram, index, now)) {
      s.dropped.scripted++;
      return;
    }
    if (burstLoss) {
      s.dropped.burst++;
      return;
    }
    if (randomLoss) {
      s.dropped.loss++;
      return;
    }

    let departure = now;
    if (c.bandwidth !== Number.POSITIVE_INFINITY) {
      const start = Math.max(this.#busyUntil, now);
      const backlog = ((start - now) * c.bandwidth) / 1000;
      if (backlog + size > c.queueLimit) {
        s.dropped.bandwidth++;
        return;
      }
      departure = start + (size * 1000) / c.bandwidth;
      this.#busyUntil = departure;
    }

    let at = this.#arrival(departure);
    if (c.reorderDelay > 0 && this.#reorderRng.chance(c.reorder)) {
      at += c.reorderDelay;
      s.reordered++;
    }
    this.#schedule(at, datagram);
    if (this.#duplicateRng.chance(c.duplicate)) {
      s.duplicated++;
      this.#schedule(this.#arrival(departure), datagram.slice());
    }
  }

  /** Discard everything in flight and stop the timer (the link closed). */
  clear(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#queue.clear((e) => this.#recycle(e));
  }

  #scriptedDrop(datagram: Uint8Array, index: number, now: number): boolean {
    const c = this.#c;
    if (this.#dropIndices.size > 0 && this.#dropIndices.has(index)) return true;
    const windows = c.dropWindows;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      if (now >= w.from && now < w.to) return true;
    }
    if (c.dropIf !== undefined) {
      this.#info.index = index;
      this.#info.time = now;
      return c.dropIf(datagram, this.#info);
    }
    return false;
  }

  /** Arrival time of a datagram that leaves the bottleneck at `departure`: latency, jitter, ordering. */
  #arrival(departure: number): number {
    const c = this.#c;
    let at = departure + c.latency;
    if (c.jitter > 0) {
      at += (this.#jitterRng.next() * 2 - 1) * c.jitter;
      if (at < departure) at = departure;
      if (!c.keepOrder) return at;
    }
    // Without jitter (or with keepOrder) nothing overtakes: not even after latency is lowered at runtime.
    if (at < this.#lastAt) at = this.#lastAt;
    this.#lastAt = at;
    return at;
  }

  #schedule(at: number, datagram: Uint8Array): void {
    const e = this.#pool.pop() ?? new Delivery();
    e.at = at;
    e.datagram = datagram;
    this.#queue.push(e);
    if (at < this.#timerAt) this.#arm(at);
  }

  #arm(at: number): void {
    this.#timer?.cancel();
    this.#timerAt = at;
    const delay = at - this.#clock.now();
    this.#timer = this.#clock.setTimeout(this.#onTimer, Math.max(delay, 0));
  }

  #drain(): void {
    // The timer was due at #timerAt: deliver up to it even if the clock reads a hair earlier.
    const now = this.#clock.now();
    const limit = Math.max(this.#timerAt, now);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const q = this.#queue;
    const s = this.#counters;
    try {
      for (let e = q.peek(); e !== undefined && e.at <= limit; e = q.peek()) {
        q.pop();
        const datagram = e.datagram!;
        this.#recycle(e);
        s.delivered++;
        s.bytesDelivered += datagram.byteLength;
        this.#sink(datagram);
      }
    } finally {
      const next = q.peek();
      if (next !== undefined && next.at < this.#timerAt) this.#arm(next.at);
    }
  }

  #recycle(e: Delivery): void {
    e.datagram = undefined;
    if (this.#pool.length < POOL_LIMIT) this.#pool.push(e);
  }
}
