/**
 * The arena's rules, without any networking: configuration, message shapes, input validation and
 * the movement step. Pure and dependency-free, so the server room, the bots and (later) a browser
 * game share the same code (a client can predict its own movement with {@link movePlayer}).
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
  /** Simulation and snapshot rate, in Hz. */
  tickRate: number;
}

/** Defaults of {@link ArenaConfig}. */
export const DEFAULT_ARENA_CONFIG: Readonly<ArenaConfig> = Object.freeze({
  width: 800,
  height: 600,
  speed: 200,
  tickRate: 20,
});

/** An `input` message (client → server): the direction to move in, each axis in [-1, 1]. */
export interface ArenaInput {
  dx: number;
  dy: number;
}

/** A player as every member sees it in snapshots. */
export interface ArenaPlayer {
  /** Session id of the player. */
  id: string;
  name: string;
  /** CSS colour `#rrggbb`. */
  color: string;
  x: number;
  y: number;
}

/** The `state` snapshot the room broadcasts each tick (unreliable-sequenced). */
export interface ArenaState {
  tick: number;
  players: ArenaPlayer[];
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

/** Payload validator of `input`: `{ dx, dy }` with finite numbers (any magnitude: {@link clampInput} bounds it). */
export function isArenaInput(payload: unknown): payload is ArenaInput {
  if (payload === null || typeof payload !== 'object') return false;
  const { dx, dy } = payload as Record<string, unknown>;
  return typeof dx === 'number' && Number.isFinite(dx) && typeof dy === 'number' && Number.isFinite(dy);
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
  };
}
