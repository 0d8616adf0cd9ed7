import { Room, Server, SessionErrorCode } from '@netplay/server';
import {
  CloseCode,
  createMemoryLinkPair,
  decodeHandshake,
  encodeHandshake,
  type HandshakePacket,
  HandshakeType,
  Op,
  type ServerMessage,
  VirtualClock,
} from '@netplay/transport';
import { describe, expect, it } from 'vitest';
import { advance, isOp, quiet, WireClient } from './wire-client.js';

function setup(options: ConstructorParameters<typeof Server>[0] = {}) {
  const clock = new VirtualClock();
  const server = new Server({ clock, logger: quiet, ...options });
  server.define(
    'arena',
    class extends Room {
      override onCreate() {
        this.onMessage('blast', (_client, n: number) => {
          for (let i = 0; i < n; i++) this.broadcast('big', 'x'.repeat(1000));
        });
      }
    },
  );
  const connect = async (address?: string) => {
    const c = new WireClient(server, clock, address);
    const answer = await c.handshake();
    return { c, answer };
  };
  const join = async (c: WireClient) => {
    const requestId = c.nextRequestId();
    c.send({ op: Op.Join, requestId, method: 'joinOrCreate', room: 'arena', options: {} });
    return c.waitFor(isOp(Op.Joined));
  };
  return { clock, server, connect, join };
}

function rawLink(server: Server, clock: VirtualClock, remoteAddress: string) {
  const [client, serverSide] = createMemoryLinkPair({ clock });
  const answers: HandshakePacket[] = [];
  client.setHandlers({
    onDatagram: (d) => {
      const h = decodeHandshake(d);
      if (h) answers.push(h);
    },
  });
  server.acceptLink(serverSide, { remoteAddress });
  return { link: client, answers };
}

