/**
 * Server child of the baseline: a minimal `ws` relay. A client joins the room named in its URL
 * (`/?room=name`); every binary message it sends is forwarded as is to the other members, one
 * frame per message per recipient. No handshake, sessions, acks, rate limits or validation.
 *
 * `node bare-server.mjs batched` (target `bare-ws-batched`): the same relay, but what one turn
 * of the event loop has for a recipient goes out as one frame (its msgpack messages back to back,
 * which the bots read with `decodeMulti`), written at `setImmediate`. A reference, not a
 * baseline: what coalescing within a turn saves with no other work at all.
 *
 * `node bare-server.mjs batched-raw` (target `bare-ws-batched-raw`): the batched relay, but each
 * frame is written as Netplay's WebSocket link writes one: a header in front of the payload in one
 * buffer and one socket write, not through `ws`'s sender (which corks the socket and writes header
 * and payload apart). It reaches past `ws`'s API to the socket (`_socket`), as a reference may: the
 * bound of coalescing within a turn with the leanest frame writer.
 * @module
 */
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { frameHeaderSize, WsOpcode, writeFrameHeader } from '../../packages/transport/src/link/ws-frame.js';
import { frames, serveControl } from './server-control.js';

const mode = process.argv[2];
const batched = mode === 'batched' || mode === 'batched-raw';
const raw = mode === 'batched-raw';
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
    if (raw) writeRawFrame(to, list);
    else to.send(list.length === 1 ? list[0]! : Buffer.concat(list), { binary: true });
    frames.out++;
  }
  queued.clear();
}

/** One binary frame of `list`'s bytes back to back, header written by Netplay's own framing, with one socket write. */
function writeRawFrame(to: WebSocket, list: Buffer[]): void {
  let length = 0;
  for (const b of list) length += b.length;
  const frame = Buffer.allocUnsafe(frameHeaderSize(length) + length);
  let at = writeFrameHeader(frame, 0, WsOpcode.BINARY, length);
  for (const b of list) {
    frame.set(b, at);
    at += b.length;
  }
  (to as unknown as { _socket: Socket })._socket.write(frame);
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
