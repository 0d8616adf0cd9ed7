/**
 * The client against a scripted server endpoint (memory links, transport `Peer`, the session
 * contract's codecs) on a virtual clock: joins, refusals, redirects, messages, relay, members,
 * errors, leaving, listing and the errors the API throws.
 */
import { DefaultChannel, HandshakeType, Op, VirtualClock } from '@netplay/transport';
import { describe, expect, it, vi } from 'vitest';
import {
  Client,
  type ClientOptions,
  CloseCode,
  ClosedError,
  LinkError,
  MessageTooLargeError,
  type Room,
  SessionError,
  SessionErrorCode,
} from '../src/index.js';
import { advance, drive, ScriptedServer } from './scripted-server.js';

function setup(options: ClientOptions = {}) {
  const clock = new VirtualClock();
  const server = new ScriptedServer(clock);
  const logger = { warn: vi.fn(), error: vi.fn() };
  const client = new Client('ws://game.test:2567', { clock, connect: server.connect, logger, ...options });
  return { clock, server, client, logger };
}

async function joined(s: ReturnType<typeof setup>): Promise<Room> {
  const room = await drive(s.clock, s.client.joinOrCreate('arena', { name: 'ana' }));
  await advance(s.clock, 1); // releases events held until the caller resumed
  return room;
}

