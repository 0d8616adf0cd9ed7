/**
 * A small scripted server endpoint built from the transport's own pieces (memory or simulated link
 * pairs, `Peer`, the session contract's codecs), on a `VirtualClock`. It speaks the wire contract the
 * real server implements, with hooks a test can override, so the client is tested without sockets.
 */
import {
  type ClientMessage,
  type Clock,
  CloseCode,
  createMemoryLinkPair,
  createSimulatedPair,
  DefaultChannel,
  decodeClientMessage,
  encodeHandshake,
  encodeServerMessage,
  HANDSHAKE_PADDED_SIZE,
  type HandshakePacket,
  HandshakeType,
  type JoinedInfo,
  type Link,
  type NetworkConditions,
  Op,
  PayloadCodec,
  Peer,
  type ServerMessage,
  type VirtualClock,
} from '@netplay/transport';
import { SessionLink } from '../src/session-link.js';

/** What the scripted server does with a handshake. */
export type HandshakeAnswer =
  | { accept: true }
  | { deny: { code: string; message: string } }
  /** Send nothing (lets the client time out). */
  | { ignore: true };

/** One link the client opened to the scripted server. */
export interface ServerLinkRecord {
  readonly url: string;
  /** Server side of the link (what the client's link talks to), unwrapped. */
  readonly raw: Link;
  /** Every handshake packet received on it, with its size. */
  readonly handshakes: { packet: HandshakePacket; size: number }[];
}

/** A session on the scripted server. */
export class ScriptedSession {
  readonly id: string;
  readonly resumeToken: string;
  readonly peer: Peer;
  readonly received: { channel: number; message: ClientMessage }[] = [];
  /** Handler for each message; by default {@link ScriptedServer.defaultHandler}. */
  handle: (message: ClientMessage, channel: number) => void;
  linkClosed = 0;
  private readonly server: ScriptedServer;

  constructor(server: ScriptedServer, link: SessionLink, id: string) {
    this.server = server;
    this.id = id;
    this.resumeToken = `token-${id}`;
    this.handle = (m, ch) => server.defaultHandler(this, m, ch);
    this.peer = new Peer(
      { link, clock: server.clock },
      {
        onMessage: (channel, payload) => {
          const message = decodeClientMessage(server.codec, payload);
          this.received.push({ channel, message });
          this.handle(message, channel);
        },
        onClose: () => {
          this.linkClosed++;
        },
      },
    );
  }

  /** Send a server message. */
  send(message: ServerMessage, channel: number = DefaultChannel.Reliable): void {
    this.peer.send(channel, encodeServerMessage(this.server.codec, message));
  }

  /** Send the `Disconnect` handshake packet and close (what the real server's `finish` does). */
  disconnect(code: number, reason: string): void {
    this.peer.currentLink.send(encodeHandshake({ type: HandshakeType.Disconnect, code, reason }));
    this.peer.close(reason);
  }

  /** Joined info for this session. */
  info(overrides: Partial<JoinedInfo> = {}): JoinedInfo {
    return {
      roomId: 'room-1',
      roomName: 'arena',
      sessionId: this.id,
      resumeToken: this.resumeToken,
      peers: [],
      reconnectGrace: 20,
      ...overrides,
    };
  }
}

/** Options of a {@link ScriptedServer}. */
export interface ScriptedServerOptions {
  /** Use the UDP handshake (padded Connect → Challenge → padded Response → Accept). */
  udp?: boolean;
  /** Conditions from client to server and back, per link (`n` = index of the link). Defaults to a memory pair. */
  network?: (n: number) => { toServer: NetworkConditions; toClient: NetworkConditions } | undefined;
}

/** See the module description. */
export class ScriptedServer {
  readonly clock: Clock;
  readonly codec = new PayloadCodec();
  readonly links: ServerLinkRecord[] = [];
  readonly sessions: ScriptedSession[] = [];
  /** Decide each handshake (after the UDP challenge). Default: accept, resuming a known token. */
  onHandshake: (packet: HandshakePacket, record: ServerLinkRecord) => HandshakeAnswer = () => ({ accept: true });
  /** Called for every new (not resumed) session. */
  onSession: (session: ScriptedSession, record: ServerLinkRecord, seat: string | undefined) => void = () => {};
  private readonly options: ScriptedServerOptions;
  private nextId = 1;

  constructor(clock: Clock, options: ScriptedServerOptions = {}) {
    this.clock = clock;
    this.options = options;
  }

  /** The `connect` option to give the client. */
  readonly connect = async (url: string): Promise<Link> => {
    const n = this.links.length;
    const net = this.options.network?.(n);
    const [client, server]: [Link, Link] = net
      ? createSimulatedPair({ clock: this.clock, seed: n + 1, aToB: net.toServer, bToA: net.toClient })
      : createMemoryLinkPair({ clock: this.clock });
    this.acceptLink(server, url);
    return client;
  };

  /** Serve one server-side link (from a pair, or from a real `WebSocketLinkServer`/`UdpLinkServer`). */
  acceptLink(raw: Link, url: string): ServerLinkRecord {
    const record: ServerLinkRecord = { url, raw, handshakes: [] };
    this.links.push(record);
    this.accept(record);
    return record;
  }

