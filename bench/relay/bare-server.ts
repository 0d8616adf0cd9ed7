/**
 * Server child of the baseline: a minimal `ws` relay. A client joins the room named in its URL
 * (`/?room=name`); every binary message it sends is forwarded as is to the other members, one
 * frame per message per recipient. No handshake, sessions, acks, rate limits or validation.
 *
 * `node bare-server.mjs batched` (target `bare-ws-batched`): the same relay, but what one turn
 * of the event loop has for a recipient goes out as one frame (its msgpack messages back to back,
 * which the bots read with `decodeMulti`), written at `setImmediate`. A reference, not a
 * baseline: what coalescing within a turn saves with no other work at all.
 * @module
 */
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { frames, serveControl } from './server-control.js';

const batched = process.argv[2] === 'batched';
const rooms = new Map<string, Set<WebSocket>>();

/** Batched mode: each recipient's messages of this turn, and the recipients that have some. */
const queued = new Map<WebSocket, Buffer[]>();
let flushArmed = false;

function queue(to: WebSocket, data: Buffer): void {
  const list = queued.get(to);
  if (list === undefined) queued.set(to, [data]);
  else list.push(data);
  if (!flushArmed) {
    flushArmed = true;
    setImmediate(flushQueued);
  }
}

function flushQueued(): void {
  flushArmed = false;
  for (const [to, list] of queued) {
    to.send(list.length === 1 ? list[0]! : Buffer.concat(list), { binary: true });
    frames.out++;
  }
  queued.clear();
}
// The same listen backlog as the Netplay server's default (Node's own is 511: a thousand clients at once would wait on SYN retries).
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  backlog: 4096,
  perMessageDeflate: false,
  clientTracking: false,
});
await new Promise<void>((resolve) => wss.once('listening', () => resolve()));

wss.on('connection', (ws, request) => {
  const name = new URL(request.url ?? '/', 'http://localhost').searchParams.get('room') ?? '';
  let members = rooms.get(name);
  if (members === undefined) {
    members = new Set();
    rooms.set(name, members);
  }
  const room = members;
  room.add(ws);
  ws.on('message', (data, isBinary) => {
    frames.in++;
    for (const other of room) {
      if (other === ws) continue;
      if (batched) queue(other, data as Buffer);
      else {
        other.send(data, { binary: isBinary });
        frames.out++;
      }
    }
  });
  ws.on('close', () => {
    queued.delete(ws);
    room.delete(ws);
    if (room.size === 0) rooms.delete(name);
  });
  ws.on('error', () => {});
});

const { port } = wss.address() as AddressInfo;
serveControl(`ws://127.0.0.1:${port}`, async () => {
  for (const room of rooms.values()) for (const ws of room) ws.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
});
