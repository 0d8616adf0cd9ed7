/**
 * The game-feel scenario: a server room with 64 entities (a few moving each tick) and two players
 * driven by inputs, and two real `Client`s joined through the network simulator, all on one
 * virtual clock. Each client predicts its own player (with reconciliation), interpolates everything
 * else, and decodes delta snapshots; the room keeps a lag-compensation history and judges shots.
 *
 * `runGameFeel` runs it and returns the measurements that `main.ts` prints and the tests in
 * `test/game-feel*.test.ts` assert.
 * @module
 */
import {
  Client,
  type Room as ClientRoom,
  type DecodedSnapshot,
  lerpFields,
  Predictor,
  receiveSnapshots,
  SnapshotDecoder,
  SnapshotInterpolator,
} from '@netplay/client';
import {
  DeltaSnapshots,
  type EntityId,
  type EntityState,
  LagCompensator,
  Room,
  type RoomClient,
  Server,
  simulatedConnector,
} from '@netplay/server';
import { type NetworkConditions, SnapshotSchema, VirtualClock } from '@netplay/transport';

// ------------------------------------------------------------------------------------ the game

/** Entity fields on the wire: positions in centimetres, hit points exact. */
export const FIELDS = [{ name: 'x', precision: 0.01 }, { name: 'y', precision: 0.01 }, 'hp'] as const;
export type Entity = EntityState<'x' | 'y' | 'hp'>;
export const schema = new SnapshotSchema<'x' | 'y' | 'hp'>(FIELDS);

/** A player's state and input (what prediction runs on). */
export interface PlayerState {
  readonly x: number;
  readonly y: number;
}
export interface PlayerInput {
  readonly dx: number;
  readonly dy: number;
}

export const WORLD = { size: 100, speed: 5, entities: 64, moving: 4, tickRate: 20, frameRate: 60 } as const;

/** The movement step, shared by server and client (pure). */
export function move(s: PlayerState, input: PlayerInput, dt: number): PlayerState {
  const clamp = (v: number) => Math.min(WORLD.size, Math.max(0, v));
  const dx = Math.max(-1, Math.min(1, input.dx));
  const dy = Math.max(-1, Math.min(1, input.dy));
  return { x: clamp(s.x + dx * WORLD.speed * dt), y: clamp(s.y + dy * WORLD.speed * dt) };
}

/** Where NPC `i` is at server time `t` (ms): the first `moving` ones circle, the rest stand. */
export function npcAt(i: number, t: number): { x: number; y: number } {
  const cx = 10 + (i % 8) * 11;
  const cy = 10 + Math.floor(i / 8) * 11;
  if (i >= WORLD.moving) return { x: cx, y: cy };
  const r = 4;
  const w = WORLD.speed / r; // rad/s: tangential speed = WORLD.speed
  const a = (t / 1000) * w + i;
  return { x: cx + r * Math.cos(a), y: cy + r * Math.sin(a) };
}

/** Input message: `[seq, dx, dy]` triples of the unacked inputs, oldest first (redundancy). */
type InputMessage = number[];
/** Snapshot meta: `[lastProcessedInput, x, y]` of the recipient's own player (exact). */
type Meta = [number, number, number];
/** Shot: `[targetId, aimX, aimY, renderTime, viewDelay]`. */
type Shot = [number, number, number, number, number];

interface Player {
  state: PlayerState;
  lastInput: number;
  entityId: number;
}

/** Judgement of one shot. */
export interface ShotResult {
  /** Distance from the aim to the target's rewound position (rewind from RTT and view delay). */
  missRewound: number;
  /** … rewound to the render time the client claimed (clamped to the maximum rewind). */
  missClaimed: number;
  /** … to the target's present position (no lag compensation). */
  missPresent: number;
}

export class FeelRoom extends Room<RoomClient<Player>> {
  snapshots!: DeltaSnapshots<'x' | 'y' | 'hp'>;
  readonly lag = new LagCompensator<Entity>();
  readonly entities = new Map<EntityId, Entity>();
  readonly shots: ShotResult[] = [];
  /** Captured quantized state by snapshot id (to check the clients' decoded states). */
  readonly captured = new Map<number, Map<EntityId, Entity>>();
  tick = 0;
  /** Stop the NPCs (so the clients' state can be compared with a still world). */
  frozen = false;
  /** A wall at x = 55 that only the server knows about (forces corrections of the prediction). */
  wall = false;
  private nextPlayerId = 1000;

