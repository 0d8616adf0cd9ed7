/**
 * The server's Prometheus metrics (`/metrics`), on a registry of its own (never prom-client's
 * global one), so several servers in one process do not collide.
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Buckets of the RTT histogram, in seconds. */
export const RTT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2];
/** Buckets of the tick duration histogram, in seconds. */
export const TICK_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

/** Every metric a server exports. Names are prefixed `netplay_`. */
export class ServerMetrics {
  readonly registry = new Registry();
  /** Connected sessions (concurrent users). */
  readonly ccu: Gauge;
  /** Sessions alive, including those waiting for a resume. */
  readonly sessions: Gauge;
  /** Rooms alive, by room type. */
  readonly rooms: Gauge<'type'>;
  readonly messagesIn: Counter;
  readonly messagesOut: Counter;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  readonly resends: Counter;
  readonly rtt: Histogram;
  readonly tickDuration: Histogram<'type'>;
  readonly eventLoopLag: Gauge;

  constructor() {
    const registers = [this.registry];
    this.ccu = new Gauge({ name: 'netplay_ccu', help: 'Connected sessions (concurrent users)', registers });
    this.sessions = new Gauge({
      name: 'netplay_sessions',
      help: 'Sessions alive, connected or waiting for a resume',
      registers,
    });
    this.rooms = new Gauge({ name: 'netplay_rooms', help: 'Rooms alive', labelNames: ['type'], registers });
    const counter = (name: string, help: string): Counter => new Counter({ name, help, registers });
    this.messagesIn = counter('netplay_messages_received_total', 'Room messages and relays received from clients');
    this.messagesOut = counter(
      'netplay_messages_sent_total',
      'Room messages delivered to clients by broadcast and relay (a broadcast counts once per member)',
    );
    this.bytesIn = counter('netplay_bytes_received_total', 'Bytes of datagrams received from clients');
    this.bytesOut = counter('netplay_bytes_sent_total', 'Bytes of datagrams sent to clients');
    this.resends = counter('netplay_resends_total', 'Reliable messages sent again after a loss');
    this.rtt = new Histogram({
      name: 'netplay_rtt_seconds',
      help: "Connected sessions' smoothed RTT, sampled once per sample interval",
      buckets: RTT_BUCKETS,
      registers,
    });
    this.tickDuration = new Histogram({
      name: 'netplay_tick_duration_seconds',
      help: "Duration of rooms' tick callbacks, the last tick of each room per sample interval",
      labelNames: ['type'],
      buckets: TICK_BUCKETS,
      registers,
    });
    this.eventLoopLag = new Gauge({
      name: 'netplay_event_loop_lag_seconds',
      help: 'Mean event-loop delay over the last sample interval',
      registers,
    });
  }

  /** Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The `Content-Type` of {@link text}. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