describe('joining', () => {
  it('joinOrCreate handshakes, sends Join and resolves with the room', async () => {
    const s = setup();
    const room = await drive(s.clock, s.client.joinOrCreate('arena', { name: 'ana' }));
    expect(room.sessionId).toBe('s1');
    expect(room.roomId).toBe('room-1');
    expect(room.name).toBe('arena');
    expect(room.state).toBe('joined');
    expect(s.server.links[0]!.url).toBe('ws://game.test:2567');
    expect(s.server.links[0]!.handshakes[0]!.packet).toEqual({ type: HandshakeType.Connect, body: {} });
    const [join] = s.server.last.received;
    expect(join).toEqual({
      channel: DefaultChannel.Reliable,
      message: { op: Op.Join, requestId: 1, method: 'joinOrCreate', room: 'arena', options: { name: 'ana' } },
    });
  });

  it.each([
    ['create', (c: Client) => c.create('arena')],
    ['join', (c: Client) => c.join('arena')],
    ['joinById', (c: Client) => c.joinById('room-9')],
  ] as const)('%s sends its method', async (method, call) => {
    const s = setup();
    await drive(s.clock, call(s.client));
    const m = s.server.last.received[0]!.message;
    expect(m).toMatchObject({ op: Op.Join, method, room: method === 'joinById' ? 'room-9' : 'arena', options: {} });
  });

  it('a Deny rejects with a SessionError carrying the server code', async () => {
    const s = setup();
    s.server.onHandshake = () => ({ deny: { code: SessionErrorCode.LIMIT_REACHED, message: 'too many sessions' } });
    const error = await drive(s.clock, s.client.joinOrCreate('arena')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionError);
    expect(error).toMatchObject({ code: 'LIMIT_REACHED', message: 'too many sessions' });
  });

  it('a RequestError rejects with a SessionError and closes the link', async () => {
    const s = setup();
    s.server.onSession = (session) => {
      session.handle = (m) => {
        if (m.op === Op.Join) {
          session.send({ op: Op.RequestError, requestId: m.requestId, code: 'ROOM_FULL', message: 'full' });
        }
      };
    };
    const error = await drive(s.clock, s.client.join('arena')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionError);
    expect(error).toMatchObject({ code: SessionErrorCode.ROOM_FULL, message: 'full' });
    await advance(s.clock, 5);
    expect(s.server.links[0]!.raw.closed).toBe(true);
    expect(s.server.links[0]!.handshakes.at(-1)!.packet).toMatchObject({
      type: HandshakeType.Disconnect,
      code: CloseCode.NORMAL,
    });
  });

  it('follows a Redirect: new link to the worker URL, Connect{seat}, unsolicited Joined', async () => {
    const s = setup();
    s.server.onSession = (session, record, seat) => {
      if (record.url === 'ws://game.test:2567') {
        session.handle = (m) => {
          if (m.op === Op.Join) {
            session.send({ op: Op.Redirect, requestId: m.requestId, url: 'ws://worker.test:3001', seat: 'seat-abc' });
          }
        };
      } else {
        expect(seat).toBe('seat-abc');
        session.send({ op: Op.Joined, requestId: 0, info: session.info({ roomId: 'room-w' }) });
      }
    };
    const room = await drive(s.clock, s.client.joinOrCreate('arena'));
    expect(room.roomId).toBe('room-w');
    expect(s.server.links.map((l) => l.url)).toEqual(['ws://game.test:2567', 'ws://worker.test:3001']);
    expect(s.server.links[1]!.handshakes[0]!.packet).toEqual({
      type: HandshakeType.Connect,
      body: { seat: 'seat-abc' },
    });
    await advance(s.clock, 5);
    expect(s.server.links[0]!.raw.closed).toBe(true);
  });

  it('a handshake nobody answers fails with TIMEOUT after handshakeTimeout', async () => {
    const s = setup({ handshakeTimeout: 1000 });
    s.server.onHandshake = () => ({ ignore: true });
    const started = s.clock.now();
    const error = await drive(s.clock, s.client.joinOrCreate('arena')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: SessionErrorCode.TIMEOUT });
    expect(s.clock.now() - started).toBe(1000);
  });

  it('a join nobody answers fails with TIMEOUT after requestTimeout', async () => {
    const s = setup({ requestTimeout: 3000 });
    s.server.onSession = (session) => {
      session.handle = () => {};
    };
    const error = await drive(s.clock, s.client.joinOrCreate('arena')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionError);
    expect(error).toMatchObject({ code: SessionErrorCode.TIMEOUT });
    expect(s.clock.now()).toBeGreaterThanOrEqual(3000);
  });

  it('a refused connection fails the join with UNAVAILABLE (the LinkError as cause) when joinRetry is off', async () => {
    const s = setup({
      connect: () => Promise.reject(new LinkError('refused')),
      joinRetry: { budget: 0 },
    });
    const error = await s.client.joinOrCreate('arena').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionError);
    expect(error).toMatchObject({ code: SessionErrorCode.UNAVAILABLE });
    expect((error as Error).cause).toBeInstanceOf(LinkError);
  });

  it('an unavailable server is retried with backoff within joinRetry.budget: refused, then UNAVAILABLE, then joined', async () => {
    const clock = new VirtualClock();
    const server = new ScriptedServer(clock);
    const attempts: number[] = [];
    let refuse = 2;
    server.onSession = (session) => {
      session.handle = (m) => {
        if (m.op !== Op.Join) return;
        if (attempts.length === 3) {
          session.send({ op: Op.RequestError, requestId: m.requestId, code: 'UNAVAILABLE', message: 'no worker' });
        } else {
          session.send({ op: Op.Joined, requestId: m.requestId, info: session.info({ roomId: 'r' }) });
        }
      };
    };
    const client = new Client('ws://game.test:2567', {
      clock,
      logger: { warn: vi.fn(), error: vi.fn() },
      reconnect: { random: () => 1 }, // no jitter: delays 200, 400, 800
      connect: (url) => {
        attempts.push(clock.now());
        if (refuse-- > 0) return Promise.reject(new LinkError('refused'));
        return server.connect(url);
      },
    });
    const room = await drive(clock, client.joinOrCreate('arena'));
    expect(room.roomId).toBe('r');
    expect(attempts).toEqual([0, 200, 600, 1400]);
  });

  it('gives up with UNAVAILABLE once the next attempt would start after joinRetry.budget', async () => {
    const clock = new VirtualClock();
    const attempts: number[] = [];
    const client = new Client('ws://game.test:2567', {
      clock,
      logger: { warn: vi.fn(), error: vi.fn() },
      reconnect: { random: () => 1 },
      joinRetry: { budget: 1000, initialDelay: 200, maxDelay: 300 },
      connect: () => {
        attempts.push(clock.now());
        return Promise.reject(new LinkError('refused'));
      },
    });
    const error = await drive(clock, client.joinById('r')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: SessionErrorCode.UNAVAILABLE });
    expect(attempts).toEqual([0, 200, 500, 800]);
  });

  it('join retries take their jitter from the reconnect options (jitter 0: exact delays even with random() = 0)', async () => {
    const clock = new VirtualClock();
    const attempts: number[] = [];
    const client = new Client('ws://game.test:2567', {
      clock,
      logger: { warn: vi.fn(), error: vi.fn() },
      reconnect: { jitter: 0, random: () => 0 },
      joinRetry: { budget: 1000, initialDelay: 200, maxDelay: 300 },
      connect: () => {
        attempts.push(clock.now());
        return Promise.reject(new LinkError('refused'));
      },
    });
    await drive(clock, client.joinById('r')).catch(() => {});
    expect(attempts).toEqual([0, 200, 500, 800]);
  });

  it('a listing retries an unreachable server like a join, then rejects with UNAVAILABLE', async () => {
    const clock = new VirtualClock();
    const attempts: number[] = [];
    const client = new Client('ws://game.test:2567', {
      clock,
      logger: { warn: vi.fn(), error: vi.fn() },
      reconnect: { random: () => 1 },
      joinRetry: { budget: 1000, initialDelay: 200, maxDelay: 300 },
      connect: () => {
        attempts.push(clock.now());
        return Promise.reject(new LinkError('refused'));
      },
    });
    const error = await drive(clock, client.getAvailableRooms('arena')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: SessionErrorCode.UNAVAILABLE });
    expect((error as Error).cause).toBeInstanceOf(LinkError);
    expect(attempts).toEqual([0, 200, 500, 800]);
  });

  it('messages sent with the Joined reply reach handlers registered after the await', async () => {
    const s = setup();
    s.server.onSession = (session) => {
      session.handle = (m) => {
        if (m.op !== Op.Join) return;
        session.send({ op: Op.Joined, requestId: m.requestId, info: session.info({ peers: ['s1', 'p2'] }) });
        session.send({ op: Op.Message, type: 'welcome', payload: { hi: 1 } });
        session.send({ op: Op.PeerJoin, sessionId: 'p3' });
      };
    };
    const room = await drive(s.clock, s.client.joinOrCreate('arena'));
    expect(room.peers).toEqual(['p2']);
    const got: unknown[] = [];
    room.onMessage('welcome', (p) => got.push(p));
    room.on('peer-join', (id) => got.push(id));
    await advance(s.clock, 1);
    expect(got).toEqual([{ hi: 1 }, 'p3']);
    expect(room.peers).toEqual(['p2', 'p3']);
  });
});

