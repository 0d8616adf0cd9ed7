/**
 * Server and clients on real sockets on 127.0.0.1, over WebSocket and over UDP: joining,
 * relay targets, capacity, locks, private rooms, listings, leaving and disposal, resume after a
 * killed socket, and two hundred clients in twenty-five rooms.
 */
import { Client, type Room as ClientRoom } from '@netplay/client';
import { type RelayRequest, Room, type RoomClient, Server, SessionErrorCode } from '@netplay/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TcpProxy } from './helpers/tcp-proxy.js';

const quiet = { info() {}, warn() {}, error() {} };

/** Resolves with the arguments of the first `event` that `room` emits. */
function next<T extends unknown[]>(
  room: ClientRoom,
  event: 'relay' | 'peer-join' | 'peer-leave' | 'leave' | 'error' | 'reconnected',
): Promise<T> {
  return new Promise((resolve) => room.once(event, (...args: unknown[]) => resolve(args as T)));
}

/** Resolves once `room` has received `count` relays, with their payloads. */
function relays(room: ClientRoom, count: number): Promise<unknown[]> {
  const got: unknown[] = [];
  return new Promise((resolve) => {
    if (count === 0) resolve(got);
    room.on('relay', (payload) => {
      got.push(payload);
      if (got.length === count) resolve(got);
    });
  });
}

class Lobby extends Room {
  override onCreate() {
    this.onMessage('lock', () => this.lock());
    this.onMessage('hide', () => this.setPrivate(true));
    this.onMessage('meta', (_c, payload) => this.setMetadata({ map: payload }));
    this.onMessage('ping', (client, payload) => client.send('pong', payload));
  }
  override onRelay(_client: RoomClient, relay: RelayRequest) {
    return relay.payload !== 'nope';
  }
}

for (const transport of ['ws', 'udp'] as const) {
  describe(`rooms over ${transport === 'ws' ? 'WebSocket' : 'UDP'} on 127.0.0.1`, () => {
    let server: Server;
    let url: string;
    const clients: ClientRoom[] = [];

    beforeEach(async () => {
      server = new Server({ host: '127.0.0.1', port: 0, udpPort: 0, logger: quiet });
      server.define('lobby', Lobby, { maxClients: 3 });
      await server.listen();
      url = transport === 'ws' ? `ws://127.0.0.1:${server.port}` : `udp://127.0.0.1:${server.udpPort}`;
    });

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.leave().catch(() => {})));
      await server.shutdown();
    });

    const join = async (method: 'joinOrCreate' | 'create' | 'join' = 'joinOrCreate', name = 'lobby') => {
      const room = await new Client(url, { logger: quiet })[method](name);
      clients.push(room);
      return room;
    };

    it('joins, sees peers come and go, and relays to others, all and a list', async () => {
      const a = await join();
      const joinedB = next<[string]>(a, 'peer-join');
      const b = await join();
      expect(b.roomId).toBe(a.roomId);
      expect((await joinedB)[0]).toBe(b.sessionId);
      const c = await join();
      expect([...c.peers].sort()).toEqual([a.sessionId, b.sessionId].sort());

      const atA = relays(a, 2);
      const atB = relays(b, 3);
      const atC = relays(c, 2);
      a.relay('to-others');
      a.relay('to-all', { to: 'all' });
      a.relay('only-b', { to: [b.sessionId] });
      expect(await atB).toEqual(['to-others', 'to-all', 'only-b']);
      expect(await atC).toEqual(['to-others', 'to-all']);
      c.relay({ from: 'c' }, { reliable: false });
      expect(await atA).toEqual(['to-all', { from: 'c' }]);

      const refused = next<[Error & { code: string }]>(a, 'error');
      a.relay('nope');
      expect((await refused)[0].code).toBe(SessionErrorCode.INVALID_REQUEST);

      const bLeft = next<[string]>(a, 'peer-leave');
      await b.leave();
      expect((await bLeft)[0]).toBe(b.sessionId);
    });

    it('refuses a full room, a locked room and an unknown room with typed codes', async () => {
      const a = await join('create');
      await join();
      await join();
      await expect(new Client(url, { logger: quiet }).joinById(a.roomId)).rejects.toMatchObject({
        code: SessionErrorCode.ROOM_FULL,
      });
      await clients.pop()!.leave();
      a.send('lock');
      const pong = new Promise((resolve) => a.onMessage('pong', resolve));
      a.send('ping', 1);
      await pong; // the lock was handled before the ping
      await expect(new Client(url, { logger: quiet }).joinById(a.roomId)).rejects.toMatchObject({
        code: SessionErrorCode.ROOM_LOCKED,
      });
      await expect(new Client(url, { logger: quiet }).join('nowhere')).rejects.toMatchObject({
        code: SessionErrorCode.ROOM_NOT_FOUND,
      });
    });

    it('lists rooms with metadata, hides private ones, and disposes empty rooms', async () => {
      const a = await join('create');
      const b = await join('create');
      a.send('meta', 'dust2');
      b.send('hide');
      const pong = new Promise((resolve) => b.onMessage('pong', resolve));
      const pongA = new Promise((resolve) => a.onMessage('pong', resolve));
      a.send('ping', 0);
      b.send('ping', 0);
      await Promise.all([pong, pongA]);
      const listing = await new Client(url, { logger: quiet }).getAvailableRooms('lobby');
      expect(listing).toEqual([
        { roomId: a.roomId, name: 'lobby', clients: 1, maxClients: 3, locked: false, metadata: { map: 'dust2' } },
      ]);
      // A private room is still reachable by id.
      const c = await new Client(url, { logger: quiet }).joinById(b.roomId);
      clients.push(c);
      expect(c.roomId).toBe(b.roomId);
      await a.leave();
      clients.splice(clients.indexOf(a), 1);
      expect(await new Client(url, { logger: quiet }).getAvailableRooms('lobby')).toEqual([]);
      expect(server.getRoom(a.roomId)).toBeUndefined();
    });
  });
}

