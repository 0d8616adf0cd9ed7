/**
 * The examples against real sockets on 127.0.0.1: the demo server (chat + arena) in-process on port
 * 0, real clients over WebSocket and over UDP. Tests wait on messages and events, never on sleeps.
 */
import {
  Client,
  type DecodedSnapshot,
  type EntityId,
  type Room,
  receiveSnapshots,
  SessionError,
  SessionErrorCode,
  SnapshotDecoder,
  SnapshotSchema,
} from '@netplay/client';
import { type RoomClient, Server, Room as ServerRoom } from '@netplay/server';
import { afterEach, describe, expect, it } from 'vitest';
import { type Bots, parseNetwork, startBots } from '../examples/arena/bots.js';
import {
  ARENA_FIELDS,
  type ArenaEntity,
  type ArenaField,
  type ArenaMeta,
  type ArenaPlayer,
  type ArenaTag,
  type ArenaTagResult,
  type ArenaWelcome,
  clampInput,
  DEFAULT_ARENA_CONFIG,
  isArenaInputs,
  MAX_INPUT_AHEAD,
  movePlayer,
  parseArenaMeta,
  tagTarget,
  toArenaPlayer,
} from '../examples/arena/game.js';
import { Pilot } from '../examples/arena/pilot.js';
import type { ArenaRoom } from '../examples/arena/room.js';
import { type ChatLine, type ChatRefusal, type ChatRelay, MAX_CHAT_LENGTH } from '../examples/chat/room.js';
import { createDemoServer, type DemoServerOptions } from '../examples/demo/server.js';

const quiet = { info() {}, warn() {}, error() {} };

let servers: Server[] = [];
let rooms: Room[] = [];
let botGroups: Bots[] = [];

afterEach(async () => {
  await Promise.all(botGroups.map((b) => b.stop()));
  await Promise.all(rooms.map((r) => r.leave()));
  await Promise.all(servers.map((s) => s.shutdown()));
  servers = [];
  rooms = [];
  botGroups = [];
});

async function startDemo(options: DemoServerOptions = {}): Promise<Server> {
  const server = createDemoServer({ host: '127.0.0.1', port: 0, udpPort: 0, logger: quiet, ...options });
  servers.push(server);
  await server.listen();
  return server;
}

type Transport = 'websocket' | 'udp';
const urlOf = (server: Server, transport: Transport): string =>
  transport === 'websocket' ? `ws://127.0.0.1:${server.port}` : `udp://127.0.0.1:${server.udpPort}`;

async function join(url: string, name: string, options: Record<string, unknown> = {}): Promise<Room> {
  const room = await new Client(url, { logger: quiet }).joinOrCreate(name, options);
  rooms.push(room);
  return room;
}

/** The next message of `type` whose payload satisfies `accept`. */
function nextMessage<T>(room: Room, type: string, accept: (payload: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const off = room.onMessage<T>(type, (payload) => {
      if (!accept(payload)) return;
      off();
      resolve(payload);
    });
  });
}

/** A decoded arena snapshot with its players and meta parsed. */
interface ArenaSnapshot extends DecodedSnapshot<ArenaField> {
  players: ArenaPlayer[];
  meta: ArenaMeta | undefined;
}

/** An arena member in a test: its room, its snapshot decoder, and waits on decoded snapshots. */
interface ArenaMemberHandle {
  room: Room;
  decoder: SnapshotDecoder<ArenaField>;
  /** The next decoded snapshot that `accept`s (stale ones are skipped). */
  next(accept: (s: ArenaSnapshot) => boolean): Promise<ArenaSnapshot>;
  onSnapshot(handler: (s: ArenaSnapshot) => void): void;
}

async function joinArena(url: string, options: Record<string, unknown>): Promise<ArenaMemberHandle> {
  const room = await join(url, 'arena', options);
  const decoder = new SnapshotDecoder<ArenaField>(ARENA_FIELDS);
  const handlers = new Set<(s: ArenaSnapshot) => void>();
  receiveSnapshots(room, decoder, (s) => {
    if (s.stale) return;
    const players: ArenaPlayer[] = [];
    for (const [id, e] of s.entities) {
      const p = toArenaPlayer(id, e);
      if (p !== undefined) players.push(p);
    }
    const snapshot: ArenaSnapshot = { ...s, players, meta: parseArenaMeta(s.meta) };
    for (const h of [...handlers]) h(snapshot);
  });
  return {
    room,
    decoder,
    onSnapshot: (h) => handlers.add(h),
    next: (accept) =>
      new Promise((resolve) => {
        const h = (s: ArenaSnapshot): void => {
          if (!accept(s)) return;
          handlers.delete(h);
          resolve(s);
        };
        handlers.add(h);
      }),
  };
}

