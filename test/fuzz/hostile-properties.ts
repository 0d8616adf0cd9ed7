/**
 * Hostile input at the server's entry points (and at the Node client's WebSocket framing), as
 * fast-check properties shared by `test/hostile-input.test.ts` (a few hundred cases in the normal
 * run) and `test/fuzz/hostile-long.ts` (`npm run fuzz`, `FUZZ_RUNS` cases each). Plain
 * `node:assert`, no test runner.
 *
 * Every property runs against a {@link Arena}: a server on a virtual clock with a victim session
 * that joined a room before the attack. After each case: nothing threw, memory-holding tables stay
 * within their limits, and the victim's session still relays.
 */
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { Room, Server } from '@netplay/server';
import {
  CodecError,
  createMemoryLinkPair,
  DefaultChannel,
  decodeClientMessage,
  encodeHandshake,
  HANDSHAKE_PADDED_SIZE,
  HandshakeType,
  type Link,
  Op,
  PayloadCodec,
  type ServerMessage,
  VirtualClock,
} from '@netplay/transport';
import { ClientWebSocketLink, EncryptedLink, SecureChannel, ServerWebSocketLink } from '@netplay/transport/node';
import fc from 'fast-check';
import { WireClient } from '../../packages/server/test/wire-client.js';
import {
  type ClientFrameOptions,
  clientFrame,
  concatBytes,
  serverFrame,
} from '../../packages/transport/test/ws-client-frames.js';

const quiet = { info() {}, warn() {}, error() {} };

class Lobby extends Room {
  override onCreate() {
    this.onMessage('echo', (client, payload) => client.send('echo', payload));
  }
}

const isRelayed = (m: ServerMessage): m is Extract<ServerMessage, { op: typeof Op.Relayed }> => m.op === Op.Relayed;

/** A server with a victim and a witness in one room, on a virtual clock. */
export class Arena {
  readonly clock = new VirtualClock();
  readonly server: Server;
  victim!: WireClient;
  witness!: WireClient;
  private probe = 0;

  constructor() {
    this.server = new Server({
      clock: this.clock,
      logger: quiet,
      maxPendingHandshakes: 64,
      maxPendingHandshakesPerAddress: 8,
      maxRooms: 50,
      handshakeTimeout: 500,
      payloadLimits: { maxDepth: 16, maxStrLength: 4096, maxBinLength: 4096, maxArrayLength: 2048, maxMapLength: 256 },
      floodBanSeconds: 0,
    });
    this.server.define('lobby', Lobby);
  }

  async setup(): Promise<this> {
    this.victim = await this.join('10.0.0.1', 'create');
    const roomId = this.server.stats.rooms === 1 ? [...this.roomIds()][0]! : '';
    this.witness = await this.join('10.0.0.2', 'joinById', roomId);
    return this;
  }

  private roomIds(): string[] {
    return this.server.getAvailableRooms('lobby').map((r) => r.roomId);
  }

  private async join(address: string, method: 'create' | 'joinById', room = 'lobby'): Promise<WireClient> {
    const c = new WireClient(this.server, this.clock, address);
    await c.handshake();
    c.send({ op: Op.Join, requestId: c.nextRequestId(), method, room, options: {} });
    await c.waitFor((m): m is Extract<ServerMessage, { op: typeof Op.Joined }> => m.op === Op.Joined);
    return c;
  }

  /** A fresh link to the server, as a WebSocket or a UDP peer. */
  rawLink(kind: 'websocket' | 'udp', address: string, port = 1): Link {
    const [client, serverSide] = createMemoryLinkPair({ clock: this.clock });
    client.setHandlers({ onDatagram: () => {} });
    this.server.acceptLink(serverSide, { kind, remoteAddress: address, remotePort: port });
    return client;
  }

  /** Let virtual time pass (timers fire synchronously). */
  advance(ms: number): void {
    this.clock.advance(ms);
  }

