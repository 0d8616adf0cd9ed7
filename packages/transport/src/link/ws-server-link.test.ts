/**
 * The server's own WebSocket framing on real sockets on 127.0.0.1: a `ws` client (the reference
 * peer) for interop, and a raw `net` socket sending hand-made frames for everything a well-behaved
 * client never does.
 */
import { connect, type Socket } from 'node:net';
import {
  connectWebSocket,
  ServerWebSocketLink,
  type WebSocketLinkRequest,
  WebSocketLinkServer,
  type WebSocketLinkServerCommonOptions,
} from '@netplay/transport/node';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { arrivals, collect, recordingSocket } from '../../test/link-harness.js';
import { clientClose, clientFrame, concatBytes } from '../../test/ws-client-frames.js';
import { LinkError, MessageTooLargeError, ProtocolViolationError, TransportErrorCode } from '../errors.js';
import { WsOpcode } from './ws-frame.js';

const HOST = '127.0.0.1';
const { BINARY, TEXT, PING, CONTINUATION } = WsOpcode;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type ServerOptions = Partial<Omit<WebSocketLinkServerCommonOptions, 'onLink'>>;

async function startServer(options: ServerOptions = {}) {
  const accepted = arrivals<{ link: ServerWebSocketLink; request: WebSocketLinkRequest }>();
  const server = await WebSocketLinkServer.listen({
    port: 0,
    host: HOST,
    onLink: (link, request) => accepted.push({ link, request }),
    ...options,
  });
  cleanups.push(() => server.close());
  const port = server.address().port;
  return { server, port, url: `ws://${HOST}:${port}`, next: async () => (await accepted.next()).link };
}

function openWs(url: string, protocols?: string[], options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, { perMessageDeflate: false, ...options });
  cleanups.push(() => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function closeEvent(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** A server frame as the raw client reads it (servers never mask). */
interface ServerFrame {
  opcode: number;
  payload: Uint8Array;
}

/** A raw TCP client: sends bytes as given, reads the HTTP answer, then parses the server's frames. */
class RawClient {
  readonly socket: Socket;
  status = 0;
  head = '';
  readonly frames: ServerFrame[] = [];
  readonly ended: Promise<void>;
  #buffer = Buffer.alloc(0);
  #waiters: (() => void)[] = [];

  constructor(port: number) {
    this.socket = connect(port, HOST);
    this.socket.setNoDelay(true);
    cleanups.push(() => {
      this.socket.destroy();
    });
    this.ended = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.on('error', () => {});
    this.socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#parse();
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.socket.on('close', () => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async upgrade(port: number, extra: Record<string, string> = {}, then?: Uint8Array): Promise<RawClient> {
    const client = new RawClient(port);
    await new Promise<void>((resolve) => client.socket.once('connect', () => resolve()));
    const headers: Record<string, string> = {
      Host: `${HOST}:${port}`,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version': '13',
      ...extra,
    };
    const method = extra[':method'] ?? 'GET';
    const lines = Object.entries(headers)
      .filter(([name, value]) => !name.startsWith(':') && value !== '')
      .map(([name, value]) => `${name}: ${value}\r\n`);
    const request = Buffer.from(`${method} / HTTP/1.1\r\n${lines.join('')}\r\n`);
    client.socket.write(then === undefined ? request : Buffer.concat([request, then]));
    await client.until(() => client.status !== 0 || client.socket.destroyed);
    return client;
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (error) => (error ? reject(error) : resolve())));
  }

  /** Resolves once `condition` holds (checked on every arrival), or rejects if the socket closed first. */
  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition()) resolve();
        else if (this.socket.destroyed) reject(new Error('raw socket closed first'));
        else this.#waiters.push(check);
      };
      this.#waiters.push(check);
    });
  }

  closeFrame(): { code: number; reason: string } | undefined {
    const frame = this.frames.find((f) => f.opcode === WsOpcode.CLOSE);
    if (frame === undefined) return undefined;
    const view = Buffer.from(frame.payload);
    return view.length === 0
      ? { code: 1005, reason: '' }
      : { code: view.readUInt16BE(0), reason: view.toString('utf8', 2) };
  }

  #parse(): void {
    if (this.status === 0) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      this.head = this.#buffer.toString('latin1', 0, end);
      this.status = Number(this.head.split(' ')[1]);
      this.#buffer = this.#buffer.subarray(end + 4);
    }
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      expect(b[1]! & 0x80).toBe(0); // never masked
      let length = b[1]! & 0x7f;
      let at = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      if (b.length < at + length) return;
      expect(b[0]! & 0x80).toBe(0x80); // FIN: the server never fragments
      this.frames.push({ opcode: b[0]! & 0x0f, payload: new Uint8Array(b.subarray(at, at + length)) });
      this.#buffer = b.subarray(at + length);
    }
  }
}

