/**
 * Chaos under load, shared by `test/cluster-chaos.test.ts` (bounded: 2 workers, a few kills, ~10 s)
 * and `bench/chaos` (`npm run chaos`: longer, more rooms). A cluster of real worker processes on
 * 127.0.0.1; pairs of clients in rooms relay numbered reliable messages both ways at 20 Hz; every
 * `killEvery` ms a random worker is SIGKILLed (the manager replaces it on the same port) and a new
 * pair joins. Afterwards each pair is classed: **unaffected** (its worker never died while it
 * lived) must have lost and duplicated nothing and never reconnected; **affected** must have been
 * told (`leave` with `ROOM_LOST`) and received no duplicate.
 */
import type { Room as ClientRoom } from '@netplay/client';
import { CloseCode, type ClusterServer, type WorkerInfo } from '@netplay/server';
import { nextMessage, recordingClient, startCluster } from '../helpers/cluster.js';

/** Settings of a chaos run. */
export interface ChaosSettings {
  workers: number;
  /** Pairs joined before the first kill. */
  initialPairs: number;
  /** Milliseconds between kills. */
  killEvery: number;
  kills: number;
  /** Relay rate per client, Hz. */
  hz: number;
  /** Seed of the kill choices. */
  seed: number;
}

/** What one pair saw. */
export interface PairOutcome {
  affected: boolean;
  sent: number;
  received: number;
  lost: number;
  duplicated: number;
  reconnects: number;
  leaveCode: number | undefined;
}

/** The result of a chaos run. */
export interface ChaosResult {
  kills: number;
  pairs: PairOutcome[];
  unaffected: { pairs: number; sent: number; lost: number; duplicated: number; reconnects: number };
  affected: { pairs: number; toldRoomLost: number; duplicated: number };
  meanDetectionMs: number;
  seconds: number;
}

interface Member {
  room: ClientRoom;
  got: number[];
  sent: number;
  reconnects: number;
  leaveCode: number | undefined;
}

interface Pair {
  a: Member;
  b: Member;
  pid: number;
  affected: boolean;
}

async function pidOf(room: ClientRoom): Promise<number> {
  const where = nextMessage<{ pid: number }>(room, 'where');
  room.send('where');
  return (await where).pid;
}

function member(room: ClientRoom): Member {
  const m: Member = { room, got: [], sent: 0, reconnects: 0, leaveCode: undefined };
  room.on('relay', (p) => m.got.push(p as number));
  room.on('reconnecting', () => m.reconnects++);
  room.on('leave', (code) => {
    m.leaveCode = code;
  });
  room.on('error', () => {});
  return m;
}

/** Run a chaos scenario (see the module description). */
export async function runChaos(s: ChaosSettings): Promise<ChaosResult> {
  const started = performance.now();
  const cluster = await startCluster({ workers: s.workers });
  const url = `ws://127.0.0.1:${cluster.port}`;
  const pairs: Pair[] = [];
  let random = s.seed >>> 0 || 1;
  const next = (): number => {
    random ^= random << 13;
    random ^= random >>> 17;
    random ^= random << 5;
    return (random >>> 0) / 2 ** 32;
  };
  const addPair = async (): Promise<void> => {
    const a = await recordingClient(url).client.create('arena');
    const b = await recordingClient(url).client.joinById(a.roomId);
    pairs.push({ a: member(a), b: member(b), pid: await pidOf(a), affected: false });
  };
  const detections: number[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    for (let i = 0; i < s.initialPairs; i++) await addPair();
    timer = setInterval(() => {
      for (const p of pairs) {
        for (const m of [p.a, p.b]) {
          if (m.leaveCode !== undefined) continue;
          m.sent++;
          m.room.relay(m.sent);
        }
      }
    }, 1000 / s.hz);
    for (let k = 0; k < s.kills; k++) {
      await new Promise((r) => setTimeout(r, s.killEvery));
      const live = cluster.workers.filter((w): w is WorkerInfo & { pid: number } => w.pid !== undefined);
      const victim = live[Math.floor(next() * live.length)]!;
      for (const p of pairs) if (p.pid === victim.pid && p.a.leaveCode === undefined) p.affected = true;
      const replaced = waitReady(cluster, victim.index);
      const killedAt = performance.now();
      const detected = waitLost(cluster, victim.index).then(() => detections.push(performance.now() - killedAt));
      process.kill(victim.pid, 'SIGKILL');
      await detected;
      await replaced;
      await addPair(); // load keeps coming: a new pair lands somewhere
    }
    await new Promise((r) => setTimeout(r, s.killEvery / 2));
    clearInterval(timer);
    timer = undefined;
    // Let in-flight relays of unaffected pairs arrive (they are reliable: all of them must).
    const deadline = performance.now() + 5000;
    const complete = () => pairs.every((p) => p.affected || (p.a.got.length >= p.b.sent && p.b.got.length >= p.a.sent));
    while (!complete() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // An affected pair is told: wait for its leave.
    while (
      pairs.some((p) => p.affected && (p.a.leaveCode === undefined || p.b.leaveCode === undefined)) &&
      performance.now() < deadline + 15_000
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    if (timer !== undefined) clearInterval(timer);
    await Promise.all(
      pairs
        .flatMap((p) => [p.a.room, p.b.room])
        .map((r) => (r.state === 'joined' ? r.leave().catch(() => {}) : undefined)),
    );
    await cluster.shutdown();
  }
  const outcomes: PairOutcome[] = pairs.flatMap((p) =>
    [
      [p.a, p.b],
      [p.b, p.a],
    ].map(([receiver, sender]) => {
      const seen = new Set<number>();
      let duplicated = 0;
      for (const n of receiver!.got) {
        if (seen.has(n)) duplicated++;
        seen.add(n);
      }
      const lost = Math.max(0, sender!.sent - seen.size);
      return {
        affected: p.affected,
        sent: sender!.sent,
        received: receiver!.got.length,
        lost,
        duplicated,
        reconnects: receiver!.reconnects,
        leaveCode: receiver!.leaveCode,
      };
    }),
  );
  const un = outcomes.filter((o) => !o.affected);
  const af = outcomes.filter((o) => o.affected);
  return {
    kills: s.kills,
    pairs: outcomes,
    unaffected: {
      pairs: un.length / 2,
      sent: un.reduce((n, o) => n + o.sent, 0),
      lost: un.reduce((n, o) => n + o.lost, 0),
      duplicated: un.reduce((n, o) => n + o.duplicated, 0),
      reconnects: un.reduce((n, o) => n + o.reconnects, 0),
    },
    affected: {
      pairs: af.length / 2,
      toldRoomLost: af.filter((o) => o.leaveCode === CloseCode.ROOM_LOST).length / 2,
      duplicated: af.reduce((n, o) => n + o.duplicated, 0),
    },
    meanDetectionMs: detections.length === 0 ? 0 : detections.reduce((a, b) => a + b, 0) / detections.length,
    seconds: (performance.now() - started) / 1000,
  };
}

function waitLost(cluster: ClusterServer, index: number): Promise<void> {
  return new Promise((resolve) => {
    const on = (worker: WorkerInfo) => {
      if (worker.index !== index) return;
      cluster.off('worker-lost', on);
      resolve();
    };
    cluster.on('worker-lost', on);
  });
}

function waitReady(cluster: ClusterServer, index: number): Promise<void> {
  return new Promise((resolve) => {
    const on = (worker: WorkerInfo) => {
      if (worker.index !== index) return;
      cluster.off('worker-ready', on);
      resolve();
    };
    cluster.on('worker-ready', on);
  });
}
