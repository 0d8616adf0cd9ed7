/**
 * Encrypted UDP sessions on real sockets on 127.0.0.1: tokens from the server's `POST /netplay/token`,
 * a room over encrypted UDP, replayed / forged / spoofed-address datagrams dropped and counted while
 * the victim carries on, resume on a new socket under the same token, `secureUdp: 'require'`
 * refusing plain UDP, a token endpoint's methods and `authorize`.
 */
import { createSocket } from 'node:dgram';
import { Client, type Room as ClientRoom, ConnectTokenError } from '@netplay/client';
import { type ConnectToken, Room, Server } from '@netplay/server';
import { type Link, SessionError } from '@netplay/transport';
import { connectUdp } from '@netplay/transport/node';
import { afterEach, describe, expect, it } from 'vitest';

const quiet = { info() {}, warn() {}, error() {} };

class Lobby extends Room {}

function relays(room: ClientRoom, count: number): Promise<unknown[]> {
  const got: unknown[] = [];
  return new Promise((resolve) => {
    room.on('relay', (payload) => {
      got.push(payload);
      if (got.length === count) resolve(got);
    });
  });
}

/** A `connect` factory that records every datagram the client sends and keeps its links. */
function tapped() {
  const sent: Uint8Array[] = [];
  const links: Link[] = [];
  const connect = async (url: string): Promise<Link> => {
    const m = /^udp:\/\/([^:]+):(\d+)$/.exec(url)!;
    const link = await connectUdp({ host: m[1]!, port: Number(m[2]), maxDatagramSize: 1300 });
    const send = link.send.bind(link);
    link.send = (d: Uint8Array) => {
      sent.push(new Uint8Array(d));
      send(d);
    };
    links.push(link);
    return link;
  };
  return { sent, links, connect };
}

/** Send `datagrams` to the server from a fresh socket (another address:port than the victim's). */
async function sendFromElsewhere(port: number, datagrams: Uint8Array[]): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  for (const d of datagrams) await new Promise<void>((resolve) => socket.send(d, port, '127.0.0.1', () => resolve()));
  await new Promise<void>((resolve) => socket.close(() => resolve()));
}