function bytes(length: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
}

describe('ServerWebSocketLink with a ws client', () => {
  it('round-trips thousands of datagrams both ways, small and over 64 KiB', async () => {
    const { url, next } = await startServer({ maxDatagramSize: 200_000 });
    const client = await connectWebSocket(url, { maxDatagramSize: 200_000 });
    cleanups.push(() => client.close());
    const link = await next();
    const atServer = collect(link);
    const atClient = collect(client);
    const sizes = Array.from({ length: 3000 }, (_, i) => (i % 500 === 0 ? 70_000 + i : (i * 13) % 300));
    for (const [i, size] of sizes.entries()) {
      client.send(bytes(size, i));
      link.send(bytes(size, i + 1));
    }
    await Promise.all([atServer.until(sizes.length), atClient.until(sizes.length)]);
    // Indices of datagrams that differ from what was sent (deep equality of 3,000 arrays is slow).
    const wrong = (received: Uint8Array[], seed: number) =>
      sizes.flatMap((size, i) => (Buffer.from(bytes(size, i + seed)).equals(received[i]!) ? [] : [i]));
    expect(atServer.received).toHaveLength(sizes.length);
    expect(atClient.received).toHaveLength(sizes.length);
    expect(wrong(atServer.received, 0)).toEqual([]);
    expect(wrong(atClient.received, 1)).toEqual([]);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(link.stats).toMatchObject({
      datagramsSent: 3000,
      bytesSent: total,
      datagramsReceived: 3000,
      bytesReceived: total,
    });
    expect(link.reliable).toBe(true);
    expect(link.maxDatagramSize).toBe(200_000);
    expect(link.bufferedAmount).toBeGreaterThanOrEqual(0);
  });

  it("answers ws's ping() with a pong carrying the same payload", async () => {
    const { url, next } = await startServer();
    const ws = await openWs(url);
    await next();
    const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
    ws.ping(Buffer.from('are you there?'));
    expect((await pong).toString()).toBe('are you there?');
  });

  it('closes from the server with 1000 and the reason (cut to 123 bytes), cleanly', async () => {
    const { server, url, next } = await startServer();
    const ws = await openWs(url);
    const link = await next();
    const atServer = collect(link);
    const closed = closeEvent(ws);
    const wasClean = new Promise<boolean>((resolve) => ws.once('close', () => resolve(true)));
    link.close('kicked');
    link.close('again'); // idempotent
    expect(await atServer.closed).toEqual({ local: true, reason: 'kicked' });
    expect(await closed).toEqual({ code: 1000, reason: 'kicked' });
    await wasClean;
    expect(link.closed).toBe(true);

    const ws2 = await openWs(url);
    const link2 = await next();
    const closed2 = closeEvent(ws2);
    link2.close('é'.repeat(100));
    expect((await closed2).reason).toBe('é'.repeat(61));
    await expect.poll(() => server.linkCount).toBe(0);
  });

  it('reports a client close with its reason and echoes the code', async () => {
    const { url, next } = await startServer();
    const ws = await openWs(url);
    const atServer = collect(await next());
    const closed = closeEvent(ws);
    ws.close(4001, 'bye');
    expect(await atServer.closed).toEqual({ local: false, reason: 'bye' });
    expect(await closed).toEqual({ code: 4001, reason: '' });

    const ws2 = await openWs(url);
    const atServer2 = collect(await next());
    const closed2 = closeEvent(ws2);
    ws2.close();
    expect(await atServer2.closed).toEqual({ local: false, reason: 'websocket closed (code 1005)' });
    expect((await closed2).code).toBe(1005);
  });

  it('reports a connection dropped without a close frame as lost (1006)', async () => {
    const { server, url, next } = await startServer();
    const ws = await openWs(url);
    const atServer = collect(await next());
    ws.terminate();
    const info = await atServer.closed;
    expect(info).toMatchObject({ local: false, reason: 'websocket closed (code 1006)' });
    expect(info.error).toBeInstanceOf(LinkError);
    expect(info.error?.message).toContain('connection lost (code 1006)');
    await expect.poll(() => server.linkCount).toBe(0);
  });

  it('selects the first offered subprotocol and never negotiates an extension', async () => {
    const { url, next } = await startServer();
    const ws = await openWs(url, ['netplay.v2', 'netplay.v1'], { perMessageDeflate: true });
    await next();
    expect(ws.protocol).toBe('netplay.v2');
    expect(ws.extensions).toBe('');
  });

  it('closes with 1011 and a LinkError whose cause is the error when onDatagram throws', async () => {
    const { url, next } = await startServer();
    const ws = await openWs(url);
    const link = await next();
    const boom = new Error('boom');
    const closedInfo = new Promise<unknown>((resolve) =>
      link.setHandlers({
        onDatagram() {
          throw boom;
        },
        onClose: resolve,
      }),
    );
    const closed = closeEvent(ws);
    ws.send(new Uint8Array([1]));
    const info = (await closedInfo) as { error: LinkError };
    expect(info.error).toBeInstanceOf(LinkError);
    expect(info.error.cause).toBe(boom);
    expect((await closed).code).toBe(1011);
  });

  it('refuses to send over maxDatagramSize and is a no-op once closed', async () => {
    const { url, next } = await startServer({ maxDatagramSize: 100 });
    const ws = await openWs(url);
    const link = await next();
    expect(() => link.send(new Uint8Array(101))).toThrow(MessageTooLargeError);
    link.close();
    link.send(new Uint8Array(1));
    expect(link.stats.datagramsSent).toBe(0);
    await closeEvent(ws);
  });
});

