/**
 * Server child for the Netplay rows: a `Server` with one room type whose rooms relay as asked (no
 * `onRelay` hook). `node netplay-server.ts ws|udp clientsPerRoom`.
 * @module
 */
import { Room, Server } from '@netplay/server';
import { serveControl } from './server-control.js';

class RelayRoom extends Room {}

const transport = process.argv[2] === 'udp' ? 'udp' : 'ws';
const clientsPerRoom = Number(process.argv[3] ?? 8);

const quiet = {
  info: () => {},
  warn: (message: string, ...details: unknown[]) => console.warn(`[netplay server] ${message}`, ...details),
  error: (message: string, ...details: unknown[]) => console.error(`[netplay server] ${message}`, ...details),
};

const server = new Server({
  port: 0,
  host: '127.0.0.1',
  ...(transport === 'udp' ? { udpPort: 0 } : {}),
  maxSessions: 100_000,
  maxSessionsPerAddress: 100_000,
  logger: quiet,
});
server.define('relay', RelayRoom, { maxClients: clientsPerRoom });
await server.listen();
const url = transport === 'udp' ? `udp://127.0.0.1:${server.udpPort}` : `ws://127.0.0.1:${server.port}`;
serveControl(url, () => server.shutdown());
