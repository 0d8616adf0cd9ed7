/**
 * Turns the server's live counters into monitor data: cumulative totals that never go back when a
 * session or room goes away (deltas are summed while it lives), per-session rates, histogram
 * observations and the chart history, once per sample interval.
 *
 * Sessions and rooms seen at the last sync are held until the next one, so the traffic of one that
 * went away in between is still counted from its final stats. One that came and went between two
 * syncs (less than a sample interval) is not counted.
 * @module
 */
import type { ServerMetrics } from './metrics.js';
import type { MonitorRoomView, MonitorSessionView, MonitorSource } from './source.js';

/** One chart point. */
export interface MonitorHistoryPoint {
  /** Time of the sample, ms since the Unix epoch. */
  readonly t: number;
  /** Room messages received per second over the interval. */
  readonly messagesInPerSec: number;
  /** Room messages delivered per second over the interval. */
  readonly messagesOutPerSec: number;
  readonly bytesInPerSec: number;
  readonly bytesOutPerSec: number;
  /** Connected sessions at the sample. */
  readonly ccu: number;
  readonly rooms: number;
  /** Longest last-tick duration over every room, ms. */
  readonly tickMs: number;
  /** Mean event-loop delay over the interval, ms. */
  readonly eventLoopLagMs: number;
}

/** Cumulative totals since the server started. */
export interface MonitorTotals {
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  resends: number;
}

/** Per-session rates over the last sample interval. */
export interface SessionRates {
  bytesInPerSec: number;
  bytesOutPerSec: number;
}

interface SessionMark {
  bytesIn: number;
  bytesOut: number;
  resends: number;
}

interface RoomMark {
  messagesIn: number;
  messagesOut: number;
  ticks: number;
}

