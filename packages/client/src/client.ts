/**
 * {@link Client}: the entry point of the SDK. It joins rooms (one link and one session per
 * membership), follows the cluster manager's redirects, and lists rooms.
 * @module
 */
import {
  CloseCode,
  CodecError,
  type ConnectBody,
  InvalidOptionError,
  type JoinMethod,
  LinkError,
  Op,
  PayloadCodec,
  type RoomListing,
  SessionError,
  SessionErrorCode,
} from '@netplay/transport';
import { LinkOpener } from './connect-link.js';
import { createDialer, createEarlyDialer, type Dialer, type EarlyDialer } from './dial.js';
import { type ClientOptions, type ResolvedClientOptions, resolveClientOptions } from './options.js';
import { backoffDelay } from './reconnect.js';
import { Room } from './room.js';
import { ClientSession, type ServerReply } from './session.js';
import type { SessionLink } from './session-link.js';

/** Options passed to the server room's `onAuth`/`onJoin` (msgpack-encodable values). */
export type JoinOptions = Record<string, unknown>;

/**
 * Connects a game to a Netplay server.
 *
 * ```ts
 * const client = new Client('ws://127.0.0.1:2567');
 * const room = await client.joinOrCreate('arena', { name: 'ana' });
 * room.onMessage('chat', (payload) => console.log(payload));
 * room.send('move', { x: 1 });
 * ```
 *
 * URLs: `ws://` / `wss://` (WebSocket: `ws` in Node, the built-in one in browsers) and
 * `udp://host:port` (Node only). With the `connect` option, any URL your factory understands.
 */
export class Client {
  /** The server URL given to the constructor. */
  readonly url: string;
  /** The resolved options (defaults filled in). */
  readonly options: ResolvedClientOptions;
  private readonly codec: PayloadCodec;
  private readonly dial: Dialer;
  private readonly dialEarly: EarlyDialer;

  /**
   * @param url Server URL: `ws://host:port`, `wss://…` or `udp://host:port`.
   * @param options See {@link ClientOptions}; defaults in `DEFAULT_CLIENT_OPTIONS`.
   * @throws {@link InvalidOptionError} for a bad option or a URL that is not a string.
   */
  constructor(url: string, options: ClientOptions = {}) {
    if (typeof url !== 'string' || url.length === 0) throw new InvalidOptionError('url', 'must be a non-empty string');
    this.url = url;
    this.options = resolveClientOptions(options);
    this.codec = new PayloadCodec(this.options.payloadLimits ?? {});
    const opener = new LinkOpener(this.options);
    this.dial = createDialer(opener, this.options);
    this.dialEarly = createEarlyDialer(opener, this.options);
  }

  /**
   * Join a room of type `name` that has a free seat, or create one.
   * @throws {@link SessionError} when the server refuses (`ROOM_FULL`, `AUTH_FAILED`, …) or on
   *   `TIMEOUT`; `UNAVAILABLE` when the server (or the worker it redirected to) cannot be reached
   *   or dropped the connection before the handshake, or has no worker ready — retried with
   *   backoff within `joinRetry.budget` (10 s by default) first; the `LinkError` is its `cause`.
   */
  joinOrCreate(name: string, options: JoinOptions = {}): Promise<Room> {
    return this.joinRoom('joinOrCreate', name, options);
  }

  /** Create a new room of type `name` and join it. Throws like {@link Client.joinOrCreate}. */
  create(name: string, options: JoinOptions = {}): Promise<Room> {
    return this.joinRoom('create', name, options);
  }

  /** Join an existing room of type `name` (`ROOM_NOT_FOUND` when none has a free seat). Throws like {@link Client.joinOrCreate}. */
  join(name: string, options: JoinOptions = {}): Promise<Room> {
    return this.joinRoom('join', name, options);
  }

  /** Join the room with this id (private rooms too). Throws like {@link Client.joinOrCreate}. */
  joinById(roomId: string, options: JoinOptions = {}): Promise<Room> {
    return this.joinRoom('joinById', roomId, options);
  }

  /**
   * List joinable rooms of type `name` (every type when omitted or `''`). Opens a link for the
   * request and closes it after the answer. A server that cannot be reached is retried like a join
   * (`joinRetry`), then rejects with `UNAVAILABLE`.
   * @throws {@link SessionError} when the server refuses, on `TIMEOUT`, or `UNAVAILABLE`.
   */
  async getAvailableRooms(name = ''): Promise<RoomListing[]> {
    if (typeof name !== 'string') throw new InvalidOptionError('name', 'must be a string');
    return this.retryUnavailable(() => this.listOnce(name));
  }

