/**
 * The authoritative arena room: the server owns every position. Clients send `input` (a direction);
 * the room moves each player at a fixed speed in its tick and broadcasts a `state` snapshot
 * unreliably every tick (a lost snapshot is replaced by the next one, never resent).
 *
 * Messages: see {@link ArenaInput} (`input`, client → server), {@link ArenaWelcome} (`welcome`) and
 * {@link ArenaState} (`state`), server → client. The rules live in `./game.ts` (pure, shareable
 * with a browser client) and are re-exported here.
 * @module
 */
import { Room, type RoomClient } from '@netplay/server';
import {
  type ArenaConfig,
  type ArenaInput,
  type ArenaPlayer,
  type ArenaState,
  type ArenaWelcome,
  arenaConfigFrom,
  clampInput,
  isArenaInput,
  movePlayer,
  PALETTE,
  parseColor,
  parseName,
} from './game.js';

export * from './game.js';

/** Server-side state of one player. */
export interface ArenaMember {
  player: ArenaPlayer;
  /** The last input, already clamped; applied every tick until the next one. */
  input: ArenaInput;
}

/**
 * An authoritative arena with a 20 Hz tick (by default). Room options: `width`, `height`, `speed`,
 * `tickRate` (see {@link ArenaConfig}). Join options: {@link ArenaJoinOptions}.
 */
export class ArenaRoom extends Room {
  /** The arena's size and speed, fixed at creation. */
  config: ArenaConfig = arenaConfigFrom({});
  /** Players by session id, in join order. */
  readonly players = new Map<string, ArenaMember>();
  #joined = 0;

  override onCreate(options: Record<string, unknown>): void {
    this.config = arenaConfigFrom(options);
    this.onMessage<ArenaInput>(
      'input',
      (client, input) => {
        const member = this.players.get(client.sessionId);
        if (member !== undefined) member.input = clampInput(input);
      },
      isArenaInput,
    );
    this.setTick(this.config.tickRate, (dt, tick) => this.step(dt, tick));
  }

  override onJoin(client: RoomClient, options: Record<string, unknown>): void {
    const { width, height } = this.config;
    const player: ArenaPlayer = {
      id: client.sessionId,
      name: parseName(options.name),
      color: parseColor(options.color) ?? PALETTE[this.#joined % PALETTE.length]!,
      // Spawn away from the walls, so any first input visibly moves the player.
      x: width * (0.25 + Math.random() * 0.5),
      y: height * (0.25 + Math.random() * 0.5),
    };
    this.#joined++;
    this.players.set(client.sessionId, { player, input: { dx: 0, dy: 0 } });
    client.send('welcome', { id: client.sessionId, config: this.config } satisfies ArenaWelcome);
  }

  override onLeave(client: RoomClient): void {
    this.players.delete(client.sessionId);
  }

  /** One tick: move every player by its current input, then broadcast the snapshot. */
  step(dt: number, tick: number): void {
    const players: ArenaPlayer[] = [];
    for (const member of this.players.values()) {
      const { x, y } = movePlayer(member.player, member.input, dt, this.config);
      member.player.x = x;
      member.player.y = y;
      players.push(member.player);
    }
    this.broadcast('state', { tick, players } satisfies ArenaState, { reliable: false });
  }
}
