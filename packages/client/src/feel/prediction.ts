/**
 * Client-side prediction with server reconciliation, generic over the game's state and input.
 *
 * The client applies each input to its predicted state at once (no round trip before the player
 * sees their own move) and sends it with a sequence number. The server applies inputs in order with
 * the same pure `applyInput`, and its snapshots say which input it processed last for this client.
 * On each such snapshot the client takes the server's state as truth, drops the inputs it covers,
 * and replays the ones still unacknowledged on top: when the server agrees, the prediction does not
 * move; when it does not (a collision the client could not know about, a lost input), the
 * prediction jumps to the corrected state — or, with `smoothing`, glides there.
 * @module
 */
import { InvalidOptionError } from '@netplay/transport';

/** A pure step of the game: the state after applying `input` for `dt` seconds. Must not mutate `state`. */
export type ApplyInput<S, I> = (state: S, input: I, dt: number) => S;

/** How visible corrections are smoothed. */
export interface CorrectionSmoothing<S> {
  /**
   * The state to show: `predicted` shifted by `remaining` × (`before` − `after`), where `before` is
   * what was shown when the correction happened and `after` the corrected prediction at that moment
   * (for positions: `predicted.x + remaining * (before.x - after.x)`, …). `remaining` decays from 1
   * to 0. Return `predicted` to snap (e.g. when the error is too large to hide).
   */
  blend(predicted: S, before: S, after: S, remaining: number): S;
  /** Time constant of the exponential decay of a correction, in ms. Defaults to 100. */
  timeConstant?: number;
}

/** Options of {@link Predictor}. Defaults: {@link DEFAULT_PREDICTION_OPTIONS}. */
export interface PredictionOptions<S> {
  /** Most unacknowledged inputs kept; the oldest are dropped past it (and no longer replayed). Defaults to 256. */
  maxPending?: number;
  /** Smooth visible corrections (see {@link Predictor.displayed}). Off by default: corrections snap. */
  smoothing?: CorrectionSmoothing<S>;
}

/** Defaults of {@link PredictionOptions}. */
export const DEFAULT_PREDICTION_OPTIONS = {
  maxPending: 256,
  /** Default {@link CorrectionSmoothing.timeConstant}, in ms. */
  smoothingTimeConstant: 100,
} as const;

/** An input waiting for the server's acknowledgement. */
export interface PendingInput<I> {
  /** Its sequence number (counts from 1). */
  readonly seq: number;
  /** The input as given to {@link Predictor.applyInput}. */
  readonly input: I;
  /** Seconds it was applied for. */
  readonly dt: number;
}

/** Counters of a {@link Predictor}. */
export interface PredictionStats {
  /** Inputs applied locally. */
  inputs: number;
  /** Reconciliations with a server state. */
  reconciliations: number;
  /** Reconciliations after which the prediction changed (per `equals`). */
  corrections: number;
  /** Inputs replayed in reconciliations. */
  replayed: number;
  /** Inputs dropped because `maxPending` was reached. */
  overflowed: number;
}

/** Remaining smoothing weight below which a correction is over. */
const SMOOTHING_DONE = 0.01;

/**
 * Predicts the local player's state.
 *
 * ```ts
 * const predictor = new Predictor({ x: 0, y: 0 }, move);           // move(state, input, dt) → state
 * // each frame:
 * const seq = predictor.applyInput(input, dt);
 * room.send('input', { seq, input, dt }, { reliable: false });    // or several recent ones (redundancy)
 * // on each snapshot:
 * predictor.reconcile(snapshot.meta.self, snapshot.meta.ack);
 * draw(predictor.state);
 * ```
 *
 * @typeParam S - the predicted state (treated as immutable).
 * @typeParam I - an input.
 */
export class Predictor<S, I> {
  /** The options, with every default filled in. */
  readonly options: { readonly maxPending: number; readonly smoothing: CorrectionSmoothing<S> | undefined };
  /** Counters, updated in place. */
  readonly stats: PredictionStats = { inputs: 0, reconciliations: 0, corrections: 0, replayed: 0, overflowed: 0 };
  private readonly apply: ApplyInput<S, I>;
  private readonly equals: (a: S, b: S) => boolean;
  private readonly timeConstant: number;
  private _state: S;
  private readonly pending: PendingInput<I>[] = [];
  private nextSeq = 1;
  private _acked = 0;
  // Correction being smoothed.
  private before: S | undefined;
  private after: S | undefined;
  private correctedAt = 0;

