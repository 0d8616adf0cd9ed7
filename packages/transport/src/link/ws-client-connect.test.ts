/**
 * `connectWebSocket` on real sockets on 127.0.0.1: every way the opening handshake fails rejects
 * with a `LinkError` (refused, closed before open, timeout, a non-101 answer, a bad or oversize
 * answer), bad options with an `InvalidOptionError`, and `wss://` verifies the server's
 * certificate (a self-signed one made by `openssl` for the test, trusted through `ca`) with SNI.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { arrivals, collect } from '../../test/link-harness.js';
import { type SelfSigned, selfSignedCertificate } from '../../test/self-signed.js';
import { InvalidOptionError, LinkError, TransportErrorCode } from '../errors.js';
import {
  type ConnectWebSocketOptions,
  connectWebSocket,
  type WebSocketLinkRequest,
  WebSocketLinkServer,
} from './ws-node.js';
import type { ServerWebSocketLink } from './ws-server-link.js';
import { webSocketAccept } from './ws-upgrade.js';

const HOST = '127.0.0.1';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A TCP server that runs `onRequest` with the upgrade request's key once a whole request head arrived. */
async function rawServer(onRequest: (socket: Socket, key: string) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server: NetServer = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      if (head.endsWith('\r\n\r\n')) return;
      head += chunk.toString('latin1');
      if (head.endsWith('\r\n\r\n')) onRequest(socket, /Sec-WebSocket-Key: (\S+)/.exec(head)?.[1] ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as { port: number }).port;
}

const accepted = (key: string, extra = ''): string =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${webSocketAccept(key)}\r\n${extra}\r\n`;

async function failure(url: string, options?: Parameters<typeof connectWebSocket>[1]): Promise<LinkError> {
  const error = await connectWebSocket(url, options).then(
    (link) => {
      link.close();
      throw new Error('connected');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LinkError);
  expect((error as LinkError).code).toBe(TransportErrorCode.LINK_ERROR);
  return error as LinkError;
}

describe('connectWebSocket: the opening handshake fails with a LinkError', () => {
  it('when the connection is refused', async () => {
    const port = await rawServer(() => {});
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup())); // closed again: nobody listens
    const error = await failure(`ws://${HOST}:${port}`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('when the server closes the connection before answering, or in the middle of its answer', async () => {
    const silent = await rawServer((socket) => socket.destroy());
    expect((await failure(`ws://${HOST}:${silent}`)).message).toContain('closed before open');
    const halfway = await rawServer((socket, key) => socket.end(accepted(key).slice(0, 40)));
    expect((await failure(`ws://${HOST}:${halfway}`)).message).toContain('closed before open');
  });

  it('when no answer comes within handshakeTimeout', async () => {
    const port = await rawServer(() => {}); // reads the request, never answers
    const started = performance.now();
    const error = await failure(`ws://${HOST}:${port}`, { handshakeTimeout: 150 });
    expect(error.message).toContain('no answer to the opening handshake within 150 ms');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('when the server answers without upgrading (plain HTTP, a refusal of the Netplay server)', async () => {
    const http = createHttpServer((_req, res) => res.end('plain http'));
    await new Promise<void>((resolve) => http.listen(0, HOST, resolve));
    cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const port = (http.address() as { port: number }).port;
    expect((await failure(`ws://${HOST}:${port}`)).message).toContain('unexpected server response 200');

    const server = await WebSocketLinkServer.listen({ port: 0, host: HOST, path: '/play', onLink: () => {} });
    cleanups.push(() => server.close());
    const wrongPath = await failure(`ws://${HOST}:${server.address().port}/other`);
    expect(wrongPath.message).toContain('unexpected server response 400');
  });

  it('when the answer has a wrong Sec-WebSocket-Accept, an extension, or a subprotocol not offered', async () => {
    const badAccept = await rawServer((socket) => socket.write(accepted('AAAAAAAAAAAAAAAAAAAAAA==')));
    expect((await failure(`ws://${HOST}:${badAccept}`)).message).toContain('invalid Sec-WebSocket-Accept');
    const extension = await rawServer((socket, key) =>
      socket.write(accepted(key, 'Sec-WebSocket-Extensions: permessage-deflate\r\n')),
    );
    expect((await failure(`ws://${HOST}:${extension}`)).message).toContain('extension');
    const protocol = await rawServer((socket, key) => socket.write(accepted(key, 'Sec-WebSocket-Protocol: x\r\n')));
    expect((await failure(`ws://${HOST}:${protocol}`, { protocols: ['y'] })).message).toContain('not offered');
  });

  it('when the answer head is over maxResponseHeadSize', async () => {
    const port = await rawServer((socket, key) => socket.write(accepted(key, `X-Pad: ${'p'.repeat(20_000)}\r\n`)));
    expect((await failure(`ws://${HOST}:${port}`)).message).toContain('response head over 16384 bytes');
    const small = await rawServer((socket, key) => socket.write(accepted(key)));
    expect((await failure(`ws://${HOST}:${small}`, { maxResponseHeadSize: 50 })).message).toContain(
      'response head over 50 bytes',
    );
  });

  it('for a URL that is not ws:// or wss://, or has a fragment', async () => {
    for (const url of ['not a url', 'http://127.0.0.1:1', 'udp://127.0.0.1:1', 'ws://127.0.0.1:1/#frag']) {
      await failure(url);
    }
  });
});

