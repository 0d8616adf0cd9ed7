/**
 * `npm start`: the demo server, with `chat` and `arena` rooms on the embedded default (one process,
 * no external service): WebSocket on `PORT` (default 2567) and UDP on `UDP_PORT` (default 2568).
 * Ctrl-C (SIGINT) or SIGTERM shuts it down gracefully: members get `leave` with code 4000.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createDemoServer } from './server.js';

function envPort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`${name} must be a port number (0..65535), got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return port;
}

// /monitor and /metrics need a token unless the server is bound to loopback only: bound to every
// interface (the default here), use MONITOR_TOKEN or a random one printed below.
const host = process.env.HOST || '0.0.0.0';
const loopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
const monitorToken = process.env.MONITOR_TOKEN || (loopback ? undefined : randomBytes(12).toString('base64url'));

const server = createDemoServer({
  port: envPort('PORT', 2567),
  udpPort: envPort('UDP_PORT', 2568),
  host,
  monitor: monitorToken === undefined ? {} : { token: monitorToken },
});

try {
  await server.listen();
} catch (error) {
  console.error(`cannot start the demo server: ${error instanceof Error ? error.message : String(error)}`);
  console.error('is another one running? set PORT / UDP_PORT to use other ports.');
  process.exit(1);
}

const ws = `ws://127.0.0.1:${server.port}`;
const http = `http://127.0.0.1:${server.port}`;
const tokenQuery = monitorToken === undefined ? '' : `?token=${encodeURIComponent(monitorToken)}`;
const udp = `udp://127.0.0.1:${server.udpPort}`;
console.log(`Netplay demo server listening (${server.options.host})
  WebSocket  ${ws}
  UDP        ${udp}
  play       ${http}/arena/   (the arena in your browser: open it in two tabs)
  monitor    ${http}/monitor${tokenQuery}   metrics: ${http}/metrics${tokenQuery}
  health     ${http}/health   rooms: ${http}/rooms
rooms: chat (relay with history), arena (authoritative movement, 20 Hz delta snapshots)

try it, each in its own terminal:
  npx tsx examples/arena/bots.ts 4 --url ${ws}
  npx tsx examples/arena/bots.ts 4 --url ${udp} --network latency=75,loss=0.05
  npx tsx examples/chat/client.ts ana ${ws}
  npx tsx examples/chat/client.ts bob ${udp}
Ctrl-C to stop.`);

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) {
    console.log('forced exit');
    process.exit(1);
  }
  stopping = true;
  console.log(`${signal}: shutting down (rooms: ${server.stats.rooms}, sessions: ${server.stats.sessions})…`);
  server.shutdown().then(
    () => {
      console.log('stopped');
      process.exit(0);
    },
    (error: unknown) => {
      console.error('shutdown failed', error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
