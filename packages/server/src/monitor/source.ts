/**
 * What the monitor reads from a server: its sessions, rooms and state. The server implements it
 * over its session layer and matchmaker; a cluster worker reports the same per worker.
 * @module
 */
import type { ConnectionStats } from '@netplay/transport';
import type { TickStats } from '../room/tick-loop.js';

/** Traffic counters of sessions: bytes each way and reliable messages sent again. */
export interface SessionTraffic {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly resends: number;
}

/**
 * A session as the monitor sees it. The counters are read for every session at every sample; the
 * full `stats` only for the sessions a `/monitor/data` document lists.
 */
export interface MonitorSessionView {
  readonly id: string;
  readonly remoteAddress: string;
  /** `connected`, `disconnected` (in its grace period), `ending` or `closed`. */
  readonly state: string;
  /** Bytes received from the client. */
  readonly bytesReceived: number;
  /** Bytes sent to the client. */
  readonly bytesSent: number;
  /** Reliable messages sent again after loss. */
  readonly messagesResent: number;
  /** Smoothed RTT, ms. */
  readonly rtt: number;
  readonly stats: Readonly<ConnectionStats>;
}

/** A room as the monitor sees it. */
export interface MonitorRoomView {
  readonly roomId: string;
  readonly roomName: string;
  readonly clients: readonly { readonly sessionId: string }[];
  readonly maxClients: number;
  readonly locked: boolean;
  readonly isPrivate: boolean;
  readonly stats: Readonly<{ messagesIn: number; relaysIn: number; deliveriesOut: number }>;
  readonly tickStats: Readonly<TickStats> | undefined;
}

/** The monitor's view of a server. */
export interface MonitorSource {
  sessions(): Iterable<MonitorSessionView>;
  /** The final traffic of every session that is gone, summed (so totals never go back). */
  closedSessionTraffic(): SessionTraffic;
  rooms(): Iterable<MonitorRoomView>;
  /** Lifecycle state of the server (`listening`, …). */
  state(): string;
  /** The address the HTTP server is bound to (decides loopback-only access). */
  boundHost(): string;
}