describe('connectWebSocket options', () => {
  it('rejects invalid options with an InvalidOptionError', async () => {
    const url = 'ws://127.0.0.1:1';
    const invalid: ConnectWebSocketOptions[] = [
      { maxPayload: 0 },
      { handshakeTimeout: 1.5 },
      { closeTimeout: -1 },
      { maxResponseHeadSize: 0 },
      { maxDatagramSize: 0 },
      { protocols: ['a', 'a'] },
      { headers: { 'X-Evil': 'a\r\nb: c' } },
      { headers: { 'Sec-WebSocket-Key': 'x' } },
      { binaryType: 'blob' as 'arraybuffer' },
    ];
    for (const options of invalid) {
      await expect(connectWebSocket(url, options), JSON.stringify(options)).rejects.toBeInstanceOf(InvalidOptionError);
    }
  });

  it('sends the extra headers, the path and the query with the upgrade request', async () => {
    const links = arrivals<{ link: ServerWebSocketLink; request: WebSocketLinkRequest }>();
    const server = await WebSocketLinkServer.listen({
      port: 0,
      host: HOST,
      onLink: (link, request) => links.push({ link, request }),
    });
    cleanups.push(() => server.close());
    const client = await connectWebSocket(`ws://${HOST}:${server.address().port}/play?room=7`, {
      headers: { Authorization: 'Bearer t0k3n' },
      protocols: 'netplay.v1',
    });
    cleanups.push(() => client.close());
    const { request } = await links.next();
    expect(request.url).toBe('/play?room=7');
    expect(request.headers.authorization).toBe('Bearer t0k3n');
    expect(request.headers.host).toBe(`${HOST}:${server.address().port}`);
    expect(request.headers['sec-websocket-extensions']).toBeUndefined();
    expect(client.protocol).toBe('netplay.v1');
  });
});

describe('connectWebSocket over wss://', () => {
  let certificate: SelfSigned | undefined;
  let key = '';
  let cert = '';
  beforeAll(() => {
    certificate = selfSignedCertificate('localhost', 'DNS:localhost,IP:127.0.0.1');
    ({ key, cert } = certificate);
  });
  afterAll(() => certificate?.remove());

  /** A TLS server whose sockets a WebSocketLinkServer upgrades; records the SNI names it was asked for. */
  async function tlsServer() {
    const servernames: (string | false | null)[] = [];
    const https = createHttpsServer({ key, cert });
    https.on('secureConnection', (socket: TLSSocket) => servernames.push(socket.servername));
    await new Promise<void>((resolve) => https.listen(0, HOST, resolve));
    cleanups.push(() => new Promise<void>((resolve) => https.close(() => resolve())));
    const links = arrivals<ServerWebSocketLink>();
    const server = await WebSocketLinkServer.listen({ server: https, onLink: (link) => links.push(link) });
    cleanups.push(() => server.close());
    return { port: (https.address() as { port: number }).port, servernames, links };
  }

  it('connects with the certificate trusted through ca, sends SNI for a host name, and carries datagrams', async () => {
    const { port, servernames, links } = await tlsServer();
    const client = await connectWebSocket(`wss://localhost:${port}`, { ca: cert });
    cleanups.push(() => client.close());
    const serverLink = await links.next();
    const atServer = collect(serverLink);
    const atClient = collect(client);
    const sent = Array.from({ length: 200 }, (_, i) => new Uint8Array(i * 300).fill(i));
    for (const datagram of sent) client.send(datagram.slice());
    const same = (received: Uint8Array[]) => received.every((d, i) => Buffer.from(d).equals(sent[i]!));
    await atServer.until(sent.length);
    expect(same(atServer.received)).toBe(true);
    for (const datagram of atServer.received) serverLink.send(datagram);
    await atClient.until(sent.length);
    expect(same(atClient.received)).toBe(true);
    expect(servernames).toEqual(['localhost']);
    const byIp = await connectWebSocket(`wss://${HOST}:${port}`, { ca: cert });
    cleanups.push(() => byIp.close());
    await links.next();
    expect(servernames[1]).toBe(false); // no SNI for an IP address
  });

  it("fails with a LinkError when the certificate is not trusted (Node's CAs) or names another host", async () => {
    const { port } = await tlsServer();
    const untrusted = await failure(`wss://localhost:${port}`);
    expect(untrusted.message).toMatch(/self[- ]signed/i);
    const tlsOnly = createTlsServer({ key, cert }, (socket) => socket.destroy());
    // Another loopback address (Linux routes all of 127/8 to lo), not in the certificate.
    await new Promise<void>((resolve) => tlsOnly.listen(0, '127.0.0.2', resolve));
    cleanups.push(() => new Promise<void>((resolve) => tlsOnly.close(() => resolve())));
    const wrongHost = await failure(`wss://127.0.0.2:${(tlsOnly.address() as { port: number }).port}`, { ca: cert });
    expect((wrongHost.cause as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });
});
