/**
 * Server child for the Netplay rows: a `Server` with one room type whose rooms relay as asked (no
 * `onRelay` hook). `node netplay-server.ts ws|udp clientsPerRoom`.
 * @module
 */
import { Room, Server } from '@netplay/server';
import { Connection } from '@netplay/transport';
import { addLoss, envNumber, experimentConnection, type LossCounters, noLoss } from './protocol.js';
import { frames, serveControl } from './server-control.js';

/** `--server-send-delay=ms`: the server's `sendDelay` option (default: the server's own default). */
const sendDelay = envNumber('NETPLAY_BENCH_SERVER_SEND_DELAY');
/** The sessions' connection options the experiment flags set (none by default: the transport's). */
const connection = experimentConnection();

class RelayRoom extends Room {}

/**
 * The connections that flushed in the measured window, with their loss counters when first seen
 * there (none kept outside a window, so the idle phase's heap per session is not inflated).
 */
let windowConnections: Map<Connection, LossCounters> | undefined;
const lossCountersOf = (c: Connection): LossCounters => {
  const s = c.stats;
  return {
    timeouts: s.timeouts,
    packetsLost: s.packetsLost,
    spuriousLosses: s.spuriousLosses,
    messagesResent: s.messagesResent,
  };
};
const loss = {
  start(): void {
    windowConnections = new Map();
  },
  stop(): LossCounters {
    const sum = noLoss();
    for (const [c, at] of windowConnections ?? []) addLoss(sum, lossCountersOf(c), at);
    windowConnections = undefined;
    return sum;
  },
};

/** Count datagrams in and out of every session (one extra call per flush and per datagram). */
const flush = Connection.prototype.flush;
Connection.prototype.flush = function (this: Connection, now: number): Uint8Array[] {
  if (windowConnections !== undefined && !windowConnections.has(this))
    windowConnections.set(this, lossCountersOf(this));
  const d = flush.call(this, now);
  frames.out += d.length;
  return d;
};
const receive = Connection.prototype.receive;
Connection.prototype.receive = function (this: Connection, datagram: Uint8Array, now: number): void {
  frames.in++;
  receive.call(this, datagram, now);
};

const transport = process.argv[2] === 'udp' ? 'udp' : 'ws';
const clientsPerRoom = Number(process.argv[3] ?? 8);

const quiet = {
  info: () => {},
  warn: (message: string, ...details: unknown[]) => console.warn(`[netplay server] ${message}`, ...details),
  error: (message: string, ...details: unknown[]) => console.error(`[netplay server] ${message}`, ...details),
};

/**
 * Every bot connects from 127.0.0.1, where real clients come from many addresses: lift the
 * per-address limits (sessions, handshakes in flight) so they do not throttle the benchmark. Spread
 * in, so that this file also type-checks against servers that do not have every option yet.
 */
const limits = {
  maxSessions: 100_000,
  maxSessionsPerAddress: 100_000,
  maxPendingHandshakes: 100_000,
  maxPendingHandshakesPerAddress: 100_000,
};
const server = new Server({
  port: 0,
  host: '127.0.0.1',
  ...(transport === 'udp' ? { udpPort: 0 } : {}),
  ...limits,
  ...(sendDelay === undefined ? {} : { sendDelay }),
  ...(Object.keys(connection).length === 0 ? {} : { connection }),
  logger: quiet,
});
server.define('relay', RelayRoom, { maxClients: clientsPerRoom });
await server.listen();
const url = transport === 'udp' ? `udp://127.0.0.1:${server.udpPort}` : `ws://127.0.0.1:${server.port}`;
serveControl(url, () => server.shutdown(), { loss });
