import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../clock.js';
import { encodeHandshake, HANDSHAKE_PADDED_SIZE, HandshakeType } from '../session/handshake.js';
import { deriveTokenKey, issueConnectToken, openConnectToken, SEALED_TOKEN_SIZE } from './connect-token.js';
import {
  ENCRYPTION_OVERHEAD,
  EncryptedLink,
  PacketOpener,
  PacketSealer,
  REPLAY_WINDOW,
  SecureChannel,
  TOKEN_CONNECT_TYPE,
} from './encrypted.js';
import { createMemoryLinkPair } from './memory.js';

const key = new Uint8Array(randomBytes(32));

describe('connect tokens', () => {
  it('round-trips through the sealed part and refuses tampering, other keys and bad sizes', () => {
    const token = issueConnectToken(key, { now: 1000, lifetimeMs: 5000, url: 'udp://h:1' });
    expect(token.expiresAt).toBe(6000);
    const sealed = Buffer.from(token.sealed, 'base64url');
    expect(sealed.length).toBe(SEALED_TOKEN_SIZE);
    const opened = openConnectToken(key, sealed);
    expect(opened?.tokenId).toBe(token.tokenId);
    expect(opened?.expiresAt).toBe(6000);
    expect(Buffer.from(opened!.clientToServerKey).toString('base64url')).toBe(token.clientKey);
    expect(Buffer.from(opened!.serverToClientKey).toString('base64url')).toBe(token.serverKey);
    for (let i = 0; i < sealed.length; i += 7) {
      const bad = Buffer.from(sealed);
      bad[i]! ^= 1;
      expect(openConnectToken(key, bad)).toBeUndefined();
    }
    expect(openConnectToken(new Uint8Array(randomBytes(32)), sealed)).toBeUndefined();
    expect(openConnectToken(key, sealed.subarray(1))).toBeUndefined();
    expect(openConnectToken(key, new Uint8Array(0))).toBeUndefined();
  });

  it('derives a stable 32-byte key from a secret', () => {
    const secret = new Uint8Array(32).fill(7);
    expect(deriveTokenKey(secret)).toEqual(deriveTokenKey(secret));
    expect(deriveTokenKey(secret)).toHaveLength(32);
  });

  it('refuses malformed tokens on the client with INVALID_OPTION', () => {
    const token = issueConnectToken(key);
    expect(() => SecureChannel.forClient({ ...token, clientKey: 'short' })).toThrow(/INVALID_OPTION|clientKey/);
    expect(() => SecureChannel.forClient({ ...token, version: 2 })).toThrow(/version/);
    expect(() => SecureChannel.forClient({ ...token, sealed: `${token.sealed}AA` })).toThrow(/sealed/);
  });
});

