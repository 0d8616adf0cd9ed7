/**
 * The Node client's own WebSocket framing (`ClientWebSocketLink`): on an in-process socket (what it
 * writes, byte for byte once unmasked), and on real sockets on 127.0.0.1 against the Netplay server
 * link and against `ws`'s `WebSocketServer`, the reference peer.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { arrivals, collect, recordingSocket } from '../../test/link-harness.js';
import { clientFrame, serverFrame } from '../../test/ws-client-frames.js';
import { LinkError, MessageTooLargeError, ProtocolViolationError } from '../errors.js';
import { ClientWebSocketLink, type ClientWebSocketLinkSettings } from './ws-client-link.js';
import { maskBytes, WsOpcode } from './ws-frame.js';
import { connectWebSocket, type WebSocketLinkRequest, WebSocketLinkServer } from './ws-node.js';
import type { ServerWebSocketLink } from './ws-server-link.js';
import { webSocketAccept } from './ws-upgrade.js';

const HOST = '127.0.0.1';
const { BINARY, TEXT, CLOSE, PING, PONG } = WsOpcode;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function bytes(length: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
}

/** A frame the client wrote, unmasked: checks it is final, masked, and as long as it says. */
interface ClientFrame {
  opcode: number;
  key: number;
  payload: Uint8Array;
}
function readClientFrames(written: readonly Uint8Array[]): ClientFrame[] {
  const frames: ClientFrame[] = [];
  for (const chunk of written) {
    const b = Buffer.from(chunk);
    expect(b[0]! & 0xf0).toBe(0x80); // FIN, no RSV bits
    expect(b[1]! & 0x80).toBe(0x80); // masked
    let length = b[1]! & 0x7f;
    let at = 2;
    if (length === 126) {
      length = b.readUInt16BE(2);
      at = 4;
    } else if (length === 127) {
      length = Number(b.readBigUInt64BE(2));
      at = 10;
    }
    const key = b.readInt32BE(at);
    const payload = new Uint8Array(b.subarray(at + 4));
    expect(payload.length).toBe(length); // one frame per write
    maskBytes(payload, 0, payload.length, key);
    frames.push({ opcode: b[0]! & 0x0f, key, payload });
  }
  return frames;
}

