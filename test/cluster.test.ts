/**
 * Cluster mode on one machine, real processes on 127.0.0.1: a manager and two workers. Placement
 * spreads rooms over the workers and the client ends up on the port the manager chose; direct
 * messages and presence cross workers; listing and joinById work across workers; forged, expired
 * and wrong-worker seat tokens are refused.
 */
import type { Room as ClientRoom } from '@netplay/client';
import { ClusterServer, InvalidOptionError, LocalRegistry, SessionErrorCode } from '@netplay/server';
import { decodeHandshake, encodeHandshake, HandshakeType } from '@netplay/transport';
import { connectWebSocket } from '@netplay/transport/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signSeatToken } from '../packages/server/src/cluster/seat-token.js';
import { next, nextMessage, recordingClient, startCluster, until } from './helpers/cluster.js';

const SECRET = new Uint8Array(32).fill(7);

describe('cluster on one machine (2 workers)', () => {
  let cluster: ClusterServer;
  let url: string;
  const rooms: ClientRoom[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ secret: SECRET, udpPort: 0 });
    url = `ws://127.0.0.1:${cluster.port}`;
  }, 60_000);

  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((r) => r.leave().catch(() => {})));
    // Placement depends on load (sessions and seats not used yet): start each test from idle
    // workers (as their heartbeats report).
    await until(
      () => cluster.workers.every((w) => w.sessions === 0 && w.reservedSeats === 0 && w.rooms === 0),
      10_000,
      'idle workers',
    );
  });

  afterAll(async () => {
    await cluster?.shutdown();
  }, 30_000);

  async function join(method: 'create' | 'joinOrCreate' | 'joinById' | 'join', name: string) {
    const { client, opened } = recordingClient(url);
    const room = await client[method](name);
    rooms.push(room);
    return { room, opened, client };
  }

  /**
   * Two rooms of type `name` on different workers, for the tests of what crosses workers (where
   * placement puts a room is the first test's subject): creates until one lands elsewhere.
   */
  async function onTwoWorkers(name: string) {
    const a = await join('create', name);
    for (let i = 0; i < 4; i++) {
      const b = await join('create', name);
      if (b.opened[1] !== a.opened[1]) return { a, b };
    }
    throw new Error("four more rooms were all placed on the first room's worker");
  }

  it('spreads new rooms over every worker (least connections) and the client lands on the chosen port', async () => {
    const joined = [];
    for (let i = 0; i < 4; i++) joined.push(await join('create', 'arena'));
    const byPid = new Map(cluster.workers.map((w) => [w.pid, w]));
    const used = new Map<number, number>();
    for (const { room, opened } of joined) {
      const where = nextMessage<{ pid: number }>(room, 'where');
      room.send('where');
      const worker = byPid.get((await where).pid);
      expect(worker).toBeDefined();
      // First the manager, then exactly the worker the room lives on.
      expect(opened).toEqual([url, `ws://127.0.0.1:${worker!.port}`]);
      used.set(worker!.index, (used.get(worker!.index) ?? 0) + 1);
    }
    expect([...used.values()].sort()).toEqual([2, 2]);
    expect(new Set(joined.map((j) => j.room.sessionId.split('.')[1])).size).toBe(2);
  });

  it('delivers direct messages both ways between sessions on different workers', async () => {
    const { a, b } = await onTwoWorkers('arena');
    const atB = next<[unknown, string]>(b.room, 'direct');
    a.room.message(b.room.sessionId, { hello: 'b' });
    expect(await atB).toEqual([{ hello: 'b' }, a.room.sessionId]);
    const atA = next<[unknown, string]>(a.room, 'direct');
    b.room.message(a.room.sessionId, new Uint8Array([1, 2, 3]), { reliable: false });
    const [payload, from] = await atA;
    expect(from).toBe(b.room.sessionId);
    expect(new Uint8Array(payload as Uint8Array)).toEqual(new Uint8Array([1, 2, 3]));
    // A session that exists nowhere: the sender hears about it.
    const error = next<[Error & { code: string }]>(a.room, 'error');
    a.room.message(`${cluster.nodeId}.1.1.nobody`, 'hi');
    expect((await error)[0].code).toBe(SessionErrorCode.INVALID_REQUEST);
  });

  it('publishes presence from a room on one worker to rooms on the other', async () => {
    const { a, b } = await onTwoWorkers('news');
    const atA = nextMessage(a.room, 'news');
    const atB = nextMessage(b.room, 'news');
    a.room.send('publish', { headline: 'cluster' });
    expect(await atB).toEqual({ headline: 'cluster' });
    expect(await atA).toEqual({ headline: 'cluster' });
  });

  it('lists rooms of every worker and joins by id across workers', async () => {
    const a = await join('create', 'arena');
    const b = await join('create', 'arena');
    const { client } = recordingClient(url);
    const ids = [a.room.roomId, b.room.roomId];
    let listed: string[] = [];
    // The listing follows the workers' heartbeats (250 ms).
    for (let i = 0; i < 50 && !ids.every((id) => listed.includes(id)); i++) {
      listed = (await client.getAvailableRooms('arena')).map((r) => r.roomId);
    }
    expect(listed).toEqual(expect.arrayContaining(ids));
    for (const { room, opened } of [a, b]) {
      const other = await join('joinById', room.roomId);
      expect(other.room.roomId).toBe(room.roomId);
      expect(other.opened[1]).toBe(opened[1]);
      expect(other.room.peers).toContain(room.sessionId);
    }
    await expect(recordingClient(url).client.joinById('no-such-room')).rejects.toMatchObject({
      code: SessionErrorCode.ROOM_NOT_FOUND,
    });
  });

  it('redirects a UDP client to the worker over UDP', async () => {
    const { client, opened } = recordingClient(`udp://127.0.0.1:${cluster.udpPort}`);
    const room = await client.joinOrCreate('arena');
    rooms.push(room);
    const worker = cluster.workers.find((w) => `udp://127.0.0.1:${w.udpPort}` === opened[1]);
    expect(worker).toBeDefined();
    expect(worker!.udpPort).toBe(worker!.port); // same numbers as the WebSocket ports by default
    const echo = nextMessage(room, 'echo');
    room.send('echo', 'over udp');
    expect(await echo).toBe('over udp');
  });

  it('measures the join latency the redirect adds (manager then worker, against the worker directly)', async () => {
    const time = async (target: string, n: number) => {
      const samples: number[] = [];
      for (let i = 0; i < n; i++) {
        const { client } = recordingClient(target);
        const started = performance.now();
        const room = await client.create('arena');
        samples.push(performance.now() - started);
        await room.leave();
      }
      samples.sort((a, b) => a - b);
      return samples[Math.floor(n / 2)]!;
    };
    const viaManager = await time(url, 7);
    const direct = await time(`ws://127.0.0.1:${cluster.workers[0]!.port}`, 7);
    console.log(
      `join (create) median: ${viaManager.toFixed(1)} ms through the manager's redirect, ${direct.toFixed(1)} ms straight to a worker: the redirect adds ${(viaManager - direct).toFixed(1)} ms on 127.0.0.1`,
    );
    expect(viaManager).toBeGreaterThan(0);
  });

  describe('seat tokens', () => {
    async function presentSeat(port: number, seat: string) {
      const link = await connectWebSocket(`ws://127.0.0.1:${port}`);
      const answer = new Promise<ReturnType<typeof decodeHandshake>>((resolve) => {
        link.setHandlers({ onDatagram: (d) => resolve(decodeHandshake(d)), onClose: () => resolve(undefined) });
      });
      link.send(encodeHandshake({ type: HandshakeType.Connect, body: { seat } }));
      const reply = await answer;
      link.close('done');
      return reply;
    }

    const claims = (over: Record<string, unknown> = {}) => ({
      v: 1 as const,
      n: cluster.nodeId,
      w: 0,
      i: cluster.workers[0]!.incarnation,
      r: 'room',
      s: 'seat',
      e: Date.now() + 10_000,
      ...over,
    });

    it('refuses a forged token (wrong secret, tampered claims, garbage) with INVALID_TOKEN', async () => {
      const port = cluster.workers[0]!.port;
      const forged = signSeatToken(new Uint8Array(32).fill(9), claims());
      const genuine = signSeatToken(SECRET, claims());
      const tampered = `${Buffer.from(JSON.stringify(claims({ r: 'other' }))).toString('base64url')}.${genuine.split('.')[1]}`;
      for (const seat of [forged, tampered, 'garbage', `${'x'.repeat(1500)}.y`]) {
        expect(await presentSeat(port, seat)).toMatchObject({
          type: HandshakeType.Deny,
          code: SessionErrorCode.INVALID_TOKEN,
        });
      }
    });

    it('refuses an expired token, a token for another worker or incarnation, and an unreserved seat', async () => {
      const port = cluster.workers[0]!.port;
      for (const seat of [
        signSeatToken(SECRET, claims({ e: Date.now() - 1 })),
        signSeatToken(SECRET, claims({ w: 1 })),
        signSeatToken(SECRET, claims({ i: 99 })),
        signSeatToken(SECRET, claims()), // well signed, but no such reservation
      ]) {
        expect(await presentSeat(port, seat)).toMatchObject({
          type: HandshakeType.Deny,
          code: SessionErrorCode.INVALID_TOKEN,
        });
      }
    });
  });
});

