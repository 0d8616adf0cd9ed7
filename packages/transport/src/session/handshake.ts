/**
 * Session handshake packets: the datagrams exchanged on a new link before the protocol core starts
 * (packet types 8–13 of the header's type field; see docs/protocol.md).
 *
 * ```
 * 0      protocol id 0x4E
 * 1      version:3 | 0 | type:4        (type 8–13)
 * 2..3   body length (u16 big-endian)
 * 4..    msgpack body, then zero padding (Connect and Response over UDP are padded so that no
 *        reply is larger than its request: no amplification)
 * ```
 * Over UDP: Connect → Challenge (a stateless cookie bound to the sender's address) → Response
 * (echoes the cookie) → Accept | Deny. A spoofed source address never sees the cookie, so it gets
 * nothing but a challenge no larger than what it sent. Over WebSocket: Connect → Accept | Deny.
 * @module
 */
import { CodecError } from '../errors.js';
import { PayloadCodec } from '../message/payload-codec.js';
import { PROTOCOL_ID, PROTOCOL_VERSION } from '../packet/packet-header.js';

/** Handshake packet types. */
export const HandshakeType = {
  /** Client → server: open a session (a seat token to join directly, or a resume token). */
  Connect: 8,
  /** Server → client (UDP): prove you own your address by echoing this cookie. */
  Challenge: 9,
  /** Client → server (UDP): the Connect body again, with the cookie. */
  Response: 10,
  /** Server → client: session open. */
  Accept: 11,
  /** Server → client: refused, with a session error code. */
  Deny: 12,
  /** Either way, after the handshake: the link is closing, with a close code (best effort). */
  Disconnect: 13,
} as const;

/** Body of Connect (and, with the cookie, of Response). */
export interface ConnectBody {
  /** Signed seat token from a matchmaker redirect: join that room directly. */
  seat?: string;
  /** Resume token of a session that lost its link. */
  resume?: string;
}

/** A decoded handshake packet. */
export type HandshakePacket =
  | { type: typeof HandshakeType.Connect; body: ConnectBody }
  | { type: typeof HandshakeType.Challenge; cookie: Uint8Array }
  | { type: typeof HandshakeType.Response; cookie: Uint8Array; body: ConnectBody }
  | { type: typeof HandshakeType.Accept; resumed: boolean }
  | { type: typeof HandshakeType.Deny; code: string; message: string }
  | { type: typeof HandshakeType.Disconnect; code: number; reason: string };

/** Size a UDP Connect/Response is padded to, so that no reply exceeds a request. */
export const HANDSHAKE_PADDED_SIZE = 320;
const PREFIX = 4;
const TOKEN_LIMIT = 2048;

const codec = new PayloadCodec({
  maxStrLength: TOKEN_LIMIT,
  maxBinLength: 64,
  maxArrayLength: 8,
  maxMapLength: 8,
  maxDepth: 2,
});

/** `true` when `datagram` is a Netplay handshake packet (types 8–13), as opposed to a protocol-core packet. */
export function isHandshakePacket(datagram: Uint8Array): boolean {
  if (datagram.length < PREFIX || datagram[0] !== PROTOCOL_ID) return false;
  const b1 = datagram[1]!;
  const type = b1 & 0x0f;
  return (
    b1 >> 5 === PROTOCOL_VERSION &&
    (b1 & 0x10) === 0 &&
    type >= HandshakeType.Connect &&
    type <= HandshakeType.Disconnect
  );
}

/** Encode a handshake packet, zero-padded to at least `padTo` bytes. */
export function encodeHandshake(packet: HandshakePacket, padTo = 0): Uint8Array {
  let fields: unknown[];
  switch (packet.type) {
    case HandshakeType.Connect:
      fields = [packet.body.seat ?? null, packet.body.resume ?? null];
      break;
    case HandshakeType.Challenge:
      fields = [packet.cookie];
      break;
    case HandshakeType.Response:
      fields = [packet.body.seat ?? null, packet.body.resume ?? null, packet.cookie];
      break;
    case HandshakeType.Accept:
      fields = [packet.resumed];
      break;
    case HandshakeType.Deny:
      fields = [packet.code, packet.message];
      break;
    case HandshakeType.Disconnect:
      fields = [packet.code, packet.reason];
      break;
  }
  const body = codec.encodeSharedRef(fields);
  const out = new Uint8Array(Math.max(padTo, PREFIX + body.length));
  out[0] = PROTOCOL_ID;
  out[1] = (PROTOCOL_VERSION << 5) | packet.type;
  out[2] = body.length >> 8;
  out[3] = body.length & 0xff;
  out.set(body, PREFIX);
  return out;
}

const optionalString = (v: unknown): string | undefined => {
  if (v === null) return undefined;
  if (typeof v !== 'string') throw new CodecError('expected a string or nil');
  return v;
};

/**
 * Decode a handshake packet; `undefined` when it is not one or is malformed (callers drop and count
 * it). Never throws.
 */
export function decodeHandshake(datagram: Uint8Array): HandshakePacket | undefined {
  if (!isHandshakePacket(datagram)) return undefined;
  const length = (datagram[2]! << 8) | datagram[3]!;
  if (PREFIX + length > datagram.length) return undefined;
  try {
    const f = codec.decode(datagram.subarray(PREFIX, PREFIX + length));
    if (!Array.isArray(f)) return undefined;
    const type = datagram[1]! & 0x0f;
    switch (type) {
      case HandshakeType.Connect:
        if (f.length !== 2) return undefined;
        return { type, body: connectBody(f[0], f[1]) };
      case HandshakeType.Challenge:
        if (f.length !== 1 || !(f[0] instanceof Uint8Array)) return undefined;
        return { type, cookie: f[0].slice() };
      case HandshakeType.Response:
        if (f.length !== 3 || !(f[2] instanceof Uint8Array)) return undefined;
        return { type, body: connectBody(f[0], f[1]), cookie: f[2].slice() };
      case HandshakeType.Accept:
        if (f.length !== 1 || typeof f[0] !== 'boolean') return undefined;
        return { type, resumed: f[0] };
      case HandshakeType.Deny:
        if (f.length !== 2 || typeof f[0] !== 'string' || typeof f[1] !== 'string') return undefined;
        return { type, code: f[0], message: f[1] };
      case HandshakeType.Disconnect:
        if (f.length !== 2 || !Number.isInteger(f[0]) || typeof f[1] !== 'string') return undefined;
        return { type, code: f[0] as number, reason: f[1] };
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

function connectBody(seat: unknown, resume: unknown): ConnectBody {
  const body: ConnectBody = {};
  const s = optionalString(seat);
  const r = optionalString(resume);
  if (s !== undefined) body.seat = s;
  if (r !== undefined) body.resume = r;
  return body;
}