describe('ClientWebSocketLink on an in-process socket', () => {
  const settings: ClientWebSocketLinkSettings = {
    role: 'client',
    maxMessageSize: 100,
    maxPayload: 1000,
    closeTimeout: 5000,
  };
  function open(options: Partial<ClientWebSocketLinkSettings> = {}, head = new Uint8Array(0)) {
    const { socket, written } = recordingSocket();
    cleanups.push(() => {
      socket.destroy();
    });
    const link = new ClientWebSocketLink(socket, head, { ...settings, ...options });
    return { socket, written, link, frames: () => readClientFrames(written) };
  }

  it('masks every datagram with a fresh key, header and payload in one write', () => {
    const { link, written, frames } = open();
    const datagram = new Uint8Array([1, 2, 3]);
    link.send(datagram);
    link.send(new Uint8Array([1, 2, 3]));
    link.send(new Uint8Array(0));
    expect(written).toHaveLength(3);
    expect(frames().map((f) => [f.opcode, [...f.payload]])).toEqual([
      [BINARY, [1, 2, 3]],
      [BINARY, [1, 2, 3]],
      [BINARY, []],
    ]);
    expect(Buffer.from(written[0]!).equals(Buffer.from(written[1]!))).toBe(false); // two keys
    expect([...datagram]).toEqual([1, 2, 3]); // no headroom given: the caller's bytes are untouched
    expect(link.stats).toMatchObject({ datagramsSent: 3, bytesSent: 6 });
    expect(() => link.send(new Uint8Array(101))).toThrow(MessageTooLargeError);
  });

  it('writes the masked header in place and masks the payload there when the sender leaves headroom', () => {
    const { link, written, frames } = open();
    expect(link.sendHeadroom).toBe(6); // maxDatagramSize 100: 2 bytes of header and the 4-byte key
    const slab = new Uint8Array(32).fill(0xee);
    slab.set([1, 2, 3], 8);
    link.send(slab.subarray(8, 11), 8);
    expect(written[0]!.buffer).toBe(slab.buffer); // no copy: a view of the sender's buffer
    expect(written[0]!.byteOffset).toBe(2);
    expect([...slab.subarray(0, 2)]).toEqual([0xee, 0xee]); // nothing written before the header
    link.send(slab.subarray(20, 21), 5); // headroom smaller than the header: copied, slab untouched
    expect(written[1]!.buffer).not.toBe(slab.buffer);
    expect(slab[20]).toBe(0xee);
    expect(frames().map((f) => [...f.payload])).toEqual([[1, 2, 3], [0xee]]);
    expect(open({ maxMessageSize: 65_536 }).link.sendHeadroom).toBe(14);
  });

  it('answers a ping with a masked pong carrying its payload, and ignores pongs', () => {
    const { socket, link, frames } = open();
    const at = collect(link);
    socket.emit('data', Buffer.from(serverFrame(PING, [7, 8, 9])));
    socket.emit('data', Buffer.from(serverFrame(PONG, [1])));
    expect(frames().map((f) => [f.opcode, [...f.payload]])).toEqual([[PONG, [7, 8, 9]]]);
    expect(at.received).toEqual([]);
  });

  it('parses the bytes that came with the handshake answer first, then the socket', () => {
    const { socket, link } = open(
      {},
      Buffer.concat([serverFrame(BINARY, [1]), serverFrame(BINARY, [2, 2]).subarray(0, 3)]),
    );
    const at = collect(link);
    socket.emit('data', Buffer.from(serverFrame(BINARY, [2, 2]).subarray(3)));
    expect(at.received).toEqual([new Uint8Array([1]), new Uint8Array([2, 2])]);
  });

  it("delivers views of the socket's bytes, or copies of their own with copyMessages ('arraybuffer')", () => {
    for (const copyMessages of [false, true]) {
      const { socket, link } = open({ copyMessages });
      const at = collect(link);
      const chunk = Buffer.concat([serverFrame(BINARY, [1, 2]), serverFrame(BINARY, [3])]);
      socket.emit('data', chunk);
      expect(at.received).toEqual([new Uint8Array([1, 2]), new Uint8Array([3])]);
      for (const datagram of at.received) {
        expect(datagram.buffer === chunk.buffer).toBe(!copyMessages);
        if (copyMessages) expect(datagram.byteLength).toBe(datagram.buffer.byteLength);
      }
    }
  });

  it('closes with a masked 1000 frame and the reason cut to 123 UTF-8 bytes', async () => {
    const { link, frames } = open();
    const at = collect(link);
    link.close('é'.repeat(100));
    link.close('again');
    expect(await at.closed).toEqual({ local: true, reason: 'é'.repeat(100) });
    const [close] = frames();
    expect(close!.opcode).toBe(CLOSE);
    expect(Buffer.from(close!.payload).readUInt16BE(0)).toBe(1000);
    expect(Buffer.from(close!.payload).toString('utf8', 2)).toBe('é'.repeat(61));
  });

  it("reports the server's close with its reason, and echoes the code masked", async () => {
    const { socket, link, frames } = open();
    const at = collect(link);
    socket.emit('data', Buffer.from(serverFrame(CLOSE, [0x0f, 0xa0, ...Buffer.from('game over')])));
    expect(await at.closed).toEqual({ local: false, reason: 'game over' });
    expect(frames().map((f) => [f.opcode, [...f.payload]])).toEqual([[CLOSE, [0x0f, 0xa0]]]);
  });

  it('fails with 1002 on a masked frame from the server (and 1009 over maxPayload)', async () => {
    for (const [frame, code] of [
      [clientFrame(BINARY, [1]), 1002],
      [serverFrame(BINARY, bytes(1001)), 1009],
      [serverFrame(TEXT, [1], { rsv: 0x40 }), 1002],
    ] as const) {
      const { socket, link, frames } = open();
      const at = collect(link);
      socket.emit('data', Buffer.concat([serverFrame(BINARY, [5]), frame, serverFrame(BINARY, [6])]));
      const info = await at.closed;
      expect(at.received).toEqual([new Uint8Array([5])]);
      expect(info.error).toBeInstanceOf(LinkError);
      expect(info.error?.cause).toBeInstanceOf(ProtocolViolationError);
      expect(info.reason).toContain(`websocket protocol violation (${code})`);
      expect(link.stats.protocolViolations).toBe(1);
      const [close] = frames();
      expect(close!.opcode).toBe(CLOSE);
      expect(Buffer.from(close!.payload).readUInt16BE(0)).toBe(code);
    }
  });

  it('reports the connection lost (1006) when the socket closes without a closing handshake', async () => {
    const { socket, link } = open();
    const at = collect(link);
    socket.destroy();
    const info = await at.closed;
    expect(info).toMatchObject({ local: false, reason: 'websocket closed (code 1006)' });
    expect(info.error?.message).toContain('connection lost (code 1006)');
  });
});

