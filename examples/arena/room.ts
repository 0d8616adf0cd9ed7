/**
 * The authoritative arena room: the server owns every position. Clients send sequenced `input`s
 * (a direction per input step); the room applies each one once, in order, and sends every client
 * a snapshot each tick through {@link DeltaSnapshots} (a diff against the last snapshot that client
 * acknowledged, or a full one), with the last input it processed for that client in the snapshot's
 * metadata so the client can reconcile its prediction. A `tag` is judged with
 * {@link LagCompensator} against the world as the tagger saw it.
 *
 * Messages: `input` ({@link ArenaInputs}), `tag` ({@link ArenaTag}) and `feel` ({@link ArenaFeel}),
 * client → server; `welcome` ({@link ArenaWelcome}), `snapshot` (the `DeltaSnapshots` protocol,
 * entities {@link ARENA_FIELDS}, meta {@link ArenaMeta}) and `tagged` ({@link ArenaTagResult}),
 * server → client. The rules live in `./game.ts` (pure, shared with the bots and the browser page)
 * and are re-exported here.
 * @module
 */
import { DeltaSnapshots, LagCompensator, Room, type RoomClient } from '@netplay/server';
import {
  ARENA_FIELDS,
  type ArenaConfig,
  type ArenaEntity,
  type ArenaFeel,
  type ArenaField,
  type ArenaInputs,
  type ArenaMeta,
  type ArenaTag,
  type ArenaTagResult,
  type ArenaWelcome,
  arenaConfigFrom,
  isArenaFeel,
  isArenaInputs,
  isArenaTag,
  MAX_INPUT_AHEAD,
  movePlayer,
  PALETTE,
  parseColor,
  parseName,
  TAG_COOLDOWN,
  TAG_RANGE,
  tagTarget,
} from './game.js';

export * from './game.js';

/** Room options of the arena: {@link ArenaConfig} fields, and `deltas`. */
export interface ArenaRoomOptions extends Partial<ArenaConfig> {
  /** `false` sends every client full snapshots, whatever it asks for (the fallback). Defaults to `true`. */
  deltas?: boolean;
}

/** Server-side state of one player. */
export interface ArenaMember {
  /** Its position (exact), name, colour and score. */
  player: { x: number; y: number; name: string; color: string; score: number };
  /** Sequence number of the last input applied (0: none yet). */
  lastInput: number;
  /** Seconds of input the player may still apply now (see {@link MAX_INPUT_AHEAD}). */
  budget: number;
  /** Room clock (ms) when `budget` was last topped up. */
  budgetAt: number;
  /** Whether this client gets delta snapshots (its `feel` choice). */
  deltas: boolean;
  /** Room clock (ms) of its last tag. */
  lastTag: number;
}

type Position = { readonly x: number; readonly y: number };

const lerpPosition = (a: Position, b: Position, t: number): Position => ({
  x: a.x + (b.x - a.x) * t,
  y: a.y + (b.y - a.y) * t,
});

/**
 * An authoritative arena with a 20 Hz snapshot tick (by default). Room options:
 * {@link ArenaRoomOptions}. Join options: {@link ArenaJoinOptions}.
 */
export class ArenaRoom extends Room {
  /** The arena's size and speeds, fixed at creation. */
  config: ArenaConfig = arenaConfigFrom({});
  /** `false` when the room was created with `deltas: false`: full snapshots for everyone. */
  deltasAllowed = true;
  /** Players by session id, in join order. */
  readonly players = new Map<string, ArenaMember>();
  /** Snapshots for clients that chose deltas (the default). */
  readonly deltaSnapshots = new DeltaSnapshots<ArenaField>(ARENA_FIELDS);
  /** Snapshots for clients that chose full ones (same ids: both capture every tick). */
  readonly fullSnapshots = new DeltaSnapshots<ArenaField>(ARENA_FIELDS, { deltas: false });
  /** Positions of the last 600 ms, for tags. */
  readonly lag = new LagCompensator<Position>({ maxRewind: 500, historyMs: 600 });
  /** Tags judged so far. */
  readonly tags: ArenaTagResult[] = [];
  #joined = 0;

  override onCreate(options: Record<string, unknown>): void {
    this.config = arenaConfigFrom(options);
    this.deltasAllowed = options.deltas !== false;
    // A resync request (a client's decoder met a delta whose baseline it never decoded) makes that
    // client's next snapshot full. Only the delta sender ever sends deltas.
    this.deltaSnapshots.listen(this);
    this.onMessage<ArenaInputs>('input', (client, inputs) => this.applyInputs(client, inputs), isArenaInputs);
    this.onMessage<ArenaTag>('tag', (client, tag) => this.tag(client, tag), isArenaTag);
    this.onMessage<ArenaFeel>(
      'feel',
      (client, feel) => {
        const member = this.players.get(client.sessionId);
        if (member === undefined || member.deltas === feel.deltas) return;
        member.deltas = feel.deltas;
        this.deltaSnapshots.forget(client); // start again from a full snapshot
      },
      isArenaFeel,
    );
    this.setTick(this.config.tickRate, () => this.step());
  }