describe('sealing', () => {
  it('opens what it sealed, once; refuses altered bytes, other keys and replays', () => {
    const k = new Uint8Array(randomBytes(32));
    const sealer = new PacketSealer(k);
    const opener = new PacketOpener(k);
    const a = sealer.seal(new Uint8Array([1, 2, 3]));
    expect(a.length).toBe(3 + ENCRYPTION_OVERHEAD);
    expect(opener.open(a)).toEqual(new Uint8Array([1, 2, 3]));
    expect(opener.open(a)).toBe('replayed');
    const b = sealer.seal(new Uint8Array([4]));
    for (let i = 0; i < b.length; i++) {
      const bad = new Uint8Array(b);
      bad[i]! ^= 0x80;
      expect(opener.open(bad)).not.toBeInstanceOf(Uint8Array);
    }
    expect(new PacketOpener(new Uint8Array(32)).open(b)).toBe('forged');
    expect(opener.open(b)).toEqual(new Uint8Array([4])); // the altered copies did not burn its counter
    expect(opener.open(new Uint8Array(5))).toBe('malformed');
  });

  it('accepts reordering inside the replay window and refuses what is older', () => {
    const k = new Uint8Array(randomBytes(32));
    const sealer = new PacketSealer(k);
    const opener = new PacketOpener(k);
    const packets = Array.from({ length: REPLAY_WINDOW + 50 }, (_, i) => sealer.seal(new Uint8Array([i & 255])));
    // Deliver in a scrambled order within windows of 40, then replay all of them.
    const order = packets.map((_, i) => i);
    for (let i = 0; i + 40 <= order.length; i += 40) order.splice(i, 40, ...order.slice(i, i + 40).reverse());
    for (const i of order) expect(opener.open(packets[i]!)).toBeInstanceOf(Uint8Array);
    for (const p of packets) expect(opener.open(p)).toBe('replayed');
    // A packet that was never delivered but is older than the window is refused too.
    const sealer2 = new PacketSealer(k, 10_000);
    const old = new PacketSealer(k, 0).seal(new Uint8Array(1));
    expect(opener.open(sealer2.seal(new Uint8Array(1)))).toBeInstanceOf(Uint8Array);
    expect(opener.open(old)).toBe('replayed');
  });

  it('handles counters past 2^32', () => {
    const k = new Uint8Array(randomBytes(32));
    const sealer = new PacketSealer(k, 2 ** 32 - 2);
    const opener = new PacketOpener(k);
    for (let i = 0; i < 5; i++) expect(opener.open(sealer.seal(new Uint8Array([i])))).toEqual(new Uint8Array([i]));
  });
});