  override onCreate(options: Record<string, unknown>): void {
    this.snapshots = new DeltaSnapshots(schema, { deltas: options.deltas !== false });
    this.wall = options.wall === true;
    this.snapshots.listen(this);
    for (let i = 0; i < WORLD.entities; i++) this.entities.set(i, { ...npcAt(i, 0), hp: 100 });
    this.onMessage<InputMessage>('input', (client, triples) => this.onInputs(client, triples), isNumbers);
    this.onMessage<Shot>('shoot', (client, shot) => this.onShot(client, shot), isShot);
    this.setTick(WORLD.tickRate, () => this.step());
  }

  override onJoin(client: RoomClient<Player>): void {
    const entityId = this.nextPlayerId++;
    client.userData = { state: { x: 50, y: 50 }, lastInput: 0, entityId };
    this.entities.set(entityId, { x: 50, y: 50, hp: 100 });
  }

  override onLeave(client: RoomClient<Player>): void {
    if (client.userData) this.entities.delete(client.userData.entityId);
    this.snapshots.forget(client);
  }

  private onInputs(client: RoomClient<Player>, triples: InputMessage): void {
    const p = client.userData;
    if (!p || triples.length % 3 !== 0) return;
    for (let i = 0; i < triples.length; i += 3) {
      const seq = triples[i]!;
      if (seq <= p.lastInput) continue; // already processed (a redundant copy)
      p.state = move(p.state, { dx: triples[i + 1]!, dy: triples[i + 2]! }, 1 / WORLD.frameRate);
      if (this.wall && p.state.x > 55) p.state = { x: 55, y: p.state.y };
      p.lastInput = seq;
    }
  }

  private onShot(client: RoomClient<Player>, [target, ax, ay, renderTime, viewDelay]: Shot): void {
    const now = this.clock.now();
    const dist = (e: Entity | undefined) => (e ? Math.hypot((e.x as number) - ax, (e.y as number) - ay) : Infinity);
    const lerp = (a: Entity, b: Entity, k: number): Entity => ({
      x: (a.x as number) + ((b.x as number) - (a.x as number)) * k,
      y: (a.y as number) + ((b.y as number) - (a.y as number)) * k,
      hp: a.hp,
    });
    this.shots.push({
      missRewound: dist(this.lag.sample(target, this.lag.viewTime(now, client.stats.rtt, viewDelay), lerp)),
      missClaimed: dist(this.lag.sample(target, this.lag.clampTime(now, renderTime), lerp)),
      missPresent: dist(this.entities.get(target)),
    });
  }

  private step(): void {
    this.tick++;
    const now = this.clock.now();
    if (!this.frozen) for (let i = 0; i < WORLD.moving; i++) this.entities.set(i, { ...npcAt(i, now), hp: 100 });
    // Now and then an idle NPC takes damage (a non-positional change).
    if (this.tick % 10 === 0 && !this.frozen) {
      const i = WORLD.moving + (this.tick % (WORLD.entities - WORLD.moving));
      const e = this.entities.get(i)!;
      this.entities.set(i, { ...e, hp: ((e.hp as number) + 37) % 101 });
    }
    for (const c of this.clients) {
      if (c.userData) this.entities.set(c.userData.entityId, { ...c.userData.state, hp: 100 });
    }
    const frame = new Map(this.entities); // entity objects are replaced, never mutated
    this.lag.record(now, frame);
    const id = this.snapshots.capture(frame, now);
    this.captured.set(id, schema.applyBody(schema.fullBody(schema.toWire(frame))));
    this.captured.delete(id - 200);
    for (const c of this.clients) {
      const p = c.userData;
      if (p) this.snapshots.send(c, [p.lastInput, p.state.x, p.state.y] satisfies Meta);
    }
  }
}

function isNumbers(v: unknown): v is number[] {
  return Array.isArray(v) && v.length <= 64 && v.every((n) => typeof n === 'number' && Number.isFinite(n));
}

function isShot(v: unknown): v is Shot {
  return isNumbers(v) && v.length === 5;
}

// ------------------------------------------------------------------------------- one client