/** Resolves once `check()` holds (polled every 20 ms); rejects after `timeout` ms. */
function until(check: () => boolean, timeout = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const poll = setInterval(() => {
      if (check()) {
        clearInterval(poll);
        resolve();
      } else if (performance.now() - started > timeout) {
        clearInterval(poll);
        reject(new Error('condition not met in time'));
      }
    }, 20);
  });
}

function sameEntities(a: ReadonlyMap<EntityId, unknown>, b: ReadonlyMap<EntityId, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, e] of a) if (JSON.stringify(e) !== JSON.stringify(b.get(id))) return false;
  return true;
}

const nextRelay = (room: Room): Promise<{ payload: unknown; from: string }> =>
  new Promise((resolve) => room.once('relay', (payload, from) => resolve({ payload, from })));

const nextError = (room: Room): Promise<Error> => new Promise((resolve) => room.once('error', resolve));

describe.each<Transport>(['websocket', 'udp'])('examples over %s', (transport) => {
  describe('chat', () => {
    it('relays a line to the other member with the sender id and name', async () => {
      const server = await startDemo();
      const ana = await join(urlOf(server, transport), 'chat', { name: 'ana' });
      const bob = await join(urlOf(server, transport), 'chat', { name: 'bob' });
      expect(bob.roomId).toBe(ana.roomId);
      const got = nextRelay(bob);
      ana.relay({ text: '  hello bob  ' });
      expect(await got).toEqual({
        payload: { name: 'ana', text: 'hello bob' } satisfies ChatRelay,
        from: ana.sessionId,
      });
    });

    it('sends the history to a late joiner with client.send', async () => {
      const server = await startDemo({ chatHistory: 2 });
      const url = urlOf(server, transport);
      const ana = await join(url, 'chat', { name: 'ana' });
      const bob = await join(url, 'chat', { name: 'bob' });
      const relays: unknown[] = [];
      const allThree = new Promise<void>((resolve) =>
        bob.on('relay', (payload) => {
          relays.push(payload);
          if (relays.length === 3) resolve();
        }),
      );
      ana.relay({ text: 'one' });
      ana.relay({ text: 'two' });
      bob.relay({ text: 'whisper' }, { to: [ana.sessionId] }); // whispers stay out of the history
      ana.relay({ text: 'three' });
      await allThree;
      const cy = await join(url, 'chat', { name: 'cy' });
      const history = await nextMessage<ChatLine[]>(cy, 'history');
      expect(history.map(({ from, name, text }) => ({ from, name, text }))).toEqual([
        { from: ana.sessionId, name: 'ana', text: 'two' },
        { from: ana.sessionId, name: 'ana', text: 'three' },
      ]);
    });

    it('refuses an empty or oversize line with INVALID_REQUEST and a reason; the others never see it', async () => {
      const server = await startDemo();
      const ana = await join(urlOf(server, transport), 'chat', { name: 'ana' });
      const bob = await join(urlOf(server, transport), 'chat', { name: 'bob' });
      const bobGets = nextRelay(bob);

      const error = nextError(ana);
      const reason = nextMessage<ChatRefusal>(ana, 'refused');
      ana.relay({ text: '   ' });
      expect(await error).toBeInstanceOf(SessionError);
      expect(await error).toMatchObject({ code: SessionErrorCode.INVALID_REQUEST });
      expect(await reason).toEqual({ reason: 'empty message' });

      const error2 = nextError(ana);
      const reason2 = nextMessage<ChatRefusal>(ana, 'refused');
      ana.relay({ text: 'x'.repeat(MAX_CHAT_LENGTH + 1) });
      expect(await error2).toMatchObject({ code: SessionErrorCode.INVALID_REQUEST });
      expect((await reason2).reason).toMatch(/longer than/);

      // Relays are reliable-ordered: bob's first relay is the next accepted line.
      ana.relay({ text: 'ok' });
      expect(await bobGets).toEqual({ payload: { name: 'ana', text: 'ok' }, from: ana.sessionId });
    });
  });

  describe('arena', () => {
    it('welcomes the player; sequenced inputs move it once each, in order; snapshots carry the last one', async () => {
      const server = await startDemo();
      const ana = await joinArena(urlOf(server, transport), { name: 'ana', color: '#FF0000' });
      const welcome = await nextMessage<ArenaWelcome>(ana.room, 'welcome');
      expect(welcome).toEqual({ id: ana.room.sessionId, config: DEFAULT_ARENA_CONFIG });
      const first = await ana.next((s) => s.players.length === 1);
      const start = first.players[0]!;
      expect(start).toMatchObject({ id: ana.room.sessionId, name: 'ana', color: '#ff0000', score: 0 });
      expect(first.meta).toEqual([0, expect.any(Number), expect.any(Number)]);

      const config = DEFAULT_ARENA_CONFIG;
      const step = 1 / config.inputRate;
      let expected = { x: first.meta![1], y: first.meta![2] };
      const right = (from: number, to: number): number[] => {
        const m: number[] = [];
        for (let seq = from; seq <= to; seq++) m.push(seq, 1, 0);
        return m;
      };
      ana.room.send('input', right(1, 6), { reliable: false });
      for (let i = 0; i < 6; i++) expected = movePlayer(expected, { dx: 1, dy: 0 }, step, config);
      const moved = await ana.next((s) => s.meta?.[0] === 6);
      expect(moved.meta).toEqual([6, expected.x, expected.y]);
      // The entity is quantized to 0.1 on the wire; the meta is exact.
      expect(Math.abs(moved.players[0]!.x - expected.x)).toBeLessThanOrEqual(0.05);
      expect(moved.players[0]!.y).toBeCloseTo(start.y, 1);

      // Copies of processed inputs are skipped; new ones apply once.
      ana.room.send('input', right(3, 8), { reliable: false });
      for (let i = 0; i < 2; i++) expected = movePlayer(expected, { dx: 1, dy: 0 }, step, config);
      const again = await ana.next((s) => s.meta?.[0] === 8);
      expect(again.meta).toEqual([8, expected.x, expected.y]);
    });

    it('keeps players inside the bounds, clamps oversized inputs and bounds how far inputs run ahead', async () => {
      const server = await startDemo({ arena: { width: 200, height: 100, speed: 2000 } });
      const ana = await joinArena(urlOf(server, transport), { name: 'ana' });
      const seen: { x: number; y: number }[] = [];
      await ana.next((s) => s.players.length === 1);
      ana.onSnapshot((s) => {
        for (const p of s.players) seen.push({ x: p.x, y: p.y });
      });
      const many = (from: number, count: number, dx: number, dy: number): number[] => {
        const m: number[] = [];
        for (let seq = from; seq < from + count; seq++) m.push(seq, dx, dy);
        return m;
      };
      // 32 inputs at once: only MAX_INPUT_AHEAD seconds of them apply now (the rest would need a resend).
      ana.room.send('input', many(1, 32, 50, -50), { reliable: false });
      const corner = await ana.next((s) => s.players[0]!.x === 200 && s.players[0]!.y === 0);
      expect(corner.meta![0]).toBeLessThanOrEqual(Math.ceil(MAX_INPUT_AHEAD * DEFAULT_ARENA_CONFIG.inputRate) + 1);
      await ana.next((s) => s.id > corner.id); // and stays there
      // Like a real client, repeat the inputs not yet processed until they are.
      const back = many(40, 30, -1e9, 1e9);
      for (;;) {
        ana.room.send('input', back, { reliable: false });
        const s = await ana.next(() => true);
        if (s.players[0]!.x === 0 && s.players[0]!.y === 100) break;
      }
      expect(seen.length).toBeGreaterThan(3);
      for (const p of seen) {
        expect(p.x).toBeGreaterThanOrEqual(0);
        expect(p.x).toBeLessThanOrEqual(200);
        expect(p.y).toBeGreaterThanOrEqual(0);
        expect(p.y).toBeLessThanOrEqual(100);
      }
    });

    it('refuses a malformed input with INVALID_REQUEST and removes a player who leaves', async () => {
      const server = await startDemo();
      const ana = await joinArena(urlOf(server, transport), { name: 'ana' });
      const bob = await joinArena(urlOf(server, transport), { name: 'bob' });
      await ana.next((s) => s.players.some((p) => p.id === bob.room.sessionId));

      const error = nextError(bob.room);
      bob.room.send('input', { dx: 'left', dy: 0 });
      expect(await error).toMatchObject({ code: SessionErrorCode.INVALID_REQUEST });
      const error2 = nextError(bob.room);
      bob.room.send('input', [0, 1, 0]); // sequence numbers start at 1
      expect(await error2).toMatchObject({ code: SessionErrorCode.INVALID_REQUEST });

      await bob.room.leave();
      const after = await ana.next((s) => s.players.length === 1);
      expect(after.players[0]!.id).toBe(ana.room.sessionId);
    });

    it('sends delta snapshots by default, full ones on request (feel) or with the room option deltas: false', async () => {
      const server = await startDemo();
      const ana = await joinArena(urlOf(server, transport), { name: 'ana' });
      await ana.next((s) => s.baselineId !== -1);
      ana.room.send('feel', { deltas: false });
      const full = await ana.next((s) => s.baselineId === -1);
      // From then on every snapshot is full (a delta already in flight may still arrive first).
      const after = await ana.next((s) => s.id > full.id + 1);
      expect(after.baselineId).toBe(-1);
      ana.room.send('feel', { deltas: true });
      await ana.next((s) => s.baselineId !== -1);

      const fullOnly = await startDemo({ arena: { deltas: false } });
      const bob = await joinArena(urlOf(fullOnly, transport), { name: 'bob' });
      bob.room.send('feel', { deltas: true });
      await bob.next((s) => s.id >= 6);
      expect(bob.decoder.stats.decodedDelta).toBe(0);
      expect(bob.decoder.stats.decodedFull).toBeGreaterThan(3);
    });

    it('judges a tag with lag compensation at the time the tagger saw the target (a miss without)', async () => {
      // A small arena: everyone is within TAG_RANGE of everyone.
      const server = await startDemo({ arena: { width: 200, height: 150 } });
      const url = urlOf(server, transport);
      const ana = await joinArena(url, { name: 'ana' });
      const bob = await joinArena(url, { name: 'bob' });
      const bobId = bob.room.sessionId;
      const start = (await ana.next((s) => s.players.some((p) => p.id === bobId))).players.find((p) => p.id === bobId)!;
      // Bob runs across the arena (200 units/s, away from the nearer wall), inputs at 60 Hz.
      const direction = { dx: start.x < 100 ? 1 : -1, dy: 0 };
      const pilot = new Pilot(DEFAULT_ARENA_CONFIG);
      bob.onSnapshot((s) => {
        if (s.meta !== undefined) pilot.reconcile(s.meta, performance.now());
      });
      const run = setInterval(() => {
        const m = pilot.update(performance.now(), direction);
        if (m !== undefined) bob.room.send('input', m, { reliable: false });
      }, 16);
      try {
        await bob.next((s) => s.meta !== undefined && s.meta[0] > 6); // moving
        const seen = await ana.next(() => true);
        const target = seen.players.find((p) => p.id === bobId)!;
        await ana.next((s) => s.id >= seen.id + 6); // ~300 ms later bob is ~60 units further
        const tag = (compensate: boolean): Promise<ArenaTagResult> => {
          const result = nextMessage<ArenaTagResult>(ana.room, 'tagged');
          ana.room.send('tag', {
            x: target.x,
            y: target.y,
            renderTime: seen.serverTime,
            compensate,
          } satisfies ArenaTag);
          return result;
        };
        const hit = await tag(true);
        expect(hit).toMatchObject({ by: ana.room.sessionId, target: bobId });
        expect(hit.rewind).toBeGreaterThanOrEqual(150); // six snapshot intervals, less any tick jitter
        expect(hit.rewind).toBeLessThanOrEqual(500);
        await ana.next((s) => s.id >= seen.id + 12); // past the tag cooldown
        const miss = await tag(false);
        expect(miss).toMatchObject({ target: null, rewind: 0 });
        const scored = await ana.next((s) => s.players.some((p) => p.id === ana.room.sessionId && p.score === 1));
        expect(scored.players.find((p) => p.id === bobId)?.score).toBe(0);
        // Out of reach: a miss, told to the tagger only.
        await ana.next((s) => s.id >= scored.id + 6); // past the cooldown
        const far = nextMessage<ArenaTagResult>(ana.room, 'tagged');
        ana.room.send('tag', { x: 5000, y: 5000, renderTime: 0, compensate: true } satisfies ArenaTag);
        expect(await far).toEqual({ by: ana.room.sessionId, target: null, x: 5000, y: 5000, rewind: 0 });
      } finally {
        clearInterval(run);
      }
    });

    it('bots join, get snapshots and report stats', async () => {
      const server = await startDemo();
      const bots = await startBots({
        url: urlOf(server, transport),
        count: 2,
        wander: { min: 20, max: 50 },
        network: { latency: 5 },
      });
      botGroups.push(bots);
      const arena = server.getRoom(bots.bots[0]!.room.roomId) as ArenaRoom;
      expect(new Set(bots.bots.map((b) => b.room.roomId)).size).toBe(1);
      await until(() => bots.bots.every((b) => b.decoder.latest?.entities.size === 2 && b.snapshots > 3));
      for (const b of bots.bots) {
        expect(b.snapshotBytes).toBeGreaterThan(0);
        expect(b.room.stats.rtt).toBeGreaterThan(0);
        expect(arena.players.get(b.room.sessionId)!.lastInput).toBeGreaterThan(0);
      }
    });

    it("a bot's delta snapshots and prediction converge to the room's state under 10 % simulated loss", async () => {
      const server = await startDemo();
      const bots = await startBots({
        url: urlOf(server, transport),
        count: 2,
        wander: { min: 100, max: 300 },
        network: { latency: 20, loss: 0.1, seed: 7 },
      });
      botGroups.push(bots);
      const arena = server.getRoom(bots.bots[0]!.room.roomId) as ArenaRoom;
      const bot = bots.bots[0]!;
      await until(() => bot.snapshots >= 30); // ~1.5 s of wandering
      for (const b of bots.bots) b.halt();
      // Once every input is in, the room's world stands still: the bot's newest decoded snapshot
      // must equal it exactly (quantized as on the wire), and its prediction the room's position.
      const schema = new SnapshotSchema(ARENA_FIELDS);
      const quantized = (): Map<EntityId, unknown> => {
        const entities = new Map<string, ArenaEntity>();
        for (const [id, m] of arena.players) entities.set(id, { ...m.player });
        return schema.applyBody(schema.fullBody(schema.toWire(entities)));
      };
      await until(() => {
        const latest = bot.decoder.latest;
        const own = arena.players.get(bot.room.sessionId)!;
        const predicted = bot.pilot.predicted;
        return (
          latest !== undefined &&
          sameEntities(latest.entities, quantized()) &&
          predicted !== undefined &&
          predicted.x === own.player.x &&
          predicted.y === own.player.y
        );
      }, 10_000);
      expect(bot.decoder.stats.decodedDelta).toBeGreaterThan(10);
      expect(arena.deltaSnapshots.stats.deltaSent).toBeGreaterThan(10);
      if (transport === 'udp') expect(arena.deltaSnapshots.stats.lost).toBeGreaterThan(0);
    }, 20_000);
  });
});