describe('EncryptedLink', () => {
  function pair(plainFallback = false) {
    const clock = new VirtualClock();
    const [a, b] = createMemoryLinkPair({ clock });
    const token = issueConnectToken(key);
    const clientChannel = SecureChannel.forClient(token);
    const channels = new Map<string, SecureChannel>();
    const resolve = (sealed: Uint8Array) => {
      const opened = openConnectToken(key, sealed);
      if (opened === undefined || opened.expiresAt < Date.now()) return undefined;
      let c = channels.get(opened.tokenId);
      if (c === undefined) {
        c = SecureChannel.forServer(opened);
        channels.set(opened.tokenId, c);
      }
      return c;
    };
    const client = new EncryptedLink(a, { role: 'client', channel: clientChannel });
    const server = new EncryptedLink(b, { role: 'server', resolve, plainFallback });
    const toServer: Uint8Array[] = [];
    const toClient: Uint8Array[] = [];
    const wire: Uint8Array[] = [];
    server.setHandlers({ onDatagram: (d) => toServer.push(d) });
    client.setHandlers({ onDatagram: (d) => toClient.push(d) });
    return { clock, a, b, client, server, toServer, toClient, wire, token, clientChannel, resolve };
  }

  it('carries the token on Connect/Response only, binds the server link, and encrypts both ways', () => {
    const { clock, client, server, toServer, toClient, token } = pair();
    const connect = encodeHandshake({ type: HandshakeType.Connect, body: {} }, HANDSHAKE_PADDED_SIZE);
    client.send(connect);
    clock.runUntilIdle();
    expect(toServer).toEqual([connect]);
    expect(server.tokenId).toBe(token.tokenId);
    server.send(new Uint8Array([9, 9]));
    client.send(new Uint8Array([0x4e, 0x20, 1, 2]));
    clock.runUntilIdle();
    expect(toClient).toEqual([new Uint8Array([9, 9])]);
    expect(toServer[1]).toEqual(new Uint8Array([0x4e, 0x20, 1, 2]));
    expect(client.maxDatagramSize).toBe(server.inner.maxDatagramSize - ENCRYPTION_OVERHEAD);
    expect(server.stats).toMatchObject({ delivered: 2, forged: 0, replayed: 0 });
  });

  it('drops forged, replayed and plaintext datagrams on a bound link and counts them', () => {
    const { clock, a, client, server, toServer, clientChannel } = pair();
    const captured: Uint8Array[] = [];
    const realSend = a.send.bind(a);
    a.send = (d: Uint8Array) => {
      captured.push(new Uint8Array(d));
      realSend(d);
    };
    client.send(encodeHandshake({ type: HandshakeType.Connect, body: {} }, HANDSHAKE_PADDED_SIZE));
    client.send(new Uint8Array([1, 2, 3]));
    clock.runUntilIdle();
    expect(toServer).toHaveLength(2);
    for (const d of captured) realSend(d); // replays, including the TokenConnect
    const forged = clientChannel.sealer.seal(new Uint8Array([7])); // a fresh counter, altered
    forged[forged.length - 1]! ^= 1;
    realSend(forged);
    realSend(encodeHandshake({ type: HandshakeType.Connect, body: {} }, HANDSHAKE_PADDED_SIZE)); // plaintext
    clock.runUntilIdle();
    expect(toServer).toHaveLength(2);
    expect(server.stats).toMatchObject({ replayed: 2, forged: 1, malformed: 1 });
    expect(server.closed).toBe(false);
  });

  it('closes an unbound server link whose first datagram carries no valid token, or falls back to plaintext', () => {
    const strict = pair(false);
    strict.a.send(encodeHandshake({ type: HandshakeType.Connect, body: {} }, HANDSHAKE_PADDED_SIZE));
    strict.clock.runUntilIdle();
    expect(strict.toServer).toHaveLength(0);
    expect(strict.server.closed).toBe(true);

    const forgedToken = pair(false);
    const d = new Uint8Array(2 + SEALED_TOKEN_SIZE + ENCRYPTION_OVERHEAD + 4);
    d[0] = 0x4e;
    d[1] = 0x20 | TOKEN_CONNECT_TYPE;
    forgedToken.a.send(d);
    forgedToken.clock.runUntilIdle();
    expect(forgedToken.server.closed).toBe(true);
    expect(forgedToken.server.stats.malformed).toBe(1);

    const lenient = pair(true);
    const connect = encodeHandshake({ type: HandshakeType.Connect, body: {} }, HANDSHAKE_PADDED_SIZE);
    lenient.a.send(connect);
    lenient.clock.runUntilIdle();
    expect(lenient.toServer).toEqual([connect]);
    expect(lenient.server.plaintext).toBe(true);
    expect(lenient.server.tokenId).toBeUndefined();
  });

  it('refuses a second token on a bound link, and shares counters per token across links', () => {
    const first = pair();
    first.client.send(encodeHandshake({ type: HandshakeType.Connect, body: {} }, HANDSHAKE_PADDED_SIZE));
    first.clock.runUntilIdle();
    const other = SecureChannel.forClient(issueConnectToken(key));
    const intruder = new EncryptedLink(first.a, { role: 'client', channel: other });
    intruder.send(encodeHandshake({ type: HandshakeType.Connect, body: {} }, HANDSHAKE_PADDED_SIZE));
    first.clock.runUntilIdle();
    expect(first.server.stats.otherToken).toBe(1);
    expect(first.toServer).toHaveLength(1);
    // The same token on a second link resolves to the same server channel: its counter continues.
    const [c2, s2] = createMemoryLinkPair({ clock: first.clock });
    const server2 = new EncryptedLink(s2, { role: 'server', resolve: first.resolve });
    const got: Uint8Array[] = [];
    server2.setHandlers({ onDatagram: (d) => got.push(d) });
    const client2 = new EncryptedLink(c2, { role: 'client', channel: first.clientChannel });
    client2.setHandlers({ onDatagram: () => {} });
    client2.send(encodeHandshake({ type: HandshakeType.Connect, body: { resume: 'r' } }, HANDSHAKE_PADDED_SIZE));
    first.clock.runUntilIdle();
    expect(got).toHaveLength(1);
    const before = first.clientChannel.opener;
    first.server.send(new Uint8Array([1]));
    server2.send(new Uint8Array([2]));
    first.clock.runUntilIdle();
    expect(first.toClient).toEqual([new Uint8Array([1])]);
    expect(before).toBe(first.clientChannel.opener);
  });
});
