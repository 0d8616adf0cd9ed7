/**
 * The arena's rules, without any networking: configuration, message shapes, input validation, the
 * movement step and the tag rule. Pure and dependency-free, so the server room, the bots and the
 * browser page share the same code (the page predicts its own movement with {@link movePlayer}).
 * @module
 */

/** Size of the arena and speed of the players. */
export interface ArenaConfig {
  /** Width in world units (x runs from 0 to `width`). */
  width: number;
  /** Height in world units (y runs from 0 to `height`). */
  height: number;
  /** Distance a player covers per second at full input. */
  speed: number;
  /** Snapshot rate, in Hz. */
  tickRate: number;
  /** Input rate, in Hz: each input moves its player for `1 / inputRate` seconds. */
  inputRate: number;
}

/** Defaults of {@link ArenaConfig}. */
export const DEFAULT_ARENA_CONFIG: Readonly<ArenaConfig> = Object.freeze({
  width: 800,
  height: 600,
  speed: 200,
  tickRate: 20,
  inputRate: 60,
});

/** One input: the direction to move in for one input step, each axis in [-1, 1]. */
export interface ArenaInput {
  dx: number;
  dy: number;
}

/**
 * An `input` message (client → server, unreliable): `[seq, dx, dy, seq, dx, dy, …]`, the sender's
 * recent inputs oldest first, each with its sequence number (from 1, consecutive). The room applies
 * each sequence number once, in order, and skips those it already processed, so sending the last
 * few unacknowledged inputs in every message makes a lost message cost nothing.
 */
export type ArenaInputs = number[];

/** Most inputs in one `input` message. */
export const MAX_INPUTS_PER_MESSAGE = 32;

/** The snapshot fields of a player (`DeltaSnapshots` / `SnapshotDecoder` schema), positions to 0.1 unit. */
export const ARENA_FIELDS = [
  { name: 'x', precision: 0.1 },
  { name: 'y', precision: 0.1 },
  'name',
  'color',
  'score',
] as const;

/** Field names of {@link ARENA_FIELDS}. */
export type ArenaField = 'x' | 'y' | 'name' | 'color' | 'score';

/** A player as snapshots carry it (entity id: the session id). */
export interface ArenaEntity {
  readonly x: number;
  readonly y: number;
  readonly name: string;
  /** CSS colour `#rrggbb`. */
  readonly color: string;
  /** Players tagged so far. */
  readonly score: number;
}

/** A player as every member sees it. */
export interface ArenaPlayer extends ArenaEntity {
  /** Session id of the player. */
  readonly id: string;
}

/**
 * Per-client snapshot metadata: `[lastInput, x, y]`, the last input sequence number the room
 * processed for the recipient and its exact (unquantized) position after it: what the recipient's
 * `Predictor` reconciles with.
 */
export type ArenaMeta = readonly [lastInput: number, x: number, y: number];

/** Snapshot meta from the network to an {@link ArenaMeta}, or `undefined` when malformed. */
export function parseArenaMeta(meta: unknown): ArenaMeta | undefined {
  if (!Array.isArray(meta) || meta.length !== 3) return undefined;
  const [seq, x, y] = meta as unknown[];
  return Number.isSafeInteger(seq) && (seq as number) >= 0 && isFiniteNumber(x) && isFiniteNumber(y)
    ? [seq as number, x, y]
    : undefined;
}

/** A decoded snapshot entity (from the network) to an {@link ArenaPlayer}, or `undefined` when malformed. */
export function toArenaPlayer(id: unknown, e: Readonly<Record<string, unknown>>): ArenaPlayer | undefined {
  const { x, y, name, color, score } = e;
  if (typeof id !== 'string' || !isFiniteNumber(x) || !isFiniteNumber(y) || !isFiniteNumber(score)) return undefined;
  if (typeof name !== 'string' || typeof color !== 'string') return undefined;
  return { id, x, y, name, color, score };
}

/**
 * A `tag` message (client → server, reliable): tag whoever stands at (`x`, `y`) as the client drew
 * the world at server time `renderTime` (`SnapshotInterpolator.renderTime`). With `compensate`
 * (the page's lag-compensation toggle) the room looks at its history at that time (bounded by its
 * maximum rewind); without, at its present.
 */
export interface ArenaTag {
  x: number;
  y: number;
  renderTime: number;
  compensate: boolean;
}

/** The `tagged` message (server → all, reliable): the result of one tag. */
export interface ArenaTagResult {
  /** Session id of the tagger. */
  by: string;
  /** Session id of the player tagged, or `null` for a miss. */
  target: string | null;
  /** Where the tagger aimed. */
  x: number;
  y: number;
  /** How far back the room looked, in ms (0 without lag compensation). */
  rewind: number;
}

/** The `feel` message (client → server, reliable): the client's choice of snapshot encoding. */
export interface ArenaFeel {
  /** Delta snapshots (`true`) or full ones. Ignored (always full) when the room was created with `deltas: false`. */
  deltas: boolean;
}

/** Payload validator of `feel`. */
export function isArenaFeel(payload: unknown): payload is ArenaFeel {
  return payload !== null && typeof payload === 'object' && typeof (payload as ArenaFeel).deltas === 'boolean';
}

