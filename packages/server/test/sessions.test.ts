import { Room, type RoomClient, Server, SessionErrorCode } from '@netplay/server';
import {
  CloseCode,
  createMemoryLinkPair,
  decodeHandshake,
  encodeHandshake,
  type HandshakePacket,
  HandshakeType,
  Op,
  VirtualClock,
} from '@netplay/transport';
import { describe, expect, it } from 'vitest';
import { isOp, quiet, WireClient } from './wire-client.js';

function setup(options: ConstructorParameters<typeof Server>[0] = {}) {
  const clock = new VirtualClock();
  const events: string[] = [];
  const server = new Server({ clock, logger: quiet, reconnectGrace: 5, ...options });
  server.define(
    'lobby',
    class extends Room {
      override onCreate() {
        this.onMessage('n', (client, payload) => this.broadcast('n', payload, { except: client }));
      }
      override onLeave(client: RoomClient, consented: boolean) {
        events.push(`leave:${client.sessionId}:${consented}`);
      }
      override onDisconnect(client: RoomClient) {
        events.push(`drop:${client.sessionId}`);
      }
      override onReconnect(client: RoomClient) {
        events.push(`back:${client.sessionId}`);
      }
    },
  );
  const connectAndJoin = async (address?: string) => {
    const c = new WireClient(server, clock, address);
    expect((await c.handshake()).type).toBe(HandshakeType.Accept);
    const requestId = c.nextRequestId();
    c.send({ op: Op.Join, requestId, method: 'joinOrCreate', room: 'lobby', options: {} });
    const joined = await c.waitFor(isOp(Op.Joined));
    return { c, info: joined.info };
  };
  return { clock, server, events, connectAndJoin };
}

/** A bare link to the server: returns the handshake answers it receives. */
function rawLink(server: Server, clock: VirtualClock, remoteAddress = '10.9.9.9') {
  const [client, serverSide] = createMemoryLinkPair({ clock });
  const answers: HandshakePacket[] = [];
  let closed = false;
  client.setHandlers({
    onDatagram: (d) => {
      const h = decodeHandshake(d);
      if (h) answers.push(h);
    },
    onClose: () => {
      closed = true;
    },
  });
  server.acceptLink(serverSide, { remoteAddress });
  return {
    link: client,
    answers,
    get closed() {
      return closed;
    },
  };
}

