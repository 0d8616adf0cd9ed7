import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { arrivals, collect } from '../../test/link-harness.js';
import { LinkError, MessageTooLargeError, TransportErrorCode } from '../errors.js';
import { connectBrowserWebSocket, type WebSocketConstructorLike } from './websocket.js';
import { connectWebSocket, type WebSocketLinkRequest, WebSocketLinkServer } from './ws-node.js';
import type { ServerWebSocketLink } from './ws-server-link.js';

interface Accepted {
  link: ServerWebSocketLink;
  request: WebSocketLinkRequest;
}

/** Server links with their upgrade requests, awaitable one by one. */
function acceptQueue() {
  const accepted = arrivals<Accepted>();
  return {
    onLink: (link: ServerWebSocketLink, request: WebSocketLinkRequest): void => accepted.push({ link, request }),
    next: accepted.next,
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(options: { maxDatagramSize?: number; maxLinks?: number } = {}) {
  const accepted = acceptQueue();
  const server = await WebSocketLinkServer.listen({ port: 0, host: '127.0.0.1', onLink: accepted.onLink, ...options });
  cleanups.push(() => server.close());
  return { server, accepted, url: `ws://127.0.0.1:${server.address().port}` };
}

async function connect(url: string, options?: Parameters<typeof connectWebSocket>[1]) {
  const link = await connectWebSocket(url, options);
  cleanups.push(() => link.close());
  return link;
}

function listenHttp(): Promise<Server> {
  const http = createServer((_req, res) => res.end('plain http'));
  cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
  return new Promise((resolve) => http.listen(0, '127.0.0.1', () => resolve(http)));
}

function datagram(index: number): Uint8Array {
  const bytes = new Uint8Array(1 + (index % 300));
  for (let i = 0; i < bytes.length; i++) bytes[i] = (index * 31 + i * 7) & 0xff;
  return bytes;
}

describe('WebSocketLink over ws', () => {
  it('round-trips many datagrams both ways, in order', async () => {
    const { accepted, url } = await startServer();
    const client = await connect(url);
    const { link: serverLink } = await accepted.next();
    const atServer = collect(serverLink);
    const atClient = collect(client);
    expect(client.reliable).toBe(true);

    const count = 2000;
    for (let i = 0; i < count; i++) {
      client.send(datagram(i));
      serverLink.send(datagram(i + 1));
    }
    await Promise.all([atServer.until(count), atClient.until(count)]);
    expect(atServer.received).toEqual(Array.from({ length: count }, (_, i) => datagram(i)));
    expect(atClient.received).toEqual(Array.from({ length: count }, (_, i) => datagram(i + 1)));
    expect(atServer.received[0]).toBeInstanceOf(Uint8Array);
    expect(client.stats.datagramsSent).toBe(count);
    expect(serverLink.stats.datagramsReceived).toBe(count);
    expect(serverLink.stats.bytesReceived).toBe(client.stats.bytesSent);
  });

  it('passes garbage bytes through untouched (links do not parse)', async () => {
    const { accepted, url } = await startServer();
    const client = await connect(url);
    const atServer = collect((await accepted.next()).link);
    const garbage = [new Uint8Array([0xff, 0x00, 0xfe]), new Uint8Array([0]), new Uint8Array(4096).fill(0xc1)];
    for (const bytes of garbage) client.send(bytes.slice());
    await atServer.until(garbage.length);
    expect(atServer.received).toEqual(garbage);
  });

  it('queues datagrams that arrive before handlers are set', async () => {
    const { accepted, url } = await startServer();
    const client = await connect(url);
    const serverLink = (await accepted.next()).link;
    client.send(new Uint8Array([1]));
    client.send(new Uint8Array([2]));
    // No handler to observe arrival yet: wait on the counter (polled, not a fixed sleep).
    await vi.waitFor(() => expect(serverLink.stats.datagramsReceived).toBe(2));
    const atServer = collect(serverLink);
    await atServer.until(2);
    expect(atServer.received).toEqual([new Uint8Array([1]), new Uint8Array([2])]);
  });

  it('works attached to an http.Server on a path, and tells onLink about the request', async () => {
    const http = await listenHttp();
    const accepted = acceptQueue();
    const server = await WebSocketLinkServer.listen({ server: http, path: '/play', onLink: accepted.onLink });
    cleanups.push(() => server.close());
    const port = (http.address() as AddressInfo).port;
    expect(server.address().port).toBe(port);

    const client = await connect(`ws://127.0.0.1:${port}/play?room=7`, { headers: { authorization: 'Bearer t0k3n' } });
    const { link, request } = await accepted.next();
    expect(request.url).toBe('/play?room=7');
    expect(request.headers.authorization).toBe('Bearer t0k3n');
    expect(request.remoteAddress).toBe('127.0.0.1');
    expect(request.remotePort).toBeGreaterThan(0);

    const atServer = collect(link);
    const atClient = collect(client);
    for (let i = 0; i < 500; i++) client.send(datagram(i));
    await atServer.until(500);
    for (const received of atServer.received) link.send(received);
    await atClient.until(500);
    expect(atClient.received).toEqual(Array.from({ length: 500 }, (_, i) => datagram(i)));

    // Another path is refused (this server is the only upgrade listener).
    const refused = await connectWebSocket(`ws://127.0.0.1:${port}/other`).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LinkError);

    // Closing the link server leaves the attached http server running.
    await server.close();
    expect(http.listening).toBe(true);
  });

  it('reports a server-side close to the client with the reason, and a client close to the server', async () => {
    const { accepted, url } = await startServer();
    const clientA = await connect(url);
    const atA = collect(clientA);
    const serverA = (await accepted.next()).link;
    const atServerA = collect(serverA);
    serverA.close('kicked');
    expect(await atServerA.closed).toEqual({ local: true, reason: 'kicked' });
    expect(await atA.closed).toEqual({ local: false, reason: 'kicked' });
    expect(clientA.closed).toBe(true);

    const clientB = await connect(url);
    const atServerB = collect((await accepted.next()).link);
    clientB.close('bye');
    expect(await atServerB.closed).toEqual({ local: false, reason: 'bye' });
  });

  it('closes every link on server.close() and resolves once closed', async () => {
    const { server, accepted, url } = await startServer();
    const clients = await Promise.all([connect(url), connect(url)]);
    const atClients = clients.map(collect);
    await accepted.next();
    await accepted.next();
    expect(server.linkCount).toBe(2);
    await server.close();
    const infos = await Promise.all(atClients.map((c) => c.closed));
    for (const info of infos) expect(info).toMatchObject({ local: false, reason: 'server closed' });
    expect(server.linkCount).toBe(0);
  });

  it('keeps count of its links as they leave from anywhere in its list, then closes the rest', async () => {
    const { server, accepted, url } = await startServer();
    const clients: Awaited<ReturnType<typeof connect>>[] = [];
    const links: ServerWebSocketLink[] = [];
    for (let i = 0; i < 6; i++) {
      clients.push(await connect(url));
      links.push((await accepted.next()).link);
    }
    expect(server.linkCount).toBe(6);
    // A link in the list points at its neighbours; its stats still serialize (no cycle).
    expect(JSON.parse(JSON.stringify(links[2]!.stats))).toMatchObject({ datagramsSent: 0, protocolViolations: 0 });
    // The newest link is first in the server's list, the oldest last: leave from the middle, both ends.
    for (const [index, left] of [
      [2, 5],
      [5, 4],
      [0, 3],
    ] as const) {
      clients[index]!.close('bye');
      await expect.poll(() => server.linkCount).toBe(left);
    }
    const atRest = [1, 3, 4].map((i) => collect(clients[i]!));
    await server.close();
    for (const at of atRest) expect(await at.closed).toMatchObject({ local: false, reason: 'server closed' });
    expect(server.linkCount).toBe(0);
  });

  it('drops and counts oversize datagrams, and refuses to send them', async () => {
    const { accepted, url } = await startServer({ maxDatagramSize: 100 });
    const client = await connect(url);
    const serverLink = (await accepted.next()).link;
    const atServer = collect(serverLink);
    client.send(new Uint8Array(101));
    client.send(new Uint8Array(100));
    await atServer.until(1); // TCP keeps order: the oversize one was seen first.
    expect(atServer.received.map((d) => d.byteLength)).toEqual([100]);
    expect(serverLink.stats.droppedOversize).toBe(1);
    expect(() => serverLink.send(new Uint8Array(101))).toThrow(MessageTooLargeError);
  });

  it('drops and counts text frames', async () => {
    const { accepted, url } = await startServer();
    const raw = new WebSocket(url);
    cleanups.push(() => raw.close());
    await new Promise((resolve) => raw.once('open', resolve));
    const serverLink = (await accepted.next()).link;
    const atServer = collect(serverLink);
    raw.send('hello');
    raw.send(new Uint8Array([42]));
    await atServer.until(1);
    expect(atServer.received).toEqual([new Uint8Array([42])]);
    expect(serverLink.stats.droppedNonBinary).toBe(1);
  });

  it('rejects with a LinkError when connecting to a closed port', async () => {
    const http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as AddressInfo).port;
    await new Promise<void>((resolve) => http.close(() => resolve()));
    const error = await connectWebSocket(`ws://127.0.0.1:${port}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinkError);
    expect((error as LinkError).code).toBe(TransportErrorCode.LINK_ERROR);
  });

  it('refuses links beyond maxLinks and counts them', async () => {
    const { server, accepted, url } = await startServer({ maxLinks: 1 });
    await connect(url);
    await accepted.next();
    await expect(connectWebSocket(url)).rejects.toBeInstanceOf(LinkError);
    expect(server.stats.refusedMaxLinks).toBe(1);
  });

  it('is a silent no-op to send on a closed link', async () => {
    const { url } = await startServer();
    const client = await connect(url);
    client.close();
    expect(client.closed).toBe(true);
    client.send(new Uint8Array([1]));
    expect(client.stats.datagramsSent).toBe(0);
    expect(client.bufferedAmount).toBeGreaterThanOrEqual(0);
  });
});

describe('connectBrowserWebSocket', () => {
  // Node 20 has no global WebSocket: inject ws's, which follows the same standard API.
  const WebSocketCtor: WebSocketConstructorLike = WebSocket;

  it('resolves to a working link once the socket is open', async () => {
    const { accepted, url } = await startServer();
    const client = await connectBrowserWebSocket(url, { WebSocket: WebSocketCtor });
    cleanups.push(() => client.close());
    const serverLink = (await accepted.next()).link;
    const atServer = collect(serverLink);
    const atClient = collect(client);
    client.send(new Uint8Array([1, 2, 3]));
    await atServer.until(1);
    serverLink.send(atServer.received[0]!);
    await atClient.until(1);
    expect(atClient.received).toEqual([new Uint8Array([1, 2, 3])]);
  });

  it('rejects with a LinkError when the socket fails before open', async () => {
    const http = createServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as AddressInfo).port;
    await new Promise<void>((resolve) => http.close(() => resolve()));
    const error = await connectBrowserWebSocket(`ws://127.0.0.1:${port}`, { WebSocket: WebSocketCtor }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LinkError);
  });

  it('rejects with a LinkError when there is no WebSocket implementation', async () => {
    const error = await connectBrowserWebSocket('ws://127.0.0.1:1', {
      WebSocket: undefined,
    }).catch((e: unknown) => e);
    // Node 20 has no global WebSocket; newer runtimes do and would try to connect (and fail) instead.
    expect(error).toBeInstanceOf(LinkError);
  });
});