/** Measurements of one client. */
export interface ClientFigures {
  /** Snapshots decoded whose entities differed from what the server captured for that id. */
  mismatchedSnapshots: number;
  snapshotsDecoded: number;
  missingBaseline: number;
  /** Largest distance between the prediction made for input `n` and the server's state after `n`. */
  maxPredictionError: number;
  corrections: number;
  /** Distance between the final prediction and the server's final state. */
  finalPredictionError: number;
  /** Largest per-frame displacement of a moving remote entity, interpolated. */
  maxInterpolatedJump: number;
  /** Largest per-frame displacement of a moving remote entity drawn from the newest snapshot (no interpolation). */
  maxRawJump: number;
  /** Largest distance between an interpolated entity and its true position at the render time. */
  maxInterpolationError: number;
  /** Share of frames that extrapolated / held. */
  extrapolatedFrames: number;
  heldFrames: number;
  frames: number;
  /** Mean view delay (server present − render time), ms. */
  meanViewDelay: number;
}

class FeelClient {
  readonly decoder = new SnapshotDecoder(schema);
  readonly interp = new SnapshotInterpolator<Entity>(lerpFields<'x' | 'y' | 'hp'>(['x', 'y']));
  predictor: Predictor<PlayerState, PlayerInput> | undefined;
  /** Our prediction right after applying input `seq`. */
  readonly predictedAt = new Map<number, PlayerState>();
  readonly figures: ClientFigures = {
    mismatchedSnapshots: 0,
    snapshotsDecoded: 0,
    missingBaseline: 0,
    maxPredictionError: 0,
    corrections: 0,
    finalPredictionError: 0,
    maxInterpolatedJump: 0,
    maxRawJump: 0,
    maxInterpolationError: 0,
    extrapolatedFrames: 0,
    heldFrames: 0,
    frames: 0,
    meanViewDelay: 0,
  };
  private lastDrawn = new Map<EntityId, Entity>();
  private lastRaw = new Map<EntityId, Entity>();
  private readonly drawn = new Map<EntityId, Entity>();
  private viewDelaySum = 0;
  inputsOn = true;
  measuring = false;
  private t = 0;

  constructor(
    readonly room: ClientRoom,
    private readonly clock: VirtualClock,
    private readonly server: FeelRoom,
    private readonly phase: number,
  ) {
    receiveSnapshots(room, this.decoder, (s) => this.onSnapshot(s));
  }

  private onSnapshot(s: DecodedSnapshot<'x' | 'y' | 'hp'>): void {
    this.figures.snapshotsDecoded++;
    const truth = this.server.captured.get(s.id);
    if (truth !== undefined && !sameEntities(truth, s.entities)) this.figures.mismatchedSnapshots++;
    this.interp.push(s.serverTime, s.entities, this.clock.now(), this.room.stats.rtt);
    const [ack, x, y] = s.meta as Meta;
    const serverState = { x, y };
    if (this.predictor === undefined) {
      this.predictor = new Predictor<PlayerState, PlayerInput>(serverState, move);
      return;
    }
    if (s.stale) return;
    const predicted = this.predictedAt.get(ack);
    if (predicted !== undefined) {
      const err = Math.hypot(predicted.x - x, predicted.y - y);
      if (err > this.figures.maxPredictionError) this.figures.maxPredictionError = err;
    }
    for (const seq of this.predictedAt.keys()) {
      if (seq > ack) break;
      this.predictedAt.delete(seq);
    }
    if (this.predictor.reconcile(serverState, ack, this.clock.now())) this.figures.corrections++;
  }

  /** One 60 Hz frame: input, send, draw. */
  frame(): void {
    const now = this.clock.now();
    const p = this.predictor;
    if (p !== undefined && this.inputsOn && this.room.state === 'joined') {
      this.t += 1 / WORLD.frameRate;
      // Steer in a slow figure of eight, with stops.
      const a = this.t * 0.7 + this.phase;
      const input = Math.sin(this.t * 0.5) > -0.3 ? { dx: Math.cos(a), dy: Math.sin(2 * a) } : { dx: 0, dy: 0 };
      const seq = p.applyInput(input, 1 / WORLD.frameRate);
      this.predictedAt.set(seq, p.state);
      const recent = p.unacked.slice(-10);
      const msg: number[] = [];
      for (const u of recent) msg.push(u.seq, u.input.dx, u.input.dy);
      this.room.send('input', msg, { reliable: false });
    }
    this.draw(now);
  }

