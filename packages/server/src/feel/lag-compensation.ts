/**
 * Lag compensation: the server keeps a short history of entity states so a room can evaluate a
 * client's action (a hit test, a pickup) against the world *as that client saw it*, bounded by a
 * maximum rewind so a laggy or lying client cannot reach far into the past.
 *
 * When does a client see the world? A snapshot taken at server time `T` reaches the client RTT/2
 * later; the client renders it its interpolation delay later still; its action then takes RTT/2 to
 * come back. So an action arriving at server time `now` was aimed at the world of
 * `now − RTT/2 − viewDelay`, where `viewDelay` is how far behind its estimate of the server's
 * present the client renders (`SnapshotInterpolator.viewDelay`: RTT/2 + interpolation delay). The
 * client may also send the render time it saw (`SnapshotInterpolator.renderTime`) with the action;
 * {@link LagCompensator.clampTime} bounds that claim.
 * @module
 */
import { type EntityId, InvalidOptionError } from '@netplay/transport';

/** Options of {@link LagCompensator}. Defaults: {@link DEFAULT_LAG_COMPENSATION_OPTIONS}. */
export interface LagCompensationOptions {
  /**
   * Furthest back an action may be evaluated, in ms; older times are clamped to `now − maxRewind`.
   * Defaults to 300 (Valve's games allow up to 1 s; shorter limits what a high-ping player can get
   * away with at the victim's expense).
   */
  maxRewind?: number;
  /** How much history to keep, in ms (at least `maxRewind`). Defaults to 500. */
  historyMs?: number;
  /** Most recorded frames kept, whatever their age. Defaults to 128. */
  maxFrames?: number;
}

/** Defaults of {@link LagCompensationOptions}. */
export const DEFAULT_LAG_COMPENSATION_OPTIONS = {
  maxRewind: 300,
  historyMs: 500,
  maxFrames: 128,
} as const satisfies Required<LagCompensationOptions>;

/** Blends two states of one entity: `t` = 0 gives `a`, 1 gives `b`. */
export type EntityLerp<E> = (a: E, b: E, t: number) => E;

interface Frame<E> {
  time: number;
  entities: ReadonlyMap<EntityId, E>;
}

/**
 * A ring of recent entity states, queried at a past time.
 *
 * ```ts
 * const lag = new LagCompensator<{ x: number; y: number }>();
 * this.setTick(20, () => { step(); lag.record(this.clock.now(), this.entities); });
 * this.onMessage('shoot', (client, shot) => {
 *   const now = this.clock.now();
 *   const t = lag.viewTime(now, client.stats.rtt, shot.viewDelay);   // or lag.clampTime(now, shot.renderTime)
 *   const target = lag.sample(shot.target, t, lerpPosition);
 *   if (target && hit(shot, target)) …
 * });
 * ```
 *
 * `record` keeps the map and entity objects it is given: pass objects you do not mutate afterwards
 * (e.g. fresh per tick, or copies).
 *
 * @typeParam E - an entity's state.
 */
export class LagCompensator<E> {
  /** The options, with every default filled in. */
  readonly options: { readonly [P in keyof LagCompensationOptions]-?: number };
  private readonly frames: (Frame<E> | undefined)[];
  private head = 0;
  private count = 0;

  /** @throws {@link InvalidOptionError} for a bad option. */
  constructor(options: LagCompensationOptions = {}) {
    const o = {
      maxRewind: options.maxRewind ?? DEFAULT_LAG_COMPENSATION_OPTIONS.maxRewind,
      historyMs: options.historyMs ?? DEFAULT_LAG_COMPENSATION_OPTIONS.historyMs,
      maxFrames: options.maxFrames ?? DEFAULT_LAG_COMPENSATION_OPTIONS.maxFrames,
    };
    if (!(o.maxRewind >= 0 && Number.isFinite(o.maxRewind))) {
      throw new InvalidOptionError('maxRewind', `expected a number ≥ 0, got ${o.maxRewind}`);
    }
    if (!(o.historyMs >= o.maxRewind && Number.isFinite(o.historyMs))) {
      throw new InvalidOptionError('historyMs', `expected a number ≥ maxRewind, got ${o.historyMs}`);
    }
    if (!Number.isSafeInteger(o.maxFrames) || o.maxFrames < 2) {
      throw new InvalidOptionError('maxFrames', `expected an integer ≥ 2, got ${o.maxFrames}`);
    }
    this.options = Object.freeze(o);
    this.frames = new Array(o.maxFrames).fill(undefined);
  }