/**
 * How far (in seconds of input) a client may run ahead of the room's clock: the room applies an
 * input only while the client's input time stays within this of real time (and keeps the rest for
 * the client's next message, which repeats it), so a client cannot move faster by sending more inputs.
 */
export const MAX_INPUT_AHEAD = 0.25;

/** A tag reaches this far from the tagger's position (world units). */
export const TAG_RANGE = 160;
/** A tag hits a player whose centre is this close to the aim point (world units; players are drawn with radius 14). */
export const TAG_RADIUS = 20;
/** Shortest time between two tags of one player, in ms. */
export const TAG_COOLDOWN = 250;

/** Payload validator of `tag`. */
export function isArenaTag(payload: unknown): payload is ArenaTag {
  if (payload === null || typeof payload !== 'object') return false;
  const { x, y, renderTime, compensate } = payload as Record<string, unknown>;
  return isFiniteNumber(x) && isFiniteNumber(y) && typeof renderTime === 'number' && typeof compensate === 'boolean';
}

/**
 * The player closest to (`x`, `y`) within {@link TAG_RADIUS}, skipping `except` (the tagger), or
 * `undefined`.
 */
export function tagTarget(
  x: number,
  y: number,
  players: Iterable<readonly [string, { readonly x: number; readonly y: number }]>,
  except: string,
): string | undefined {
  let best: string | undefined;
  let bestDistance = TAG_RADIUS;
  for (const [id, p] of players) {
    if (id === except) continue;
    const d = Math.hypot(p.x - x, p.y - y);
    if (d <= bestDistance) {
      best = id;
      bestDistance = d;
    }
  }
  return best;
}

/** The `welcome` message each joiner gets (reliable). */
export interface ArenaWelcome {
  /** Your session id (your entry in `state.players`). */
  id: string;
  config: ArenaConfig;
}

/** Join options of the arena. */
export interface ArenaJoinOptions {
  /** Display name, 1 to 16 characters. */
  name?: string;
  /** `#rrggbb`; a colour from {@link PALETTE} when absent or malformed. */
  color?: string;
}

/** Colours given to players that did not choose one. */
export const PALETTE = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6'];

/**
 * Payload validator of `input`: `[seq, dx, dy, …]`, at most {@link MAX_INPUTS_PER_MESSAGE} triples,
 * sequence numbers positive safe integers, directions finite numbers (any magnitude:
 * {@link clampInput} bounds them).
 */
export function isArenaInputs(payload: unknown): payload is ArenaInputs {
  if (!Array.isArray(payload) || payload.length === 0 || payload.length % 3 !== 0) return false;
  if (payload.length > MAX_INPUTS_PER_MESSAGE * 3) return false;
  for (let i = 0; i < payload.length; i += 3) {
    const seq = payload[i];
    if (!Number.isSafeInteger(seq) || (seq as number) < 1) return false;
    if (!isFiniteNumber(payload[i + 1]) || !isFiniteNumber(payload[i + 2])) return false;
  }
  return true;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Clamp each axis to [-1, 1] and the vector to length 1, so diagonals are not faster. */
export function clampInput(input: ArenaInput): ArenaInput {
  const dx = Math.max(-1, Math.min(1, input.dx));
  const dy = Math.max(-1, Math.min(1, input.dy));
  const length = Math.hypot(dx, dy);
  return length > 1 ? { dx: dx / length, dy: dy / length } : { dx, dy };
}

/**
 * Where a player at (`x`, `y`) ends up after `dt` seconds of `input` (clamped first), kept inside the
 * arena.
 */
export function movePlayer(
  position: { x: number; y: number },
  input: ArenaInput,
  dt: number,
  config: Pick<ArenaConfig, 'width' | 'height' | 'speed'>,
): { x: number; y: number } {
  const { dx, dy } = clampInput(input);
  const step = config.speed * Math.max(0, dt);
  return {
    x: Math.max(0, Math.min(config.width, position.x + dx * step)),
    y: Math.max(0, Math.min(config.height, position.y + dy * step)),
  };
}

/** A valid `#rrggbb` colour, or `undefined`. */
export function parseColor(value: unknown): string | undefined {
  return typeof value === 'string' && /^#[0-9a-fA-F]{6}$/.test(value) ? value.toLowerCase() : undefined;
}

/** A display name from join options: control characters removed, 1 to 16 characters, or `player`. */
export function parseName(value: unknown): string {
  if (typeof value !== 'string') return 'player';
  const name = value
    .replace(/[\p{C}]/gu, '')
    .trim()
    .slice(0, 16);
  return name.length > 0 ? name : 'player';
}

/**
 * Room options (`defaultOptions` of the room type, or the creating client's join options) to a
 * config: each field taken when it is a number in a sane range, the default otherwise.
 */
export function arenaConfigFrom(options: Record<string, unknown>): ArenaConfig {
  const pick = (key: keyof ArenaConfig, min: number, max: number): number => {
    const v = options[key];
    return typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? v : DEFAULT_ARENA_CONFIG[key];
  };
  return {
    width: pick('width', 10, 100_000),
    height: pick('height', 10, 100_000),
    speed: pick('speed', 1, 100_000),
    tickRate: pick('tickRate', 1, 120),
    inputRate: pick('inputRate', 1, 240),
  };
}
