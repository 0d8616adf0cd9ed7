/**
 * Two cluster managers sharing one real Redis act as one cluster: one manager runs in its own
 * process (the "other machine"), one in the test. A client on one joins rooms hosted by the other,
 * sessions on the two exchange direct messages both ways, presence crosses, and the rooms of a
 * manager that dies (SIGKILL, no goodbye) expire from the listing.
 */
import type { Room as ClientRoom } from '@netplay/client';
import type { ClusterServer } from '@netplay/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, next, nextMessage, recordingClient, startCluster, until } from './helpers/cluster.js';
import { killAll, type ManagerProcess, startManagerProcess } from './helpers/manager-process.js';
import { type RedisProcess, SKIP_REDIS, startRedis } from './helpers/redis.js';

describe.skipIf(SKIP_REDIS)('cluster over Redis: two managers, one Redis', () => {
  let redis: RedisProcess;
  const pids = new Set<number>();
  let remote: ManagerProcess;
  let local: ClusterServer;
  const rooms: ClientRoom[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    remote = await startManagerProcess(pids, { redis: redis.url, workerPort: (await freePorts(1))[0]! });
    local = await startCluster({ workers: 1, redis: redis.url, registryTtl: 1500 });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(rooms.splice(0).map((r) => r.leave().catch(() => {})));
    await local?.shutdown();
    killAll(pids); // the remote manager and its worker, orphaned when the last test killed the manager
    await redis?.stop();
  }, 30_000);

  const urlOf = (port: number) => `ws://127.0.0.1:${port}`;

  async function join(port: number, method: 'create' | 'joinById', name: string) {
    const { client, opened } = recordingClient(urlOf(port));
    const room = await client[method](name);
    rooms.push(room);
    return { room, opened };
  }

  it('a client of one manager finds and joins a room hosted by the other', async () => {
    const there = await join(remote.port, 'create', 'arena');
    const { client } = recordingClient(urlOf(local.port));
    await until(
      async () => (await client.getAvailableRooms('arena')).some((r) => r.roomId === there.room.roomId),
      5000,
      'the remote room in the local listing',
    );
    const started = performance.now();
    const here = await join(local.port, 'joinById', there.room.roomId);
    const joinMs = performance.now() - started;
    expect(here.opened).toEqual([urlOf(local.port), there.opened[1]]);
    expect(here.room.peers).toContain(there.room.sessionId);
    console.log(`cross-machine joinById (manager → other node over Redis → worker) took ${joinMs.toFixed(0)} ms`);
  });

  it('sessions hosted by different managers exchange direct messages both ways, and presence crosses', async () => {
    const a = await join(remote.port, 'create', 'news');
    const b = await join(local.port, 'create', 'news');
    expect(a.room.sessionId.split('.')[0]).toBe(remote.nodeId);
    expect(b.room.sessionId.split('.')[0]).toBe(local.nodeId);
    const atB = next<[unknown, string]>(b.room, 'direct');
    a.room.message(b.room.sessionId, { to: 'b' });
    expect(await atB).toEqual([{ to: 'b' }, a.room.sessionId]);
    const atA = next<[unknown, string]>(a.room, 'direct');
    b.room.message(a.room.sessionId, { to: 'a' });
    expect(await atA).toEqual([{ to: 'a' }, b.room.sessionId]);
    const news = nextMessage(a.room, 'news');
    b.room.send('publish', 'across machines');
    expect(await news).toBe('across machines');
  });

  it("a stopped manager's rooms expire from the listing", async () => {
    const there = await join(remote.port, 'create', 'arena');
    const { client } = recordingClient(urlOf(local.port));
    const listed = async () => (await client.getAvailableRooms('arena')).some((r) => r.roomId === there.room.roomId);
    await until(listed, 5000, 'the remote room listed');
    const exited = new Promise((resolve) => remote.child.once('exit', resolve));
    remote.child.kill('SIGKILL'); // no goodbye: only the expiry removes its entry
    await exited;
    const killedAt = performance.now();
    await until(async () => !(await listed()), 5000, 'the dead manager’s rooms to expire');
    console.log(`a dead manager's rooms left the listing after ${(performance.now() - killedAt).toFixed(0)} ms`);
  });
});