describe('ServerWebSocketLink with a raw socket', () => {
  it('reads frames split over many TCP writes, and frames that came with the upgrade request', async () => {
    const { next, port } = await startServer();
    const first = clientFrame(BINARY, [1, 2, 3]);
    const raw = await RawClient.upgrade(port, {}, first);
    expect(raw.status).toBe(101);
    expect(raw.head).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    const link = await next();
    const atServer = collect(link);
    await atServer.until(1);
    const frame = concatBytes([clientFrame(BINARY, bytes(300), { fin: false }), clientFrame(CONTINUATION, bytes(5))]);
    for (const byte of frame) await raw.write(Uint8Array.of(byte));
    await atServer.until(2);
    expect(atServer.received).toEqual([new Uint8Array([1, 2, 3]), new Uint8Array([...bytes(300), ...bytes(5)])]);
  });

  it('answers a ping with the same payload', async () => {
    const { port, next } = await startServer();
    const raw = await RawClient.upgrade(port);
    await next();
    await raw.write(clientFrame(PING, [7, 8, 9]));
    await raw.until(() => raw.frames.length > 0);
    expect(raw.frames[0]).toEqual({ opcode: WsOpcode.PONG, payload: new Uint8Array([7, 8, 9]) });
  });

  it('drops and counts text messages', async () => {
    const { port, next } = await startServer();
    const raw = await RawClient.upgrade(port);
    const link = await next();
    const atServer = collect(link);
    await raw.write(concatBytes([clientFrame(TEXT, [0x68, 0x69]), clientFrame(BINARY, [42])]));
    await atServer.until(1);
    expect(atServer.received).toEqual([new Uint8Array([42])]);
    expect(link.stats.droppedNonBinary).toBe(1);
    // The stats view is the link; JSON gives exactly the counters, the lazily kept ones included.
    expect(JSON.parse(JSON.stringify(link.stats))).toEqual({
      datagramsSent: 0,
      bytesSent: 0,
      datagramsReceived: 1,
      bytesReceived: 1,
      droppedNonBinary: 1,
      droppedOversize: 0,
      droppedQueueFull: 0,
      protocolViolations: 0,
    });
  });

  it('closes an unmasked frame with 1002 and reports the violation', async () => {
    const { server, port, next } = await startServer();
    const raw = await RawClient.upgrade(port);
    const atServer = collect(await next());
    await raw.write(clientFrame(BINARY, [1], { mask: null }));
    const info = await atServer.closed;
    expect(info.local).toBe(false);
    expect(info.error).toBeInstanceOf(LinkError);
    expect(info.error?.message).toContain('protocol violation (1002): client frame is not masked');
    expect(info.error?.cause).toBeInstanceOf(ProtocolViolationError);
    expect(info.error?.cause).toMatchObject({ code: TransportErrorCode.PROTOCOL_VIOLATION });
    await raw.ended;
    expect(raw.closeFrame()).toEqual({ code: 1002, reason: 'client frame is not masked' });
    // Counted by the server once the link's socket has closed.
    await expect.poll(() => server.stats.protocolViolations).toBe(1);
  });

  it('closes a message over maxPayload with 1009 as soon as its header arrives', async () => {
    const { port, next } = await startServer({ maxPayload: 1000, maxDatagramSize: 500 });
    const raw = await RawClient.upgrade(port);
    const link = await next();
    const atServer = collect(link);
    await raw.write(clientFrame(BINARY, bytes(600))); // over maxDatagramSize, within maxPayload: dropped
    await raw.write(clientFrame(BINARY, [], { declaredLength: 1001 })); // the header only
    await raw.ended;
    expect(raw.closeFrame()?.code).toBe(1009);
    expect((await atServer.closed).error?.message).toContain('(1009)');
    expect(link.stats.droppedOversize).toBe(1);
    expect(link.stats.protocolViolations).toBe(1);
  });

  it("echoes a client's close frame and ends the connection", async () => {
    const { port, next } = await startServer();
    const raw = await RawClient.upgrade(port);
    const atServer = collect(await next());
    await raw.write(clientClose(4000, 'game over'));
    expect(await atServer.closed).toEqual({ local: false, reason: 'game over' });
    await raw.ended;
    expect(raw.closeFrame()).toEqual({ code: 4000, reason: '' });
  });

  it('destroys the socket after closeTimeout when the peer never finishes the closing handshake', async () => {
    const { server, port, next } = await startServer({ closeTimeout: 50 });
    const raw = await RawClient.upgrade(port);
    raw.socket.allowHalfOpen = true; // the raw client never ends its side
    const link = await next();
    link.close('bye');
    await raw.until(() => raw.closeFrame() !== undefined);
    await expect.poll(() => server.linkCount, { timeout: 2000 }).toBe(0);
  });

  it('answers a bad upgrade request 400 and a wrong version 426, and counts them', async () => {
    const { server, port } = await startServer();
    const cases: [Record<string, string>, number][] = [
      [{ 'Sec-WebSocket-Key': '' }, 400],
      [{ 'Sec-WebSocket-Key': 'too-short' }, 400],
      [{ Upgrade: 'h2c' }, 400],
      [{ ':method': 'POST' }, 400],
      [{ 'Sec-WebSocket-Protocol': 'a, a' }, 400],
      [{ 'Sec-WebSocket-Protocol': 'bad name' }, 400],
      [{ 'Sec-WebSocket-Version': '8' }, 426],
      [{ 'Sec-WebSocket-Version': '' }, 426],
    ];
    for (const [headers, status] of cases) {
      const raw = await RawClient.upgrade(port, headers);
      expect(raw.status, JSON.stringify(headers)).toBe(status);
      if (status === 426) expect(raw.head).toContain('Sec-WebSocket-Version: 13');
      await raw.ended;
    }
    expect(server.stats.refusedHandshake).toBe(cases.length);
    expect(server.stats.linksAccepted).toBe(0);
  });

  it('server.close() resolves once every socket is closed, even a peer that never answers the close', async () => {
    const { server, port, next } = await startServer({ closeTimeout: 50 });
    const raw = await RawClient.upgrade(port);
    raw.socket.allowHalfOpen = true;
    const atServer = collect(await next());
    await server.close();
    expect(await atServer.closed).toEqual({ local: true, reason: 'server closed' });
    expect(server.linkCount).toBe(0);
    expect(raw.closeFrame()).toEqual({ code: 1000, reason: 'server closed' });
  });
});

