/**
 * What the arena page draws, without the DOM (so Node tests run it): decoded snapshots go into a
 * {@link SnapshotInterpolator} for the other players; the page's own player is a {@link Pilot}
 * (a `Predictor` running `movePlayer`). Two switches choose what is drawn:
 * - `interpolate`: others between two snapshots, a delay in the past (on) or as in the newest
 *   snapshot (off: they step at the snapshot rate);
 * - `predict`: your player from the prediction (on) or at the server's last reported position
 *   (off: an RTT behind your keys).
 * @module
 */
import { type DecodedSnapshot, type EntityState, lerpFields, SnapshotInterpolator } from '@netplay/client';
import {
  type ArenaConfig,
  type ArenaField,
  type ArenaInput,
  type ArenaPlayer,
  parseArenaMeta,
  toArenaPlayer,
} from '../game.js';
import { Pilot, type Position } from '../pilot.js';

/** A player as drawn. */
export interface DrawnPlayer extends ArenaPlayer {
  /** `true` for the page's own player. */
  readonly own: boolean;
}

/** Live figures of a {@link ArenaView}. */
export interface ArenaViewFigures {
  /** Snapshots decoded. */
  snapshots: number;
  /** Of which deltas. */
  deltas: number;
  /** Snapshot body bytes per snapshot, averaged over the last second. */
  bytesPerSnapshot: number;
  /** Prediction corrections (a snapshot moved the prediction). */
  corrections: number;
  /** The interpolation delay in force, ms. */
  interpolationDelay: number;
  /** How far behind the server's present the others are drawn, ms (RTT/2 + interpolation delay). */
  viewDelay: number;
}

type Entity = EntityState<ArenaField>;

/** The page's model of the arena. */
export class ArenaView {
  interpolate = true;
  predict = true;
  readonly interp = new SnapshotInterpolator<Entity>(lerpFields<ArenaField>(['x', 'y']));
  pilot: Pilot;
  /** The newest snapshot decoded. */
  latest: DecodedSnapshot<ArenaField> | undefined;
  readonly figures: ArenaViewFigures = {
    snapshots: 0,
    deltas: 0,
    bytesPerSnapshot: 0,
    corrections: 0,
    interpolationDelay: 0,
    viewDelay: 0,
  };
  readonly #sizes: { at: number; bytes: number }[] = [];

  /** @param myId - the page's session id (its entity in snapshots). */
  constructor(
    readonly myId: string,
    public config: ArenaConfig,
  ) {
    this.pilot = new Pilot(config);
  }

  /** The room's `welcome` config (before any input was predicted: a new pilot with it). */
  configure(config: ArenaConfig): void {
    this.config = config;
    if (this.pilot.predictor === undefined) this.pilot = new Pilot(config);
  }

  /** Count a snapshot message's body size (call with the raw payload, before or after decoding). */
  countBytes(payload: unknown, now: number): void {
    const body = Array.isArray(payload) ? payload[4] : undefined;
    if (body instanceof Uint8Array) this.#sizes.push({ at: now, bytes: body.length });
  }

  /** A decoded snapshot arrived at `now` (ms) over a session with `rtt` (ms). */
  onSnapshot(snapshot: DecodedSnapshot<ArenaField>, now: number, rtt: number): void {
    this.figures.snapshots++;
    if (snapshot.baselineId !== -1) this.figures.deltas++;
    this.interp.push(snapshot.serverTime, snapshot.entities, now, rtt);
    if (snapshot.stale) return;
    this.latest = snapshot;
    const meta = parseArenaMeta(snapshot.meta);
    if (meta !== undefined && this.pilot.reconcile(meta, now)) this.figures.corrections++;
  }

  /** Take input steps up to `now` holding `input`; returns the `input` message to send, if any. */
  update(now: number, input: ArenaInput): number[] | undefined {
    return this.pilot.update(now, input);
  }

  /** The players to draw at `now`, per the switches (yours last, on top). */
  players(now: number): DrawnPlayer[] {
    while (this.#sizes.length > 0 && this.#sizes[0]!.at < now - 1000) this.#sizes.shift();
    this.figures.bytesPerSnapshot =
      this.#sizes.length === 0 ? 0 : this.#sizes.reduce((sum, s) => sum + s.bytes, 0) / this.#sizes.length;
    const out: DrawnPlayer[] = [];
    let own: ArenaPlayer | undefined;
    const entities = this.interpolate ? this.interp.sample(now) : this.latest?.entities;
    if (this.interp.size > 0) {
      this.figures.interpolationDelay = this.interpolate ? this.interp.delay : 0;
      const viewDelay = this.interp.viewDelay(now);
      this.figures.viewDelay = this.interpolate ? viewDelay : viewDelay - this.interp.delay;
    }
    for (const [id, e] of entities ?? []) {
      const p = toArenaPlayer(id, e);
      if (p === undefined) continue;
      if (id === this.myId) own = p;
      else out.push({ ...p, own: false });
    }
    // Your own player: its name, colour and score from the newest snapshot, its position predicted
    // (or the server's exact one).
    const base = own ?? (this.latest && toArenaPlayer(this.myId, this.latest.entities.get(this.myId) ?? {}));
    const at: Position | undefined = this.predict ? this.pilot.predicted : this.pilot.server;
    if (base !== undefined && at !== undefined) out.push({ ...base, x: at.x, y: at.y, own: true });
    return out;
  }
}
