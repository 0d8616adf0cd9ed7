/**
 * Room protocol: the control and application messages a session carries once its handshake is done,
 * each one msgpack array `[op, ...fields]` in one channel message. Shared by server and client.
 *
 * Channels (the connection's {@link DEFAULT_CHANNELS}): control messages, reliable app messages and
 * reliable relays go on the reliable-ordered channel; `send(..., { reliable: false })` on the
 * unreliable-sequenced one; unreliable relays on the unreliable one.
 * @module
 */
import { DefaultChannel } from '../channel/channel-config.js';
import { CodecError } from '../errors.js';
import { skipValidValue } from '../message/msgpack-scan.js';
import type { PayloadCodec } from '../message/payload-codec.js';
import { isMessageType, type MessageType } from '../message/typed-message.js';

/** Operation codes (first element of every room-protocol message). */
export const Op = {
  // client → server
  /** `[1, requestId, method, room, options]`: create / join / joinOrCreate a room by name, or joinById. */
  Join: 1,
  /** `[2, requestId, roomName]`: list joinable rooms. */
  List: 2,
  /** `[3, type, payload]`: an application message (both directions). */
  Message: 3,
  /** `[4, payload, target]`: relay to other members through the server. */
  Relay: 4,
  /** `[5]`: leave the room (consented). */
  Leave: 5,
  // server → client
  /** `[16, requestId, info]`: joined. */
  Joined: 16,
  /** `[17, requestId, code, message]`: a request was refused. */
  RequestError: 17,
  /** `[18, requestId, rooms]`: the room listing. */
  RoomList: 18,
  /** `[19, fromSessionId, payload]`: a relayed message. */
  Relayed: 19,
  /** `[20, sessionId]`: a member joined. */
  PeerJoin: 20,
  /** `[21, sessionId]`: a member left. */
  PeerLeave: 21,
  /** `[22, code, message]`: an error about something this session did (the session carries on). */
  Error: 22,
  /** `[23, closeCode, reason]`: the server ends this membership; the link closes after it. */
  Left: 23,
  /** `[24, requestId, url, seat]`: join by connecting to `url` with seat token `seat` (cluster mode). */
  Redirect: 24,
  // added later (never renumber the ones above)
  /** `[25, toSessionId, payload]` client → server: a direct message to one session, wherever it is hosted. */
  SendTo: 25,
  /** `[26, fromSessionId, payload]` server → client: a direct message from another session. */
  Direct: 26,
} as const;

/** How a client asks for a room. */
export type JoinMethod = 'create' | 'join' | 'joinOrCreate' | 'joinById';
const JOIN_METHODS: readonly string[] = ['create', 'join', 'joinOrCreate', 'joinById'];

/** Who receives a relay: every other member (default), every member including the sender, or a list of session ids. */
export type RelayTarget = 'others' | 'all' | readonly string[];

/** What a client learns when it joins. */
export interface JoinedInfo {
  /** Id of the room joined. */
  readonly roomId: string;
  /** Name of the room type (as given to `server.define`). */
  readonly roomName: string;
  /** This membership's session id (what other members see as the relay sender). */
  readonly sessionId: string;
  /** Secret that lets this client resume the session on a new link within the grace period. */
  readonly resumeToken: string;
  /** Session ids of the other members at join time. */
  readonly peers: readonly string[];
  /** Seconds the server keeps the session after its link drops. */
  readonly reconnectGrace: number;
}