  private draw(now: number): void {
    if (this.interp.size === 0) return;
    const drawn = this.interp.sample(now, this.drawn);
    const renderTime = this.interp.renderTime(now);
    const latest = this.decoder.latest;
    if (this.measuring) {
      this.figures.frames++;
      this.viewDelaySum += this.interp.viewDelay(now);
      for (let i = 0; i < WORLD.moving; i++) {
        const e = drawn.get(i);
        const before = this.lastDrawn.get(i);
        if (e && before) {
          const jump = Math.hypot((e.x as number) - (before.x as number), (e.y as number) - (before.y as number));
          if (jump > this.figures.maxInterpolatedJump) this.figures.maxInterpolatedJump = jump;
        }
        if (e) {
          const truth = npcAt(i, renderTime);
          const err = Math.hypot((e.x as number) - truth.x, (e.y as number) - truth.y);
          if (err > this.figures.maxInterpolationError) this.figures.maxInterpolationError = err;
        }
        const raw = latest?.entities.get(i);
        const rawBefore = this.lastRaw.get(i);
        if (raw && rawBefore) {
          const jump = Math.hypot(
            (raw.x as number) - (rawBefore.x as number),
            (raw.y as number) - (rawBefore.y as number),
          );
          if (jump > this.figures.maxRawJump) this.figures.maxRawJump = jump;
        }
      }
    }
    this.lastDrawn = new Map(drawn);
    if (latest) this.lastRaw = new Map(latest.entities);
  }

  /** Send a shot at moving NPC `target` as drawn now. */
  shoot(target: number): void {
    const now = this.clock.now();
    const e = this.interp.sample(now).get(target);
    if (!e || this.room.state !== 'joined') return;
    const shot: Shot = [target, e.x as number, e.y as number, this.interp.renderTime(now), this.interp.viewDelay(now)];
    this.room.send('shoot', shot);
  }

  finish(serverState: PlayerState): void {
    const p = this.predictor;
    if (p) this.figures.finalPredictionError = Math.hypot(p.state.x - serverState.x, p.state.y - serverState.y);
    this.figures.missingBaseline = this.decoder.stats.missingBaseline;
    this.figures.extrapolatedFrames = this.interp.stats.extrapolated;
    this.figures.heldFrames = this.interp.stats.held;
    this.figures.meanViewDelay = this.figures.frames > 0 ? this.viewDelaySum / this.figures.frames : 0;
  }
}

function sameEntities(a: ReadonlyMap<EntityId, Entity>, b: ReadonlyMap<EntityId, Entity>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, ea] of a) {
    const eb = b.get(id);
    if (!eb || ea.x !== eb.x || ea.y !== eb.y || ea.hp !== eb.hp) return false;
  }
  return true;
}

// ------------------------------------------------------------------------------------- a run

/** Options of {@link runGameFeel}. */
export interface GameFeelOptions {
  /** Delta snapshots on (default) or every snapshot full. */
  deltas?: boolean;
  /** Seconds of play measured. Defaults to 20. */
  seconds?: number;
  /** One-way latency in ms (RTT is twice it). Defaults to 75. */
  latency?: number;
  /** Loss each way. Defaults to 0.1. */
  loss?: number;
  /** Seed of the simulator. Defaults to 1. */
  seed?: number;
  /** Add a wall only the server knows about, so predictions get corrected. Defaults to `false`. */
  wall?: boolean;
}

/** What a run measured. */
export interface GameFeelFigures {
  deltas: boolean;
  ticks: number;
  /** Snapshot body bytes per client per tick (the state only). */
  bodyBytesPerTick: number;
  /** Bytes the server sent per client per tick, everything included (UDP payloads: headers, acks, all messages). */
  wireBytesPerTick: number;
  fullSent: number;
  deltaSent: number;
  resyncs: number;
  /** Snapshot messages the transport reported acked / lost. */
  acked: number;
  lost: number;
  clients: ClientFigures[];
  /** Whether each client's newest decoded state equals the server's final state after the world froze. */
  converged: boolean[];
  shots: ShotResult[];
  rtt: number;
}

const quiet = { info() {}, warn() {}, error() {} };

