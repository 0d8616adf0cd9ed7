/**
 * Cluster failure handling, real processes on 127.0.0.1: a worker SIGKILLed while clients on the
 * other worker relay at 20 Hz (they lose nothing; the dead worker's client gets room-lost; a new
 * worker serves new rooms on the same port), a hung worker (SIGSTOP) detected by its missing
 * heartbeats, and a graceful shutdown that tells every member why.
 */
import type { Room as ClientRoom } from '@netplay/client';
import { CloseCode, type ClusterServer, SessionErrorCode, type WorkerInfo } from '@netplay/server';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { next, nextMessage, recordingClient, startCluster, until } from './helpers/cluster.js';

/** Resolves with the next `worker-lost` of worker `index` and when it came. */
function lost(cluster: ClusterServer, index: number): Promise<{ worker: WorkerInfo; reason: string; at: number }> {
  return new Promise((resolve) => {
    const on = (worker: WorkerInfo, reason: string) => {
      if (worker.index !== index) return;
      cluster.off('worker-lost', on);
      resolve({ worker, reason, at: performance.now() });
    };
    cluster.on('worker-lost', on);
  });
}

function ready(cluster: ClusterServer, index: number): Promise<WorkerInfo> {
  return new Promise((resolve) => {
    const on = (worker: WorkerInfo) => {
      if (worker.index !== index) return;
      cluster.off('worker-ready', on);
      resolve(worker);
    };
    cluster.on('worker-ready', on);
  });
}

async function workerOf(cluster: ClusterServer, room: ClientRoom): Promise<WorkerInfo> {
  const where = nextMessage<{ pid: number }>(room, 'where');
  room.send('where');
  const { pid } = await where;
  const worker = cluster.workers.find((w) => w.pid === pid);
  if (worker === undefined) throw new Error(`no worker with pid ${pid}`);
  return worker;
}

