/**
 * Snapshot interpolation: render remote entities a little in the past, between two snapshots the
 * client already holds, so their motion is smooth although snapshots arrive at 10–30 Hz, with
 * jitter, and some are lost.
 *
 * Timelines. A snapshot taken at server time `T` arrives about RTT/2 later. The interpolator keeps
 * two estimates from the snapshots' server timestamps, the local arrival times and the session's RTT:
 * - **server time** ({@link SnapshotInterpolator.serverTime}): the server's present, `T + RTT/2` at
 *   arrival, advancing with the local clock (for stamping inputs, countdowns, lag compensation);
 * - **render time** ({@link SnapshotInterpolator.renderTime}): the *arrival* timeline (`T` at
 *   arrival) minus the interpolation delay, so the snapshots on both sides of it have normally
 *   arrived. It never runs backwards: clock corrections are slewed in at most `clockSlew` ms per ms.
 *
 * Past the newest snapshot (losses, a late packet) entities are extrapolated along their last
 * motion for at most `maxExtrapolation` ms, then held.
 * @module
 */
import { type EntityId, type EntityState, type FieldValue, InvalidOptionError } from '@netplay/transport';

/** Options of {@link SnapshotInterpolator}. Defaults: {@link DEFAULT_INTERPOLATION_OPTIONS}. */
export interface InterpolationOptions {
  /**
   * How far behind the newest snapshot's timeline to render, in ms. The effective delay is the
   * larger of this and `delayIntervals` × the measured snapshot interval. Defaults to 100.
   */
  delay?: number;
  /** Lower bound of the delay in snapshot intervals (2 survives one lost snapshot). Defaults to 2. */
  delayIntervals?: number;
  /** Longest extrapolation past the newest snapshot, in ms; after it entities hold still. Defaults to 100. */
  maxExtrapolation?: number;
  /** Snapshots kept. Defaults to 32. */
  bufferSize?: number;
  /** Weight of each new clock-offset sample in its moving average (0–1). Defaults to 0.1. */
  clockSmoothing?: number;
  /** Fastest change of the render clock's offset, in ms per ms of local time (0–1). Defaults to 0.05. */
  clockSlew?: number;
  /** A clock error larger than this (ms) is corrected at once instead of slewed. Defaults to 250. */
  clockResetThreshold?: number;
}

/** Defaults of {@link InterpolationOptions}. */
export const DEFAULT_INTERPOLATION_OPTIONS = {
  delay: 100,
  delayIntervals: 2,
  maxExtrapolation: 100,
  bufferSize: 32,
  clockSmoothing: 0.1,
  clockSlew: 0.05,
  clockResetThreshold: 250,
} as const satisfies Required<InterpolationOptions>;

/**
 * Blends two states of one entity: `t` = 0 gives `a`, 1 gives `b`; `t` > 1 extrapolates. Not called
 * when both are the same object (an entity a delta snapshot left unchanged): that object is used as is.
 */
export type Lerp<E> = (a: E, b: E, t: number) => E;

/** Counters of a {@link SnapshotInterpolator}. */
export interface InterpolationStats {
  /** Snapshots pushed. */
  snapshots: number;
  /** Snapshots ignored (same server time as one held, or older than the render time). */
  ignored: number;
  /** `sample` calls that interpolated between two snapshots. */
  interpolated: number;
  /** `sample` calls past the newest snapshot within `maxExtrapolation`. */
  extrapolated: number;
  /** `sample` calls past `maxExtrapolation` (entities held still) or before the oldest snapshot. */
  held: number;
  /** Render-clock corrections applied at once (larger than `clockResetThreshold`). */
  clockResets: number;
}

interface Frame<E> {
  time: number;
  entities: ReadonlyMap<EntityId, E>;
}

/**
 * A buffer of snapshots, sampled at the render time.
 *
 * ```ts
 * const interp = new SnapshotInterpolator(lerpFields<'x' | 'y' | 'angle'>(['x', 'y'], ['angle']));
 * receiveSnapshots(room, decoder, (s) => interp.push(s.serverTime, s.entities, performance.now(), room.stats.rtt));
 * function frame() {
 *   for (const [id, e] of interp.sample(performance.now())) draw(id, e);
 * }
 * ```
 *
 * @typeParam E - an entity's state.
 */