/** Samples a {@link MonitorSource} into totals, rates, metrics and history. */
export class MonitorSampler {
  readonly totals: MonitorTotals = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, resends: 0 };
  readonly history: MonitorHistoryPoint[] = [];
  /** Rates of each session over the last sample interval. */
  readonly sessionRates = new Map<string, SessionRates>();
  #sessionMarks = new Map<MonitorSessionView, SessionMark>();
  #roomMarks = new Map<MonitorRoomView, RoomMark>();
  #rateMarks = new Map<string, { bytesIn: number; bytesOut: number }>();
  #lastSampleAt: number | undefined;
  #lastTotals: MonitorTotals = { ...this.totals };

  constructor(
    private readonly source: MonitorSource,
    private readonly metrics: ServerMetrics,
    private readonly historySize: number,
  ) {}

  /**
   * Add every session's and room's growth since the last sync to the totals and counters, and set
   * the gauges. Cheap; called on each sample and each `/metrics` scrape.
   */
  sync(): void {
    const m = this.metrics;
    let ccu = 0;
    let sessions = 0;
    const gone = new Set(this.#sessionMarks.keys());
    const syncSession = (session: MonitorSessionView): void => {
      const s = session.stats;
      const mark = this.#sessionMarks.get(session) ?? { bytesIn: 0, bytesOut: 0, resends: 0 };
      this.#add('bytesIn', s.bytesReceived - mark.bytesIn, m.bytesIn);
      this.#add('bytesOut', s.bytesSent - mark.bytesOut, m.bytesOut);
      this.#add('resends', s.messagesResent - mark.resends, m.resends);
      this.#sessionMarks.set(session, { bytesIn: s.bytesReceived, bytesOut: s.bytesSent, resends: s.messagesResent });
    };
    for (const session of this.source.sessions()) {
      sessions++;
      if (session.state === 'connected') ccu++;
      gone.delete(session);
      syncSession(session);
    }
    for (const session of gone) {
      syncSession(session); // its final figures
      this.#sessionMarks.delete(session);
    }
    m.ccu.set(ccu);
    m.sessions.set(sessions);
    const roomsByType = new Map<string, number>();
    const goneRooms = new Set(this.#roomMarks.keys());
    const syncRoom = (room: MonitorRoomView): void => {
      const mark = this.#roomMark(room);
      const messagesIn = room.stats.messagesIn + room.stats.relaysIn;
      this.#add('messagesIn', messagesIn - mark.messagesIn, m.messagesIn);
      this.#add('messagesOut', room.stats.deliveriesOut - mark.messagesOut, m.messagesOut);
      mark.messagesIn = messagesIn;
      mark.messagesOut = room.stats.deliveriesOut;
    };
    for (const room of this.source.rooms()) {
      roomsByType.set(room.roomName, (roomsByType.get(room.roomName) ?? 0) + 1);
      goneRooms.delete(room);
      syncRoom(room);
    }
    for (const room of goneRooms) {
      syncRoom(room);
      this.#roomMarks.delete(room);
    }
    m.rooms.reset();
    for (const [type, count] of roomsByType) m.rooms.set({ type }, count);
  }

  /** A timed sample at `now` (ms): sync, then rates, histograms and a history point. */
  sample(now: number, eventLoopLagMs: number): void {
    this.sync();
    const m = this.metrics;
    const dt = this.#lastSampleAt === undefined ? 0 : (now - this.#lastSampleAt) / 1000;
    const rate = (value: number): number => (dt > 0 ? value / dt : 0);
    const seen = new Set<string>();
    let ccu = 0;
    for (const session of this.source.sessions()) {
      seen.add(session.id);
      const s = session.stats;
      if (session.state === 'connected') {
        ccu++;
        if (s.rtt > 0) m.rtt.observe(s.rtt / 1000);
      }
      const prev = this.#rateMarks.get(session.id);
      this.#rateMarks.set(session.id, { bytesIn: s.bytesReceived, bytesOut: s.bytesSent });
      this.sessionRates.set(session.id, {
        bytesInPerSec: prev === undefined ? 0 : rate(Math.max(0, s.bytesReceived - prev.bytesIn)),
        bytesOutPerSec: prev === undefined ? 0 : rate(Math.max(0, s.bytesSent - prev.bytesOut)),
      });
    }
    for (const id of this.#rateMarks.keys()) {
      if (!seen.has(id)) {
        this.#rateMarks.delete(id);
        this.sessionRates.delete(id);
      }
    }
    let rooms = 0;
    let tickMs = 0;
    for (const room of this.source.rooms()) {
      rooms++;
      const tick = room.tickStats;
      const mark = this.#roomMark(room);
      if (tick !== undefined && tick.ticks !== mark.ticks) {
        mark.ticks = tick.ticks;
        m.tickDuration.observe({ type: room.roomName }, tick.lastDurationMs / 1000);
        tickMs = Math.max(tickMs, tick.lastDurationMs);
      }
    }
    m.eventLoopLag.set(eventLoopLagMs / 1000);
    const t = this.totals;
    const last = this.#lastTotals;
    this.history.push({
      t: Date.now(),
      messagesInPerSec: rate(t.messagesIn - last.messagesIn),
      messagesOutPerSec: rate(t.messagesOut - last.messagesOut),
      bytesInPerSec: rate(t.bytesIn - last.bytesIn),
      bytesOutPerSec: rate(t.bytesOut - last.bytesOut),
      ccu,
      rooms,
      tickMs,
      eventLoopLagMs,
    });
    if (this.history.length > this.historySize) this.history.splice(0, this.history.length - this.historySize);
    this.#lastTotals = { ...t };
    this.#lastSampleAt = now;
  }

  #roomMark(room: MonitorRoomView): RoomMark {
    let mark = this.#roomMarks.get(room);
    if (mark === undefined) {
      mark = { messagesIn: 0, messagesOut: 0, ticks: room.tickStats?.ticks ?? 0 };
      this.#roomMarks.set(room, mark);
    }
    return mark;
  }

  #add(key: keyof MonitorTotals, delta: number, counter: { inc(value: number): void }): void {
    if (!(delta > 0)) return;
    this.totals[key] += delta;
    counter.inc(delta);
  }
}
