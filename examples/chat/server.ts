/**
 * A chat server on its own: `npx tsx examples/chat/server.ts`
 * (WebSocket on `PORT`, default 2567; UDP on `UDP_PORT`, default 2568; on every interface unless
 * `HOST` names one, e.g. `HOST=127.0.0.1`).
 * @module
 */
import { Server } from '@netplay/server';
import { ChatRoom } from './room.js';

const port = Number(process.env.PORT ?? 2567);
const udpPort = Number(process.env.UDP_PORT ?? 2568);

const host = process.env.HOST || undefined;

const server = new Server({ port, udpPort, host });
server.define('chat', ChatRoom);
await server.listen();
console.log(`chat server: ws://127.0.0.1:${server.port} and udp://127.0.0.1:${server.udpPort}`);
console.log('join it with: npx tsx examples/chat/client.ts <name> [url]');

let stopping = false;
const stop = (): void => {
  if (stopping) process.exit(1); // a second Ctrl-C does not wait
  stopping = true;
  console.log('shutting down…');
  server.shutdown().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
