/**
 * Turns the server's live counters into monitor data: cumulative totals that never go back when a
 * session or room goes away, per-session rates, histogram observations and the chart history, once
 * per sample interval.
 *
 * Session traffic totals are the source's sum over closed sessions plus the live sessions' current
 * counters, so the sampler keeps nothing per session for them. Per-session rates (the `/monitor`
 * table) need each session's previous counters: they are kept only while someone reads the
 * monitor's data, and forgotten a few samples after the last read. Rooms are few: the traffic of
 * one that went away since the last sync is counted from its final stats, held until then.
 * @module
 */
import type { ServerMetrics } from './metrics.js';
import type { MonitorRoomView, MonitorSource } from './source.js';

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

/** Samples after the last read of the data during which per-session rates are still kept. */
const RATES_KEPT_SAMPLES = 3;

interface RoomMark {
  messagesIn: number;
  messagesOut: number;
  ticks: number;
}

/** Samples a {@link MonitorSource} into totals, rates, metrics and history. */
export class MonitorSampler {
  readonly totals: MonitorTotals = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, resends: 0 };
  readonly history: MonitorHistoryPoint[] = [];
  /** Rates of each session over the last sample interval (kept while the data is read: {@link MonitorSampler.wantRates}). */
  readonly sessionRates = new Map<string, SessionRates>();
  #roomMarks = new Map<MonitorRoomView, RoomMark>();
  /** Each session's bytes in and out at the last sample, while rates are kept. */
  #rateMarks = new Map<string, [bytesIn: number, bytesOut: number]>();
  /** Samples left during which per-session rates are kept. */
  #ratesWanted = 0;
  /** Session traffic (closed + live) at the last sync. */
  #synced = { bytesIn: 0, bytesOut: 0, resends: 0 };
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
    const closed = this.source.closedSessionTraffic();
    let bytesIn = closed.bytesIn;
    let bytesOut = closed.bytesOut;
    let resends = closed.resends;
    for (const session of this.source.sessions()) {
      sessions++;
      if (session.state === 'connected') ccu++;
      bytesIn += session.bytesReceived;
      bytesOut += session.bytesSent;
      resends += session.messagesResent;
    }
    const last = this.#synced;
    this.#add('bytesIn', bytesIn - last.bytesIn, m.bytesIn);
    this.#add('bytesOut', bytesOut - last.bytesOut, m.bytesOut);
    this.#add('resends', resends - last.resends, m.resends);
    this.#synced = { bytesIn, bytesOut, resends };
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
    const rates = this.#ratesWanted > 0;
    if (rates) this.#ratesWanted--;
    const seen = rates ? new Set<string>() : undefined;
    let ccu = 0;
    for (const session of this.source.sessions()) {
      if (session.state === 'connected') {
        ccu++;
        const rtt = session.rtt;
        if (rtt > 0) m.rtt.observe(rtt / 1000);
      }
      if (seen === undefined) continue;
      seen.add(session.id);
      const bytesIn = session.bytesReceived;
      const bytesOut = session.bytesSent;
      const prev = this.#rateMarks.get(session.id);
      this.#rateMarks.set(session.id, [bytesIn, bytesOut]);
      this.sessionRates.set(session.id, {
        bytesInPerSec: prev === undefined ? 0 : rate(Math.max(0, bytesIn - prev[0])),
        bytesOutPerSec: prev === undefined ? 0 : rate(Math.max(0, bytesOut - prev[1])),
      });
    }
    if (seen === undefined) {
      this.#rateMarks.clear();
      this.sessionRates.clear();
    } else {
      for (const id of this.#rateMarks.keys()) {
        if (!seen.has(id)) {
          this.#rateMarks.delete(id);
          this.sessionRates.delete(id);
        }
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

  /**
   * Someone reads the per-session rates (`/monitor/data`): keep them for the next few samples. The
   * first sample after a pause has no previous counters, so its rates read 0.
   */
  wantRates(): void {
    this.#ratesWanted = RATES_KEPT_SAMPLES;
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