describe('messages and relay', () => {
  it('send goes reliable by default, unreliable-sequenced with reliable: false, bytes as bin', async () => {
    const s = setup();
    const room = await joined(s);
    room.send('move', { x: 1 });
    room.send('pos', { x: 1, y: 2 }, { reliable: false });
    room.send(7, new Uint8Array([1, 2, 3]));
    await advance(s.clock, 5);
    // Order holds per channel, not across channels.
    const got = s.server.last.received.slice(1);
    expect(got).toHaveLength(3);
    expect(got).toEqual(
      expect.arrayContaining([
        { channel: DefaultChannel.Reliable, message: { op: Op.Message, type: 'move', payload: { x: 1 } } },
        { channel: DefaultChannel.Sequenced, message: { op: Op.Message, type: 'pos', payload: { x: 1, y: 2 } } },
        { channel: DefaultChannel.Reliable, message: { op: Op.Message, type: 7, payload: new Uint8Array([1, 2, 3]) } },
      ]),
    );
  });

  it('onMessage dispatches by type, "*" gets everything, and the returned function unsubscribes', async () => {
    const s = setup();
    const room = await joined(s);
    const chat: unknown[] = [];
    const all: unknown[] = [];
    const off = room.onMessage('chat', (p) => chat.push(p));
    room.onMessage('*', (type, p) => all.push([type, p]));
    s.server.last.send({ op: Op.Message, type: 'chat', payload: 'hello' });
    s.server.last.send({ op: Op.Message, type: 3, payload: new Uint8Array([9]) });
    await advance(s.clock, 5);
    off();
    s.server.last.send({ op: Op.Message, type: 'chat', payload: 'again' });
    await advance(s.clock, 5);
    expect(chat).toEqual(['hello']);
    expect(all).toEqual([
      ['chat', 'hello'],
      [3, new Uint8Array([9])],
      ['chat', 'again'],
    ]);
  });

  it('a message type without handler is reported once to the logger', async () => {
    const s = setup();
    await joined(s);
    s.server.last.send({ op: Op.Message, type: 'nobody', payload: 1 });
    s.server.last.send({ op: Op.Message, type: 'nobody', payload: 2 });
    await advance(s.clock, 5);
    expect(s.logger.warn).toHaveBeenCalledTimes(1);
    expect(String(s.logger.warn.mock.calls[0]![0])).toContain('"nobody"');
  });

  it('relay sends Relay with its target on the channel for its reliability; Relayed becomes a relay event', async () => {
    const s = setup();
    const room = await joined(s);
    room.relay({ emote: 3 });
    room.relay({ hp: 9 }, { to: ['p2'], reliable: false });
    room.relay('x', { to: 'all' });
    await advance(s.clock, 5);
    expect(s.server.last.received.slice(1)).toHaveLength(3);
    expect(s.server.last.received.slice(1)).toEqual(
      expect.arrayContaining([
        { channel: DefaultChannel.Reliable, message: { op: Op.Relay, payload: { emote: 3 }, target: 'others' } },
        { channel: DefaultChannel.Unreliable, message: { op: Op.Relay, payload: { hp: 9 }, target: ['p2'] } },
        { channel: DefaultChannel.Reliable, message: { op: Op.Relay, payload: 'x', target: 'all' } },
      ]),
    );
    const relays: unknown[] = [];
    room.on('relay', (payload, from) => relays.push([payload, from]));
    s.server.last.send({ op: Op.Relayed, from: 'p2', payload: { emote: 1 } });
    await advance(s.clock, 5);
    expect(relays).toEqual([[{ emote: 1 }, 'p2']]);
    expect(() => room.relay(1, { to: [3] as unknown as string[] })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it('PeerJoin and PeerLeave update room.peers and emit', async () => {
    const s = setup();
    const room = await joined(s);
    const events: string[] = [];
    room.on('peer-join', (id) => events.push(`+${id}:${room.peers.join(',')}`));
    room.on('peer-leave', (id) => events.push(`-${id}:${room.peers.join(',')}`));
    s.server.last.send({ op: Op.PeerJoin, sessionId: 'p2' });
    s.server.last.send({ op: Op.PeerJoin, sessionId: 'p3' });
    s.server.last.send({ op: Op.PeerLeave, sessionId: 'p2' });
    s.server.last.send({ op: Op.PeerLeave, sessionId: 'unknown' });
    await advance(s.clock, 5);
    expect(events).toEqual(['+p2:p2', '+p3:p2,p3', '-p2:p3']);
    expect(room.peers).toEqual(['p3']);
  });

  it('an Error message becomes an error event with a SessionError; the room carries on', async () => {
    const s = setup();
    const room = await joined(s);
    const errors: Error[] = [];
    room.on('error', (e) => errors.push(e));
    s.server.last.send({ op: Op.Error, code: SessionErrorCode.RATE_LIMITED, message: 'slow down' });
    await advance(s.clock, 5);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SessionError);
    expect(errors[0]).toMatchObject({ code: 'RATE_LIMITED', message: 'slow down' });
    expect(room.state).toBe('joined');
    room.send('still', 1);
  });

  it("an 'error' with no listener is not lost: it goes to logger.error", async () => {
    const s = setup();
    await joined(s);
    s.server.last.send({ op: Op.Error, code: SessionErrorCode.UNHANDLED_MESSAGE, message: 'no handler for x' });
    await advance(s.clock, 5);
    expect(s.logger.error).toHaveBeenCalledTimes(1);
    expect(s.logger.error.mock.calls[0]![1]).toMatchObject({ code: 'UNHANDLED_MESSAGE' });
  });

  it('a handler that throws becomes an error event, and dispatch carries on', async () => {
    const s = setup();
    const room = await joined(s);
    const errors: Error[] = [];
    const got: unknown[] = [];
    room.on('error', (e) => errors.push(e));
    room.onMessage('boom', () => {
      throw new Error('handler bug');
    });
    room.onMessage('ok', (p) => got.push(p));
    s.server.last.send({ op: Op.Message, type: 'boom', payload: null });
    s.server.last.send({ op: Op.Message, type: 'ok', payload: 1 });
    await advance(s.clock, 5);
    expect(errors.map((e) => e.message)).toEqual(['handler bug']);
    expect(got).toEqual([1]);
  });

  it('oversize messages throw MessageTooLargeError synchronously', async () => {
    const s = setup({ connection: { maxMessageSize: 1000 } });
    const room = await joined(s);
    expect(() => room.send('big', new Uint8Array(2000))).toThrow(MessageTooLargeError);
    expect(() => room.send('big', new Uint8Array(1500), { reliable: false })).toThrow(
      expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }),
    );
    expect(() => room.relay(new Uint8Array(1500), { reliable: false })).toThrow(MessageTooLargeError);
  });

  it('an invalid message type is refused with CODEC_ERROR', async () => {
    const s = setup();
    const room = await joined(s);
    expect(() => room.send(1.5, null)).toThrow(expect.objectContaining({ code: 'CODEC_ERROR' }));
    expect(() => room.send({} as unknown as string, null)).toThrow(expect.objectContaining({ code: 'CODEC_ERROR' }));
  });

  it('stats come from the connection', async () => {
    const s = setup();
    const room = await joined(s);
    room.send('a', 1);
    await advance(s.clock, 300);
    const stats = room.stats;
    expect(stats.bytesSent).toBeGreaterThan(0);
    expect(stats.bytesReceived).toBeGreaterThan(0);
    expect(stats.packetsReceived).toBeGreaterThan(0);
    expect(stats.reconnects).toBe(0);
    expect(typeof stats.rtt).toBe('number');
  });
});

