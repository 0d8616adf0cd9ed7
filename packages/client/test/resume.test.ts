/**
 * Link loss on virtual time: the UDP handshake under loss, reconnect with backoff, resume with no
 * reliable loss in either direction, resume refused, idle timeout, and sending while reconnecting.
 */
import { HandshakeType, type Link, LinkError, Op, type SimulatedLink, VirtualClock } from '@netplay/transport';
import { describe, expect, it, vi } from 'vitest';
import { Client, type ClientOptions, CloseCode, type Room, SessionError, SessionErrorCode } from '../src/index.js';
import { advance, drive, PADDED, ScriptedServer, type ScriptedServerOptions } from './scripted-server.js';

function setup(serverOptions: ScriptedServerOptions = {}, options: ClientOptions = {}, url = 'ws://game.test:2567') {
  const clock = new VirtualClock();
  const server = new ScriptedServer(clock, serverOptions);
  const logger = { warn: vi.fn(), error: vi.fn() };
  const ctx = { gate: server.connect as (url: string) => Promise<Link> };
  const client = new Client(url, {
    clock,
    connect: (u) => ctx.gate(u),
    logger,
    ...options,
    reconnect: { random: () => 0.5, ...options.reconnect },
  });
  return { clock, server, client, logger, ctx };
}

function record(room: Room): unknown[] {
  const events: unknown[] = [];
  room.on('reconnecting', () => events.push('reconnecting'));
  room.on('reconnected', () => events.push('reconnected'));
  room.on('leave', (code, reason) => events.push(['leave', code, reason]));
  room.on('error', (e) => events.push(['error', (e as SessionError).code]));
  return events;
}

describe('UDP handshake', () => {
  it('pads Connect and Response, and resends Connect when the Challenge is dropped', async () => {
    const s = setup(
      { udp: true, network: () => ({ toServer: {}, toClient: { dropIndices: [0] } }) },
      { handshakeResendInterval: 250 },
      'udp://127.0.0.1:2568',
    );
    const room = await drive(s.clock, s.client.joinOrCreate('arena'));
    expect(room.sessionId).toBe('s1');
    const hs = s.server.links[0]!.handshakes;
    expect(hs.map((h) => h.packet.type)).toEqual([
      HandshakeType.Connect,
      HandshakeType.Connect,
      HandshakeType.Response,
    ]);
    for (const h of hs) expect(h.size).toBeGreaterThanOrEqual(PADDED);
    expect(hs[2]!.packet).toMatchObject({ type: HandshakeType.Response, body: {} });
  });

  it('resends the Response when the Accept is lost, and ignores the duplicate Accept afterwards', async () => {
    // Server → client: Challenge (0) passes, Accept (1) is dropped.
    const s = setup(
      { udp: true, network: () => ({ toServer: {}, toClient: { dropIndices: [1] } }) },
      {},
      'udp://127.0.0.1:2568',
    );
    const room = await drive(s.clock, s.client.joinOrCreate('arena'));
    expect(room.state).toBe('joined');
    const types = s.server.links[0]!.handshakes.map((h) => h.packet.type);
    expect(types).toEqual([HandshakeType.Connect, HandshakeType.Response, HandshakeType.Response]);
    await advance(s.clock, 50);
    expect(s.server.sessions).toHaveLength(1);
    expect(s.server.last.received[0]!.message).toMatchObject({ op: Op.Join });
  });

  it('gives up with TIMEOUT when nothing answers, after resending every interval', async () => {
    const s = setup(
      { udp: true, network: () => ({ toServer: { loss: 1 }, toClient: {} }) },
      { handshakeTimeout: 1000, handshakeResendInterval: 250 },
      'udp://127.0.0.1:2568',
    );
    const error = await drive(s.clock, s.client.joinOrCreate('arena')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionError);
    expect(error).toMatchObject({ code: SessionErrorCode.TIMEOUT });
    expect(s.clock.now()).toBe(1000);
  });
});

