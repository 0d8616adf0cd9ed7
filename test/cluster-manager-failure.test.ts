/**
 * The manager is not a single point of failure: SIGKILL it while 40 clients in 5 rooms relay at
 * 20 Hz. The workers keep their rooms (no reliable relay lost, no client reconnects); while no
 * manager is up a join fails fast with UNAVAILABLE and a direct message to another worker is refused
 * with UNAVAILABLE; a restarted manager adopts the same worker processes (their rooms, sessions and
 * load) instead of starting new ones, a join that was retrying meanwhile lands, a new client joins
 * an existing room by id, and direct messages across workers work again. Real processes on
 * 127.0.0.1 (a manager process and 2 workers); every pid is killed at the end, pass or fail.
 */
import type { Room as ClientRoom } from '@netplay/client';
import { CloseCode, SessionErrorCode } from '@netplay/server';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { freePorts, next, nextMessage, recordingClient, until } from './helpers/cluster.js';
import { alive, killAll, killManager, type ManagerProcess, startManagerProcess } from './helpers/manager-process.js';

const ROOMS = 5;
const PER_ROOM = 8;

describe('manager failure (a manager process, 2 workers)', () => {
  const pids = new Set<number>();
  const members: ClientRoom[] = [];

  afterAll(async () => {
    await Promise.all(members.splice(0).map((r) => r.leave().catch(() => {})));
    killAll(pids);
  }, 30_000);

  it('SIGKILL of the manager under 20 Hz relays: nothing lost, workers adopted by the restarted manager, joins resume', async () => {
    const [port, workerPort] = await freePorts(3);
    let manager: ManagerProcess = await startManagerProcess(pids, { workerPort: workerPort!, port, workers: 2 });
    const firstListenMs = manager.listenMs;
    const url = `ws://127.0.0.1:${port}`;
    const client = () => recordingClient(url).client;

    // 5 rooms of 8 members, spread over the two workers.
    const rooms: ClientRoom[][] = [];
    for (let r = 0; r < ROOMS; r++) {
      const first = await client().create('crowd');
      members.push(first);
      const rest = await Promise.all(Array.from({ length: PER_ROOM - 1 }, () => client().joinById(first.roomId)));
      members.push(...rest);
      rooms.push([first, ...rest]);
    }
    const all = rooms.flat();
    expect(all).toHaveLength(ROOMS * PER_ROOM);

    // Every member relays a sequence number to its room at 20 Hz (reliable); each receiver records
    // what it got from each sender.
    const got = all.map(() => new Map<number, number[]>());
    const hiccups: string[] = [];
    all.forEach((room, i) => {
      room.on('relay', (payload) => {
        const { s, n } = payload as { s: number; n: number };
        const list = got[i]!.get(s) ?? [];
        list.push(n);
        got[i]!.set(s, list);
      });
      room.on('reconnecting', () => hiccups.push(`${i} reconnecting`));
      room.on('leave', (code) => hiccups.push(`${i} leave ${code}`));
    });
    let seq = 0;
    const relay = setInterval(() => {
      seq++;
      for (const [i, room] of all.entries()) room.relay({ s: i, n: seq });
    }, 50);
    // Stopped however the test ends: a failed test must not go on relaying into the rooms afterAll
    // leaves (each relay would throw CLOSED, and those errors would bury the failure).
    onTestFinished(() => clearInterval(relay));
    const relayed = (n: number) => until(() => seq >= n, 10_000, `${n} relay rounds`);
    await relayed(seq + 10);

    // Two members on different workers, for direct messages.
    const where = async (room: ClientRoom) => {
      const reply = nextMessage<{ pid: number }>(room, 'where');
      room.send('where');
      return (await reply).pid;
    };
    const pidOf = await Promise.all(rooms.map((r) => where(r[0]!)));
    const a = rooms[pidOf.indexOf(manager.pids[0]!)]![0]!;
    const b = rooms[pidOf.indexOf(manager.pids[1]!)]![0]!;
    const directAB = next<[unknown, string]>(b, 'direct');
    a.message(b.sessionId, 'before');
    expect((await directAB)[0]).toBe('before');

    // Kill the manager (no goodbye).
    const workerPids = [...manager.pids];
    await killManager(manager);
    const killedAt = performance.now();

    // While it is down: a join fails fast with UNAVAILABLE (no retry budget here)…
    const { Client } = await import('@netplay/client');
    const fast = new Client(url, { joinRetry: { budget: 0 }, logger: { warn() {}, error() {} } });
    const fastStart = performance.now();
    const fastError = await fast.joinById(rooms[0]![0]!.roomId).catch((e: unknown) => e as Error & { code: string });
    const fastMs = performance.now() - fastStart;
    expect(fastError).toMatchObject({ code: SessionErrorCode.UNAVAILABLE });
    expect(fastMs).toBeLessThan(500);
    // …a direct message to another worker is refused with UNAVAILABLE, and relays go on.
    const directError = next<[Error & { code: string }]>(a, 'error');
    a.message(b.sessionId, 'while down');
    expect((await directError)[0].code).toBe(SessionErrorCode.UNAVAILABLE);
    await relayed(seq + 10);
    for (const pid of workerPids) expect(alive(pid)).toBe(true);

    // A join that keeps retrying (with backoff) while the manager is restarted.
    // (A budget far above the restart time: a loaded machine may take seconds to start a process.)
    const retrying = new Client(url, { joinRetry: { budget: 60_000 }, logger: { warn() {}, error() {} } }).joinById(
      rooms[1]![0]!.roomId,
    );
    const restartAt = performance.now();
    manager = await startManagerProcess(pids, { workerPort: workerPort!, port, workers: 2 });
    const listeningMs = performance.now() - restartAt;
    expect(manager.pids).toEqual(workerPids);
    expect(manager.adopted).toEqual([true, true]);
    const late = await retrying;
    members.push(late);
    const retriedJoinMs = performance.now() - restartAt;

    // A new client joins an existing room by id; direct messages cross workers again.
    const joinStart = performance.now();
    const fresh = await client().joinById(rooms[2]![0]!.roomId);
    const freshJoinMs = performance.now() - joinStart;
    members.push(fresh);
    expect(fresh.peers).toContain(rooms[2]![0]!.sessionId);
    const directAfter = next<[unknown, string]>(b, 'direct');
    a.message(b.sessionId, 'after');
    expect((await directAfter)[0]).toBe('after');
    const downMs = performance.now() - killedAt;

    await relayed(seq + 10);
    clearInterval(relay);
    const sent = seq;
    const expected = Array.from({ length: sent }, (_, k) => k + 1);
    await until(
      () => all.every((_, i) => [...got[i]!.values()].every((list) => list.length >= sent)),
      10_000,
      'every relay delivered',
    );
    let lost = 0;
    all.forEach((_, i) => {
      const room = Math.floor(i / PER_ROOM);
      for (let s = room * PER_ROOM; s < (room + 1) * PER_ROOM; s++) {
        if (s === i) continue;
        const list = got[i]!.get(s) ?? [];
        lost += sent - list.length;
        expect(list).toEqual(expected);
      }
    });
    expect(lost).toBe(0);
    expect(hiccups).toEqual([]);
    const deliveries = ROOMS * PER_ROOM * (PER_ROOM - 1) * sent;
    console.log(
      `manager SIGKILLed under ${ROOMS * PER_ROOM} clients × 20 Hz: ${deliveries} reliable relays, ${lost} lost; ` +
        `join while down: UNAVAILABLE in ${fastMs.toFixed(0)} ms (no retry budget); ` +
        `restarted manager listening (2 workers adopted) ${listeningMs.toFixed(0)} ms after spawn (listen() itself: ${manager.listenMs} ms; ` +
        `the first start with 2 new workers: ${firstListenMs} ms), ` +
        `a retrying join landed ${retriedJoinMs.toFixed(0)} ms after spawn, then joinById took ${freshJoinMs.toFixed(0)} ms; ` +
        `manager down ${downMs.toFixed(0)} ms in all`,
    );
    await Promise.all(members.splice(0).map((r) => r.leave().catch(() => {})));
    // A graceful shutdown of the adopted workers through the restarted manager.
    const exited = new Promise((resolve) => manager.child.once('exit', resolve));
    manager.child.kill('SIGTERM');
    await exited;
    await until(() => workerPids.every((pid) => !alive(pid)), 10_000, 'the adopted workers to exit');
  }, 120_000);

  it('a hung manager (SIGSTOP): workers refuse direct messages to other workers with UNAVAILABLE at once, and carry on with it when it wakes', async () => {
    const [port, workerPort] = await freePorts(3);
    const manager = await startManagerProcess(pids, { workerPort: workerPort!, port, workers: 2 });
    const url = `ws://127.0.0.1:${port}`;
    const a = await recordingClient(url).client.create('crowd');
    const b = await recordingClient(url).client.create('crowd');
    members.push(a, b);
    expect(a.sessionId.split('.')[1]).not.toBe(b.sessionId.split('.')[1]);
    const hiccups: string[] = [];
    for (const r of [a, b]) r.on('leave', (code) => hiccups.push(`leave ${code}`));
    const direct = async (text: string) => {
      const got = next<[unknown, string]>(b, 'direct', 5000);
      a.message(b.sessionId, text);
      return (await got)[0];
    };
    expect(await direct('awake')).toBe('awake');

    process.kill(manager.child.pid!, 'SIGSTOP');
    const stoppedAt = performance.now();
    try {
      // The first refusal may come from the request timing out; once the worker has noticed the
      // silence (managerTimeout = heartbeatTimeout, 1.5 s), every refusal is immediate.
      const refused = async (): Promise<number> => {
        const started = performance.now();
        const error = next<[Error & { code: string }]>(a, 'error', 10_000);
        a.message(b.sessionId, 'asleep');
        expect((await error)[0].code).toBe(SessionErrorCode.UNAVAILABLE);
        return performance.now() - started;
      };
      const first = await refused();
      const noticedMs = performance.now() - stoppedAt;
      const second = await refused();
      expect(second).toBeLessThan(1000); // immediate, as opposed to the 1.5 s managerTimeout path
      console.log(
        `hung manager: first direct message refused after ${first.toFixed(0)} ms (${noticedMs.toFixed(0)} ms after SIGSTOP), then at once (${second.toFixed(0)} ms)`,
      );
    } finally {
      process.kill(manager.child.pid!, 'SIGCONT');
    }
    // Awake again: it did not take its workers for hung, and direct messages cross workers again.
    await until(
      async () => (await direct('awake again').catch(() => undefined)) === 'awake again',
      10_000,
      'direct messages after SIGCONT',
    );
    for (const pid of manager.pids) expect(alive(pid)).toBe(true);
    const c = await recordingClient(url).client.joinById(a.roomId);
    members.push(c);
    expect(hiccups).toEqual([]);
    await killManager(manager);
  }, 60_000);

  it('a worker that died while no manager was up is replaced on restart; the live one is adopted', async () => {
    const [port, workerPort] = await freePorts(3);
    const first = await startManagerProcess(pids, { workerPort: workerPort!, port, workers: 2 });
    const url = `ws://127.0.0.1:${port}`;
    const kept = await recordingClient(url).client.create('crowd');
    members.push(kept);
    const keptWorker = Number(kept.sessionId.split('.')[1]);
    const deadWorker = 1 - keptWorker;
    await killManager(first);
    const victim = first.pids[deadWorker]!;
    process.kill(victim, 'SIGKILL');
    await until(() => !alive(victim), 5000, 'the worker to die');
    const second = await startManagerProcess(pids, { workerPort: workerPort!, port, workers: 2 });
    expect(second.nodeId).toBe(first.nodeId);
    expect(second.adopted[keptWorker]).toBe(true);
    expect(second.adopted[deadWorker]).toBe(false);
    expect(second.pids[keptWorker]).toBe(first.pids[keptWorker]);
    expect(second.pids[deadWorker]).not.toBe(victim);
    // The new worker takes new rooms (least connections), the adopted one still has its room.
    const fresh = await recordingClient(url).client.create('crowd');
    members.push(fresh);
    expect(Number(fresh.sessionId.split('.')[1])).toBe(deadWorker);
    const again = await recordingClient(url).client.joinById(kept.roomId);
    members.push(again);
    expect(again.peers).toContain(kept.sessionId);
    await killManager(second);
  }, 60_000);

  it('orphanTimeout: workers left without a manager shut down gracefully (members get SHUTDOWN)', async () => {
    const [port, workerPort] = await freePorts(3);
    const manager = await startManagerProcess(pids, { workerPort: workerPort!, port, workers: 2, orphanTimeout: 800 });
    const room = await recordingClient(`ws://127.0.0.1:${port}`).client.create('crowd');
    members.push(room);
    const left = next<[number, string]>(room, 'leave', 10_000);
    await killManager(manager);
    const killedAt = performance.now();
    expect((await left)[0]).toBe(CloseCode.SHUTDOWN);
    await until(() => manager.pids.every((pid) => !alive(pid)), 10_000, 'the orphans to exit');
    console.log(
      `orphanTimeout 800 ms: the orphaned workers shut down ${(performance.now() - killedAt).toFixed(0)} ms after the manager died`,
    );
  }, 30_000);
});