describe('a manager that just joined the registry', () => {
  it('is reached by direct messages at once (a node missing from the last refresh is looked up before failing)', async () => {
    const { LocalRegistry } = await import('@netplay/server');
    const registry = new LocalRegistry();
    const first = await startCluster({ workers: 1, registry });
    let second: ClusterServer | undefined;
    const members: ClientRoom[] = [];
    try {
      const here = await recordingClient(`ws://127.0.0.1:${first.port}`).client.create('news');
      members.push(here);
      // The first manager last read the registry before the second one existed.
      second = await startCluster({ workers: 1, registry });
      const there = await recordingClient(`ws://127.0.0.1:${second.port}`).client.create('news');
      members.push(there);
      const got = next<[unknown, string]>(there, 'direct');
      here.message(there.sessionId, 'hello, new node');
      expect(await got).toEqual(['hello, new node', here.sessionId]);
    } finally {
      await Promise.all(members.map((r) => r.leave().catch(() => {})));
      await Promise.all([first.shutdown(), second?.shutdown()]);
    }
  }, 60_000);
});

describe('placement across nodes', () => {
  it("placeAcrossNodes 'always': a create through one manager lands on another node's less loaded worker", async () => {
    const { LocalRegistry } = await import('@netplay/server');
    const registry = new LocalRegistry();
    const one = await startCluster({ workers: 1, registry, placeAcrossNodes: 'always' });
    const two = await startCluster({ workers: 1, registry });
    const members: ClientRoom[] = [];
    try {
      const url = `ws://127.0.0.1:${one.port}`;
      // Both idle: the tie goes to this node's worker.
      const first = await recordingClient(url).client.create('arena');
      members.push(first);
      expect(first.sessionId.split('.')[0]).toBe(one.nodeId);
      await until(() => one.workers[0]!.sessions === 1, 5000, 'the first session reported');
      // Now the other node's worker has fewer connections.
      const second = await recordingClient(url).client.create('arena');
      members.push(second);
      expect(second.sessionId.split('.')[0]).toBe(two.nodeId);
    } finally {
      await Promise.all(members.map((r) => r.leave().catch(() => {})));
      await Promise.all([one.shutdown(), two.shutdown()]);
    }
  }, 60_000);
});

