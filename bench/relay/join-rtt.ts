/**
 * Join time over a WebSocket with simulated latency: a `Server` in this process, 12 clients one
 * after another, each with `network: { latency }` (one way, no loss: the link stays reliable) and
 * `joinOrCreate`, median and range. Shows the round trips a join costs: the client sends its
 * `Join` right behind `Connect`, so a join is one round trip plus the local work.
 * `npx tsx bench/relay/join-rtt.ts [latencyMs]` (default 50).
 * @module
 */
import { Client } from '@netplay/client';
import { Room, Server } from '@netplay/server';
import { median } from '../stats.js';

class Arena extends Room {}

const latency = Number(process.argv[2] ?? 50);
const JOINS = 12;
const quiet = { info() {}, warn() {}, error() {} };
const server = new Server({ port: 0, host: '127.0.0.1', logger: quiet });
server.define('arena', Arena, { maxClients: 64 });
await server.listen();
const times: number[] = [];
for (let i = 0; i < JOINS; i++) {
  const client = new Client(`ws://127.0.0.1:${server.port}`, { network: { latency }, reconnect: { enabled: false } });
  const started = performance.now();
  const room = await client.joinOrCreate('arena');
  times.push(performance.now() - started);
  await room.leave();
}
console.log(
  `one-way latency ${latency} ms: join median ${median(times).toFixed(1)} ms ` +
    `(${Math.min(...times).toFixed(1)}–${Math.max(...times).toFixed(1)}), ${JOINS} joins`,
);
await server.shutdown();