describe('resume over a killed WebSocket', () => {
  let server: Server;
  let proxy: TcpProxy;
  beforeEach(async () => {
    // A burst of 300 relays is far past the default rate limit (120/s), which would drop some.
    server = new Server({ host: '127.0.0.1', port: 0, logger: quiet, rateLimit: { messagesPerSecond: 10_000 } });
    server.define('lobby', Lobby);
    await server.listen();
    proxy = await TcpProxy.start(server.port);
  });
  afterEach(async () => {
    await proxy.close();
    await server.shutdown();
  });

  it('loses no reliable relay in either direction when the socket dies mid-stream', async () => {
    const options = { logger: quiet, reconnect: { initialDelay: 10, maxDelay: 50 } };
    const a = await new Client(`ws://127.0.0.1:${proxy.port}`, options).joinOrCreate('lobby');
    const b = await new Client(`ws://127.0.0.1:${server.port}`, options).joinOrCreate('lobby');
    const N = 300;
    const atA = relays(a, N);
    const atB = relays(b, N);
    const reconnected = next(a, 'reconnected');
    for (let i = 0; i < N; i++) {
      a.relay(i);
      b.relay(i);
      if (i === N / 2) proxy.cutAll(); // a's socket dies with messages in flight both ways
      if (i % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await reconnected;
    const expected = Array.from({ length: N }, (_, i) => i);
    expect(await atA).toEqual(expected);
    expect(await atB).toEqual(expected);
    await Promise.all([a.leave(), b.leave()]);
  });
});

describe('two hundred clients in twenty-five rooms', () => {
  let server: Server;
  beforeEach(async () => {
    server = new Server({ host: '127.0.0.1', port: 0, logger: quiet, maxSessionsPerAddress: 1000 });
    server.define('match', Lobby, { maxClients: 8 });
    await server.listen();
  });
  afterEach(async () => {
    await server.shutdown();
  });

  it('fills exactly 25 rooms of 8 and relays within each room only', async () => {
    const url = `ws://127.0.0.1:${server.port}`;
    const rooms: ClientRoom[] = [];
    // Join in waves of 40 concurrent joinOrCreate calls.
    for (let wave = 0; wave < 5; wave++) {
      const batch = await Promise.all(
        Array.from({ length: 40 }, () => new Client(url, { logger: quiet }).joinOrCreate('match')),
      );
      rooms.push(...batch);
    }
    const byRoom = new Map<string, ClientRoom[]>();
    for (const r of rooms) byRoom.set(r.roomId, [...(byRoom.get(r.roomId) ?? []), r]);
    expect(byRoom.size).toBe(25);
    expect([...byRoom.values()].every((members) => members.length === 8)).toBe(true);
    expect(server.stats.sessions).toBe(200);

    const done = rooms.map((r) => relays(r, 7));
    for (const r of rooms) r.relay(r.roomId);
    const received = await Promise.all(done);
    received.forEach((payloads, i) => {
      expect(payloads).toEqual(Array(7).fill(rooms[i]!.roomId));
    });
    await Promise.all(rooms.map((r) => r.leave()));
    expect(server.stats.rooms).toBe(0);
  });
});