  /** The victim still relays to the witness, and memory-holding tables are within their limits. */
  async check(): Promise<void> {
    const stats = this.server.stats;
    assert.ok(stats.rooms <= 50, `rooms ${stats.rooms}`);
    assert.ok(stats.sessions <= 2 + 3 * 256 + 3000, `sessions ${stats.sessions}`); // attackers: 3 addresses × maxSessionsPerAddress, join storms
    const n = ++this.probe;
    this.victim.send({ op: Op.Relay, payload: `probe${n}`, target: 'others' });
    await this.witness.waitFor(
      (m): m is Extract<ServerMessage, { op: typeof Op.Relayed }> => isRelayed(m) && m.payload === `probe${n}`,
    );
    assert.equal(this.victim.closed, false, 'the victim lost its link');
  }
}

// ===================================================================================== generators

const codec = new PayloadCodec();

/** Valid handshake packets, then mutated: byte flips, truncation, extension, wrong padding. */
const handshakeDatagram = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc
    .record({
      type: fc.constantFrom(8, 9, 10, 11, 12, 13),
      seat: fc.option(fc.string({ maxLength: 3000 }), { nil: undefined }),
      resume: fc.option(fc.string({ maxLength: 3000 }), { nil: undefined }),
      cookie: fc.uint8Array({ maxLength: 80 }),
      pad: fc.constantFrom(0, 100, HANDSHAKE_PADDED_SIZE, 1200),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
    })
    .map((r) => {
      let bytes: Uint8Array;
      try {
        const body = {
          ...(r.seat === undefined ? {} : { seat: r.seat }),
          ...(r.resume === undefined ? {} : { resume: r.resume }),
        };
        bytes =
          r.type === HandshakeType.Connect
            ? encodeHandshake({ type: HandshakeType.Connect, body }, r.pad)
            : r.type === HandshakeType.Response
              ? encodeHandshake({ type: HandshakeType.Response, cookie: r.cookie.subarray(0, 64), body }, r.pad)
              : r.type === HandshakeType.Challenge
                ? encodeHandshake({ type: HandshakeType.Challenge, cookie: r.cookie.subarray(0, 64) })
                : r.type === HandshakeType.Deny
                  ? encodeHandshake({ type: HandshakeType.Deny, code: 'X', message: 'y' })
                  : encodeHandshake({ type: HandshakeType.Accept, resumed: false });
      } catch {
        bytes = new Uint8Array([0x4e, 0x20 | r.type, 0xff, 0xff]);
      }
      const out = new Uint8Array(bytes);
      for (const [at, x] of r.flips) if (out.length > 0) out[at % out.length]! ^= x;
      return r.cut === undefined ? out : out.subarray(0, r.cut % (out.length + 1));
    }),
);