async function settle<T>(clock: VirtualClock, promise: Promise<T>): Promise<T> {
  let result: { ok: true; v: T } | { ok: false; e: unknown } | undefined;
  promise.then(
    (v) => {
      result = { ok: true, v };
    },
    (e: unknown) => {
      result = { ok: false, e };
    },
  );
  await clock.runUntilAsync(() => result !== undefined);
  if (result === undefined) throw new Error('never settled');
  if (!result.ok) throw result.e;
  return result.v;
}

/** Run the scenario on a virtual clock and measure it. */
export async function runGameFeel(options: GameFeelOptions = {}): Promise<GameFeelFigures> {
  const deltas = options.deltas ?? true;
  const seconds = options.seconds ?? 20;
  const conditions: NetworkConditions = { latency: options.latency ?? 75, jitter: 5, loss: options.loss ?? 0.1 };
  const seed = options.seed ?? 1;
  const clock = new VirtualClock();
  const server = new Server({ clock, logger: quiet, rateLimit: { messagesPerSecond: 1000 } });
  let room: FeelRoom | undefined;
  server.define(
    'feel',
    class extends FeelRoom {
      override onCreate(o: Record<string, unknown>): void {
        super.onCreate(o);
        room = this;
      }
    },
  );
  const connect = simulatedConnector(server, { clock, conditions, seed: seed * 1000 });
  const client = () => new Client('sim://server', { clock, logger: quiet, connect });
  const roomA = await settle(clock, client().joinOrCreate('feel', { deltas, wall: options.wall === true }));
  const roomB = await settle(clock, client().joinOrCreate('feel', { deltas, wall: options.wall === true }));
  if (room === undefined) throw new Error('no room');
  const r: FeelRoom = room;
  const clients = [new FeelClient(roomA, clock, r, 0), new FeelClient(roomB, clock, r, 2)];

  // Frames at 60 Hz for both clients.
  let running = true;
  const frame = () => {
    if (!running) return;
    for (const c of clients) c.frame();
    clock.setTimeout(frame, 1000 / WORLD.frameRate);
  };
  frame();
  // Warm up (clock estimate, first acks), then measure.
  await clock.runUntilAsync(() => clock.now() > 2000);
  const bytesAt = () => r.clients.reduce((sum, c) => sum + c.stats.bytesSent, 0);
  const bytes0 = bytesAt();
  const body0 = r.snapshots.stats.bodyBytesSent;
  const tick0 = r.tick;
  for (const c of clients) c.measuring = true;
  const end = clock.now() + seconds * 1000;
  let nextShot = clock.now() + 500;
  await clock.runUntilAsync(() => {
    if (clock.now() >= nextShot) {
      nextShot += 500;
      clients[0]!.shoot(Math.floor(nextShot / 500) % WORLD.moving);
    }
    return clock.now() >= end;
  });
  const ticks = r.tick - tick0;
  const wire = bytesAt() - bytes0;
  const body = r.snapshots.stats.bodyBytesSent - body0;
  for (const c of clients) c.measuring = false;

  // Freeze: inputs stop, so the world converges; then compare.
  for (const c of clients) c.inputsOn = false;
  r.frozen = true;
  await clock.runUntilAsync(() => clock.now() >= end + 3000);
  running = false;
  const finalState = r.captured.get(r.snapshots.currentId)!;
  const converged = clients.map((c) => {
    const latest = c.decoder.latest;
    return latest !== undefined && sameEntities(finalState, latest.entities);
  });
  const players = r.clients.map((c) => c.userData!.state);
  for (const [i, c] of clients.entries()) c.finish(players[i]!);
  const rtt = roomA.stats.rtt;
  const figures: GameFeelFigures = {
    deltas,
    ticks,
    bodyBytesPerTick: body / ticks / clients.length,
    wireBytesPerTick: wire / ticks / clients.length,
    fullSent: r.snapshots.stats.fullSent,
    deltaSent: r.snapshots.stats.deltaSent,
    resyncs: r.snapshots.stats.resyncs,
    acked: r.snapshots.stats.acked,
    lost: r.snapshots.stats.lost,
    clients: clients.map((c) => c.figures),
    converged,
    shots: r.shots,
    rtt,
  };
  await settle(clock, roomA.leave());
  await settle(clock, roomB.leave());
  await settle(clock, server.shutdown());
  return figures;
}