/** Both ends send `n` numbered reliable messages, one per ms; the link dies at `killAt`. */
async function exchange(s: ReturnType<typeof setup>, n: number, killAt: number) {
  const room = await drive(s.clock, s.client.joinOrCreate('arena'));
  const events = record(room);
  const clientGot: number[] = [];
  room.onMessage('n', (p) => clientGot.push(p as number));
  await advance(s.clock, 1);
  const session = s.server.last;
  const serverGot = () =>
    session.received.flatMap((r) => (r.message.op === Op.Message && r.message.type === 'n' ? [r.message.payload] : []));
  let i = 0;
  const tick = () => {
    if (i >= n) return;
    if (room.state !== 'left') room.send('n', i);
    session.send({ op: Op.Message, type: 'n', payload: i });
    i++;
    s.clock.setTimeout(tick, 1);
  };
  tick();
  await advance(s.clock, killAt);
  s.server.links[0]!.raw.close('cable pulled');
  for (let t = 0; t < 30_000 && (clientGot.length < n || serverGot().length < n); t += 10)
    await advance(s.clock, 10, 10);
  return { room, events, clientGot, serverGot: serverGot() };
}

describe('resume', () => {
  const all = (n: number) => Array.from({ length: n }, (_, k) => k);

  it('resumes after the link is killed mid-stream with no reliable loss either way (200 each way)', async () => {
    const s = setup({ network: () => ({ toServer: { latency: 15 }, toClient: { latency: 15 } }) });
    const { room, events, clientGot, serverGot } = await exchange(s, 200, 100);
    expect(events).toEqual(['reconnecting', 'reconnected']);
    expect(clientGot).toEqual(all(200));
    expect(serverGot).toEqual(all(200));
    expect(room.stats.reconnects).toBe(1);
    expect(s.server.links).toHaveLength(2);
    expect(s.server.links[1]!.handshakes[0]!.packet).toEqual({
      type: HandshakeType.Connect,
      body: { resume: 'token-s1' },
    });
    expect(s.server.sessions).toHaveLength(1);
  });

  it('resumes over a lossy datagram network with no reliable loss either way', async () => {
    const net = { latency: 20, jitter: 5, loss: 0.05, duplicate: 0.02 };
    const s = setup({ udp: true, network: () => ({ toServer: net, toClient: net }) }, {}, 'udp://127.0.0.1:2568');
    const { events, clientGot, serverGot } = await exchange(s, 200, 100);
    expect(events).toEqual(['reconnecting', 'reconnected']);
    expect(clientGot).toEqual(all(200));
    expect(serverGot).toEqual(all(200));
  });

  it('a resume Deny (grace expired: INVALID_TOKEN) ends with an error and leave(TIMEOUT)', async () => {
    const s = setup();
    const room = await drive(s.clock, s.client.joinOrCreate('arena'));
    const events = record(room);
    s.server.onHandshake = (packet) =>
      packet.type === HandshakeType.Connect && packet.body.resume !== undefined
        ? { deny: { code: SessionErrorCode.INVALID_TOKEN, message: 'expired' } }
        : { accept: true };
    s.server.links[0]!.raw.close('cable pulled');
    await advance(s.clock, 1000, 10);
    expect(events).toEqual([
      'reconnecting',
      ['error', SessionErrorCode.INVALID_TOKEN],
      ['leave', CloseCode.TIMEOUT, 'session not resumed: expired'],
    ]);
    expect(room.state).toBe('left');
    expect(() => room.send('x', 1)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('reliable messages sent while reconnecting are delivered after the resume; unreliable ones are dropped', async () => {
    const s = setup();
    const room = await drive(s.clock, s.client.joinOrCreate('arena'));
    const events = record(room);
    s.server.links[0]!.raw.close('cable pulled');
    await advance(s.clock, 5);
    expect(room.state).toBe('reconnecting');
    room.send('r', 1);
    room.send('u', 2, { reliable: false });
    room.relay('r2');
    await advance(s.clock, 1000, 10);
    expect(events).toEqual(['reconnecting', 'reconnected']);
    const got = s.server.last.received.map((r) => r.message).filter((m) => m.op !== Op.Join);
    expect(got).toEqual([
      { op: Op.Message, type: 'r', payload: 1 },
      { op: Op.Relay, payload: 'r2', target: 'others' },
    ]);
    expect(room.stats.droppedWhileReconnecting).toBe(1);
  });

  it('detects a silent server after idleTimeout and resumes', async () => {
    const s = setup(
      { network: () => ({ toServer: {}, toClient: {} }) },
      { idleTimeout: 1000, reconnect: { initialDelay: 100 } },
    );
    const room = await drive(s.clock, s.client.joinOrCreate('arena'));
    const events = record(room);
    const t0 = s.clock.now();
    (s.server.links[0]!.raw as SimulatedLink).setConditions({ outbound: { loss: 1 } });
    let reconnectingAt = -1;
    room.on('reconnecting', () => {
      reconnectingAt = s.clock.now();
    });
    await advance(s.clock, 3000, 10);
    expect(reconnectingAt - t0).toBeGreaterThan(1000);
    expect(reconnectingAt - t0).toBeLessThanOrEqual(1000 + 250 + 250);
    expect(events).toEqual(['reconnecting', 'reconnected']);
    expect(s.logger.warn).toHaveBeenCalled();
  });

  it('with reconnect disabled, a dropped link ends the room with an error and leave(TIMEOUT)', async () => {
    const s = setup({}, { reconnect: { enabled: false } });
    const room = await drive(s.clock, s.client.joinOrCreate('arena'));
    const events = record(room);
    s.server.links[0]!.raw.close('cable pulled');
    await advance(s.clock, 1000, 10);
    expect(events).toEqual([
      ['error', SessionErrorCode.TIMEOUT],
      ['leave', CloseCode.TIMEOUT, 'connection lost: cable pulled'],
    ]);
    expect(s.server.links).toHaveLength(1);
  });

  it('leave() while reconnecting stops reconnecting and leaves at once', async () => {
    const s = setup();
    const room = await drive(s.clock, s.client.joinOrCreate('arena'));
    const events = record(room);
    s.server.links[0]!.raw.close('cable pulled');
    await advance(s.clock, 5);
    await room.leave();
    await advance(s.clock, 10_000, 100);
    expect(events).toEqual(['reconnecting', ['leave', CloseCode.NORMAL, 'left']]);
    expect(s.server.links).toHaveLength(1);
  });
});

describe('reconnect backoff', () => {
  it('retries with exponential delays capped at maxDelay, then gives up at the grace deadline', async () => {
    const s = setup({}, { reconnect: { initialDelay: 100, maxDelay: 1000, jitter: 0 } });
    const room = await drive(s.clock, s.client.joinOrCreate('arena'));
    const events = record(room);
    const attempts: number[] = [];
    let down = 0;
    s.ctx.gate = () => {
      attempts.push(s.clock.now() - down);
      return Promise.reject(new LinkError('connection refused'));
    };
    down = s.clock.now();
    s.server.links[0]!.raw.close('cable pulled');
    await advance(s.clock, 25_000, 10);
    // Grace is 20 s (scripted JoinedInfo): 100, 300, 700, 1500, 2500, … then one last try at 20 s.
    const gaps = attempts.map((t, i) => t - (attempts[i - 1] ?? 0));
    expect(gaps.slice(0, 6)).toEqual([100, 200, 400, 800, 1000, 1000].map((g) => expect.closeTo(g, -1)));
    expect(attempts.at(-1)).toBeLessThanOrEqual(20_010);
    expect(events.at(-1)).toEqual(['leave', CloseCode.TIMEOUT, expect.stringContaining('could not resume')]);
    expect(events).toContainEqual(['error', SessionErrorCode.TIMEOUT]);
  });

  it('stops after maxAttempts', async () => {
    const s = setup({}, { reconnect: { initialDelay: 100, maxDelay: 1000, jitter: 0, maxAttempts: 3 } });
    const room = await drive(s.clock, s.client.joinOrCreate('arena'));
    const events = record(room);
    let attempts = 0;
    s.ctx.gate = () => {
      attempts++;
      return Promise.reject(new LinkError('connection refused'));
    };
    s.server.links[0]!.raw.close('cable pulled');
    await advance(s.clock, 5000, 10);
    expect(attempts).toBe(3);
    expect(events.at(-1)).toEqual(['leave', CloseCode.TIMEOUT, expect.stringContaining('after 3 attempt(s)')]);
  });
});
