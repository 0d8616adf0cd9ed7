/**
 * A join over WebSocket takes one round trip, not two: the client sends its `Join` right behind
 * `Connect` (the server creates the session as it reads `Connect`, and TCP keeps the order), and
 * when the handshake fails anyway the join rejects with the handshake's error. Over UDP the
 * handshake completes first (tested with the other UDP joins). Real sockets on 127.0.0.1, a raw
 * Netplay-less server that records what arrives and answers by hand.
 */
import { Client } from '@netplay/client';
import {
  decodeHandshake,
  encodeHandshake,
  HandshakeType,
  isHandshakePacket,
  type Link,
  SessionErrorCode,
} from '@netplay/transport';
import { WebSocketLinkServer } from '@netplay/transport/node';
import { afterEach, describe, expect, it } from 'vitest';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server that records the datagrams of its first link and resolves once `count` arrived. */
async function recordingServer(count: number) {
  const received: Uint8Array[] = [];
  let link: Link | undefined;
  let arrived!: () => void;
  const enough = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const server = await WebSocketLinkServer.listen({
    host: '127.0.0.1',
    port: 0,
    onLink: (accepted) => {
      link ??= accepted;
      accepted.setHandlers({
        onDatagram: (datagram) => {
          received.push(datagram);
          if (received.length === count) arrived();
        },
      });
    },
  });
  cleanups.push(() => server.close());
  return { url: `ws://127.0.0.1:${server.address().port}`, received, enough, link: () => link! };
}

describe('join over WebSocket', () => {
  it('sends the Join right behind Connect, before any answer, and rejects with a Deny as the join error', async () => {
    const server = await recordingServer(2);
    const client = new Client(server.url, { reconnect: { enabled: false } });
    const join = client.joinOrCreate('arena', { name: 'ana' });
    join.catch(() => {});
    // Nothing has been answered: the second datagram is already the session's first packet.
    await server.enough;
    expect(decodeHandshake(server.received[0]!)?.type).toBe(HandshakeType.Connect);
    expect(isHandshakePacket(server.received[1]!)).toBe(false);
    server
      .link()
      .send(encodeHandshake({ type: HandshakeType.Deny, code: SessionErrorCode.LIMIT_REACHED, message: 'full' }));
    await expect(join).rejects.toMatchObject({ code: SessionErrorCode.LIMIT_REACHED, message: 'full' });
  });

  it('a listing goes right behind Connect too, and a lost link during the handshake rejects with UNAVAILABLE', async () => {
    const server = await recordingServer(2);
    const client = new Client(server.url, { reconnect: { enabled: false }, joinRetry: { budget: 0 } });
    const listing = client.getAvailableRooms('arena');
    listing.catch(() => {});
    await server.enough;
    expect(decodeHandshake(server.received[0]!)?.type).toBe(HandshakeType.Connect);
    expect(isHandshakePacket(server.received[1]!)).toBe(false);
    server.link().close('gone');
    await expect(listing).rejects.toMatchObject({ code: SessionErrorCode.UNAVAILABLE });
  });
});
