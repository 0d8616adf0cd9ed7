import {
  type ClientMessage,
  decodeClientMessage,
  decodeHandshake,
  decodeServerMessage,
  encodeClientMessage,
  encodeHandshake,
  encodeServerMessage,
  HANDSHAKE_PADDED_SIZE,
  type HandshakePacket,
  HandshakeType,
  isHandshakePacket,
  Op,
  PayloadCodec,
  readPacketHeader,
  type ServerMessage,
} from '@netplay/transport';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const codec = new PayloadCodec();
const bytesOf = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

describe('handshake packets', () => {
  const packets: HandshakePacket[] = [
    { type: HandshakeType.Connect, body: {} },
    { type: HandshakeType.Connect, body: { seat: 'seat.token', resume: 'r' } },
    { type: HandshakeType.Challenge, cookie: new Uint8Array([1, 2, 3]) },
    { type: HandshakeType.Response, cookie: new Uint8Array(16).fill(9), body: { resume: 'abc' } },
    { type: HandshakeType.Accept, resumed: true },
    { type: HandshakeType.Deny, code: 'ROOM_FULL', message: 'full' },
    { type: HandshakeType.Disconnect, code: 4000, reason: 'shutdown' },
  ];

  it.each(packets)('round-trips %o', (p) => {
    const bytes = encodeHandshake(p);
    expect(isHandshakePacket(bytes)).toBe(true);
    expect(decodeHandshake(bytes)).toEqual(p);
  });

  it('pads a Connect so a Challenge reply is never larger than the request', () => {
    const connect = encodeHandshake({ type: HandshakeType.Connect, body: {} }, HANDSHAKE_PADDED_SIZE);
    const challenge = encodeHandshake({ type: HandshakeType.Challenge, cookie: new Uint8Array(32) });
    expect(connect.length).toBe(HANDSHAKE_PADDED_SIZE);
    expect(challenge.length).toBeLessThan(connect.length);
    expect(decodeHandshake(connect)).toEqual({ type: HandshakeType.Connect, body: {} });
  });

  it('is never mistaken for a protocol-core packet, nor the reverse', () => {
    const bytes = encodeHandshake({ type: HandshakeType.Accept, resumed: false });
    expect(readPacketHeader(bytes, { type: 0, sequence: 0, hasAck: false, ack: 0, ackBits: 0 })).toBe(false);
    const core = new Uint8Array([0x4e, 0x20, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(isHandshakePacket(core)).toBe(false);
  });

  it('returns undefined for any malformed input, never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const out = decodeHandshake(bytes);
        if (out !== undefined) expect(isHandshakePacket(bytes)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    const ok = encodeHandshake({ type: HandshakeType.Deny, code: 'X', message: 'y' });
    for (let cut = 0; cut < ok.length; cut++) expect(decodeHandshake(ok.subarray(0, cut))).toBeUndefined();
    const wrongShape = ok.slice();
    wrongShape[1] = (wrongShape[1]! & 0xf0) | HandshakeType.Accept; // Deny body under an Accept type
    expect(decodeHandshake(wrongShape)).toBeUndefined();
  });
});

describe('room protocol', () => {
  const client: ClientMessage[] = [
    { op: Op.Join, requestId: 1, method: 'joinOrCreate', room: 'arena', options: { name: 'ana' } },
    { op: Op.List, requestId: 2, room: 'arena' },
    { op: Op.Message, type: 'move', payload: { x: 1 } },
    { op: Op.Message, type: 7, payload: new Uint8Array([1, 2]) },
    { op: Op.Relay, payload: { emote: 3 }, target: 'others' },
    { op: Op.Relay, payload: null, target: ['a', 'b'] },
    { op: Op.Leave },
    { op: Op.SendTo, to: 'n1.0.1.abc', payload: { hi: 1 } },
    { op: Op.SendTo, to: 's9', payload: new Uint8Array([7]) },
  ];
  it.each(client)('client message round-trips %o', (m) => {
    expect(decodeClientMessage(codec, encodeClientMessage(codec, m))).toEqual(m);
  });

  const server: ServerMessage[] = [
    {
      op: Op.Joined,
      requestId: 1,
      info: { roomId: 'r1', roomName: 'arena', sessionId: 's1', resumeToken: 't', peers: ['s0'], reconnectGrace: 20 },
    },
    { op: Op.RequestError, requestId: 1, code: 'ROOM_FULL', message: 'full' },
    {
      op: Op.RoomList,
      requestId: 2,
      rooms: [{ roomId: 'r', name: 'arena', clients: 1, maxClients: 8, locked: false, metadata: { map: 'x' } }],
    },
    { op: Op.Message, type: 'chat', payload: 'hi' },
    { op: Op.Relayed, from: 's2', payload: { hp: 9 } },
    { op: Op.PeerJoin, sessionId: 's3' },
    { op: Op.PeerLeave, sessionId: 's3' },
    { op: Op.Error, code: 'RATE_LIMITED', message: 'slow down' },
    { op: Op.Left, code: 4001, reason: 'kicked' },
    { op: Op.Redirect, requestId: 3, url: 'ws://127.0.0.1:7001', seat: 'tok' },
    { op: Op.Direct, from: 'n1.1.1.xyz', payload: { hi: 2 } },
  ];
  it.each(server)('server message round-trips %o', (m) => {
    expect(decodeServerMessage(codec, encodeServerMessage(codec, m))).toEqual(m);
  });

  it.each([
    [[99]],
    [[Op.Join, 'x', 'joinOrCreate', 'arena', {}]],
    [[Op.Join, 1, 'teleport', 'arena', {}]],
    [[Op.Join, 1, 'join', 'arena', [1]]],
    [[Op.Message, { no: 1 }, 1]],
    [[Op.Relay, 1, 'everyone']],
    [[Op.Relay, 1, [1, 2]]],
    [[Op.SendTo, 7, 'payload']],
    [[Op.SendTo]],
    ['not an array'],
  ])('refuses malformed client message %j with CODEC_ERROR', (value) => {
    expect(() => decodeClientMessage(codec, codec.encode(value))).toThrowError(
      expect.objectContaining({ code: 'CODEC_ERROR' }),
    );
  });

  it('numbers SendTo and Direct after every earlier op (never renumbered)', () => {
    expect(Op.SendTo).toBe(25);
    expect(Op.Direct).toBe(26);
    expect(bytesOf(encodeClientMessage(codec, { op: Op.SendTo, to: 's', payload: 1 }))).toBe('93 19 a1 73 01');
    expect(bytesOf(encodeServerMessage(codec, { op: Op.Direct, from: 's', payload: 1 }))).toBe('93 1a a1 73 01');
  });

  it('never throws anything but CODEC_ERROR on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        for (const decode of [decodeClientMessage, decodeServerMessage]) {
          try {
            decode(codec, bytes);
          } catch (e) {
            expect(e).toMatchObject({ code: 'CODEC_ERROR' });
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