  override onJoin(client: RoomClient, options: Record<string, unknown>): void {
    const { width, height } = this.config;
    const now = this.clock.now();
    this.players.set(client.sessionId, {
      player: {
        name: parseName(options.name),
        color: parseColor(options.color) ?? PALETTE[this.#joined % PALETTE.length]!,
        // Spawn away from the walls, so any first input visibly moves the player.
        x: width * (0.25 + Math.random() * 0.5),
        y: height * (0.25 + Math.random() * 0.5),
        score: 0,
      },
      lastInput: 0,
      budget: MAX_INPUT_AHEAD,
      budgetAt: now,
      deltas: true,
      lastTag: Number.NEGATIVE_INFINITY,
    });
    this.#joined++;
    client.send('welcome', { id: client.sessionId, config: this.config } satisfies ArenaWelcome);
  }

  override onLeave(client: RoomClient): void {
    this.players.delete(client.sessionId);
    this.deltaSnapshots.forget(client);
    this.fullSnapshots.forget(client);
  }

  /**
   * Apply a client's inputs: each sequence number once, in order (older ones are copies already
   * applied), each for one input step, while the client's input time does not run ahead of the
   * room's clock by more than {@link MAX_INPUT_AHEAD}.
   */
  applyInputs(client: RoomClient, inputs: ArenaInputs): void {
    const member = this.players.get(client.sessionId);
    if (member === undefined) return;
    const now = this.clock.now();
    member.budget = Math.min(MAX_INPUT_AHEAD, member.budget + (now - member.budgetAt) / 1000);
    member.budgetAt = now;
    const step = 1 / this.config.inputRate;
    for (let i = 0; i < inputs.length; i += 3) {
      const seq = inputs[i]!;
      if (seq <= member.lastInput) continue;
      if (member.budget < step * 0.999) break; // too far ahead: the client repeats it in its next message
      const { x, y } = movePlayer(member.player, { dx: inputs[i + 1]!, dy: inputs[i + 2]! }, step, this.config);
      member.player.x = x;
      member.player.y = y;
      member.budget -= step;
      member.lastInput = seq;
    }
  }

  /** Judge a tag against the positions at the time the tagger saw (lag compensation), or now. */
  tag(client: RoomClient, tag: ArenaTag): void {
    const member = this.players.get(client.sessionId);
    const now = this.clock.now();
    if (member === undefined || now - member.lastTag < TAG_COOLDOWN) return;
    member.lastTag = now;
    // The aim must be within reach of where the tagger is now; else a miss, told to the tagger only.
    if (Math.hypot(tag.x - member.player.x, tag.y - member.player.y) > TAG_RANGE) {
      client.send('tagged', {
        by: client.sessionId,
        target: null,
        x: tag.x,
        y: tag.y,
        rewind: 0,
      } satisfies ArenaTagResult);
      return;
    }
    const time = tag.compensate ? this.lag.clampTime(now, tag.renderTime) : now;
    let target: string | undefined;
    if (tag.compensate) {
      const seen = new Map<string, Position>();
      for (const id of this.players.keys()) {
        const p = this.lag.sample(id, time, lerpPosition);
        if (p !== undefined) seen.set(id, p);
      }
      target = tagTarget(tag.x, tag.y, seen, client.sessionId);
    } else {
      target = tagTarget(
        tag.x,
        tag.y,
        [...this.players].map(([id, m]) => [id, m.player] as const),
        client.sessionId,
      );
    }
    if (target !== undefined) member.player.score++;
    const result: ArenaTagResult = {
      by: client.sessionId,
      target: target ?? null,
      x: tag.x,
      y: tag.y,
      rewind: now - time,
    };
    this.tags.push(result);
    if (this.tags.length > 100) this.tags.shift();
    this.broadcast('tagged', result);
  }

  /** One tick: capture every player and send each client its snapshot (delta or full). */
  step(): void {
    const now = this.clock.now();
    // Fresh objects each tick: the lag compensator and the snapshot senders keep them.
    const entities = new Map<string, ArenaEntity>();
    for (const [id, m] of this.players) entities.set(id, { ...m.player });
    this.lag.record(now, entities);
    this.deltaSnapshots.capture(entities, now);
    this.fullSnapshots.capture(entities, now);
    for (const client of this.clients) {
      const member = this.players.get(client.sessionId);
      if (member === undefined) continue;
      const meta: ArenaMeta = [member.lastInput, member.player.x, member.player.y];
      const sender = member.deltas && this.deltasAllowed ? this.deltaSnapshots : this.fullSnapshots;
      sender.send(client, meta);
    }
  }
}
