import { type RelayRequest, Room, type RoomClient, Server, SessionErrorCode } from '@netplay/server';
import { CloseCode, DefaultChannel, HandshakeType, Op, type ServerMessage, VirtualClock } from '@netplay/transport';
import { describe, expect, it } from 'vitest';
import { advance, isOp, quiet, WireClient } from './wire-client.js';

interface Log {
  events: string[];
  errors: unknown[];
}

function makeArena(log: Log) {
  return class Arena extends Room {
    override onCreate(options: Record<string, unknown>) {
      log.events.push(`create:${String(options.mode ?? '')}`);
      this.onMessage('echo', (client, payload) => client.send('echo', payload));
      this.onMessage('shout', (client, payload) => this.broadcast('shout', payload, { except: client }));
      this.onMessage('boom', () => {
        throw new Error('handler exploded');
      });
      this.onMessage(
        'num',
        (client, payload: number) => client.send('num', payload + 1),
        (p): p is number => typeof p === 'number',
      );
      this.onMessage('lock', () => this.lock());
      this.onMessage('private', () => this.setPrivate(true));
      this.onMessage('has', (client, id: string) => client.send('has', this.getClient(id) !== undefined));
      this.onMessage('end', () => void this.disconnect());
    }
    override onAuth(_client: RoomClient, options: Record<string, unknown>) {
      if (options.password === 'wrong') return false;
      return options.user ?? true;
    }
    override onJoin(client: RoomClient) {
      log.events.push(`join:${client.sessionId}`);
    }
    override onLeave(client: RoomClient, consented: boolean) {
      log.events.push(`leave:${client.sessionId}:${consented}`);
    }
    override onRelay(_client: RoomClient, relay: RelayRequest) {
      if (relay.payload === 'forbidden') return false;
      if (relay.payload === 'rude') return 'no rudeness here';
      if (relay.payload === 'rewrite-me') relay.payload = 'rewritten';
      return true;
    }
    override onDispose() {
      log.events.push('dispose');
    }
    override onError(error: unknown) {
      log.errors.push(error);
    }
  };
}

function setup(options: ConstructorParameters<typeof Server>[0] = {}, maxClients = 4) {
  const clock = new VirtualClock();
  const log: Log = { events: [], errors: [] };
  const server = new Server({ clock, logger: quiet, ...options });
  server.define('arena', makeArena(log), { maxClients });
  const connect = async (address?: string) => {
    const c = new WireClient(server, clock, address);
    const answer = await c.handshake();
    expect(answer.type).toBe(HandshakeType.Accept);
    return c;
  };
  return { clock, log, server, connect };
}

async function join(
  c: WireClient,
  method: 'create' | 'join' | 'joinOrCreate' | 'joinById',
  room: string,
  options = {},
) {
  const requestId = c.nextRequestId();
  c.send({ op: Op.Join, requestId, method, room, options });
  return await c.waitFor(
    (m): m is Extract<ServerMessage, { op: typeof Op.Joined | typeof Op.RequestError }> =>
      (m.op === Op.Joined || m.op === Op.RequestError) && m.requestId === requestId,
  );
}

async function joined(c: WireClient, method: Parameters<typeof join>[1], room: string, options = {}) {
  const r = await join(c, method, room, options);
  if (r.op !== Op.Joined) throw new Error(`join refused: ${r.code} ${r.message}`);
  return r.info;
}

