import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { arrivals, collect } from '../../test/link-harness.js';
import { InvalidOptionError, LinkError, MessageTooLargeError } from '../errors.js';
import type { LinkCloseInfo } from './link.js';
import { connectUdp, type UdpConnectOptions, type UdpLink, type UdpRemote } from './udp.js';
import { UdpLinkServer, type UdpLinkServerOptions } from './udp-server.js';

/** Server links, awaitable one by one. */
function acceptQueue() {
  const links = arrivals<UdpLink>();
  return { onLink: (link: UdpLink, _remote: UdpRemote): void => links.push(link), next: links.next };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(options: Partial<UdpLinkServerOptions> = {}) {
  const accepted = acceptQueue();
  const server = await UdpLinkServer.listen({ port: 0, host: '127.0.0.1', onLink: accepted.onLink, ...options });
  cleanups.push(() => server.close());
  return { server, accepted, port: server.address().port };
}

async function connect(port: number, options: Partial<UdpConnectOptions> = {}) {
  const link = await connectUdp({ host: '127.0.0.1', port, ...options });
  cleanups.push(() => link.close());
  return link;
}

async function rawSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

function datagram(tag: number, index: number): Uint8Array {
  const bytes = new Uint8Array(2 + (index % 200));
  bytes[0] = tag;
  bytes[1] = index & 0xff;
  for (let i = 2; i < bytes.length; i++) bytes[i] = (index * 13 + i) & 0xff;
  return bytes;
}

/** Sends in windows of `window` and waits for each window's echo, so loopback buffers never overflow. */
async function pingPong(client: UdpLink, atClient: ReturnType<typeof collect>, tag: number, count: number) {
  const window = 50;
  const base = atClient.received.length;
  for (let start = 0; start < count; start += window) {
    for (let i = start; i < Math.min(count, start + window); i++) client.send(datagram(tag, i));
    await atClient.until(base + Math.min(count, start + window));
  }
}

describe('UdpLink and UdpLinkServer', () => {
  it('round-trips many datagrams both ways', async () => {
    const { accepted, port } = await startServer();
    const client = await connectUdp({ host: '127.0.0.1', port });
    cleanups.push(() => client.close());
    expect(client.reliable).toBe(false);
    expect(client.maxDatagramSize).toBe(1200);
    const atClient = collect(client);
    client.send(datagram(1, 0));
    const serverLink = await accepted.next();
    serverLink.setHandlers({ onDatagram: (d) => serverLink.send(d) });
    await atClient.until(1);

    await pingPong(client, atClient, 1, 600);
    // UDP does not promise order: compare contents, not positions.
    const expected = Array.from({ length: 600 }, (_, i) => datagram(1, i));
    expect(atClient.received.slice(1)).toHaveLength(600);
    expect(atClient.received.slice(1)).toEqual(expect.arrayContaining(expected));
    expect(atClient.received[0]).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(atClient.received[0])).toBe(false);
    expect(serverLink.stats.datagramsReceived).toBe(601);
    expect(client.stats.bytesSent).toBe(serverLink.stats.bytesReceived);
  });

  it('demultiplexes two clients into two links', async () => {
    const { server, accepted, port } = await startServer();
    const echoAll = (link: UdpLink) => link.setHandlers({ onDatagram: (d) => link.send(d) });
    const [a, b] = await Promise.all([connect(port), connect(port)]);
    const atA = collect(a);
    const atB = collect(b);
    a.send(datagram(0xa, 0));
    echoAll(await accepted.next());
    b.send(datagram(0xb, 0));
    echoAll(await accepted.next());
    await Promise.all([atA.until(1), atB.until(1)]);
    expect(server.peerCount).toBe(2);

    await Promise.all([pingPong(a, atA, 0xa, 300), pingPong(b, atB, 0xb, 300)]);
    expect(atA.received.every((d) => d[0] === 0xa)).toBe(true);
    expect(atB.received.every((d) => d[0] === 0xb)).toBe(true);
    expect(atA.received).toHaveLength(301);
    expect(atB.received).toHaveLength(301);
    expect(server.stats.linksAccepted).toBe(2);
  });

  it('tells onLink the remote address of a new peer', async () => {
    const remotes: UdpRemote[] = [];
    const { port } = await startServer({
      onLink: (link, remote) => {
        remotes.push(remote);
        link.close();
      },
    });
    const client = await connect(port);
    client.send(new Uint8Array([1]));
    await vi.waitFor(() => expect(remotes).toHaveLength(1));
    expect(remotes[0]).toEqual({ address: '127.0.0.1', port: client.localAddress()!.port });
  });

  it('drops and counts datagrams from new addresses beyond maxPeers', async () => {
    const { server, accepted, port } = await startServer({ maxPeers: 1 });
    const [a, b] = await Promise.all([connect(port), connect(port)]);
    a.send(new Uint8Array([1]));
    await accepted.next();
    b.send(new Uint8Array([2]));
    b.send(new Uint8Array([3]));
    await vi.waitFor(() => expect(server.stats.droppedMaxPeers).toBe(2));
    expect(server.peerCount).toBe(1);
    expect(server.stats.linksAccepted).toBe(1);
  });

  it('refuses a peer whose link onLink closes, without delivering its datagram', async () => {
    let offered = 0;
    const { server, port } = await startServer({
      onLink: (link) => {
        offered++;
        link.close('refused');
      },
    });
    const client = await connect(port);
    client.send(new Uint8Array([1]));
    await vi.waitFor(() => expect(offered).toBe(1));
    expect(server.peerCount).toBe(0);
    client.send(new Uint8Array([2]));
    await vi.waitFor(() => expect(offered).toBe(2)); // a refused peer is a new peer next time
  });

  it('never delivers datagrams from a foreign address at a client link (its socket is connected)', async () => {
    const { accepted, port } = await startServer();
    const client = await connect(port);
    const atClient = collect(client);
    const stranger = await rawSocket();
    stranger.send(new Uint8Array([6, 6, 6]), client.localAddress()!.port, '127.0.0.1');
    client.send(new Uint8Array([1]));
    const serverLink = await accepted.next();
    serverLink.send(new Uint8Array([2]));
    await atClient.until(1);
    expect(atClient.received).toEqual([new Uint8Array([2])]);
    expect(client.closed).toBe(false);
  });

  it('fails a client link at once when nothing listens at the port (ICMP port unreachable)', async () => {
    // A port that was free a moment ago: bind a socket, note its port, close it.
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const deadPort = probe.address().port;
    await new Promise<void>((resolve) => probe.close(resolve));
    const client = await connect(deadPort);
    const closed = new Promise<LinkCloseInfo>((resolve) => client.setHandlers({ onDatagram() {}, onClose: resolve }));
    client.send(new Uint8Array([1]));
    const info = await closed;
    expect(info.local).toBe(false);
    expect(info.error).toBeInstanceOf(LinkError);
    expect(info.reason).toMatch(/ECONNREFUSED/);
  });

  it('closes locally only: the server forgets the peer, the client does not know', async () => {
    const { server, accepted, port } = await startServer();
    const client = await connect(port);
    const atClient = collect(client);
    client.send(new Uint8Array([1]));
    const first = await accepted.next();
    const atFirst = collect(first);
    first.close('kicked');
    expect(await atFirst.closed).toEqual({ local: true, reason: 'kicked' });
    expect(server.peerCount).toBe(0);
    expect(client.closed).toBe(false);
    first.send(new Uint8Array([9])); // no-op on a closed link

    client.send(new Uint8Array([2]));
    const second = await accepted.next();
    expect(second).not.toBe(first);
    second.send(new Uint8Array([3]));
    await atClient.until(1);
    expect(atClient.received).toEqual([new Uint8Array([3])]);

    client.close('done');
    expect(await atClient.closed).toEqual({ local: true, reason: 'done' });
    expect(client.localAddress()).toBeUndefined();
  });

  it('closes every link on server.close()', async () => {
    const { server, accepted, port } = await startServer();
    const client = await connect(port);
    client.send(new Uint8Array([1]));
    const atServer = collect(await accepted.next());
    await server.close();
    expect(await atServer.closed).toEqual({ local: true, reason: 'server closed' });
    expect(server.closed).toBe(true);
    expect(() => server.address()).toThrow(LinkError);
  });

  it('drops and counts oversize datagrams, and refuses to send them', async () => {
    const { server, accepted, port } = await startServer({ maxDatagramSize: 100 });
    const client = await connect(port, { maxDatagramSize: 1000 });
    client.send(new Uint8Array(101)); // from an unknown address: nothing allocated
    await vi.waitFor(() => expect(server.stats.droppedOversize).toBe(1));
    expect(server.peerCount).toBe(0);

    client.send(new Uint8Array(100));
    const serverLink = await accepted.next();
    const atServer = collect(serverLink);
    await atServer.until(1);
    client.send(new Uint8Array(500));
    await vi.waitFor(() => expect(serverLink.stats.droppedOversize).toBe(1));
    expect(atServer.received.map((d) => d.byteLength)).toEqual([100]);
    expect(JSON.parse(JSON.stringify(serverLink.stats))).toEqual({
      datagramsSent: 0,
      bytesSent: 0,
      sendErrors: 0,
      datagramsReceived: 1,
      bytesReceived: 100,
      droppedOversize: 1,
      droppedForeign: 0,
      droppedQueueFull: 0,
    });
    expect(() => serverLink.send(new Uint8Array(101))).toThrow(MessageTooLargeError);
  });

  it('passes garbage bytes through untouched (links do not parse)', async () => {
    const { accepted, port } = await startServer();
    const client = await connect(port);
    const garbage = [new Uint8Array([0xff, 0xff, 0xff, 0xff]), new Uint8Array([0]), new Uint8Array(1200).fill(0x80)];
    client.send(garbage[0]!.slice());
    const atServer = collect(await accepted.next());
    client.send(garbage[1]!.slice());
    client.send(garbage[2]!.slice());
    await atServer.until(3);
    expect(atServer.received).toEqual(expect.arrayContaining(garbage));
  });

  it('validates options and reports bind failures as LinkError', async () => {
    await expect(connectUdp({ host: '127.0.0.1', port: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(connectUdp({ host: '127.0.0.1', port: 1, maxDatagramSize: 70_000 })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    await expect(
      UdpLinkServer.listen({ port: 0, host: '127.0.0.1', onLink: () => {}, socketBufferSize: 0 }),
    ).rejects.toBeInstanceOf(InvalidOptionError);
    const { port } = await startServer();
    await expect(UdpLinkServer.listen({ port, host: '127.0.0.1', onLink: () => {} })).rejects.toBeInstanceOf(LinkError);
  });
});
