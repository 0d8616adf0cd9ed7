/**
 * The client side of the arena's input protocol, shared by the browser page and the bots: a fixed
 * input step (`1 / inputRate` s, driven by whatever clock the caller has: animation frames, a
 * timer), a {@link Predictor} running the arena's pure {@link movePlayer} on each input at once,
 * and the `input` message to send: the last {@link REDUNDANT_INPUTS} unacknowledged inputs with
 * their sequence numbers, so a lost message costs nothing.
 * @module
 */
import { Predictor } from '@netplay/client';
import { type ArenaConfig, type ArenaInput, type ArenaInputs, type ArenaMeta, movePlayer } from './game.js';

/** Unacknowledged inputs repeated in every `input` message. */
export const REDUNDANT_INPUTS = 20;

/** Most input steps taken at once (a stalled tab or timer drops the rest instead of catching up). */
export const MAX_STEPS_AT_ONCE = 6;

/** A position, what the arena predicts. */
export interface Position {
  readonly x: number;
  readonly y: number;
}

/** The local player: fixed-step inputs, prediction and reconciliation. */
export class Pilot {
  /** `undefined` until the first snapshot gives the server's position. */
  predictor: Predictor<Position, ArenaInput> | undefined;
  /** The server's last reported position of this player (from snapshot meta). */
  server: Position | undefined;
  readonly #config: Pick<ArenaConfig, 'width' | 'height' | 'speed' | 'inputRate'>;
  #last: number | undefined;
  #carry = 0;

  constructor(config: Pick<ArenaConfig, 'width' | 'height' | 'speed' | 'inputRate'>) {
    this.#config = config;
  }

  /** Seconds per input. */
  get step(): number {
    return 1 / this.#config.inputRate;
  }

  /**
   * Advance to local time `now` (ms) holding `input`: one predicted input per elapsed input step
   * (at most {@link MAX_STEPS_AT_ONCE}). Returns the `input` message to send, or `undefined` when no
   * step elapsed or the first snapshot has not arrived yet.
   */
  update(now: number, input: ArenaInput): ArenaInputs | undefined {
    const p = this.predictor;
    if (p === undefined || this.#last === undefined) {
      this.#last = now;
      return undefined;
    }
    const stepMs = 1000 / this.#config.inputRate;
    this.#carry += Math.max(0, now - this.#last);
    this.#last = now;
    let steps = Math.floor(this.#carry / stepMs);
    this.#carry -= steps * stepMs;
    if (steps > MAX_STEPS_AT_ONCE) steps = MAX_STEPS_AT_ONCE;
    if (steps === 0) return undefined;
    for (let i = 0; i < steps; i++) p.applyInput(input, this.step);
    const message: ArenaInputs = [];
    for (const u of p.unacked.slice(-REDUNDANT_INPUTS)) message.push(u.seq, u.input.dx, u.input.dy);
    return message;
  }

  /**
   * Take the server's word from a snapshot's meta: the first one starts the prediction, later ones
   * reconcile it (drop the inputs the server processed, replay the rest on its position). Returns
   * `true` when the prediction changed (a correction).
   */
  reconcile(meta: ArenaMeta, now: number): boolean {
    const [ack, x, y] = meta;
    this.server = { x, y };
    if (this.predictor === undefined) {
      this.predictor = new Predictor<Position, ArenaInput>(
        { x, y },
        (s, input, dt) => movePlayer(s, input, dt, this.#config),
        {},
        samePosition,
      );
      return false;
    }
    return this.predictor.reconcile({ x, y }, ack, now);
  }

  /** The predicted position (`undefined` before the first snapshot). */
  get predicted(): Position | undefined {
    return this.predictor?.state;
  }
}

/** Positions equal to within a micro-unit (replays of the same inputs give the same floats anyway). */
function samePosition(a: Position, b: Position): boolean {
  return Math.abs(a.x - b.x) < 1e-6 && Math.abs(a.y - b.y) < 1e-6;
}