/** A room as listed by `getAvailableRooms`. */
export interface RoomListing {
  readonly roomId: string;
  readonly name: string;
  readonly clients: number;
  readonly maxClients: number;
  readonly locked: boolean;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** A message from client to server. */
export type ClientMessage =
  | {
      op: typeof Op.Join;
      requestId: number;
      method: JoinMethod;
      room: string;
      options: Record<string, unknown>;
    }
  | { op: typeof Op.List; requestId: number; room: string }
  | { op: typeof Op.Message; type: MessageType; payload: unknown }
  | {
      op: typeof Op.Relay;
      payload: unknown;
      target: RelayTarget;
      /**
       * Set when the message came through {@link scanRelay}: the payload's msgpack bytes, validated
       * under the codec's limits, so a relay can forward them with {@link encodeRelayedRaw} instead
       * of re-encoding `payload` (which is then decoded only if read).
       */
      payloadBytes?: Uint8Array;
    }
  | { op: typeof Op.Leave }
  | { op: typeof Op.SendTo; to: string; payload: unknown };

/** A message from server to client. */
export type ServerMessage =
  | { op: typeof Op.Joined; requestId: number; info: JoinedInfo }
  | { op: typeof Op.RequestError; requestId: number; code: string; message: string }
  | { op: typeof Op.RoomList; requestId: number; rooms: RoomListing[] }
  | { op: typeof Op.Message; type: MessageType; payload: unknown }
  | { op: typeof Op.Relayed; from: string; payload: unknown }
  | { op: typeof Op.PeerJoin; sessionId: string }
  | { op: typeof Op.PeerLeave; sessionId: string }
  | { op: typeof Op.Error; code: string; message: string }
  | { op: typeof Op.Left; code: number; reason: string }
  | { op: typeof Op.Redirect; requestId: number; url: string; seat: string }
  | { op: typeof Op.Direct; from: string; payload: unknown };

/** Channel for an app message or relay. */
export function channelFor(kind: 'message' | 'relay', reliable: boolean): number {
  if (reliable) return DefaultChannel.Reliable;
  return kind === 'message' ? DefaultChannel.Sequenced : DefaultChannel.Unreliable;
}

/** Encode a client → server message. */
export function encodeClientMessage(codec: PayloadCodec, m: ClientMessage): Uint8Array {
  switch (m.op) {
    case Op.Join:
      return codec.encode([m.op, m.requestId, m.method, m.room, m.options]);
    case Op.List:
      return codec.encode([m.op, m.requestId, m.room]);
    case Op.Message:
      return codec.encode([m.op, m.type, m.payload]);
    case Op.Relay:
      return codec.encode([m.op, m.payload, m.target]);
    case Op.Leave:
      return codec.encode([m.op]);
    case Op.SendTo:
      return codec.encode([m.op, m.to, m.payload]);
  }
}

/** Encode a server → client message. */
export function encodeServerMessage(codec: PayloadCodec, m: ServerMessage): Uint8Array {
  switch (m.op) {
    case Op.Joined:
      return codec.encode([m.op, m.requestId, m.info]);
    case Op.RequestError:
      return codec.encode([m.op, m.requestId, m.code, m.message]);
    case Op.RoomList:
      return codec.encode([m.op, m.requestId, m.rooms]);
    case Op.Message:
      return codec.encode([m.op, m.type, m.payload]);
    case Op.Relayed:
      return codec.encode([m.op, m.from, m.payload]);
    case Op.PeerJoin:
    case Op.PeerLeave:
      return codec.encode([m.op, m.sessionId]);
    case Op.Error:
      return codec.encode([m.op, m.code, m.message]);
    case Op.Left:
      return codec.encode([m.op, m.code, m.reason]);
    case Op.Redirect:
      return codec.encode([m.op, m.requestId, m.url, m.seat]);
    case Op.Direct:
      return codec.encode([m.op, m.from, m.payload]);
  }
}

const fail = (what: string): never => {
  throw new CodecError(`malformed room-protocol message: ${what}`);
};
const str = (v: unknown, what: string): string => (typeof v === 'string' ? v : fail(`${what} must be a string`));
const int = (v: unknown, what: string): number =>
  Number.isSafeInteger(v) ? (v as number) : fail(`${what} must be an integer`);
const record = (v: unknown, what: string): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
    ? (v as Record<string, unknown>)
    : fail(`${what} must be a map`);

function fields(codec: PayloadCodec, bytes: Uint8Array, min: number): unknown[] {
  const v = codec.decode(bytes);
  if (!Array.isArray(v) || v.length < min) fail('expected an array');
  return v as unknown[];
}

function relayTarget(v: unknown): RelayTarget {
  if (v === 'others' || v === 'all') return v;
  if (Array.isArray(v) && v.length <= 1024 && v.every((s) => typeof s === 'string')) return v as string[];
  return fail('relay target must be "others", "all" or a list of session ids');
}

/**
 * Decode and validate a client → server message. Throws {@link CodecError} on malformed input
 * (the server answers with an error and carries on).
 */
export function decodeClientMessage(codec: PayloadCodec, bytes: Uint8Array): ClientMessage {
  const f = fields(codec, bytes, 1);
  const op = f[0];
  switch (op) {
    case Op.Join: {
      const method = str(f[2], 'method');
      if (!JOIN_METHODS.includes(method)) fail(`unknown join method ${method}`);
      return {
        op,
        requestId: int(f[1], 'requestId'),
        method: method as JoinMethod,
        room: str(f[3], 'room'),
        options: f[4] === undefined || f[4] === null ? {} : record(f[4], 'options'),
      };
    }
    case Op.List:
      return { op, requestId: int(f[1], 'requestId'), room: str(f[2], 'room') };
    case Op.Message:
      if (!isMessageType(f[1])) fail('message type must be a string or an integer');
      return { op, type: f[1] as MessageType, payload: f[2] ?? null };
    case Op.Relay:
      return { op, payload: f[1] ?? null, target: f[2] === undefined || f[2] === null ? 'others' : relayTarget(f[2]) };
    case Op.Leave:
      return { op };
    case Op.SendTo:
      return { op, to: str(f[1], 'to'), payload: f[2] ?? null };
    default:
      return fail(`unknown client op ${String(op)}`);
  }
}

function joinedInfo(v: unknown): JoinedInfo {
  const r = record(v, 'info');
  const peers = r.peers;
  if (!Array.isArray(peers) || !peers.every((p) => typeof p === 'string')) fail('peers must be a list of strings');
  return {
    roomId: str(r.roomId, 'roomId'),
    roomName: str(r.roomName, 'roomName'),
    sessionId: str(r.sessionId, 'sessionId'),
    resumeToken: str(r.resumeToken, 'resumeToken'),
    peers: peers as string[],
    reconnectGrace: typeof r.reconnectGrace === 'number' ? r.reconnectGrace : fail('reconnectGrace'),
  };
}

function roomListing(v: unknown): RoomListing {
  const r = record(v, 'room');
  return {
    roomId: str(r.roomId, 'roomId'),
    name: str(r.name, 'name'),
    clients: int(r.clients, 'clients'),
    maxClients: int(r.maxClients, 'maxClients'),
    locked: r.locked === true,
    metadata: r.metadata === undefined || r.metadata === null ? {} : record(r.metadata, 'metadata'),
  };
}

/** Decode and validate a server → client message. Throws {@link CodecError} on malformed input. */
export function decodeServerMessage(codec: PayloadCodec, bytes: Uint8Array): ServerMessage {
  const f = fields(codec, bytes, 1);
  const op = f[0];
  switch (op) {
    case Op.Joined:
      return { op, requestId: int(f[1], 'requestId'), info: joinedInfo(f[2]) };
    case Op.RequestError:
      return { op, requestId: int(f[1], 'requestId'), code: str(f[2], 'code'), message: str(f[3], 'message') };
    case Op.RoomList: {
      if (!Array.isArray(f[2])) fail('rooms must be a list');
      return { op, requestId: int(f[1], 'requestId'), rooms: (f[2] as unknown[]).map(roomListing) };
    }
    case Op.Message:
      if (!isMessageType(f[1])) fail('message type must be a string or an integer');
      return { op, type: f[1] as MessageType, payload: f[2] ?? null };
    case Op.Relayed:
      return { op, from: str(f[1], 'from'), payload: f[2] ?? null };
    case Op.PeerJoin:
    case Op.PeerLeave:
      return { op, sessionId: str(f[1], 'sessionId') };
    case Op.Error:
      return { op, code: str(f[1], 'code'), message: str(f[2], 'message') };
    case Op.Left:
      return { op, code: int(f[1], 'code'), reason: str(f[2], 'reason') };
    case Op.Redirect:
      return { op, requestId: int(f[1], 'requestId'), url: str(f[2], 'url'), seat: str(f[3], 'seat') };
    case Op.Direct:
      return { op, from: str(f[1], 'from'), payload: f[2] ?? null };
    default:
      return fail(`unknown server op ${String(op)}`);
  }
}

// ======================================================================= relay fast path

/** A Relay message whose payload is decoded only when read (made by {@link scanRelay}). */
class ScannedRelay {
  readonly op = Op.Relay;
  readonly target: RelayTarget;
  readonly payloadBytes: Uint8Array;
  #codec: PayloadCodec | undefined;
  #payload: unknown;