describe('ServerWebSocketLink on an in-process socket', () => {
  function fakeSocket() {
    const { socket, written } = recordingSocket();
    cleanups.push(() => {
      socket.destroy();
    });
    return { socket, written };
  }
  const settings = { maxMessageSize: 100, maxPayload: 1000, closeTimeout: 5000 };

  it('writes one buffer per datagram: the header and the payload together', () => {
    const { socket, written } = fakeSocket();
    const link = new ServerWebSocketLink(socket, new Uint8Array(0), settings);
    link.send(new Uint8Array([1, 2, 3]));
    expect(written).toEqual([Buffer.from([0x82, 3, 1, 2, 3])]);
    expect(link.stats).toMatchObject({ datagramsSent: 1, bytesSent: 3 });
  });

  it('writes the header in place when the sender leaves headroom before the datagram', () => {
    const { socket, written } = fakeSocket();
    const link = new ServerWebSocketLink(socket, new Uint8Array(0), settings);
    expect(link.sendHeadroom).toBe(2); // maxDatagramSize 100: a 2-byte header at most
    const slab = new Uint8Array(16).fill(0xee);
    slab.set([1, 2, 3], 4);
    link.send(slab.subarray(4, 7), 4);
    expect(written).toEqual([Buffer.from([0x82, 3, 1, 2, 3])]);
    expect(written[0]!.buffer).toBe(slab.buffer); // no copy: a view of the sender's buffer
    expect([...slab.subarray(0, 2)]).toEqual([0xee, 0xee]); // nothing written before the header
    link.send(slab.subarray(8, 9), 1); // headroom smaller than the header: copied
    expect(written[1]).toEqual(Buffer.from([0x82, 1, 0xee]));
    expect(written[1]!.buffer).not.toBe(slab.buffer);
  });

  it('reports the connection lost on a send once the peer ended without a close frame', async () => {
    const { socket, written } = fakeSocket();
    const link = new ServerWebSocketLink(socket, new Uint8Array(0), settings);
    const atServer = collect(link);
    socket.end(); // what Node does once the peer's FIN arrives (allowHalfOpen is off)
    link.send(new Uint8Array([1]));
    expect(written).toEqual([]);
    expect(link.closed).toBe(true);
    const info = await atServer.closed;
    expect(info.reason).toBe('websocket closed (code 1006)');
    expect(info.error).toBeInstanceOf(LinkError);
  });
});
