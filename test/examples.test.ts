/**
 * The examples against real sockets on 127.0.0.1: the demo server (chat + arena) in-process on port
 * 0, real clients over WebSocket and over UDP. Tests wait on messages and events, never on sleeps.
 */
import { Client, type Room, SessionError, SessionErrorCode } from '@netplay/client';
import { type RoomClient, Server, Room as ServerRoom } from '@netplay/server';
import { afterEach, describe, expect, it } from 'vitest';
import { type Bots, parseNetwork, startBots } from '../examples/arena/bots.js';
import type { ArenaState, ArenaWelcome } from '../examples/arena/game.js';
import { clampInput, DEFAULT_ARENA_CONFIG, movePlayer } from '../examples/arena/game.js';
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
    it('welcomes the player and an input moves it in the next snapshots', async () => {
      const server = await startDemo();
      const ana = await join(urlOf(server, transport), 'arena', { name: 'ana', color: '#FF0000' });
      const welcome = await nextMessage<ArenaWelcome>(ana, 'welcome');
      expect(welcome).toEqual({ id: ana.sessionId, config: DEFAULT_ARENA_CONFIG });
      const first = await nextMessage<ArenaState>(ana, 'state', (s) => s.players.length === 1);
      const start = first.players[0]!;
      expect(start).toMatchObject({ id: ana.sessionId, name: 'ana', color: '#ff0000' });

      const sentAt = performance.now();
      ana.send('input', { dx: 1, dy: 0 });
      const moved = await nextMessage<ArenaState>(ana, 'state', (s) => s.players[0]!.x > start.x);
      const elapsed = (performance.now() - sentAt) / 1000;
      expect(moved.tick).toBeGreaterThan(first.tick);
      expect(moved.players[0]!.y).toBe(start.y);
      // Fixed speed: no farther than `speed` × the time since the input was sent (plus the first
      // tick's dt, which may start before the input arrived).
      const { speed, tickRate } = DEFAULT_ARENA_CONFIG;
      expect(moved.players[0]!.x - start.x).toBeLessThanOrEqual(speed * (elapsed + 2 / tickRate));
    });

    it('keeps players inside the bounds and clamps oversized inputs', async () => {
      const server = await startDemo({ arena: { width: 200, height: 100, speed: 2000 } });
      const ana = await join(urlOf(server, transport), 'arena', { name: 'ana' });
      const seen: { x: number; y: number }[] = [];
      ana.onMessage<ArenaState>('state', (s) => {
        for (const p of s.players) seen.push({ x: p.x, y: p.y });
      });
      await nextMessage<ArenaState>(ana, 'state', (s) => s.players.length === 1);
      ana.send('input', { dx: 50, dy: -50 });
      const corner = await nextMessage<ArenaState>(ana, 'state', (s) => s.players[0]!.x === 200);
      await nextMessage<ArenaState>(ana, 'state', (s) => s.tick > corner.tick); // and stays there
      ana.send('input', { dx: -1e9, dy: 1e9 });
      await nextMessage<ArenaState>(ana, 'state', (s) => s.players[0]!.x === 0 && s.players[0]!.y === 100);
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
      const ana = await join(urlOf(server, transport), 'arena', { name: 'ana' });
      const bob = await join(urlOf(server, transport), 'arena', { name: 'bob' });
      await nextMessage<ArenaState>(ana, 'state', (s) => s.players.some((p) => p.id === bob.sessionId));

      const error = nextError(bob);
      bob.send('input', { dx: 'left', dy: 0 });
      expect(await error).toMatchObject({ code: SessionErrorCode.INVALID_REQUEST });

      await bob.leave();
      const after = await nextMessage<ArenaState>(ana, 'state', (s) => s.players.length === 1);
      expect(after.players[0]!.id).toBe(ana.sessionId);
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
      await Promise.all(bots.bots.map((b) => nextMessage<ArenaState>(b.room, 'state', (s) => s.players.length === 2)));
      expect(new Set(bots.bots.map((b) => b.room.roomId)).size).toBe(1);
      await Promise.all(bots.bots.map((b) => nextMessage<ArenaState>(b.room, 'state')));
      for (const b of bots.bots) {
        expect(b.snapshots).toBeGreaterThan(0);
        expect(b.room.stats.rtt).toBeGreaterThan(0);
      }
    });
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
    await nextMessage<ArenaState>(room, 'state');
    await nextMessage<ArenaState>(room, 'state');
    // ~150 ms (loopback adds ~0; the estimate may sit a fraction of a ms under, from ack-delay accounting).
    expect(room.stats.rtt).toBeGreaterThan(140);
  });
});