describe('sessions', () => {
  it('resumes a dropped session with no reliable message lost or duplicated, either way', async () => {
    const { clock, events, connectAndJoin } = setup();
    const { c: a, info: ia } = await connectAndJoin();
    const { c: b } = await connectAndJoin();
    const got = (w: WireClient) => w.of(Op.Message).map((m) => m.payload as number);
    for (let i = 0; i < 50; i++) b.send({ op: Op.Message, type: 'n', payload: i });
    await clock.runUntilAsync(() => got(a).length >= 20);
    a.dropLink();
    // While a is away: b keeps sending, a queues messages of its own.
    for (let i = 50; i < 100; i++) b.send({ op: Op.Message, type: 'n', payload: i });
    for (let i = 1000; i < 1030; i++) a.send({ op: Op.Message, type: 'n', payload: i });
    await clock.runUntilAsync(() => events.includes(`drop:${ia.sessionId}`));
    const answer = await a.resume(ia.resumeToken);
    expect(answer).toEqual({ type: HandshakeType.Accept, resumed: true });
    await clock.runUntilAsync(() => got(a).length === 100 && got(b).length === 30);
    expect(got(a)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(got(b)).toEqual(Array.from({ length: 30 }, (_, i) => 1000 + i));
    expect(events).toContain(`back:${ia.sessionId}`);
    expect(events.some((e) => e.startsWith('leave:'))).toBe(false);
  });

  it('reports an onDisconnect or onReconnect that throws to onError, and the session still resumes', async () => {
    const clock = new VirtualClock();
    const errors: [string, string][] = [];
    const server = new Server({ clock, logger: quiet, reconnectGrace: 5 });
    server.define(
      'lobby',
      class extends Room {
        override onDisconnect() {
          throw new Error('drop hook');
        }
        override onReconnect() {
          throw new Error('back hook');
        }
        override onError(error: unknown, where: string) {
          errors.push([where, (error as Error).message]);
        }
      },
    );
    const a = new WireClient(server, clock);
    expect((await a.handshake()).type).toBe(HandshakeType.Accept);
    a.send({ op: Op.Join, requestId: a.nextRequestId(), method: 'joinOrCreate', room: 'lobby', options: {} });
    const { info } = await a.waitFor(isOp(Op.Joined));
    a.dropLink();
    await clock.runUntilAsync(() => errors.length === 1);
    expect(errors).toEqual([['onDisconnect', 'drop hook']]);
    expect(await a.resume(info.resumeToken)).toEqual({ type: HandshakeType.Accept, resumed: true });
    await clock.runUntilAsync(() => errors.length === 2);
    expect(errors).toEqual([
      ['onDisconnect', 'drop hook'],
      ['onReconnect', 'back hook'],
    ]);
    expect(server.stats.sessions).toBe(1);
  });

  it('ends a session that does not resume within the grace period, and refuses its token after', async () => {
    const { clock, server, events, connectAndJoin } = setup({ reconnectGrace: 2 });
    const { c: a, info: ia } = await connectAndJoin();
    const { c: b } = await connectAndJoin();
    a.dropLink();
    const leave = await b.waitFor(isOp(Op.PeerLeave));
    expect(leave.sessionId).toBe(ia.sessionId);
    expect(clock.now()).toBeGreaterThanOrEqual(2000);
    expect(events).toContain(`leave:${ia.sessionId}:false`);
    expect(await a.resume(ia.resumeToken)).toMatchObject({
      type: HandshakeType.Deny,
      code: SessionErrorCode.INVALID_TOKEN,
    });
    expect(server.stats.sessions).toBe(1);
  });

  it('treats a client that goes silent as dropped after the idle timeout', async () => {
    const { clock, server } = setup({ idleTimeout: 1000, reconnectGrace: 1 });
    const raw = rawLink(server, clock);
    raw.link.send(encodeHandshake({ type: HandshakeType.Connect, body: {} }));
    await clock.runUntilAsync(() => raw.answers.length > 0);
    expect(raw.answers[0]).toEqual({ type: HandshakeType.Accept, resumed: false });
    expect(server.stats.sessions).toBe(1);
    // The client never says anything again.
    await clock.runUntilAsync(() => server.stats.sessions === 0);
    expect(clock.now()).toBeGreaterThanOrEqual(2000);
    expect(raw.closed).toBe(true);
  });

  it('closes links that never complete the handshake, and drops garbage before it', async () => {
    const { clock, server } = setup({ handshakeTimeout: 500 });
    const silent = rawLink(server, clock);
    const noisy = rawLink(server, clock);
    noisy.link.send(new Uint8Array([1, 2, 3]));
    noisy.link.send(new Uint8Array(400).fill(0x4e));
    noisy.link.send(encodeHandshake({ type: HandshakeType.Accept, resumed: false }));
    noisy.link.send(encodeHandshake({ type: HandshakeType.Connect, body: {} }));
    await clock.runUntilAsync(() => noisy.answers.length > 0 && silent.closed);
    expect(noisy.answers[0]?.type).toBe(HandshakeType.Accept);
    expect(server.stats.session.handshakeDatagramsDropped).toBe(3);
    expect(server.stats.session.handshakeTimeouts).toBe(1);
    expect(clock.now()).toBeGreaterThanOrEqual(500);
  });

  it('limits sessions per address and in total', async () => {
    const { clock, server } = setup({ maxSessionsPerAddress: 2, maxSessions: 3 });
    const open = async (address: string) => {
      const raw = rawLink(server, clock, address);
      raw.link.send(encodeHandshake({ type: HandshakeType.Connect, body: {} }));
      await clock.runUntilAsync(() => raw.answers.length > 0);
      return raw.answers[0]!;
    };
    expect((await open('1.1.1.1')).type).toBe(HandshakeType.Accept);
    expect((await open('1.1.1.1')).type).toBe(HandshakeType.Accept);
    expect(await open('1.1.1.1')).toMatchObject({ type: HandshakeType.Deny, code: SessionErrorCode.LIMIT_REACHED });
    expect((await open('2.2.2.2')).type).toBe(HandshakeType.Accept);
    expect(await open('3.3.3.3')).toMatchObject({ type: HandshakeType.Deny, code: SessionErrorCode.LIMIT_REACHED });
    expect(server.stats.sessions).toBe(3);
  });

  it('ends a session at once when the client says Disconnect (consented, no grace)', async () => {
    const { clock, server, events, connectAndJoin } = setup({ reconnectGrace: 60 });
    const { c: a, info: ia } = await connectAndJoin();
    const { c: b } = await connectAndJoin();
    a.link.send(encodeHandshake({ type: HandshakeType.Disconnect, code: CloseCode.NORMAL, reason: 'bye' }));
    await b.waitFor(isOp(Op.PeerLeave));
    expect(clock.now()).toBeLessThan(1000);
    expect(events).toContain(`leave:${ia.sessionId}:true`);
    await clock.runUntilAsync(() => server.stats.sessions === 1);
  });

  it('answers a resume token it does not know with INVALID_TOKEN', async () => {
    const { clock, server } = setup();
    const c = new WireClient(server, clock);
    expect(await c.handshake({ resume: 'not-a-token' })).toMatchObject({
      type: HandshakeType.Deny,
      code: SessionErrorCode.INVALID_TOKEN,
    });
    expect(server.stats.session.handshakesDenied).toBe(1);
  });
});