describe('rooms and matchmaking', () => {
  it('creates a room, joins a second member into it, and tells the first', async () => {
    const { clock, log, connect } = setup();
    const a = await connect();
    const infoA = await joined(a, 'joinOrCreate', 'arena', { mode: 'duel' });
    expect(infoA.roomName).toBe('arena');
    expect(infoA.peers).toEqual([]);
    expect(infoA.resumeToken.length).toBeGreaterThan(10);
    const b = await connect();
    const infoB = await joined(b, 'joinOrCreate', 'arena');
    expect(infoB.roomId).toBe(infoA.roomId);
    expect(infoB.peers).toEqual([infoA.sessionId]);
    const peerJoin = await a.waitFor(isOp(Op.PeerJoin));
    expect(peerJoin.sessionId).toBe(infoB.sessionId);
    await advance(clock, 10);
    expect(log.events).toEqual(['create:duel', `join:${infoA.sessionId}`, `join:${infoB.sessionId}`]);
  });

  it('refuses unknown rooms, full rooms, locked rooms and failed auth with typed codes', async () => {
    const { connect } = setup({}, 2);
    const a = await connect();
    const info = await joined(a, 'create', 'arena');
    const unknown = await join(await connect(), 'join', 'nope');
    expect(unknown).toMatchObject({ op: Op.RequestError, code: SessionErrorCode.ROOM_NOT_FOUND });
    const noId = await join(await connect(), 'joinById', 'no-such-id');
    expect(noId).toMatchObject({ op: Op.RequestError, code: SessionErrorCode.ROOM_NOT_FOUND });
    const auth = await join(await connect(), 'joinById', info.roomId, { password: 'wrong' });
    expect(auth).toMatchObject({ op: Op.RequestError, code: SessionErrorCode.AUTH_FAILED });
    await joined(await connect(), 'joinById', info.roomId);
    const full = await join(await connect(), 'joinById', info.roomId);
    expect(full).toMatchObject({ op: Op.RequestError, code: SessionErrorCode.ROOM_FULL });
    a.send({ op: Op.Leave });
    await a.waitFor(isOp(Op.Left));
    const c = await connect();
    await joined(c, 'joinById', info.roomId);
    c.send({ op: Op.Message, type: 'lock', payload: null });
    await advance(c.clock, 50);
    const locked = await join(await connect(), 'joinById', info.roomId);
    // Full again too, but lock is checked first.
    expect(locked).toMatchObject({ op: Op.RequestError, code: SessionErrorCode.ROOM_LOCKED });
  });

  it('keeps private rooms out of listings and matchmaking but reachable by id', async () => {
    const { server, connect } = setup();
    const a = await connect();
    const info = await joined(a, 'create', 'arena');
    expect(server.getAvailableRooms('arena').map((r) => r.roomId)).toEqual([info.roomId]);
    a.send({ op: Op.Message, type: 'private', payload: null });
    await advance(a.clock, 50);
    expect(server.getAvailableRooms('arena')).toEqual([]);
    const b = await connect();
    const other = await joined(b, 'joinOrCreate', 'arena');
    expect(other.roomId).not.toBe(info.roomId);
    expect((await joined(await connect(), 'joinById', info.roomId)).roomId).toBe(info.roomId);
    const lister = await connect();
    const requestId = lister.nextRequestId();
    lister.send({ op: Op.List, requestId, room: 'arena' });
    const list = await lister.waitFor(isOp(Op.RoomList));
    expect(list.rooms.map((r) => r.roomId)).toEqual([other.roomId]);
    expect(list.rooms[0]).toMatchObject({ name: 'arena', clients: 1, maxClients: 4, locked: false });
  });

  it('never overfills a room or creates duplicates under concurrent joinOrCreate', async () => {
    const { clock, server, connect } = setup({}, 4);
    const clients: WireClient[] = [];
    for (let i = 0; i < 10; i++) clients.push(await connect());
    const ids = clients.map((c) => c.nextRequestId());
    // All ten requests are in flight at once.
    for (const [i, c] of clients.entries()) {
      c.send({ op: Op.Join, requestId: ids[i]!, method: 'joinOrCreate', room: 'arena', options: {} });
    }
    await clock.runUntilAsync(() => clients.every((c) => c.received.some((m) => m.op === Op.Joined)));
    const rooms = new Map<string, number>();
    for (const c of clients) {
      const info = (await c.waitFor(isOp(Op.Joined))).info;
      rooms.set(info.roomId, (rooms.get(info.roomId) ?? 0) + 1);
    }
    expect([...rooms.values()].sort()).toEqual([2, 4, 4]);
    expect(server.stats.rooms).toBe(3);
  });

  it('dispatches messages to handlers, validates payloads, and survives a throwing handler', async () => {
    const { log, connect } = setup();
    const a = await connect();
    await joined(a, 'create', 'arena');
    a.send({ op: Op.Message, type: 'echo', payload: { hello: [1, 2] } });
    expect(await a.waitFor(isOp(Op.Message))).toMatchObject({ type: 'echo', payload: { hello: [1, 2] } });
    a.send({ op: Op.Message, type: 'nobody', payload: 1 });
    expect((await a.waitFor(isOp(Op.Error))).code).toBe(SessionErrorCode.UNHANDLED_MESSAGE);
    a.received.length = 0;
    a.send({ op: Op.Message, type: 'num', payload: 'not a number' });
    expect((await a.waitFor(isOp(Op.Error))).code).toBe(SessionErrorCode.INVALID_REQUEST);
    a.received.length = 0;
    a.send({ op: Op.Message, type: 'boom', payload: null });
    expect((await a.waitFor(isOp(Op.Error))).code).toBe(SessionErrorCode.ROOM_ERROR);
    expect(log.errors).toHaveLength(1);
    a.received.length = 0;
    a.send({ op: Op.Message, type: 'num', payload: 41 });
    expect(await a.waitFor(isOp(Op.Message))).toMatchObject({ type: 'num', payload: 42 });
  });

  it('refuses room traffic before a join, and a second join, with INVALID_REQUEST', async () => {
    const { server, connect } = setup();
    const a = await connect();
    for (const message of [
      { op: Op.Message, type: 'echo', payload: 1 },
      { op: Op.Relay, payload: 1, target: 'others' },
      { op: Op.SendTo, to: 'anyone', payload: 1 },
    ] as const) {
      a.received.length = 0;
      a.send(message);
      expect(await a.waitFor(isOp(Op.Error))).toMatchObject({
        code: SessionErrorCode.INVALID_REQUEST,
        message: 'join a room first',
      });
    }
    expect(server.stats.matchmaker.badRequests).toBe(3);
    await joined(a, 'create', 'arena');
    expect(await join(a, 'joinOrCreate', 'arena')).toMatchObject({
      op: Op.RequestError,
      code: SessionErrorCode.INVALID_REQUEST,
      message: 'this session is already in a room',
    });
    expect(server.stats.rooms).toBe(1);
    a.received.length = 0;
    a.send({ op: Op.Message, type: 'echo', payload: 'still here' });
    expect((await a.waitFor(isOp(Op.Message))).payload).toBe('still here');
  });

  it('answers malformed messages with INVALID_REQUEST and keeps the session', async () => {
    const { server, connect } = setup();
    const a = await connect();
    await joined(a, 'create', 'arena');
    a.sendRaw(new Uint8Array([0xc1])); // never-used msgpack byte
    expect((await a.waitFor(isOp(Op.Error))).code).toBe(SessionErrorCode.INVALID_REQUEST);
    a.received.length = 0;
    a.sendRaw(a.codec.encode([99, 'unknown op']));
    expect((await a.waitFor(isOp(Op.Error))).code).toBe(SessionErrorCode.INVALID_REQUEST);
    a.received.length = 0;
    a.sendRaw(a.codec.encode([Op.Join, 'x', 7, null]));
    expect((await a.waitFor(isOp(Op.Error))).code).toBe(SessionErrorCode.INVALID_REQUEST);
    a.received.length = 0;
    a.send({ op: Op.Message, type: 'echo', payload: 'still here' });
    expect((await a.waitFor(isOp(Op.Message))).payload).toBe('still here');
    expect(server.stats.matchmaker.badRequests).toBe(3);
  });

  it('relays to others, to all, and to a list, on the channel it came on, through onRelay', async () => {
    const { connect } = setup();
    const a = await connect();
    const b = await connect();
    const c = await connect();
    const ia = await joined(a, 'joinOrCreate', 'arena');
    await joined(b, 'joinOrCreate', 'arena');
    const ic = await joined(c, 'joinOrCreate', 'arena');
    const relays = (w: WireClient) => w.of(Op.Relayed).map((m) => m.payload);
    a.send({ op: Op.Relay, payload: 'to-others', target: 'others' });
    a.send({ op: Op.Relay, payload: 'to-all', target: 'all' });
    a.send({ op: Op.Relay, payload: 'to-c', target: [ic.sessionId, 'ghost'] });
    a.send({ op: Op.Relay, payload: 'forbidden', target: 'others' });
    a.send({ op: Op.Relay, payload: 'rewrite-me', target: 'others' }, DefaultChannel.Unreliable);
    await c.clock.runUntilAsync(() => relays(c).length === 4 && relays(b).length === 3 && relays(a).length === 1);
    expect(relays(a)).toEqual(['to-all']);
    // Reliable relays keep their order; the unreliable one rides its own channel.
    const reliableOnly = (w: WireClient) => relays(w).filter((p) => p !== 'rewritten');
    expect(reliableOnly(b)).toEqual(['to-others', 'to-all']);
    expect(reliableOnly(c)).toEqual(['to-others', 'to-all', 'to-c']);
    expect(relays(b)).toContain('rewritten');
    expect(relays(c)).toContain('rewritten');
    expect(c.of(Op.Relayed).every((m) => m.from === ia.sessionId)).toBe(true);
    expect((await a.waitFor(isOp(Op.Error))).code).toBe(SessionErrorCode.INVALID_REQUEST);
    a.received.length = 0;
    a.send({ op: Op.Relay, payload: 'rude', target: 'others' });
    expect(await a.waitFor(isOp(Op.Error))).toMatchObject({
      code: SessionErrorCode.INVALID_REQUEST,
      message: 'no rudeness here',
    });
    expect(relays(b)).not.toContain('rude');
  });

  it('finds members past the scan limit by id: relays to a list, getClient, a leave', async () => {
    // Rooms scan up to 16 members and keep a map from session id past that (room-runtime.ts).
    const { clock, connect } = setup({}, 20);
    const clients: WireClient[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 18; i++) {
      const c = await connect();
      clients.push(c);
      ids.push((await joined(c, 'joinOrCreate', 'arena')).sessionId);
    }
    const [first] = clients;
    const last = clients[17]!;
    const relays = (w: WireClient) => w.of(Op.Relayed).map((m) => m.payload);
    first!.send({ op: Op.Relay, payload: 'listed', target: [ids[17]!, ids[3]!, 'ghost'] });
    await clock.runUntilAsync(() => relays(last).length === 1 && relays(clients[3]!).length === 1);
    expect(clients.filter((c) => relays(c).includes('listed')).length).toBe(2);
    const has = async (id: string) => {
      first!.received.length = 0;
      first!.send({ op: Op.Message, type: 'has', payload: id });
      return (await first!.waitFor(isOp(Op.Message))).payload;
    };
    expect(await has(ids[17]!)).toBe(true);
    last.send({ op: Op.Leave });
    expect((await first!.waitFor(isOp(Op.PeerLeave))).sessionId).toBe(ids[17]);
    expect(await has(ids[17]!)).toBe(false);
    expect(await has(ids[16]!)).toBe(true);
    // A relay to the member who left reaches nobody; the others still get theirs.
    first!.send({ op: Op.Relay, payload: 'after', target: [ids[17]!, ids[16]!] });
    await clock.runUntilAsync(() => relays(clients[16]!).includes('after'));
    expect(relays(last)).toEqual(['listed']);
  });

  it('leaves with consent, tells the others, and disposes the empty room', async () => {
    const { clock, log, server, connect } = setup();
    const a = await connect();
    const b = await connect();
    const ia = await joined(a, 'joinOrCreate', 'arena');
    const ib = await joined(b, 'joinOrCreate', 'arena');
    a.send({ op: Op.Leave });
    expect(await a.waitFor(isOp(Op.Left))).toMatchObject({ code: CloseCode.NORMAL });
    expect((await b.waitFor(isOp(Op.PeerLeave))).sessionId).toBe(ia.sessionId);
    await clock.runUntilAsync(() => a.closed);
    expect(a.closed).toBe(true);
    b.send({ op: Op.Leave });
    await b.waitFor(isOp(Op.Left));
    await clock.runUntilAsync(() => server.stats.rooms === 0 && server.stats.sessions === 0);
    expect(log.events.slice(-3)).toEqual([`leave:${ia.sessionId}:true`, `leave:${ib.sessionId}:true`, 'dispose']);
    expect(server.stats.sessions).toBe(0);
  });

  it('runs a fixed-rate tick on the server clock', async () => {
    const clock = new VirtualClock();
    const server = new Server({ clock, logger: quiet });
    const ticks: number[] = [];
    server.define(
      'ticker',
      class extends Room {
        override onCreate() {
          this.setTick(20, (dt) => ticks.push(dt));
        }
      },
    );
    const a = new WireClient(server, clock);
    await a.handshake();
    await joined(a, 'create', 'ticker');
    await advance(clock, 1000);
    expect(ticks.length).toBeGreaterThanOrEqual(19);
    expect(ticks.length).toBeLessThanOrEqual(21);
    for (const dt of ticks.slice(1)) expect(dt).toBeCloseTo(0.05, 5);
  });

  it('rate-limits a chatty session, then disconnects a flooding one', async () => {
    const { connect, server } = setup({ rateLimit: { messagesPerSecond: 10, burstSeconds: 1, floodFactor: 5 } });
    const a = await connect();
    const b = await connect();
    await joined(a, 'joinOrCreate', 'arena');
    await joined(b, 'joinOrCreate', 'arena');
    for (let i = 0; i < 15; i++) a.send({ op: Op.Relay, payload: i, target: 'others' });
    await a.waitFor(isOp(Op.Error));
    expect(a.of(Op.Error).map((e) => e.code)).toEqual([SessionErrorCode.RATE_LIMITED]);
    await advance(b.clock, 100);
    expect(b.of(Op.Relayed)).toHaveLength(10);
    for (let i = 0; i < 100; i++) a.send({ op: Op.Relay, payload: i, target: 'others' });
    expect((await a.waitFor(isOp(Op.Left))).code).toBe(CloseCode.FLOODING);
    expect(await b.waitFor(isOp(Op.PeerLeave))).toBeDefined();
    expect(server.stats.matchmaker.sessionsFlooding).toBe(1);
    // The other member carries on.
    b.send({ op: Op.Message, type: 'echo', payload: 'ok' });
    expect((await b.waitFor(isOp(Op.Message))).payload).toBe('ok');
  });

  it('a room disposed with members in it runs onDispose once (its last member leaving does not dispose it again)', async () => {
    const { clock, log, connect } = setup();
    const a = await connect();
    await joined(a, 'create', 'arena');
    const b = await connect();
    await joined(b, 'joinOrCreate', 'arena');
    a.send({ op: Op.Message, type: 'end', payload: null });
    await clock.runUntilAsync(() => a.closed && b.closed);
    await advance(clock, 10);
    expect(a.of(Op.Left)[0]?.code).toBe(CloseCode.ROOM_DISPOSED);
    expect(log.events.filter((e) => e === 'dispose')).toEqual(['dispose']);
  });

  it('shuts down gracefully: members hear SHUTDOWN, rooms dispose, new sessions are refused', async () => {
    const { clock, log, server, connect } = setup();
    const a = await connect();
    await joined(a, 'create', 'arena');
    const done = server.shutdown();
    await clock.runUntilAsync(() => a.closed);
    await done;
    expect(a.of(Op.Left)[0]?.code).toBe(CloseCode.SHUTDOWN);
    expect(log.events.filter((e) => e === 'dispose')).toEqual(['dispose']);
    expect(server.state).toBe('closed');
    const late = new WireClient(server, clock);
    await clock.runUntilAsync(() => late.closed);
    expect(late.closed).toBe(true);
  });
});