describe('arena rules (pure)', () => {
  it('clamps inputs to the unit disc and movement to the arena', () => {
    expect(clampInput({ dx: 3, dy: 0 })).toEqual({ dx: 1, dy: 0 });
    const d = clampInput({ dx: 1, dy: 1 });
    expect(Math.hypot(d.dx, d.dy)).toBeCloseTo(1);
    const config = { width: 100, height: 50, speed: 10 };
    expect(movePlayer({ x: 50, y: 25 }, { dx: 1, dy: 0 }, 0.5, config)).toEqual({ x: 55, y: 25 });
    expect(movePlayer({ x: 99, y: 1 }, { dx: 1, dy: -1 }, 10, config)).toEqual({ x: 100, y: 0 });
  });

  it('validates input messages and snapshot meta, and picks the tag target', () => {
    expect(isArenaInputs([1, 1, 0, 2, -1, 0.5])).toBe(true);
    expect(isArenaInputs([])).toBe(false);
    expect(isArenaInputs([1, 1])).toBe(false);
    expect(isArenaInputs([0, 1, 0])).toBe(false);
    expect(isArenaInputs([1.5, 1, 0])).toBe(false);
    expect(isArenaInputs([1, Number.NaN, 0])).toBe(false);
    expect(isArenaInputs(new Array(33 * 3).fill(1))).toBe(false);
    expect(parseArenaMeta([3, 1.5, 2])).toEqual([3, 1.5, 2]);
    expect(parseArenaMeta([3, 'x', 2])).toBeUndefined();
    expect(parseArenaMeta(null)).toBeUndefined();
    const players = new Map([
      ['me', { x: 0, y: 0 }],
      ['near', { x: 10, y: 0 }],
      ['nearer', { x: 5, y: 5 }],
      ['far', { x: 100, y: 0 }],
    ]);
    expect(tagTarget(4, 4, players, 'me')).toBe('nearer');
    expect(tagTarget(60, 0, players, 'me')).toBeUndefined();
  });

  it('parses the bots --network flag', () => {
    expect(parseNetwork('latency=75,loss=0.05')).toEqual({ latency: 75, loss: 0.05 });
    expect(() => parseNetwork('lag=1')).toThrow(/unknown key lag/);
    expect(() => parseNetwork('loss=abc')).toThrow(/must be a number/);
  });
});