/** Datagrams of mixed sizes, every 500th over 64 KiB (a 64-bit length). */
const SIZES = Array.from({ length: 3000 }, (_, i) => (i % 500 === 0 ? 70_000 + i : (i * 13) % 300));
const TOTAL = SIZES.reduce((a, b) => a + b, 0);
/** Indices of received datagrams that differ from `bytes(size, i + seed)` (deep equality of 3,000 arrays is slow). */
function wrong(received: readonly Uint8Array[], seed: number): number[] {
  return SIZES.flatMap((size, i) =>
    Buffer.from(bytes(size, i + seed)).equals(received[i] ?? new Uint8Array(1)) ? [] : [i],
  );
}

describe('ClientWebSocketLink against the Netplay server link', () => {
  async function pair(maxDatagramSize = 200_000) {
    const accepted = arrivals<{ link: ServerWebSocketLink; request: WebSocketLinkRequest }>();
    const server = await WebSocketLinkServer.listen({
      port: 0,
      host: HOST,
      maxDatagramSize,
      onLink: (link, request) => accepted.push({ link, request }),
    });
    cleanups.push(() => server.close());
    const client = await connectWebSocket(`ws://${HOST}:${server.address().port}/play`, { maxDatagramSize });
    cleanups.push(() => client.close());
    const { link, request } = await accepted.next();
    return { server, client, link, request };
  }

  it('round-trips thousands of datagrams both ways, small and over 64 KiB', async () => {
    const { client, link } = await pair();
    expect(client).toBeInstanceOf(ClientWebSocketLink);
    const atServer = collect(link);
    const atClient = collect(client);
    for (const [i, size] of SIZES.entries()) {
      client.send(bytes(size, i));
      link.send(bytes(size, i + 1));
    }
    await Promise.all([atServer.until(SIZES.length), atClient.until(SIZES.length)]);
    expect(wrong(atServer.received, 0)).toEqual([]);
    expect(wrong(atClient.received, 1)).toEqual([]);
    expect(client.stats).toMatchObject({
      datagramsSent: 3000,
      bytesSent: TOTAL,
      datagramsReceived: 3000,
      bytesReceived: TOTAL,
    });
    expect(link.stats.protocolViolations).toBe(0);
    expect(client.reliable).toBe(true);
    expect(client.protocol).toBe('');
  });

  it('closes both ways with the reasons', async () => {
    const a = await pair();
    const atClientA = collect(a.client);
    const atServerA = collect(a.link);
    a.link.close('kicked');
    expect(await atClientA.closed).toEqual({ local: false, reason: 'kicked' });
    expect(await atServerA.closed).toEqual({ local: true, reason: 'kicked' });

    const b = await pair();
    const atClientB = collect(b.client);
    const atServerB = collect(b.link);
    b.client.close('bye');
    expect(await atServerB.closed).toEqual({ local: false, reason: 'bye' });
    expect(await atClientB.closed).toEqual({ local: true, reason: 'bye' });
    await expect.poll(() => b.server.linkCount).toBe(0);
  });

  it('reports an abruptly destroyed socket as a LinkError (1006)', async () => {
    const { client, request } = await pair();
    const atClient = collect(client);
    request.request.socket.destroy();
    const info = await atClient.closed;
    expect(info).toMatchObject({ local: false, reason: 'websocket closed (code 1006)' });
    expect(info.error).toBeInstanceOf(LinkError);
    expect(info.error?.message).toContain('connection lost (code 1006)');
  });
});

