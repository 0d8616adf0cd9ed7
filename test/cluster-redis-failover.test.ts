/**
 * Two managers sharing one real Redis (active/active): A in its own process (1 worker), B in the
 * test (2 workers). SIGKILL A: B keeps serving joins, listing, joinById, direct messages between its
 * workers and presence; A's room keeps running on its orphaned worker (its members relay on without
 * loss) and leaves the shared listing after registryTtl; a restarted A adopts that worker (same node
 * id), so the room is listed and joinable again through B, and direct messages cross nodes again.
 * Every pid is killed at the end, pass or fail.
 */
import type { Room as ClientRoom } from '@netplay/client';
import type { ClusterServer } from '@netplay/server';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { freePorts, next, nextMessage, recordingClient, startCluster, until } from './helpers/cluster.js';
import { killAll, killManager, type ManagerProcess, startManagerProcess } from './helpers/manager-process.js';
import { type RedisProcess, SKIP_REDIS, startRedis } from './helpers/redis.js';

describe.skipIf(SKIP_REDIS)('two managers over Redis: one dies, the other serves', () => {
  const pids = new Set<number>();
  const members: ClientRoom[] = [];
  let redis: RedisProcess;
  let a: ManagerProcess;
  let b: ClusterServer;
  let workerPortA: number;

  beforeAll(async () => {
    redis = await startRedis();
    workerPortA = (await freePorts(1))[0]!;
    a = await startManagerProcess(pids, { redis: redis.url, workerPort: workerPortA, workers: 1 });
    b = await startCluster({ redis: redis.url, registryTtl: 1500 });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(members.splice(0).map((r) => r.leave().catch(() => {})));
    await b?.shutdown();
    killAll(pids);
    await redis?.stop();
  }, 30_000);

  const urlOf = (port: number) => `ws://127.0.0.1:${port}`;
  async function join(port: number, method: 'create' | 'joinById', name: string): Promise<ClientRoom> {
    const room = await recordingClient(urlOf(port)).client[method](name);
    members.push(room);
    return room;
  }
  const listed = async (port: number, roomId: string) =>
    (await recordingClient(urlOf(port)).client.getAvailableRooms('news')).some((r) => r.roomId === roomId);

  it('SIGKILL one manager: joins, listing, joinById, direct messages and presence go on through the other; the restarted one adopts its worker', async () => {
    // A room on A's worker with two members relaying at 20 Hz; a room on each of B's workers.
    const onA = await join(a.port, 'create', 'news');
    const onA2 = await join(b.port, 'joinById', onA.roomId); // joinById through B, seated on A's worker
    expect(onA.sessionId.split('.')[0]).toBe(a.nodeId);
    const b0 = await join(b.port, 'create', 'news');
    const b1 = await join(b.port, 'create', 'news');
    expect(b0.sessionId.split('.').slice(0, 2)).not.toEqual(b1.sessionId.split('.').slice(0, 2));
    const got: number[] = [];
    onA2.on('relay', (p) => got.push(p as number));
    let seq = 0;
    const relay = setInterval(() => onA.relay(++seq), 50);
    onTestFinished(() => clearInterval(relay)); // also when the test fails

    // Cross-node direct message before the kill.
    const before = next<[unknown, string]>(onA, 'direct');
    b0.message(onA.sessionId, 'before');
    expect((await before)[0]).toBe('before');

    await killManager(a);
    const killedAt = performance.now();

    // B serves: a new room, joinById, listing, direct messages and presence between its workers.
    const created = await join(b.port, 'create', 'news');
    const joined = await join(b.port, 'joinById', created.roomId);
    expect(joined.peers).toContain(created.sessionId);
    expect(await listed(b.port, created.roomId)).toBe(true);
    const direct = next<[unknown, string]>(b1, 'direct');
    b0.message(b1.sessionId, 'across workers');
    expect(await direct).toEqual(['across workers', b0.sessionId]);
    const news = nextMessage(b1, 'news');
    b0.send('publish', 'still here');
    expect(await news).toBe('still here');

    // A's room leaves the listing when its entry expires; the room itself runs on.
    await until(async () => !(await listed(b.port, onA.roomId)), 5000, 'the dead node’s room to expire');
    const expiredMs = performance.now() - killedAt;
    const relaysWhileDown = seq;
    await until(() => seq >= relaysWhileDown + 10, 5000, 'relays while A is down');

    // A restarts and adopts its worker: same node id, the room is listed and joinable through B.
    const restartAt = performance.now();
    a = await startManagerProcess(pids, { redis: redis.url, workerPort: workerPortA, workers: 1 });
    expect(a.adopted).toEqual([true]);
    await until(() => listed(b.port, onA.roomId), 5000, 'the adopted room listed again');
    const relistedMs = performance.now() - restartAt;
    const third = await join(b.port, 'joinById', onA.roomId);
    expect(third.peers).toContain(onA.sessionId);
    const after = next<[unknown, string]>(onA, 'direct');
    b0.message(onA.sessionId, 'after');
    expect((await after)[0]).toBe('after');

    clearInterval(relay);
    const sent = seq;
    await until(() => got.length >= sent, 5000, 'every relay delivered');
    expect(got).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
    console.log(
      `active/active over Redis: after a SIGKILL of one manager the other served create, joinById, listing, ` +
        `cross-worker direct messages and presence at once; the dead node's rooms left the listing after ` +
        `${expiredMs.toFixed(0)} ms (registryTtl 1500), its room relayed on (${sent} relays, 0 lost), and the ` +
        `restarted manager's adopted room was listed again ${relistedMs.toFixed(0)} ms after its spawn`,
    );
  }, 90_000);
});