describe('cluster failures (2 workers)', () => {
  let cluster: ClusterServer;
  const rooms: ClientRoom[] = [];

  afterAll(async () => {
    await Promise.all(rooms.splice(0).map((r) => r.leave().catch(() => {})));
    await cluster?.shutdown();
  }, 30_000);

  it('SIGKILL of a worker: other workers relay on without loss, its client gets room-lost, a new worker takes the port', async () => {
    cluster = await startCluster();
    const url = `ws://127.0.0.1:${cluster.port}`;
    const join = async (method: 'create' | 'joinById', name: string) => {
      const r = recordingClient(url);
      const room = await r.client[method](name);
      rooms.push(room);
      return { room, opened: r.opened };
    };
    // Two members of one room on one worker, and a victim alone on the other worker.
    const a1 = await join('create', 'arena');
    const a2 = await join('joinById', a1.room.roomId);
    const victim = await join('create', 'arena');
    const survivorWorker = await workerOf(cluster, a1.room);
    const victimWorker = await workerOf(cluster, victim.room);
    expect(victimWorker.index).not.toBe(survivorWorker.index);

    // 20 Hz reliable relays both ways between a1 and a2.
    const got = { a1: [] as number[], a2: [] as number[] };
    a1.room.on('relay', (p) => got.a1.push(p as number));
    a2.room.on('relay', (p) => got.a2.push(p as number));
    const hiccups: string[] = [];
    for (const r of [a1.room, a2.room]) {
      r.on('reconnecting', () => hiccups.push('reconnecting'));
      r.on('leave', (code) => hiccups.push(`leave ${code}`));
    }
    let seq = 0;
    const relay = setInterval(() => {
      seq++;
      a1.room.relay(seq);
      a2.room.relay(seq);
    }, 50);
    onTestFinished(() => clearInterval(relay)); // also when the test fails

    const victimError = next<[Error & { code: string }]>(victim.room, 'error', 20_000);
    const victimLeave = next<[number, string]>(victim.room, 'leave', 20_000);
    const detected = lost(cluster, victimWorker.index);
    const replaced = ready(cluster, victimWorker.index);
    await until(() => got.a1.length >= 5 && got.a2.length >= 5, 10_000, 'some relays before the kill');
    const killedAt = performance.now();
    process.kill(victimWorker.pid!, 'SIGKILL');

    const { worker, reason, at } = await detected;
    const detectionMs = at - killedAt;
    expect(reason).toMatch(/SIGKILL/);
    // The event names the process that died (before, the slot had forgotten it: pid undefined).
    expect(worker.pid).toBe(victimWorker.pid);
    expect(detectionMs).toBeLessThan(2000);
    // Its rooms are gone from the listing at once.
    const listed = await cluster.getAvailableRooms('arena');
    expect(listed.map((r) => r.roomId)).not.toContain(victim.room.roomId);

    const replacement = await replaced;
    expect(replacement.port).toBe(victimWorker.port);
    expect(replacement.incarnation).toBe(victimWorker.incarnation + 1);

    // The victim's resume reaches the replacement, which answers ROOM_LOST.
    expect((await victimError)[0].code).toBe(SessionErrorCode.ROOM_LOST);
    expect((await victimLeave)[0]).toBe(CloseCode.ROOM_LOST);

    // A new room lands on the replacement (it has the fewest connections), on the same port.
    const fresh = await join('create', 'arena');
    expect(fresh.opened[1]).toBe(`ws://127.0.0.1:${victimWorker.port}`);
    expect((await workerOf(cluster, fresh.room)).pid).toBe(replacement.pid);

    const afterReplacement = seq;
    await until(() => seq >= afterReplacement + 6, 10_000, 'some relays after the replacement');
    clearInterval(relay);
    const sent = seq;
    const all = Array.from({ length: sent }, (_, i) => i + 1);
    await until(() => got.a1.length >= sent && got.a2.length >= sent, 5000, `${sent} relays each way`);
    expect(got.a1).toEqual(all);
    expect(got.a2).toEqual(all);
    expect(hiccups).toEqual([]);
    console.log(`dead worker detected in ${detectionMs.toFixed(0)} ms; ${sent} relays each way at 20 Hz, none lost`);
  }, 60_000);

  it('a hung worker (SIGSTOP) is detected by its missing heartbeats within about two seconds and replaced', async () => {
    const target = cluster.workers[0]!;
    const detected = lost(cluster, target.index);
    const replaced = ready(cluster, target.index);
    const stoppedAt = performance.now();
    process.kill(target.pid!, 'SIGSTOP');
    const { reason, at } = await detected;
    const detectionMs = at - stoppedAt;
    expect(reason).toMatch(/no heartbeat/);
    expect(detectionMs).toBeLessThan(2500);
    const replacement = await replaced;
    expect(replacement.incarnation).toBe(target.incarnation + 1);
    console.log(`hung worker detected in ${detectionMs.toFixed(0)} ms`);
  }, 30_000);

  it('graceful shutdown: members leave with SHUTDOWN and every worker exits', async () => {
    const url = `ws://127.0.0.1:${cluster.port}`;
    const { client } = recordingClient(url);
    const room = await client.create('arena');
    const left = next<[number, string]>(room, 'leave');
    const pids = cluster.workers.map((w) => w.pid!);
    await cluster.shutdown();
    expect((await left)[0]).toBe(CloseCode.SHUTDOWN);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(cluster.state).toBe('closed');
  }, 30_000);
});

describe('crash loop', () => {
  it('backs off a worker that keeps crashing (doubling delays), and recovers when it stops', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'netplay-crash-'));
    const flag = join(dir, 'crash');
    process.env.NETPLAY_TEST_CRASH_FLAG = flag;
    const delays: number[] = [];
    const logger = {
      info() {},
      error() {},
      warn(message: string) {
        const m = /restarting in (\d+) ms/.exec(message);
        if (m) delays.push(Number(m[1]));
      },
    };
    const { fileURLToPath } = await import('node:url');
    const cluster = await startCluster({
      workers: 1,
      rooms: fileURLToPath(new URL('./fixtures/cluster-crashy-rooms.ts', import.meta.url)),
      restartBackoff: { initialDelay: 100, maxDelay: 400, stableAfter: 60_000 },
      logger,
    });
    try {
      writeFileSync(flag, '');
      const first = cluster.workers[0]!;
      const fourLosses = new Promise<void>((resolve) => {
        let n = 0;
        cluster.on('worker-lost', () => {
          if (++n === 4) resolve();
        });
      });
      process.kill(first.pid!, 'SIGKILL');
      await fourLosses;
      expect(delays.slice(0, 4)).toEqual([100, 200, 400, 400]);
      rmSync(flag);
      const recovered = await ready(cluster, 0);
      expect(recovered.incarnation).toBeGreaterThanOrEqual(first.incarnation + 4);
      const { client } = recordingClient(`ws://127.0.0.1:${cluster.port}`);
      const room = await client.create('Arena');
      expect(room.name).toBe('Arena');
      await room.leave();
    } finally {
      await cluster.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