describe('ClientWebSocketLink against ws (the reference server)', () => {
  async function pair(options: { protocols?: string[]; maxDatagramSize?: number } = {}) {
    const wss = new WebSocketServer({
      host: HOST,
      port: 0,
      handleProtocols: (offered) => [...offered].at(-1) ?? false,
    });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    const peers = arrivals<WebSocket>();
    wss.on('connection', (ws) => {
      cleanups.push(() => ws.terminate());
      peers.push(ws);
    });
    const port = (wss.address() as { port: number }).port;
    const client = await connectWebSocket(`ws://${HOST}:${port}`, {
      maxDatagramSize: options.maxDatagramSize ?? 200_000,
      ...(options.protocols === undefined ? {} : { protocols: options.protocols }),
    });
    cleanups.push(() => client.close());
    return { client, ws: await peers.next() };
  }
  const closeEvent = (ws: WebSocket) =>
    new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );

  it('round-trips thousands of datagrams both ways, small and over 64 KiB', async () => {
    const { client, ws } = await pair();
    const atClient = collect(client);
    const atServer: Uint8Array[] = [];
    const allAtServer = new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer, isBinary) => {
        expect(isBinary).toBe(true);
        atServer.push(new Uint8Array(data));
        if (atServer.length === SIZES.length) resolve();
      }),
    );
    for (const [i, size] of SIZES.entries()) {
      client.send(bytes(size, i));
      ws.send(bytes(size, i + 1));
    }
    await Promise.all([allAtServer, atClient.until(SIZES.length)]);
    expect(wrong(atServer, 0)).toEqual([]);
    expect(wrong(atClient.received, 1)).toEqual([]);
    ws.send('text is dropped');
    ws.send(new Uint8Array([9]));
    await atClient.until(SIZES.length + 1);
    expect(client.stats.droppedNonBinary).toBe(1);
  });

  it('answers a ping from the server with a pong carrying the same payload', async () => {
    const { ws } = await pair();
    const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
    ws.ping(Buffer.from('are you there?'));
    expect((await pong).toString()).toBe('are you there?');
  });

  it('closes both ways with codes and reasons', async () => {
    const a = await pair();
    const atClient = collect(a.client);
    const echoed = closeEvent(a.ws);
    a.ws.close(4000, 'game over');
    expect(await atClient.closed).toEqual({ local: false, reason: 'game over' });
    expect((await echoed).code).toBe(4000);

    const b = await pair();
    const closed = closeEvent(b.ws);
    b.client.close('bye');
    expect(await closed).toEqual({ code: 1000, reason: 'bye' });

    const c = await pair();
    const closedLong = closeEvent(c.ws);
    c.client.close('é'.repeat(100));
    expect(await closedLong).toEqual({ code: 1000, reason: 'é'.repeat(61) });
  });

  it('reports a terminated connection as a LinkError (1006)', async () => {
    const { client, ws } = await pair();
    const atClient = collect(client);
    ws.terminate();
    const info = await atClient.closed;
    expect(info).toMatchObject({ local: false, reason: 'websocket closed (code 1006)' });
    expect(info.error).toBeInstanceOf(LinkError);
  });

  it('offers subprotocols and reports the one selected', async () => {
    const { client } = await pair({ protocols: ['game.v1', 'game.v2'] });
    expect(client.protocol).toBe('game.v2');
  });
});

describe('ClientWebSocketLink against a server that masks its frames', () => {
  it('closes with 1002 and reports a protocol violation', async () => {
    let serverSide: Socket | undefined;
    const received: Buffer[] = [];
    const server: NetServer = createServer((socket) => {
      serverSide = socket;
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
        const key = /Sec-WebSocket-Key: (\S+)/.exec(chunk.toString('latin1'))?.[1];
        if (key === undefined) return;
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${webSocketAccept(key)}\r\n\r\n`,
        );
        socket.write(clientFrame(BINARY, [1, 2, 3])); // masked: only clients may
      });
    });
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    cleanups.push(() => {
      serverSide?.destroy();
    });
    const client = await connectWebSocket(`ws://${HOST}:${(server.address() as { port: number }).port}`);
    const info = await collect(client).closed;
    expect(info.reason).toBe('websocket protocol violation (1002): server frame is masked');
    expect(client.stats.protocolViolations).toBe(1);
    await expect.poll(() => received.length).toBeGreaterThanOrEqual(2);
    const [close] = readClientFrames([received.at(-1)!]);
    expect(close!.opcode).toBe(CLOSE);
    expect(Buffer.from(close!.payload).readUInt16BE(0)).toBe(1002);
  });
});
