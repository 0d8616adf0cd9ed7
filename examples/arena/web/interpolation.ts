/**
 * Snapshot interpolation for remote players: state snapshots arrive at the room's tick rate
 * (20 Hz) with network jitter; the page draws other players where they were `delay` ms ago, blending
 * between the two snapshots around that moment, so movement looks smooth instead of stepping 20
 * times a second. Pure (no DOM), so Node tests run it.
 *
 * Time is the server's tick timeline (`tick × interval`), mapped to local time by an offset that
 * follows the earliest arrivals (the least delayed snapshots): jitter then only eats into `delay`,
 * it does not shake the players.
 * @module
 */
import type { ArenaPlayer, ArenaState } from '../game.js';

/** A player's drawn position. */
export interface DrawnPlayer {
  readonly id: string;
  readonly name: string;
  readonly color: string;
  readonly x: number;
  readonly y: number;
}

/** Options of a {@link SnapshotBuffer}. */
export interface SnapshotBufferOptions {
  /** Server tick rate in Hz (snapshot interval = 1000 / tickRate). Defaults to 20. */
  tickRate?: number;
  /** How far behind the newest state to draw, in ms (≥ 1 interval; 2 rides out one lost snapshot). Defaults to 100. */
  delay?: number;
  /** Snapshots kept. Defaults to 32. */
  capacity?: number;
}

interface Timed {
  /** Server time of the snapshot, ms. */
  readonly t: number;
  readonly players: ReadonlyMap<string, ArenaPlayer>;
}

/** Buffers snapshots and samples interpolated positions. */
export class SnapshotBuffer {
  readonly interval: number;
  readonly delay: number;
  readonly #capacity: number;
  readonly #snapshots: Timed[] = [];
  /** local time − server time, following the earliest arrivals. */
  #offset: number | undefined;
  #lastTick = -1;

  constructor(options: SnapshotBufferOptions = {}) {
    this.interval = 1000 / (options.tickRate ?? 20);
    this.delay = options.delay ?? 100;
    this.#capacity = options.capacity ?? 32;
  }

  /** Snapshots buffered. */
  get size(): number {
    return this.#snapshots.length;
  }

  /** Add a snapshot received at local time `receivedAt` (ms). Stale or repeated ticks are ignored. */
  push(state: ArenaState, receivedAt: number): void {
    if (state.tick <= this.#lastTick) return;
    this.#lastTick = state.tick;
    const t = state.tick * this.interval;
    const offset = receivedAt - t;
    // Jump to an earlier arrival at once; drift slowly towards later ones (the clock or the route changed).
    this.#offset =
      this.#offset === undefined || offset < this.#offset ? offset : this.#offset + (offset - this.#offset) * 0.02;
    this.#snapshots.push({ t, players: new Map(state.players.map((p) => [p.id, p])) });
    if (this.#snapshots.length > this.#capacity) this.#snapshots.shift();
  }

  /** Forget everything (after a reconnect: the new room's ticks start again). */
  clear(): void {
    this.#snapshots.length = 0;
    this.#offset = undefined;
    this.#lastTick = -1;
  }

  /**
   * Every player's position at local time `now`: interpolated between the snapshots around
   * `now − delay`, the newest snapshot held when the buffer runs dry (never extrapolated).
   */
  sample(now: number): DrawnPlayer[] {
    const snaps = this.#snapshots;
    const newest = snaps.at(-1);
    if (newest === undefined || this.#offset === undefined) return [];
    const t = now - this.#offset - this.delay;
    let i = snaps.length - 1;
    while (i > 0 && (snaps[i - 1] as Timed).t > t) i--;
    const to = snaps[i] as Timed;
    const from = i > 0 ? (snaps[i - 1] as Timed) : to;
    if (t >= newest.t) return [...newest.players.values()].map(drawn);
    const span = to.t - from.t;
    const k = span > 0 ? Math.min(1, Math.max(0, (t - from.t) / span)) : 1;
    const out: DrawnPlayer[] = [];
    for (const p of to.players.values()) {
      const a = from.players.get(p.id);
      out.push(a === undefined ? drawn(p) : { ...drawn(p), x: a.x + (p.x - a.x) * k, y: a.y + (p.y - a.y) * k });
    }
    return out;
  }
}

const drawn = (p: ArenaPlayer): DrawnPlayer => ({ id: p.id, name: p.name, color: p.color, x: p.x, y: p.y });