export class SnapshotInterpolator<E = EntityState> {
  /** The options, with every default filled in. */
  readonly options: { readonly [P in keyof InterpolationOptions]-?: number };
  /** Counters, updated in place. */
  readonly stats: InterpolationStats = {
    snapshots: 0,
    ignored: 0,
    interpolated: 0,
    extrapolated: 0,
    held: 0,
    clockResets: 0,
  };
  private readonly lerp: Lerp<E>;
  private readonly frames: Frame<E>[] = [];
  /** Estimated `T − arrival` (arrival timeline offset), smoothed. */
  private offset = Number.NaN;
  /** Offset of the render clock (slewed toward `offset − delay`). */
  private applied = Number.NaN;
  private lastClockAt = Number.NaN;
  private lastRender = Number.NEGATIVE_INFINITY;
  private rtt = 0;
  private interval = 0;
  private newestTime = Number.NEGATIVE_INFINITY;

  /**
   * @param lerp - blends two states of an entity (see {@link lerpFields} for plain records).
   * @throws {@link InvalidOptionError} for a bad option.
   */
  constructor(lerp: Lerp<E>, options: InterpolationOptions = {}) {
    this.lerp = lerp;
    const d = DEFAULT_INTERPOLATION_OPTIONS;
    const o = {
      delay: options.delay ?? d.delay,
      delayIntervals: options.delayIntervals ?? d.delayIntervals,
      maxExtrapolation: options.maxExtrapolation ?? d.maxExtrapolation,
      bufferSize: options.bufferSize ?? d.bufferSize,
      clockSmoothing: options.clockSmoothing ?? d.clockSmoothing,
      clockSlew: options.clockSlew ?? d.clockSlew,
      clockResetThreshold: options.clockResetThreshold ?? d.clockResetThreshold,
    };
    for (const [name, value] of Object.entries(o)) {
      if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
        throw new InvalidOptionError(name, `expected a finite number ≥ 0, got ${value}`);
      }
    }
    if (!Number.isSafeInteger(o.bufferSize) || o.bufferSize < 2) {
      throw new InvalidOptionError('bufferSize', `expected an integer ≥ 2, got ${o.bufferSize}`);
    }
    if (o.clockSmoothing <= 0 || o.clockSmoothing > 1) {
      throw new InvalidOptionError('clockSmoothing', `expected 0 < value ≤ 1, got ${o.clockSmoothing}`);
    }
    if (o.clockSlew >= 1) throw new InvalidOptionError('clockSlew', `expected 0 ≤ value < 1, got ${o.clockSlew}`);
    this.options = Object.freeze(o);
  }

  /** Number of snapshots held. */
  get size(): number {
    return this.frames.length;
  }

  /** The interpolation delay in force, in ms: `max(delay, delayIntervals × measured interval)`. */
  get delay(): number {
    return Math.max(this.options.delay, this.options.delayIntervals * this.interval);
  }

  /**
   * Add a snapshot taken at `serverTime` (server clock, ms) that arrived at `now` (local clock, ms),
   * with the session's current smoothed `rtt` (ms; `room.stats.rtt`). Out-of-order snapshots are
   * inserted in place. The interpolator keeps `entities` (do not mutate it afterwards; decoded
   * snapshots never are).
   */
  push(serverTime: number, entities: ReadonlyMap<EntityId, E>, now: number, rtt: number): void {
    if (Number.isFinite(rtt) && rtt >= 0) this.rtt = rtt;
    // Clock: the arrival timeline's offset, a moving average of samples.
    const sample = serverTime - now;
    if (Number.isNaN(this.offset)) this.offset = sample;
    else if (serverTime > this.newestTime) this.offset += (sample - this.offset) * this.options.clockSmoothing;
    if (serverTime > this.newestTime) {
      if (Number.isFinite(this.newestTime)) {
        const gap = serverTime - this.newestTime;
        this.interval = this.interval === 0 ? gap : this.interval + (gap - this.interval) * 0.1;
      }
      this.newestTime = serverTime;
    }
    // Too old to ever be rendered, or already held.
    if (serverTime < this.lastRender && this.frames.length > 0 && serverTime < this.frames[0]!.time) {
      this.stats.ignored++;
      return;
    }
    let i = this.frames.length;
    while (i > 0 && this.frames[i - 1]!.time > serverTime) i--;
    if (i > 0 && this.frames[i - 1]!.time === serverTime) {
      this.stats.ignored++;
      return;
    }
    this.frames.splice(i, 0, { time: serverTime, entities });
    if (this.frames.length > this.options.bufferSize) this.frames.shift();
    this.stats.snapshots++;
  }

  /** Estimated server clock at local time `now` (ms): `T + RTT/2` at a snapshot's arrival, advancing. */
  serverTime(now: number): number {
    return Number.isNaN(this.offset) ? Number.NaN : now + this.offset + this.rtt / 2;
  }

  /**
   * The server time being rendered at `now`: the arrival timeline minus the delay, slewed so it
   * never jumps or runs backwards. `NaN` before the first snapshot.
   */
  renderTime(now: number): number {
    if (Number.isNaN(this.offset)) return Number.NaN;
    const target = this.offset - this.delay;
    if (Number.isNaN(this.applied)) {
      this.applied = target;
    } else if (now > this.lastClockAt) {
      const error = target - this.applied;
      if (Math.abs(error) > this.options.clockResetThreshold) {
        this.applied = target;
        this.stats.clockResets++;
      } else {
        const step = this.options.clockSlew * (now - this.lastClockAt);
        this.applied += Math.max(-step, Math.min(step, error));
      }
    }
    if (!(now <= this.lastClockAt)) this.lastClockAt = now;
    const t = now + this.applied;
    if (t > this.lastRender) this.lastRender = t;
    return this.lastRender;
  }

  /**
   * How far behind its estimate of the server's present the client renders, in ms (RTT/2 + the
   * interpolation delay): what the server's lag compensation rewinds by, beside RTT/2 for the
   * action's own trip (`LagCompensator.viewTime(now, rtt, viewDelay)`).
   */
  viewDelay(now: number): number {
    return this.serverTime(now) - this.renderTime(now);
  }

  /**
   * Every entity at the render time of `now`, into `out` (cleared first) or a new map. Entities
   * present in the earlier snapshot but gone from the later one stay until the later one's time;
   * entities new in the later one appear at its time.
   */
  sample(now: number, out: Map<EntityId, E> = new Map()): Map<EntityId, E> {
    out.clear();
    const n = this.frames.length;
    if (n === 0) return out;
    const t = this.renderTime(now);
    const frames = this.frames;
    // Drop snapshots that can no longer be an interpolation's earlier side.
    while (frames.length > 2 && frames[1]!.time <= t) frames.shift();
    const m = frames.length;
    const first = frames[0]!;
    if (t < first.time) {
      this.stats.held++;
      for (const [id, e] of first.entities) out.set(id, e);
      return out;
    }
    let i = 0;
    while (i + 1 < m && frames[i + 1]!.time <= t) i++;
    if (i + 1 < m) {
      const a = frames[i]!;
      const b = frames[i + 1]!;
      const k = (t - a.time) / (b.time - a.time);
      this.stats.interpolated++;
      for (const [id, ea] of a.entities) {
        const eb = b.entities.get(id);
        out.set(id, eb === undefined || eb === ea ? ea : this.lerp(ea, eb, k));
      }
      return out;
    }
    // Past the newest snapshot: extrapolate along the last motion, for a while.
    const newest = frames[m - 1]!;
    const prev = m >= 2 ? frames[m - 2]! : undefined;
    const ahead = t - newest.time;
    if (ahead > this.options.maxExtrapolation || prev === undefined) this.stats.held++;
    else this.stats.extrapolated++;
    const span = prev === undefined ? 0 : newest.time - prev.time;
    const k = span > 0 ? 1 + Math.min(ahead, this.options.maxExtrapolation) / span : 1;
    for (const [id, eb] of newest.entities) {
      const ea = prev?.entities.get(id);
      out.set(id, ea === undefined || ea === eb || k === 1 ? eb : this.lerp(ea, eb, k));
    }
    return out;
  }

  /** Forget every snapshot and the clock estimate. */
  clear(): void {
    this.frames.length = 0;
    this.offset = Number.NaN;
    this.applied = Number.NaN;
    this.lastClockAt = Number.NaN;
    this.lastRender = Number.NEGATIVE_INFINITY;
    this.interval = 0;
    this.newestTime = Number.NEGATIVE_INFINITY;
  }
}

/**
 * A {@link Lerp} for plain entity records: the `numeric` fields are blended linearly, the `angles`
 * (radians) along the shorter way round, every other field steps from `a`'s value to `b`'s at
 * `t` = 1. Allocates one object per call.
 */
export function lerpFields<K extends string>(numeric: readonly K[], angles: readonly K[] = []): Lerp<EntityState<K>> {
  return (a, b, t) => {
    const out: Record<string, FieldValue> = { ...(t < 1 ? a : b) };
    for (const f of numeric) {
      const va = a[f];
      const vb = b[f];
      if (typeof va === 'number' && typeof vb === 'number') out[f] = va + (vb - va) * t;
    }
    for (const f of angles) {
      const va = a[f];
      const vb = b[f];
      if (typeof va === 'number' && typeof vb === 'number') {
        let d = (vb - va) % (2 * Math.PI);
        if (d > Math.PI) d -= 2 * Math.PI;
        else if (d < -Math.PI) d += 2 * Math.PI;
        out[f] = va + d * t;
      }
    }
    return out as EntityState<K>;
  };
}