describe('encrypted UDP sessions', () => {
  let server: Server | undefined;
  const rooms: ClientRoom[] = [];

  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((r) => r.leave().catch(() => {})));
    await server?.shutdown();
    server = undefined;
  });

  async function start(options: ConstructorParameters<typeof Server>[0] = {}) {
    server = new Server({ host: '127.0.0.1', port: 0, udpPort: 0, logger: quiet, ...options });
    server.define('lobby', Lobby);
    await server.listen();
    return {
      server,
      udpUrl: `udp://127.0.0.1:${server.udpPort}`,
      tokenUrl: `http://127.0.0.1:${server.port}/netplay/token`,
    };
  }

  it('issues tokens over HTTP and runs a room over encrypted UDP; replays, forgeries and other addresses get nothing', async () => {
    const { server, udpUrl, tokenUrl } = await start();
    const tap = tapped();
    const a = await new Client(udpUrl, { tokenUrl, connect: tap.connect, logger: quiet }).create('lobby');
    rooms.push(a);
    const b = await new Client(udpUrl, { tokenUrl, logger: quiet }).joinById(a.roomId);
    rooms.push(b);
    const first = relays(b, 5);
    // Long, distinctive plaintext: a short needle could turn up in random ciphertext by chance.
    for (let i = 0; i < 5; i++) a.relay(`plaintext-relay-payload-${i}`);
    expect(await first).toEqual([0, 1, 2, 3, 4].map((i) => `plaintext-relay-payload-${i}`));
    expect(server.stats.tokens?.accepted).toBe(2);

    // Nothing a's client sent is readable on the wire: no plaintext room-protocol bytes.
    const wire = Buffer.concat(tap.sent.map((d) => Buffer.from(d)));
    expect(wire.includes(Buffer.from('lobby'))).toBe(false);
    expect(wire.includes(Buffer.from('plaintext-relay-payload'))).toBe(false);
    expect(tap.sent.every((d) => d[0] === 0x4e && (d[1] === 0x2e || d[1] === 0x2f))).toBe(true);

    // An attacker replays everything a sent, from another address; then forges a datagram.
    const before = { ...server.stats.tokens!.dropped };
    await sendFromElsewhere(server.udpPort!, tap.sent);
    const forged = new Uint8Array(tap.sent.at(-1)!);
    forged[12]! ^= 0xff;
    await sendFromElsewhere(server.udpPort!, [forged]);
    // The replays reach the server after a's own traffic on the same socket order: wait for the counters.
    await waitFor(() => {
      const d = server.stats.tokens!.dropped;
      return d.replayed + d.malformed > before.replayed + before.malformed + 1;
    });
    const relayedBefore = server.stats.matchmaker.joins;
    expect(server.stats.sessions).toBe(2); // no session was opened by the replays
    expect(server.stats.matchmaker.joins).toBe(relayedBefore);

    // The victim carries on.
    const after = relays(b, 3);
    for (let i = 5; i < 8; i++) a.relay(`m${i}`);
    expect(await after).toEqual(['m5', 'm6', 'm7']);
  });

  it('resumes on a new socket under the same token, still encrypted, with no reliable message lost', async () => {
    const { server, udpUrl, tokenUrl } = await start();
    const tap = tapped();
    let tokensFetched = 0;
    const connectToken = async (url: string): Promise<ConnectToken> => {
      tokensFetched++;
      const response = await fetch(tokenUrl, { method: 'POST' });
      const token = (await response.json()) as ConnectToken;
      expect(token.url).toBe(url);
      return token;
    };
    const a = await new Client(udpUrl, { connectToken, connect: tap.connect, logger: quiet }).create('lobby');
    rooms.push(a);
    const b = await new Client(udpUrl, { tokenUrl, logger: quiet }).joinById(a.roomId);
    rooms.push(b);
    const got = relays(a, 20);
    for (let i = 0; i < 10; i++) b.relay(i);
    const reconnected = new Promise<void>((resolve) => a.once('reconnected', () => resolve()));
    tap.links[0]!.close('killed');
    for (let i = 10; i < 20; i++) b.relay(i);
    await reconnected;
    expect(await got).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(tokensFetched).toBe(1); // the resume reused the session's token
    expect(tap.links).toHaveLength(2);
    expect(server.stats.session.resumes).toBe(1);
  });

  it("secureUdp: 'require' refuses plain UDP; 'allow' takes both", async () => {
    const { udpUrl, tokenUrl } = await start({ secureUdp: 'require', handshakeTimeout: 1000 });
    await expect(
      new Client(udpUrl, { logger: quiet, handshakeTimeout: 500, reconnect: { enabled: false } }).create('lobby'),
    ).rejects.toBeInstanceOf(SessionError);
    const secure = await new Client(udpUrl, { tokenUrl, logger: quiet }).create('lobby');
    rooms.push(secure);
    expect(secure.roomId).toBeTruthy();
  });

  it('serves tokens only to POST, as authorize decides; a bad token source fails with TOKEN_UNAVAILABLE', async () => {
    let allow = false;
    const { udpUrl, tokenUrl } = await start({ connectTokens: { authorize: () => allow, lifetime: 5 } });
    expect((await fetch(tokenUrl)).status).toBe(405);
    expect((await fetch(tokenUrl, { method: 'POST' })).status).toBe(403);
    allow = true;
    const response = await fetch(tokenUrl, { method: 'POST', body: 'x'.repeat(100_000) });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const token = (await response.json()) as ConnectToken;
    expect(token.expiresAt - Date.now()).toBeLessThanOrEqual(5000);
    expect(token.url).toBe(udpUrl);
    const failing = new Client(udpUrl, {
      connectToken: () => Promise.reject(new Error('backend down')),
      logger: quiet,
    });
    await expect(failing.create('lobby')).rejects.toBeInstanceOf(ConnectTokenError);
    const garbage = new Client(udpUrl, {
      connectToken: async () => ({ ...token, sealed: 'nope' }),
      logger: quiet,
    });
    await expect(garbage.create('lobby')).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
