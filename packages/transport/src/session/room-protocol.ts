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
  | { op: typeof Op.Relay; payload: unknown; target: RelayTarget }
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