/** A msgpack value of any shape, including nesting past the depth limit. */
const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.string({ maxLength: 40 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** Room-protocol messages: known and unknown ops with fields of any type, and huge relay target lists. */
const roomMessage = fc.oneof(
  fc
    .array(anyValue, { minLength: 0, maxLength: 6 })
    .chain((fields) => fc.integer({ min: -2, max: 40 }).map((op) => codec.encode([op, ...fields]))),
  fc
    .tuple(fc.integer({ min: 0, max: 5000 }), fc.string({ maxLength: 12 }))
    .map(([n, id]) => codec.encode([Op.Relay, 'x', Array.from({ length: n }, () => id)])),
  fc.uint8Array({ maxLength: 200 }),
);

/** Hostile msgpack bytes: deep nesting, declared lengths far beyond the bytes present. */
export const hostileMsgpack = fc.oneof(
  fc.integer({ min: 1, max: 100_000 }).map((depth) => new Uint8Array(depth).fill(0x91)),
  fc.integer({ min: 1, max: 100_000 }).map((depth) => {
    const b = new Uint8Array(depth * 2);
    for (let i = 0; i < depth; i++) {
      b[2 * i] = 0x81;
      b[2 * i + 1] = 0xa0;
    }
    return b;
  }),
  fc
    .constantFrom(0xdc, 0xdd, 0xde, 0xdf, 0xc5, 0xc6, 0xda, 0xdb, 0xc9)
    .chain((tag) =>
      fc
        .uint8Array({ minLength: 4, maxLength: 12 })
        .map((rest) => new Uint8Array([tag, 0xff, 0xff, 0xff, 0xff, ...rest])),
    ),
  fc.uint8Array({ maxLength: 100 }),
);

// ===================================================================================== properties

/** Garbage and mutated handshakes on new links (WebSocket and UDP): no throw, no session, bounded. */
export function handshakeProperty(arena: Arena) {
  let port = 10_000;
  return fc.asyncProperty(
    fc.array(
      fc.record({
        kind: fc.constantFrom<'websocket' | 'udp'>('websocket', 'udp'),
        address: fc.constantFrom('6.6.6.1', '6.6.6.2', '6.6.6.3'),
        datagrams: fc.array(handshakeDatagram, { minLength: 1, maxLength: 4 }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
    async (attacks) => {
      for (const a of attacks) {
        const link = arena.rawLink(a.kind, a.address, port++);
        for (const d of a.datagrams) link.send(d);
      }
      arena.advance(600); // past the handshake timeout: everything unfinished is gone
      await arena.check();
    },
  );
}

/** Random and malformed room-protocol messages from the victim itself: answered with errors, never fatal. */
export function roomProtocolProperty(arena: Arena) {
  return fc.asyncProperty(fc.array(roomMessage, { minLength: 1, maxLength: 10 }), async (messages) => {
    for (const bytes of messages) {
      try {
        decodeClientMessage(codec, bytes);
      } catch (error) {
        assert.ok(error instanceof CodecError, `decodeClientMessage threw ${String(error)}`);
      }
      // Never leave the room or join another by accident: skip well-formed Leave / Join.
      const head = bytes[0] === 0x91 || (bytes[0]! >= 0x92 && bytes[0]! <= 0x9f) ? bytes[1] : undefined;
      if (head === Op.Leave || head === Op.Join) continue;
      arena.victim.sendRaw(bytes, DefaultChannel.Reliable);
    }
    arena.advance(20);
    await arena.check();
  });
}

/** Hostile msgpack: the payload decoder refuses it with CodecError, quickly, and the session carries on. */
export function payloadDecoderProperty(arena: Arena) {
  const limited = new PayloadCodec({ maxDepth: 16, maxStrLength: 4096, maxArrayLength: 2048 });
  return fc.asyncProperty(hostileMsgpack, async (bytes) => {
    const started = performance.now();
    try {
      limited.decode(bytes);
    } catch (error) {
      assert.ok(error instanceof CodecError, `decode threw ${String(error)}`);
    }
    assert.ok(performance.now() - started < 250, 'decoding took too long');
    const framed = codec.encode([Op.Message, 'echo', null]);
    const hostile = new Uint8Array(framed.length - 1 + bytes.length);
    hostile.set(framed.subarray(0, framed.length - 1));
    hostile.set(bytes, framed.length - 1); // the payload field replaced by the hostile bytes
    if (hostile.length <= 16 * 1024) arena.victim.sendRaw(hostile, DefaultChannel.Reliable);
    arena.advance(20);
    await arena.check();
  });
}

/** Join storms: many sessions join unknown rooms, random ids, create past maxRooms, and list. */
export function matchmakingProperty(arena: Arena) {
  let n = 0;
  return fc.asyncProperty(
    fc.array(
      fc.record({
        method: fc.constantFrom('create', 'join', 'joinOrCreate', 'joinById'),
        room: fc.oneof(fc.constant('lobby'), fc.string({ maxLength: 200 })),
        list: fc.boolean(),
      }),
      { minLength: 1, maxLength: 12 },
    ),
    async (joins) => {
      const clients: WireClient[] = [];
      for (const j of joins) {
        const c = new WireClient(arena.server, arena.clock, `7.7.${n % 250}.${n++ % 250}`);
        clients.push(c);
        await c.handshake();
        if (c.peer === undefined) continue;
        if (j.list) c.send({ op: Op.List, requestId: c.nextRequestId(), room: j.room });
        c.send({
          op: Op.Join,
          requestId: c.nextRequestId(),
          method: j.method as 'create',
          room: j.room,
          options: {},
        });
      }
      arena.advance(50);
      for (const c of clients) c.peer?.close('done');
      for (const c of clients) c.dropLink();
      arena.advance(25_000); // past the grace period: their sessions and rooms are gone
      await arena.check();
    },
  );
}

/** Garbage at an encrypted UDP server link: nothing is ever delivered, nothing throws. */
export function encryptedLinkProperty() {
  const arena = new Arena();
  const channel = SecureChannel.forClient(arena.server.issueConnectToken());
  return fc.property(
    fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 400 }),
        fc.uint8Array({ maxLength: 300 }).map((b) => new Uint8Array([0x4e, 0x2e, ...b])),
        fc
          .tuple(fc.uint8Array({ minLength: 117, maxLength: 117 }), fc.uint8Array({ maxLength: 300 }))
          .map(([t, b]) => new Uint8Array([0x4e, 0x2f, ...t, ...b])),
        fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.nat()).map(([p, at]) => {
          // A genuine TokenConnect with one byte flipped.
          const [c, s] = createMemoryLinkPair({ clock: arena.clock });
          let sent: Uint8Array = new Uint8Array(0);
          s.setHandlers({
            onDatagram: (d) => {
              sent = d;
            },
          });
          new EncryptedLink(c, { role: 'client', channel }).send(
            encodeHandshake({ type: HandshakeType.Connect, body: {} }, HANDSHAKE_PADDED_SIZE),
          );
          arena.advance(1);
          const out = new Uint8Array(sent);
          if (out.length > 0) out[at % out.length]! ^= p[0] ?? 1;
          return out;
        }),
      ),
      { minLength: 1, maxLength: 6 },
    ),
    (datagrams) => {
      const [c, s] = createMemoryLinkPair({ clock: arena.clock });
      const delivered: Uint8Array[] = [];
      const link = new EncryptedLink(s, {
        role: 'server',
        resolve: () => undefined,
      });
      link.setHandlers({ onDatagram: (d) => delivered.push(d) });
      for (const d of datagrams) c.send(d);
      arena.advance(1);
      assert.equal(delivered.length, 0);
    },
  );
}

/** Limits of the WebSocket links under attack in {@link webSocketFramesProperty}. */
const WS_LIMITS = { maxMessageSize: 1024, maxPayload: 4096, closeTimeout: 5000 };

/** Builds one frame: `clientFrame` (masked by default) or `serverFrame` (unmasked by default). */
type FrameBuilder = typeof clientFrame;

/**
 * Frames a peer might send, built by `frame`: valid, fragmented, control, oversize, masked the
 * wrong way for the role (`wrongMask`), reserved bits, huge declared lengths.
 */
function hostileFrames(frame: FrameBuilder, wrongMask: ClientFrameOptions['mask']) {
  return fc.oneof(
    { weight: 8, arbitrary: fc.uint8Array({ maxLength: 64 }).map((payload) => frame(0x2, payload)) },
    {
      weight: 3,
      arbitrary: fc
        .array(fc.uint8Array({ maxLength: 300 }), { minLength: 2, maxLength: 4 })
        .map((parts) =>
          concatBytes(parts.map((part, i) => frame(i === 0 ? 0x2 : 0x0, part, { fin: i === parts.length - 1 }))),
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.integer({ min: 0, max: 15 }),
          fc.boolean(),
          fc.integer({ min: 0, max: 7 }),
          fc.uint8Array({ maxLength: 200 }),
        )
        .map(([opcode, fin, rsv, payload]) => frame(opcode, payload, { fin, rsv: rsv << 4 })),
    },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 64 }).map((payload) => frame(0x2, payload, { mask: wrongMask })),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 0, max: 2 ** 53 - 1 })
        .map((declaredLength) => frame(0x2, [1, 2, 3], { declaredLength })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1000, max: 5000 }).map((length) => frame(0x2, new Uint8Array(length))),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.nat(0xffff), fc.uint8Array({ maxLength: 130 }))
        .map(([code, reason]) => frame(0x8, [code >>> 8, code & 0xff, ...reason])),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(1000, 1001, 3000, 4999), fc.string({ maxLength: 40 }))
        .map(([code, reason]) => frame(0x8, [code >>> 8, code & 0xff, ...new TextEncoder().encode(reason)])),
    },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 125 }).map((payload) => frame(0x9, payload)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  );
}