describe('README', () => {
  it('quickstart: the server and client snippets run as printed', async () => {
    const printed: string[] = [];
    const out = { log: (...args: unknown[]) => printed.push(args.map(String).join(' ')) };

    // ---- server (README, with port 0 on 127.0.0.1) ----
    class Lobby extends ServerRoom {
      override onCreate() {
        const isString = (p: unknown): p is string => typeof p === 'string';
        this.onMessage(
          'hello',
          (client: RoomClient, name: string) => {
            this.broadcast('welcome', `${name} (${client.sessionId}) is here`);
          },
          isString,
        );
        this.setTick(10, (_dt, tick) => this.broadcast('tick', tick, { reliable: false }));
      }
    }

    const server = new Server({ port: 0, udpPort: 0, host: '127.0.0.1', logger: quiet });
    servers.push(server);
    server.define('lobby', Lobby, { maxClients: 8 });
    await server.listen();

    // ---- client (README) ----
    const client = new Client(`ws://127.0.0.1:${server.port}`); // or 'udp://127.0.0.1:2568'
    const room = await client.joinOrCreate('lobby', { name: 'ana' });
    rooms.push(room);
    const welcomed = nextMessage<string>(room, 'welcome');
    const ticked = nextMessage<number>(room, 'tick');

    room.onMessage<string>('welcome', (text) => out.log(text));
    room.on('relay', (payload, from) => out.log(from, 'relayed', JSON.stringify(payload)));
    room.on('peer-join', (id) => out.log(id, 'joined'));

    room.send('hello', 'ana'); // to the room's 'hello' handler, reliable-ordered
    await welcomed;
    expect(await ticked).toBeGreaterThan(0);
    expect(printed).toEqual([`ana (${room.sessionId}) is here`]);

    // A second member, over UDP, relays to the first.
    const bob = await join(`udp://127.0.0.1:${server.udpPort}`, 'lobby');
    const relayed = new Promise<void>((resolve) => room.once('relay', () => resolve()));
    bob.relay({ emote: 'wave' }); // to every other member, through the server
    await relayed;
    expect(printed).toEqual([
      `ana (${room.sessionId}) is here`,
      `${bob.sessionId} joined`,
      `${bob.sessionId} relayed {"emote":"wave"}`,
    ]);
    expect(room.stats.rtt).toBeGreaterThan(0);
    await room.leave();
    expect(room.state).toBe('left');
  });

  it('simulator: a client at 150 ms RTT and 5 % loss over UDP joins the arena and measures it', async () => {
    const server = await startDemo();
    const url = `udp://127.0.0.1:${server.udpPort}`;
    const client = new Client(url, { network: { latency: 75, loss: 0.05, seed: 1 }, logger: quiet });
    const room = await client.joinOrCreate('arena', { name: 'laggy' });
    rooms.push(room);
    await nextMessage(room, 'snapshot');
    await nextMessage(room, 'snapshot');
    // ~150 ms (loopback adds ~0; the estimate may sit a fraction of a ms under, from ack-delay accounting).
    expect(room.stats.rtt).toBeGreaterThan(140);
  });
});