  /** Number of frames held. */
  get size(): number {
    return this.count;
  }

  /** Time of the oldest frame held (`NaN` when empty). */
  get oldestTime(): number {
    return this.count === 0 ? Number.NaN : this.at(0).time;
  }

  /**
   * Record the entities at `time` (ms, the room's clock; non-decreasing). Frames older than
   * `historyMs` before `time`, or beyond `maxFrames`, are dropped.
   */
  record(time: number, entities: ReadonlyMap<EntityId, E>): void {
    if (this.count > 0 && time < this.at(this.count - 1).time) return;
    const n = this.frames.length;
    const slot = (this.head + this.count) % n;
    if (this.count === n) this.head = (this.head + 1) % n;
    else this.count++;
    const frame = this.frames[slot];
    if (frame === undefined) this.frames[slot] = { time, entities };
    else {
      frame.time = time;
      frame.entities = entities;
    }
    while (this.count > 2 && this.at(1).time < time - this.options.historyMs) {
      this.frames[this.head] = undefined;
      this.head = (this.head + 1) % n;
      this.count--;
    }
  }

  /**
   * The server time a client's action arriving at `now` was aimed at: `now − rtt/2 − viewDelay`,
   * where `viewDelay` is how far behind its estimate of the server's present the client renders
   * (RTT/2 + its interpolation delay with `SnapshotInterpolator`), clamped to the maximum rewind.
   */
  viewTime(now: number, rtt: number, viewDelay: number): number {
    return this.clampTime(now, now - Math.max(0, rtt) / 2 - Math.max(0, viewDelay));
  }

  /** Bound a (client-claimed) time to `[now − maxRewind, now]`; `NaN` or non-numbers give `now`. */
  clampTime(now: number, time: number): number {
    if (typeof time !== 'number' || Number.isNaN(time)) return now;
    return Math.min(now, Math.max(now - this.options.maxRewind, time));
  }

  /**
   * The state of entity `id` at `time`: interpolated between the frames around it with `lerp`
   * (else the earlier frame's state), held at the oldest / newest frame outside the history.
   * `undefined` when the entity did not exist then.
   */
  sample(id: EntityId, time: number, lerp?: EntityLerp<E>): E | undefined {
    if (this.count === 0) return undefined;
    const i = this.indexAtOrBefore(time);
    if (i < 0) return this.at(0).entities.get(id);
    const a = this.at(i);
    const ea = a.entities.get(id);
    if (i === this.count - 1 || ea === undefined) return ea;
    const b = this.at(i + 1);
    const eb = b.entities.get(id);
    if (eb === undefined || lerp === undefined || b.time <= a.time) return ea;
    return lerp(ea, eb, (time - a.time) / (b.time - a.time));
  }

  /** Every entity at `time` (see {@link LagCompensator.sample}), into `out` (cleared first) or a new map. */
  sampleAll(time: number, lerp?: EntityLerp<E>, out: Map<EntityId, E> = new Map()): Map<EntityId, E> {
    out.clear();
    if (this.count === 0) return out;
    const i = Math.max(0, this.indexAtOrBefore(time));
    for (const id of this.at(i).entities.keys()) {
      const e = this.sample(id, time, lerp);
      if (e !== undefined) out.set(id, e);
    }
    return out;
  }

  /** Drop all history. */
  clear(): void {
    this.frames.fill(undefined);
    this.head = 0;
    this.count = 0;
  }

  private at(i: number): Frame<E> {
    return this.frames[(this.head + i) % this.frames.length]!;
  }

  /** Index of the newest frame with `time ≤ t`, or -1. Binary search. */
  private indexAtOrBefore(t: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.at(mid).time <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}