describe('leaving', () => {
  it('leave() sends Leave, resolves on Left, emits leave(1000) once, and is idempotent', async () => {
    const s = setup();
    const room = await joined(s);
    const leaves: unknown[] = [];
    room.on('leave', (code, reason) => leaves.push([code, reason]));
    const a = room.leave();
    const b = room.leave();
    expect(room.state).toBe('leaving');
    await drive(s.clock, Promise.all([a, b]));
    expect(room.state).toBe('left');
    expect(leaves).toEqual([[1000, 'left']]);
    expect(s.server.last.received.at(-1)!.message).toEqual({ op: Op.Leave });
    await advance(s.clock, 50);
    await room.leave();
    expect(leaves).toHaveLength(1);
    expect(s.server.links[0]!.raw.closed).toBe(true);
  });

  it('send and relay after leave throw ClosedError (CLOSED)', async () => {
    const s = setup();
    const room = await joined(s);
    await drive(s.clock, room.leave());
    expect(() => room.send('x', 1)).toThrow(ClosedError);
    expect(() => room.relay(1)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('leave() resolves after leaveTimeout when the server never answers', async () => {
    const s = setup({ leaveTimeout: 500 });
    const room = await joined(s);
    s.server.last.handle = () => {};
    const leaves: unknown[] = [];
    room.on('leave', (code) => leaves.push(code));
    const t0 = s.clock.now();
    await drive(s.clock, room.leave());
    expect(s.clock.now() - t0).toBe(500);
    expect(leaves).toEqual([CloseCode.NORMAL]);
    await advance(s.clock, 5);
    expect(s.server.links[0]!.raw.closed).toBe(true);
  });

  it('a Left from the server (kick) ends the membership with its code', async () => {
    const s = setup();
    const room = await joined(s);
    const events: unknown[] = [];
    room.on('leave', (code, reason) => events.push(['leave', code, reason]));
    room.on('reconnecting', () => events.push('reconnecting'));
    s.server.last.send({ op: Op.Left, code: CloseCode.KICKED, reason: 'bye' });
    s.clock.setTimeout(() => s.server.last.disconnect(CloseCode.KICKED, 'bye'), 30);
    await advance(s.clock, 100);
    expect(events).toEqual([['leave', CloseCode.KICKED, 'bye']]);
    expect(room.state).toBe('left');
  });

  it('a Disconnect handshake packet ends the session for good: leave, no reconnect', async () => {
    const s = setup();
    const room = await joined(s);
    const events: unknown[] = [];
    room.on('leave', (code, reason) => events.push(['leave', code, reason]));
    room.on('reconnecting', () => events.push('reconnecting'));
    s.server.last.disconnect(CloseCode.SHUTDOWN, 'server shutting down');
    await advance(s.clock, 2000);
    expect(events).toEqual([['leave', CloseCode.SHUTDOWN, 'server shutting down']]);
    expect(s.server.links).toHaveLength(1);
  });
});

describe('listing', () => {
  it('getAvailableRooms sends List, returns the rooms, and closes its link with a Disconnect', async () => {
    const s = setup();
    const rooms = await drive(s.clock, s.client.getAvailableRooms('arena'));
    expect(rooms).toEqual([
      { roomId: 'room-1', name: 'arena', clients: 1, maxClients: 4, locked: false, metadata: { map: 'x' } },
    ]);
    expect(s.server.last.received[0]!.message).toEqual({ op: Op.List, requestId: 1, room: 'arena' });
    await advance(s.clock, 5);
    expect(s.server.links[0]!.raw.closed).toBe(true);
    expect(s.server.links[0]!.handshakes.at(-1)!.packet).toEqual({
      type: HandshakeType.Disconnect,
      code: CloseCode.NORMAL,
      reason: 'listing done',
    });
  });

  it('a RequestError to a listing rejects with SessionError', async () => {
    const s = setup();
    s.server.onSession = (session) => {
      session.handle = (m) => {
        if (m.op === Op.List)
          session.send({ op: Op.RequestError, requestId: m.requestId, code: 'INVALID_REQUEST', message: 'no' });
      };
    };
    await expect(drive(s.clock, s.client.getAvailableRooms())).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