  private async listOnce(name: string): Promise<RoomListing[]> {
    const { session, firstRequest } = await this.openEarlySession(this.url);
    try {
      const reply = await firstRequest({ op: Op.List, requestId: 0, room: name });
      if (reply.op === Op.RequestError) throw new SessionError(reply.code, reply.message);
      if (reply.op !== Op.RoomList) throw new CodecError(`unexpected answer to a listing (op ${reply.op})`);
      return reply.rooms;
    } finally {
      session.close({ code: CloseCode.NORMAL, reason: 'listing done' });
    }
  }

  private async joinRoom(method: JoinMethod, room: string, options: JoinOptions): Promise<Room> {
    if (typeof room !== 'string' || room.length === 0) {
      throw new InvalidOptionError(method === 'joinById' ? 'roomId' : 'name', 'must be a non-empty string');
    }
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidOptionError('options', 'join options must be a plain object');
    }
    return this.retryUnavailable(() => this.joinOnce(method, room, options));
  }

  /** Run `attempt`, retrying with backoff within `joinRetry.budget` while it fails with `UNAVAILABLE`. */
  private async retryUnavailable<T>(attempt: () => Promise<T>): Promise<T> {
    const retry = this.options.joinRetry;
    const clock = this.options.clock;
    const deadline = clock.now() + retry.budget;
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof SessionError) || error.code !== SessionErrorCode.UNAVAILABLE) throw error;
        const delay = backoffDelay(n, {
          ...retry,
          jitter: this.options.reconnect.jitter,
          random: this.options.reconnect.random,
        });
        if (clock.now() + delay > deadline) throw error;
        await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
      }
    }
  }

  private async joinOnce(method: JoinMethod, room: string, options: JoinOptions): Promise<Room> {
    let url = this.url;
    const early = await this.openEarlySession(url);
    let session = early.session;
    try {
      let reply = await early.firstRequest({ op: Op.Join, requestId: 0, method, room, options });
      if (reply.op === Op.Redirect) {
        // Cluster mode: the manager placed the room on a worker; take our seat there.
        session.close({ code: CloseCode.NORMAL, reason: 'redirected' });
        url = reply.url;
        session = await this.openSession(url, { seat: reply.seat }).catch(unavailable(url));
        reply = await session.expect(0);
      }
      if (reply.op === Op.RequestError) throw new SessionError(reply.code, reply.message);
      if (reply.op !== Op.Joined) throw new CodecError(`unexpected answer to a join (op ${reply.op})`);
      return new Room(session, reply.info, { options: this.options, codec: this.codec, dial: this.dial, url });
    } catch (error) {
      session.close({ code: CloseCode.NORMAL, reason: 'join failed' });
      throw error;
    }
  }

  /**
   * A new session whose first request may be sent at once: on a reliable link it goes right behind
   * `Connect` (one round trip for handshake and request). `firstRequest` sends it and resolves with
   * the answer once the handshake is accepted; if the handshake fails, it rejects with the
   * handshake's error (the server's `Deny`, `TIMEOUT`, `UNAVAILABLE`), not the request's.
   */
  private async openEarlySession(
    url: string,
  ): Promise<{ session: ClientSession; firstRequest(message: ClientRequest): Promise<ServerReply> }> {
    const { link, accepted } = await this.dialEarly(url, {}).catch(unavailable(url));
    const session = this.newSession(link, accepted);
    const firstRequest = async (message: ClientRequest): Promise<ServerReply> => {
      const answer = session.request(message);
      answer.catch(() => {}); // reported through the handshake when it fails
      await accepted.catch(unavailable(url));
      return answer;
    };
    return { session, firstRequest };
  }

  private async openSession(url: string, body: ConnectBody): Promise<ClientSession> {
    const { link } = await this.dial(url, body);
    return this.newSession(link);
  }

  /** A session on `link`; `accepted`: the link's handshake is still under way. */
  private newSession(link: SessionLink, accepted?: Promise<unknown>): ClientSession {
    return new ClientSession(link, {
      clock: this.options.clock,
      codec: this.codec,
      connection: this.options.connection,
      requestTimeout: this.options.requestTimeout,
      ...(accepted === undefined ? {} : { accepted }),
    });
  }
}

/** A client message that expects an answer. */
type ClientRequest = Parameters<ClientSession['request']>[0];

/** A link that could not be opened or closed before the handshake: the server is unavailable. */
function unavailable(url: string): (error: unknown) => never {
  return (error) => {
    if (!(error instanceof LinkError)) throw error;
    throw new SessionError(SessionErrorCode.UNAVAILABLE, `cannot reach ${url}: ${error.message}`, { cause: error });
  };
}