describe('a second manager for the same worker ports', () => {
  it('cannot take the workers of a live manager: listen() fails with WORKER_START_FAILED and the first one is untouched', async () => {
    const first = await startCluster({ workers: 1 });
    try {
      const { ClusterServer } = await import('@netplay/server');
      const second = new ClusterServer({
        rooms: first.options.rooms,
        host: '127.0.0.1',
        port: 0,
        workers: 1,
        workerPorts: { from: first.workers[0]!.port },
        logger: { info() {}, warn() {}, error() {} },
      });
      await expect(second.listen()).rejects.toMatchObject({ code: 'WORKER_START_FAILED' });
      expect(second.state).toBe('closed');
      // The first manager's worker still serves, and can still be adopted (its socket is there).
      const room = await recordingClient(`ws://127.0.0.1:${first.port}`).client.create('arena');
      await room.leave();
      const { existsSync, readdirSync } = await import('node:fs');
      expect(existsSync(first.options.runDir) && readdirSync(first.options.runDir)).toHaveLength(1);
    } finally {
      await first.shutdown();
    }
  }, 60_000);
});

describe('a bad server option', () => {
  it('is refused by the ClusterServer constructor (InvalidOptionError naming it), before any worker starts', () => {
    const make = () => new ClusterServer({ rooms: './rooms.js', workers: 1, server: { idleTimeout: -1 } });
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(/idleTimeout/);
  });

  it('such as an unknown server.logLevel, is refused by the constructor too', () => {
    // @ts-expect-error: a typo a JavaScript caller or a JSON config can make
    const make = () => new ClusterServer({ rooms: './rooms.js', workers: 1, server: { logLevel: 'debug' } });
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(/server\.logLevel/);
  });
});

describe('an unknown placement name', () => {
  it('is refused by the ClusterServer constructor, not taken for least-connections', () => {
    // @ts-expect-error: a typo a JavaScript caller or a JSON config can make
    const make = () => new ClusterServer({ rooms: './rooms.js', workers: 1, placement: 'round robin' });
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(/placement/);
  });
});

describe('a registry that stops answering', () => {
  it("still lists and joins this node's rooms, and warns that the listing is this node's only", async () => {
    const warnings: string[] = [];
    const registry = new LocalRegistry();
    const cluster = await startCluster({
      registry,
      logger: { info() {}, warn: (message: string) => warnings.push(message), error() {} },
    });
    const { client } = recordingClient(`ws://127.0.0.1:${cluster.port}`);
    try {
      const room = await client.create('arena');
      registry.nodes = () => Promise.reject(new Error('registry down'));
      let listed: string[] = [];
      for (let i = 0; i < 50 && !listed.includes(room.roomId); i++) {
        listed = (await client.getAvailableRooms('arena')).map((r) => r.roomId);
      }
      expect(listed).toContain(room.roomId);
      expect(warnings).toContainEqual(expect.stringContaining('registry unavailable, listing this node only'));
      const other = await recordingClient(`ws://127.0.0.1:${cluster.port}`).client.joinById(room.roomId);
      expect(other.roomId).toBe(room.roomId);
      await other.leave();
      await room.leave();
    } finally {
      await cluster.shutdown();
    }
  }, 60_000);
});