  /** Default room behaviour: Join → Joined, List → one room, Leave → Left then Disconnect. */
  defaultHandler(session: ScriptedSession, m: ClientMessage, _channel: number): void {
    switch (m.op) {
      case Op.Join:
        session.send({ op: Op.Joined, requestId: m.requestId, info: session.info({ roomName: m.room }) });
        return;
      case Op.List:
        session.send({
          op: Op.RoomList,
          requestId: m.requestId,
          rooms: [{ roomId: 'room-1', name: m.room, clients: 1, maxClients: 4, locked: false, metadata: { map: 'x' } }],
        });
        return;
      case Op.Leave:
        session.send({ op: Op.Left, code: CloseCode.NORMAL, reason: 'left' });
        this.clock.setTimeout(() => session.disconnect(CloseCode.NORMAL, 'left'), 20);
        return;
      default:
        return;
    }
  }

  /** The most recent session. */
  get last(): ScriptedSession {
    const s = this.sessions.at(-1);
    if (s === undefined) throw new Error('no session yet');
    return s;
  }

  private accept(record: ServerLinkRecord): void {
    let lastSize = 0;
    const raw = record.raw;
    const tapped: Link = {
      get reliable() {
        return raw.reliable;
      },
      get maxDatagramSize() {
        return raw.maxDatagramSize;
      },
      get closed() {
        return raw.closed;
      },
      send: (d) => raw.send(d),
      close: (reason) => raw.close(reason),
      setHandlers: (h) =>
        raw.setHandlers({
          onDatagram: (d) => {
            lastSize = d.length;
            h.onDatagram(d);
          },
          onClose: h.onClose,
        }),
    };
    const link = new SessionLink(tapped);
    let cookie: Uint8Array | undefined;
    let session: ScriptedSession | undefined;
    link.onHandshake = (packet) => {
      record.handshakes.push({ packet, size: lastSize });
      if (session !== undefined) {
        // A retransmit after Accept: the client missed it; answer again (as the real server does).
        if (packet.type === HandshakeType.Connect || packet.type === HandshakeType.Response) {
          link.send(encodeHandshake({ type: HandshakeType.Accept, resumed: false }));
        }
        return;
      }
      if (this.options.udp) {
        if (packet.type === HandshakeType.Connect) {
          cookie = new Uint8Array([this.nextId, 7, 7, 7]);
          link.send(encodeHandshake({ type: HandshakeType.Challenge, cookie }));
          return;
        }
        if (packet.type !== HandshakeType.Response || cookie === undefined || packet.cookie[0] !== cookie[0]) return;
      } else if (packet.type !== HandshakeType.Connect) {
        return;
      }
      const body = packet.body;
      const answer = this.onHandshake(packet, record);
      if ('ignore' in answer) return;
      if ('deny' in answer) {
        link.send(encodeHandshake({ type: HandshakeType.Deny, ...answer.deny }));
        link.close('denied');
        return;
      }
      if (body.resume !== undefined) {
        const existing = this.sessions.find((s) => s.resumeToken === body.resume);
        if (existing === undefined) {
          link.send(encodeHandshake({ type: HandshakeType.Deny, code: 'INVALID_TOKEN', message: 'unknown token' }));
          link.close('denied');
          return;
        }
        link.send(encodeHandshake({ type: HandshakeType.Accept, resumed: true }));
        session = existing;
        existing.peer.replaceLink(link);
        return;
      }
      link.send(encodeHandshake({ type: HandshakeType.Accept, resumed: false }));
      session = new ScriptedSession(this, link, `s${this.nextId++}`);
      this.sessions.push(session);
      this.onSession(session, record, body.seat);
    };
  }
}

/** `HANDSHAKE_PADDED_SIZE`, re-exported for tests. */
export const PADDED = HANDSHAKE_PADDED_SIZE;

/**
 * Drive the virtual clock one timer at a time until `promise` settles, letting microtasks run in
 * between (the client's async code). Fails after `maxSteps` timers.
 */
export async function drive<T>(clock: VirtualClock, promise: Promise<T>, maxSteps = 100_000): Promise<T> {
  let settled = false;
  const watched = promise.then(
    (v) => {
      settled = true;
      return v;
    },
    (e: unknown) => {
      settled = true;
      throw e;
    },
  );
  watched.catch(() => {});
  await flushMicrotasks();
  for (let i = 0; i < maxSteps && !settled; i++) {
    if (!clock.step()) break;
    await flushMicrotasks();
  }
  if (!settled) throw new Error(`promise still pending after driving the clock (t=${clock.now()})`);
  return watched;
}

/** Let every queued microtask (and the async steps they queue) run. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Advance the virtual clock by `ms` in steps of `step`, letting microtasks run between steps. */
export async function advance(clock: VirtualClock, ms: number, step = 1): Promise<void> {
  const end = clock.now() + ms;
  while (clock.now() < end) {
    clock.advance(Math.min(step, end - clock.now()));
    await flushMicrotasks();
  }
}