  constructor(codec: PayloadCodec, target: RelayTarget, payloadBytes: Uint8Array) {
    this.#codec = codec;
    this.target = target;
    this.payloadBytes = payloadBytes;
  }

  /** The decoded payload (decoded on first read; the bytes were validated by the scan). */
  get payload(): unknown {
    const codec = this.#codec;
    if (codec !== undefined) {
      this.#codec = undefined;
      this.#payload = codec.decode(this.payloadBytes);
    }
    return this.#payload;
  }
}

const FIXSTR_OTHERS = [0xa6, 0x6f, 0x74, 0x68, 0x65, 0x72, 0x73];
const FIXSTR_ALL = [0xa3, 0x61, 0x6c, 0x6c];

function matchesAt(bytes: Uint8Array, pos: number, pattern: readonly number[]): boolean {
  if (pos + pattern.length > bytes.length) return false;
  for (let i = 0; i < pattern.length; i++) if (bytes[pos + i] !== pattern[i]) return false;
  return true;
}

/**
 * The server's relay fast path: when `bytes` is a Relay message (`[4, payload]` or
 * `[4, payload, target]` with target nil, `"others"` or `"all"`) whose every element passes the
 * codec's limits (the same checks {@link decodeClientMessage} makes, without building any value),
 * return it with its payload's bytes and a payload decoded only if read. `undefined` for anything
 * else, valid or not: decode that with {@link decodeClientMessage}, which also reports the error.
 */
export function scanRelay(codec: PayloadCodec, bytes: Uint8Array): ClientMessage | undefined {
  const end = bytes.length;
  if (end < 3) return undefined;
  const head = bytes[0]!;
  let count: number;
  let pos: number;
  if (head >= 0x92 && head <= 0x9f) {
    count = head - 0x90;
    pos = 1;
  } else if (head === 0xdc) {
    count = (bytes[1]! << 8) | bytes[2]!;
    pos = 3;
  } else {
    return undefined;
  }
  if (bytes[pos] !== Op.Relay || count > codec.limits.maxArrayLength || codec.limits.maxDepth < 1) {
    return undefined;
  }
  pos++;
  try {
    const limits = codec.limits;
    const payloadStart = pos;
    pos = skipValidValue(bytes, pos, limits, 1);
    const payloadEnd = pos;
    let target: RelayTarget = 'others';
    if (count >= 3) {
      if (bytes[pos] === 0xc0) pos += 1;
      else if (matchesAt(bytes, pos, FIXSTR_OTHERS)) pos += FIXSTR_OTHERS.length;
      else if (matchesAt(bytes, pos, FIXSTR_ALL)) {
        pos += FIXSTR_ALL.length;
        target = 'all';
      } else return undefined; // a list of ids (or an invalid target): the full decoder handles it
    }
    for (let i = 3; i < count; i++) pos = skipValidValue(bytes, pos, limits, 1);
    if (pos !== end) return undefined;
    // A nil payload decodes as null, and so does a missing one: the bytes are the same.
    return new ScannedRelay(codec, target, bytes.subarray(payloadStart, payloadEnd)) as ClientMessage;
  } catch {
    return undefined;
  }
}

const textEncoder = new TextEncoder();

/**
 * The start of a `Relayed` message from `from`: `[19, from, ` as msgpack (array header, op, the
 * sender id as a string). Append the payload's bytes to complete it ({@link encodeRelayedRaw}).
 */
export function encodeRelayedPrefix(from: string): Uint8Array {
  const id = textEncoder.encode(from);
  const n = id.length;
  const header = n < 32 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
  const out = new Uint8Array(2 + header + n);
  out[0] = 0x93;
  out[1] = Op.Relayed;
  if (header === 1) out[2] = 0xa0 | n;
  else if (header === 2) {
    out[2] = 0xd9;
    out[3] = n;
  } else if (header === 3) {
    out[2] = 0xda;
    out[3] = n >> 8;
    out[4] = n & 0xff;
  } else {
    out[2] = 0xdb;
    new DataView(out.buffer).setUint32(3, n);
  }
  out.set(id, 2 + header);
  return out;
}

/**
 * A `Relayed` message around an already-encoded payload: `prefix` from {@link encodeRelayedPrefix}
 * followed by the payload's msgpack bytes, copied. When the payload bytes are in the codec's own
 * encoding (what a Netplay client sends), this is byte for byte what {@link encodeServerMessage}
 * returns for `{ op: Op.Relayed, from, payload }`.
 */
export function encodeRelayedRaw(prefix: Uint8Array, payloadBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + payloadBytes.length);
  out.set(prefix, 0);
  out.set(payloadBytes, prefix.length);
  return out;
}