/** Frames a client might send to the server (an unmasked one is the violation). */
const hostileFrame = hostileFrames(clientFrame, null);
/** Frames a server might send to a client (a masked one is the violation). */
const hostileServerFrame = hostileFrames(serverFrame, [0x12, 0x34, 0x56, 0x78]);

/** An in-process stand-in for an upgraded socket: what the link writes is kept, bytes arrive by `emit('data')`. */
function fakeSocket(): { socket: Duplex; written: Uint8Array[] } {
  const written: Uint8Array[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      written.push(new Uint8Array(chunk));
      callback();
    },
  });
  return { socket, written };
}

/**
 * Parse what a link wrote: final frames without RSV bits, masked by a client and never by a
 * server; at most one close frame, and nothing after it.
 */
function assertFrames(bytes: Uint8Array, masked: boolean): void {
  let at = 0;
  let closes = 0;
  while (at < bytes.length) {
    assert.equal(closes, 0, 'nothing after a close frame');
    assert.ok(bytes.length - at >= 2, 'truncated frame');
    const first = bytes[at]!;
    const second = bytes[at + 1]!;
    assert.equal(first & 0xf0, 0x80, 'frames are final, without RSV bits');
    assert.equal(
      second & 0x80,
      masked ? 0x80 : 0,
      masked ? 'client frames are masked' : 'server frames are not masked',
    );
    let length = second & 0x7f;
    let header = 2;
    if (length === 126) {
      length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
      header = 4;
    } else if (length === 127) {
      length = Number(new DataView(bytes.buffer, bytes.byteOffset + at + 2, 8).getBigUint64(0));
      header = 10;
    }
    if (masked) header += 4;
    if ((first & 0x0f) === 0x8) closes++;
    at += header + length;
  }
  assert.equal(at, bytes.length, 'frames end where the bytes end');
}