  /**
   * @param initial - the state to predict from (the server's, e.g. from the join's first snapshot).
   * @param applyInput - the game's pure step, the same one the server runs.
   * @param equals - whether two states are the same (decides what counts as a correction).
   *   Defaults to comparing JSON.
   * @throws {@link InvalidOptionError} for a bad option.
   */
  constructor(
    initial: S,
    applyInput: ApplyInput<S, I>,
    options: PredictionOptions<S> = {},
    equals: (a: S, b: S) => boolean = jsonEquals,
  ) {
    this._state = initial;
    this.apply = applyInput;
    this.equals = equals;
    const maxPending = options.maxPending ?? DEFAULT_PREDICTION_OPTIONS.maxPending;
    if (!Number.isSafeInteger(maxPending) || maxPending < 1) {
      throw new InvalidOptionError('maxPending', `expected a positive integer, got ${maxPending}`);
    }
    this.timeConstant = options.smoothing?.timeConstant ?? DEFAULT_PREDICTION_OPTIONS.smoothingTimeConstant;
    if (!(this.timeConstant > 0 && Number.isFinite(this.timeConstant))) {
      throw new InvalidOptionError('smoothing.timeConstant', `expected a positive number, got ${this.timeConstant}`);
    }
    this.options = Object.freeze({ maxPending, smoothing: options.smoothing });
  }

  /** The predicted state: the server's last state plus every unacknowledged input. */
  get state(): S {
    return this._state;
  }

  /** Sequence number of the last input the server acknowledged (0: none). */
  get acked(): number {
    return this._acked;
  }

  /** Inputs sent but not yet acknowledged, oldest first (resend them for redundancy). */
  get unacked(): readonly PendingInput<I>[] {
    return this.pending;
  }

  /** Sequence number the next input will get. */
  get nextSequence(): number {
    return this.nextSeq;
  }

  /** Apply `input` for `dt` seconds now; returns its sequence number (send it with the input). */
  applyInput(input: I, dt: number): number {
    const seq = this.nextSeq++;
    this._state = this.apply(this._state, input, dt);
    this.pending.push({ seq, input, dt });
    if (this.pending.length > this.options.maxPending) {
      this.pending.shift();
      this.stats.overflowed++;
    }
    this.stats.inputs++;
    return seq;
  }

  /**
   * The server's authoritative state after it processed input `lastProcessed` (0: none yet).
   * Drops the inputs it covers and replays the rest on top. Stale reconciliations (an older
   * `lastProcessed` than already seen) are ignored. `now` (ms) starts the smoothing of a correction.
   * Returns `true` when the prediction changed.
   */
  reconcile(serverState: S, lastProcessed: number, now = 0): boolean {
    if (!Number.isSafeInteger(lastProcessed) || lastProcessed < this._acked || lastProcessed >= this.nextSeq) {
      return false;
    }
    this._acked = lastProcessed;
    let drop = 0;
    while (drop < this.pending.length && this.pending[drop]!.seq <= lastProcessed) drop++;
    if (drop > 0) this.pending.splice(0, drop);
    let s = serverState;
    for (const p of this.pending) s = this.apply(s, p.input, p.dt);
    this.stats.replayed += this.pending.length;
    this.stats.reconciliations++;
    const changed = !this.equals(s, this._state);
    if (changed) {
      this.stats.corrections++;
      if (this.options.smoothing !== undefined) {
        this.before = this.displayed(now);
        this.after = s;
        this.correctedAt = now;
      }
    }
    this._state = s;
    return changed;
  }

  /**
   * What to draw at `now` (ms): the prediction, or with `smoothing` the prediction still carrying
   * the decaying part of recent corrections.
   */
  displayed(now: number): S {
    const smoothing = this.options.smoothing;
    if (smoothing === undefined || this.before === undefined || this.after === undefined) return this._state;
    const remaining = Math.exp(-Math.max(0, now - this.correctedAt) / this.timeConstant);
    if (remaining < SMOOTHING_DONE) {
      this.before = undefined;
      this.after = undefined;
      return this._state;
    }
    return smoothing.blend(this._state, this.before, this.after, remaining);
  }

  /** Start over from `state` (e.g. after a respawn the server dictates); pending inputs are dropped. */
  reset(state: S): void {
    this._state = state;
    this.pending.length = 0;
    this._acked = this.nextSeq - 1;
    this.before = undefined;
    this.after = undefined;
  }
}

function jsonEquals(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