describe('limits', () => {
  it('a client whose path died unseen resumes, and the rate limit lets in what it sent meanwhile', async () => {
    // The server (idleTimeout 10 s) never sees the 3 s outage: the resume is the first it hears
    // of it. The 300 messages the client sent meanwhile (100/s, under the default 120/s) then
    // arrive at once, far past the 1 s burst allowance.
    const clock = new VirtualClock();
    const got: number[] = [];
    const server = new Server({ clock, logger: quiet });
    server.define(
      'counter',
      class extends Room {
        override onCreate() {
          this.onMessage('n', (_client, n: number) => {
            got.push(n);
          });
        }
      },
    );
    const c = new WireClient(server, clock);
    await c.handshake();
    const requestId = c.nextRequestId();
    c.send({ op: Op.Join, requestId, method: 'create', room: 'counter', options: {} });
    const joined = await c.waitFor(isOp(Op.Joined));
    c.cutPath(true);
    for (let i = 0; i < 300; i++) {
      c.send({ op: Op.Message, type: 'n', payload: i });
      clock.advance(10);
    }
    expect(got).toEqual([]);
    expect(server.stats.sessions).toBe(1);
    expect(await c.resume(joined.info.resumeToken)).toEqual({ type: HandshakeType.Accept, resumed: true });
    await clock.runUntilAsync(() => got.length >= 300);
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(server.stats.matchmaker.messagesRateLimited).toBe(0);
    expect(c.of(Op.Error)).toEqual([]);
  });

  it('refuses new sessions from an address for floodBanSeconds after it flooded, then lets it back', async () => {
    const { clock, server, connect, join } = setup({
      rateLimit: { messagesPerSecond: 10, burstSeconds: 1, floodFactor: 2 },
      floodBanSeconds: 10,
    });
    const flooder = (await connect('6.6.6.6')).c;
    const other = (await connect('7.7.7.7')).c;
    await join(flooder);
    await join(other);
    for (let i = 0; i < 100; i++) flooder.send({ op: Op.Relay, payload: i, target: 'others' });
    expect((await flooder.waitFor(isOp(Op.Left))).code).toBe(CloseCode.FLOODING);
    expect(server.stats.session.floodBans).toBe(1);

    // A fresh session from the same address is refused at once; another address is not.
    const again = await connect('6.6.6.6');
    expect(again.answer).toMatchObject({ type: HandshakeType.Deny, code: SessionErrorCode.RATE_LIMITED });
    expect((await connect('8.8.8.8')).answer.type).toBe(HandshakeType.Accept);
    expect(server.stats.session.bannedRefusals).toBe(1);

    // The victim's session carries on meanwhile.
    other.send({ op: Op.Relay, payload: 'still here', target: 'all' });
    const stillHere = (m: ServerMessage): m is Extract<ServerMessage, { op: typeof Op.Relayed }> =>
      m.op === Op.Relayed && m.payload === 'still here';
    expect(await other.waitFor(stillHere)).toBeDefined();

    await advance(clock, 10_000);
    expect((await connect('6.6.6.6')).answer.type).toBe(HandshakeType.Accept);
  });

  it('floodBanSeconds: 0 turns the ban off', async () => {
    const { connect, join, server } = setup({
      rateLimit: { messagesPerSecond: 10, burstSeconds: 1, floodFactor: 2 },
      floodBanSeconds: 0,
    });
    const flooder = (await connect('6.6.6.6')).c;
    await join(flooder);
    for (let i = 0; i < 100; i++) flooder.send({ op: Op.Relay, payload: i, target: 'others' });
    expect((await flooder.waitFor(isOp(Op.Left))).code).toBe(CloseCode.FLOODING);
    expect((await connect('6.6.6.6')).answer.type).toBe(HandshakeType.Accept);
    expect(server.stats.session.floodBans).toBe(0);
  });

  it('bounds handshakes in flight, in total and per address, without answering the excess', async () => {
    const { clock, server } = setup({
      maxPendingHandshakes: 6,
      maxPendingHandshakesPerAddress: 2,
      handshakeTimeout: 1000,
    });
    const a = [0, 1, 2].map(() => rawLink(server, clock, '1.1.1.1'));
    const others = ['2.2.2.2', '3.3.3.3', '4.4.4.4', '5.5.5.5', '6.6.6.6'].map((ip) => rawLink(server, clock, ip));
    clock.advance(1); // let the closes reach the client ends
    expect(a[2]!.link.closed).toBe(true); // third from 1.1.1.1
    expect(others.filter((r) => r.link.closed)).toHaveLength(1); // 2 + 4 fill the 6 slots
    expect(server.stats.session.handshakesOverLimit).toBe(2);
    // A pending link that completes frees its slot.
    a[0]!.link.send(encodeHandshake({ type: HandshakeType.Connect, body: {} }));
    await clock.runUntilAsync(() => a[0]!.answers.length > 0);
    expect(a[0]!.answers[0]?.type).toBe(HandshakeType.Accept);
    const late = rawLink(server, clock, '1.1.1.1');
    clock.advance(1);
    expect(late.link.closed).toBe(false);
    // The rest time out and free theirs.
    clock.advance(1100);
    expect(server.stats.session.handshakeTimeouts).toBe(6); // a[1], four others and the late one
    const fresh = rawLink(server, clock, '9.9.9.9');
    clock.advance(1);
    expect(fresh.link.closed).toBe(false);
  });

  it('closes a client that stops reading while the room broadcasts with SLOW_CONSUMER, memory bounded', async () => {
    const { clock, server, connect, join } = setup({
      connection: { maxSendQueueBytes: 64 * 1024, maxMessageSize: 16 * 1024 },
    });
    const reader = (await connect('1.1.1.1')).c;
    const stalled = (await connect('2.2.2.2')).c;
    await join(reader);
    await join(stalled);
    // The stalled client stops reading: its link stays open, but it processes (and acks) nothing.
    const heard: HandshakePacket[] = [];
    stalled.link.setHandlers({
      onDatagram: (d) => {
        const h = decodeHandshake(d);
        if (h) heard.push(h);
      },
    });
    const heapBefore = process.memoryUsage().heapUsed;
    let rounds = 0;
    while (server.stats.sessions > 1 && rounds < 100) {
      reader.send({ op: Op.Message, type: 'blast', payload: 20 }); // 20 kB to each member
      await advance(clock, 50);
      rounds++;
    }
    expect(server.stats.sessions).toBe(1);
    expect(server.stats.session.slowConsumers).toBe(1);
    // Closed at once (no drain wait for a client that does not read), telling it why.
    await advance(clock, 1);
    expect(heard.at(-1)).toMatchObject({ type: HandshakeType.Disconnect, code: CloseCode.SLOW_CONSUMER });
    // Dropped after about one queue's worth (64 kB ≈ 4 rounds of 20 kB, plus what was in flight).
    expect(rounds).toBeLessThan(20);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    // The reader kept receiving and is still connected.
    const before = reader.of(Op.Message).length;
    reader.send({ op: Op.Message, type: 'blast', payload: 1 });
    await clock.runUntilAsync(() => reader.of(Op.Message).length > before);
    expect(reader.closed).toBe(false);
  });
});
