/**
 * The JSON document `/monitor/data` answers: workers, rooms, sessions and the chart history.
 * @module
 */
import type { MonitorHistoryPoint, MonitorSampler, MonitorTotals } from './sampler.js';
import type { MonitorSource } from './source.js';

/** A worker process (a single `Server` is one worker). */
export interface MonitorWorker {
  readonly id: string;
  readonly pid: number;
  readonly state: string;
  readonly uptimeSeconds: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly eventLoopLagMs: number;
  readonly sessions: number;
  readonly ccu: number;
  readonly rooms: number;
}

/** A room row. */
export interface MonitorRoom {
  readonly id: string;
  readonly type: string;
  readonly clients: number;
  /** `null` when unlimited. */
  readonly maxClients: number | null;
  readonly locked: boolean;
  readonly private: boolean;
  readonly ticks: number;
  readonly lastTickMs: number;
  readonly maxTickMs: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
}

/** A session row. */
export interface MonitorSession {
  readonly id: string;
  readonly address: string;
  readonly state: string;
  /** Room id, or `null` when in no room. */
  readonly room: string | null;
  readonly rttMs: number;
  /** Recent packet loss, 0–1. */
  readonly loss: number;
  readonly bytesInPerSec: number;
  readonly bytesOutPerSec: number;
  readonly resends: number;
}

/** The whole `/monitor/data` document. */
export interface MonitorData {
  readonly generatedAt: number;
  readonly sampleInterval: number;
  readonly workers: readonly MonitorWorker[];
  readonly rooms: readonly MonitorRoom[];
  readonly roomCount: number;
  readonly sessions: readonly MonitorSession[];
  readonly sessionCount: number;
  readonly totals: Readonly<MonitorTotals>;
  readonly history: readonly MonitorHistoryPoint[];
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** Build the document from the source and the sampler's latest figures. */
export function buildMonitorData(
  source: MonitorSource,
  sampler: MonitorSampler,
  options: { maxListed: number; sampleInterval: number; startedAt: number },
): MonitorData {
  const roomOf = new Map<string, string>();
  const rooms: MonitorRoom[] = [];
  let roomCount = 0;
  for (const room of source.rooms()) {
    roomCount++;
    for (const client of room.clients) roomOf.set(client.sessionId, room.roomId);
    if (rooms.length >= options.maxListed) continue;
    rooms.push({
      id: room.roomId,
      type: room.roomName,
      clients: room.clients.length,
      maxClients: Number.isFinite(room.maxClients) ? room.maxClients : null,
      locked: room.locked,
      private: room.isPrivate,
      ticks: room.tickStats?.ticks ?? 0,
      lastTickMs: round(room.tickStats?.lastDurationMs ?? 0, 3),
      maxTickMs: round(room.tickStats?.maxDurationMs ?? 0, 3),
      messagesIn: room.stats.messagesIn + room.stats.relaysIn,
      messagesOut: room.stats.deliveriesOut,
    });
  }
  const sessions: MonitorSession[] = [];
  let sessionCount = 0;
  let ccu = 0;
  for (const session of source.sessions()) {
    sessionCount++;
    if (session.state === 'connected') ccu++;
    if (sessions.length >= options.maxListed) continue;
    const rates = sampler.sessionRates.get(session.id);
    sessions.push({
      id: session.id,
      address: session.remoteAddress,
      state: session.state,
      room: roomOf.get(session.id) ?? null,
      rttMs: round(session.stats.rtt),
      loss: round(session.stats.packetLoss, 4),
      bytesInPerSec: Math.round(rates?.bytesInPerSec ?? 0),
      bytesOutPerSec: Math.round(rates?.bytesOutPerSec ?? 0),
      resends: session.stats.messagesResent,
    });
  }
  const memory = process.memoryUsage();
  const last = sampler.history.at(-1);
  return {
    generatedAt: Date.now(),
    sampleInterval: options.sampleInterval,
    workers: [
      {
        id: 'main',
        pid: process.pid,
        state: source.state(),
        uptimeSeconds: round((Date.now() - options.startedAt) / 1000, 1),
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        eventLoopLagMs: round(last?.eventLoopLagMs ?? 0),
        sessions: sessionCount,
        ccu,
        rooms: roomCount,
      },
    ],
    rooms,
    roomCount,
    sessions,
    sessionCount,
    totals: { ...sampler.totals },
    history: sampler.history,
  };
}