/** Feed `wire` to a link's socket cut at `cuts`, and check what it delivers, reports and writes back. */
function attack(
  link: ServerWebSocketLink | ClientWebSocketLink,
  socket: Duplex,
  written: Uint8Array[],
  wire: Uint8Array,
  cuts: number[],
): void {
  const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
  let delivered = 0;
  let closes = 0;
  link.setHandlers({
    onDatagram(datagram) {
      assert.equal(closes, 0, 'no datagram after the close');
      assert.ok(datagram.byteLength <= WS_LIMITS.maxMessageSize);
      delivered++;
    },
    onClose() {
      closes++;
    },
  });
  let from = 0;
  for (const point of [...points, wire.length]) {
    socket.emit('data', Buffer.from(wire.subarray(from, point)));
    from = point;
  }
  assert.ok(closes <= 1);
  assert.ok(link.stats.protocolViolations <= 1);
  assert.equal(link.stats.datagramsReceived, delivered);
  assertFrames(concatBytes(written), link instanceof ClientWebSocketLink);
  socket.destroy(); // its close event (next tick) clears a pending close timer
}

/**
 * Hostile bytes on a server WebSocket link (`ServerWebSocketLink`, the server's own RFC 6455
 * framing) over an in-process socket, cut into random chunks: nothing throws, no datagram over the
 * link's limit is delivered, nothing is delivered after the close, which is reported once, and what
 * the server writes back are well-formed server frames ending with at most one close frame.
 */
export function webSocketFramesProperty() {
  return fc.property(
    fc.array(hostileFrame, { minLength: 1, maxLength: 12 }),
    fc.array(fc.nat(), { maxLength: 12 }),
    (frames, cuts) => {
      const { socket, written } = fakeSocket();
      attack(new ServerWebSocketLink(socket, new Uint8Array(0), WS_LIMITS), socket, written, concatBytes(frames), cuts);
    },
  );
}

/**
 * Hostile bytes from a server on a client WebSocket link (`ClientWebSocketLink`, the Node client's
 * own framing, in the client role: a masked frame is the violation) over an in-process socket, cut
 * into random chunks: the same checks as {@link webSocketFramesProperty}, and what the client
 * writes back (pongs, its close frame) are well-formed masked frames.
 */
export function webSocketClientFramesProperty() {
  return fc.property(
    fc.array(hostileServerFrame, { minLength: 1, maxLength: 12 }),
    fc.array(fc.nat(), { maxLength: 12 }),
    (frames, cuts) => {
      const { socket, written } = fakeSocket();
      const link = new ClientWebSocketLink(socket, new Uint8Array(0), { ...WS_LIMITS, role: 'client' });
      attack(link, socket, written, concatBytes(frames), cuts);
    },
  );
}
