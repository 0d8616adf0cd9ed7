/**
 * The Netplay server: WebSocket (on an HTTP server) and optional UDP listeners, the session layer
 * (handshakes, resume, limits) and the matchmaker (room types, rooms, relay). One process; the
 * cluster mode places rooms over several of these.
 *
 * ```ts
 * const server = new Server({ port: 2567, udpPort: 2568 });
 * server.define('arena', Arena, { maxClients: 8 });
 * await server.listen();
 * // …
 * await server.shutdown();
 * ```
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloseCode, InvalidOptionError, type Link, PayloadCodec, type RoomListing } from '@netplay/transport';
import {
  type ConnectToken,
  EncryptedLink,
  issueConnectToken,
  type ServerEncryptionOptions,
} from '@netplay/transport/node';
import type { Registry } from 'prom-client';
import { type HttpHandler, type HttpMethod, HttpRoutes } from './http/routes.js';
import { Matchmaker, type MatchmakerStats } from './matchmaker/matchmaker.js';
import { Monitor } from './monitor/monitor.js';
import { type Endpoints, openEndpoints } from './net/endpoints.js';
import {
  DEFAULT_ROOM_OPTIONS,
  type ResolvedServerOptions,
  type RoomDefinitionOptions,
  resolveServerOptions,
  type ServerOptions,
} from './options.js';
import type { Presence } from './presence/presence.js';
import type { Room } from './room/room.js';
import type { RoomClient } from './room/room-client.js';
import type { RoomClass } from './room/room-runtime.js';
import { ConnectTokenRegistry, type ConnectTokenStats } from './session/connect-tokens.js';
import {
  type LinkKind,
  SessionLayer,
  type SessionLayerSettings,
  type SessionLayerStats,
} from './session/session-layer.js';

/**
 * @internal What a cluster worker adds to the server it runs (seat tokens, id prefix, presence,
 * routing of direct messages to other workers). Not part of the public API.
 */
export interface ServerInternals {
  seats?: SessionLayerSettings['seats'];
  idPrefix?: string;
  unknownResume?: SessionLayerSettings['unknownResume'];
  presence?: Presence;
  remoteDirect?(from: string, to: string, payload: unknown, reliable: boolean): Promise<boolean>;
}

/** @internal Key of a server's room and session layers, for the cluster worker. */
export const SERVER_INTERNALS: unique symbol = Symbol('netplay.serverInternals');

/** Lifecycle of a {@link Server}. */
export type ServerState = 'idle' | 'listening' | 'shutting-down' | 'closed';

/** A snapshot of a server's counters. */
export interface ServerStats {
  /** Sessions alive (connected or waiting for a resume). */
  readonly sessions: number;
  /** Rooms alive. */
  readonly rooms: number;
  readonly session: Readonly<SessionLayerStats>;
  readonly matchmaker: Readonly<MatchmakerStats>;
  /** Connect tokens presented over UDP (`undefined` when `secureUdp` is `'off'`). */
  readonly tokens: Readonly<ConnectTokenStats> | undefined;
}

/** Where a link given to {@link Server.acceptLink} comes from. */
export interface AcceptLinkInfo {
  /** `'udp'` runs the challenge handshake; anything else the direct one. Defaults to `'websocket'`. */
  kind?: LinkKind;
  /** Peer address (for per-address limits). Defaults to `'local'`. */
  remoteAddress?: string;
  /** Peer port (UDP cookies are bound to it). Defaults to 0. */
  remotePort?: number;
}

/** A Netplay server: define room types, listen, shut down gracefully. */
export class Server {
  /** The resolved options the server runs with. */
  readonly options: Readonly<ResolvedServerOptions>;
  readonly #codec: PayloadCodec;
  readonly #matchmaker: Matchmaker;
  readonly #sessions: SessionLayer;
  readonly #tokens: ConnectTokenRegistry | undefined;
  #endpoints: Endpoints | undefined;
  #state: ServerState = 'idle';
  #started = false;
  #shutdown: Promise<void> | undefined;
  readonly #routes = new HttpRoutes();
  #monitor: Monitor | undefined;
  #encryptionOptions: ServerEncryptionOptions | undefined;

  /**
   * @param options - see {@link ServerOptions}; every default is in `DEFAULT_SERVER_OPTIONS`.
   * @throws {@link InvalidOptionError} for a bad option.
   */
  constructor(options?: ServerOptions);
  /** @internal A cluster worker's server (seat tokens, id prefix, presence, remote direct messages). */
  constructor(options: ServerOptions, internals: ServerInternals);
  constructor(options: ServerOptions = {}, internals: ServerInternals = {}) {
    const o = resolveServerOptions(options);
    this.options = o;
    this.#codec = new PayloadCodec(o.payloadLimits === undefined ? {} : { ...o.payloadLimits });
    this.#matchmaker = new Matchmaker({
      clock: o.clock,
      codec: this.#codec,
      logger: o.logger,
      rateLimit: o.rateLimit,
      maxRooms: o.maxRooms,
      seatReservationMs: o.seatReservationTime * 1000,
      reconnectGrace: o.reconnectGrace,
      findSession: (id) => this.#sessions.get(id),
      ...(internals.presence === undefined ? {} : { presence: internals.presence }),
      ...(internals.remoteDirect === undefined ? {} : { remoteDirect: internals.remoteDirect }),
    });
    this.#sessions = new SessionLayer({
      clock: o.clock,
      codec: this.#codec,
      events: this.#matchmaker,
      logger: o.logger,
      connection: o.connection,
      secret: o.secret,
      reconnectGraceMs: o.reconnectGrace * 1000,
      idleTimeoutMs: o.idleTimeout,
      handshakeTimeoutMs: o.handshakeTimeout,
      drainTimeoutMs: o.shutdownTimeout,
      sendDelayMs: o.sendDelay,
      maxSessions: o.maxSessions,
      maxSessionsPerAddress: o.maxSessionsPerAddress,
      maxPendingHandshakes: o.maxPendingHandshakes,
      maxPendingHandshakesPerAddress: o.maxPendingHandshakesPerAddress,
      floodBanMs: o.floodBanSeconds * 1000,
      ...(internals.seats === undefined ? {} : { seats: internals.seats }),
      ...(internals.idPrefix === undefined ? {} : { idPrefix: internals.idPrefix }),
      ...(internals.unknownResume === undefined ? {} : { unknownResume: internals.unknownResume }),
    });
    this.#tokens =
      o.secureUdp === 'off'
        ? undefined
        : new ConnectTokenRegistry(o.connectTokens.key, o.connectTokens.maxTokens, (id) =>
            this.#sessions.tokenInUse(id),
          );
  }

  /** @internal The room and session layers (for the cluster worker). */
  [SERVER_INTERNALS](): { matchmaker: Matchmaker; sessions: SessionLayer } {
    return { matchmaker: this.#matchmaker, sessions: this.#sessions };
  }

  /** Current lifecycle state. */
  get state(): ServerState {
    return this.#state;
  }

  /**
   * Register a room type: clients then `create` / `join` / `joinOrCreate` rooms of `name`.
   * @throws {@link InvalidOptionError} for an empty or duplicate name, or bad options.
   */
  define<TClient extends RoomClient>(
    name: string,
    roomClass: new () => Room<TClient>,
    options: RoomDefinitionOptions = {},
  ): this {
    if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
      throw new InvalidOptionError('name', 'a room type name is 1 to 128 characters');
    }
    if (this.#matchmaker.hasDefinition(name))
      throw new InvalidOptionError('name', `room type ${name} is already defined`);
    const maxClients = options.maxClients ?? DEFAULT_ROOM_OPTIONS.maxClients;
    if (!(maxClients >= 1)) throw new InvalidOptionError('maxClients', 'must be at least 1');
    this.#matchmaker.define({
      name,
      roomClass: roomClass as unknown as RoomClass,
      options: {
        maxClients,
        autoDispose: options.autoDispose ?? DEFAULT_ROOM_OPTIONS.autoDispose,
        defaultOptions: { ...options.defaultOptions },
      },
    });
    return this;
  }

  /**
   * Start listening: HTTP + WebSocket on `port` (or the given `server`), UDP on `udpPort` when set.
   * @throws A `LinkError` (`LINK_ERROR`) when a port cannot be bound (e.g. in use); nothing is left
   * listening then.
   */
  async listen(): Promise<void> {
    if (this.#state !== 'idle') throw new InvalidOptionError('listen', `server is ${this.#state}`);
    const o = this.options;
    this.#start();
    try {
      this.#endpoints = await openEndpoints({
        host: o.host,
        port: o.port,
        udpPort: o.udpPort,
        server: o.server,
        tls: o.tls,
        path: o.path,
        maxPayload: o.maxPayload,
        backlog: o.backlog,
        allowedOrigins: o.allowedOrigins,
        udpEncryption: o.secureUdp !== 'off',
        maxUdpPeers: o.maxSessions + 1024,
        onHttp: (req, res) => this.#onHttpRequest(req, res),
        onLink: (link, kind, remoteAddress, remotePort) => this.acceptLink(link, { kind, remoteAddress, remotePort }),
        onUdpError: (error) => o.logger.error('udp socket failed', error),
      });
    } catch (error) {
      await this.#closeListeners();
      this.#state = 'closed';
      throw error;
    }
    this.#state = 'listening';
  }

  /** TCP port of HTTP/WebSocket (the bound one when `port: 0`). */
  get port(): number {
    return this.#endpoints?.port ?? this.options.port;
  }

  /** UDP port (the bound one when `udpPort: 0`), or `undefined` when UDP is off. */
  get udpPort(): number | undefined {
    return this.#endpoints?.udpPort ?? this.options.udpPort;
  }

  /**
   * Hand the server a link that did not come through its listeners (a memory link, a simulated
   * link, a custom transport): it runs the handshake and becomes a session like any other. This is
   * how tests run a server and clients on a virtual clock without sockets.
   */
  acceptLink(link: Link, info: AcceptLinkInfo = {}): void {
    if (this.#state === 'shutting-down' || this.#state === 'closed') {
      link.close('server is shutting down');
      return;
    }
    this.#start();
    const kind = info.kind ?? 'websocket';
    const encryption = this.#encryption();
    const accepted = kind === 'udp' && encryption !== undefined ? new EncryptedLink(link, encryption) : link;
    this.#sessions.accept(accepted, kind, info.remoteAddress ?? 'local', info.remotePort ?? 0);
  }

  /** Options of every server-side EncryptedLink of this server (one object for all of them), or `undefined` with `secureUdp: 'off'`. */
  #encryption(): ServerEncryptionOptions | undefined {
    const tokens = this.#tokens;
    if (tokens === undefined) return undefined;
    this.#encryptionOptions ??= {
      role: 'server',
      resolve: (sealed) => tokens.resolve(sealed),
      plainFallback: this.options.secureUdp === 'allow',
      onDrop: (reason) => tokens.stats.dropped[reason]++,
    };
    return this.#encryptionOptions;
  }

  /**
   * Issue a connect token for an encrypted UDP session on this server (what `POST /netplay/token`
   * answers). Hand it to the client over a secure channel only (HTTPS, `wss`). A backend that shares
   * this server's `secret` (or `connectTokens.key`) can issue the same with `issueConnectToken` from
   * `@netplay/transport/node`.
   * @param url - the URL to put in the token (e.g. `udp://game.example:2568`).
   * @throws {@link InvalidOptionError} when `secureUdp` is `'off'`.
   */
  issueConnectToken(url?: string): ConnectToken {
    if (this.#tokens === undefined) throw new InvalidOptionError('secureUdp', "is 'off': no connect tokens");
    return issueConnectToken(this.options.connectTokens.key, {
      lifetimeMs: this.options.connectTokens.lifetime * 1000,
      ...(url === undefined ? {} : { url }),
    });
  }

  /** Public, unlocked rooms of type `name` with a free seat (all types when omitted). */
  getAvailableRooms(name = ''): RoomListing[] {
    return this.#matchmaker.listAvailable(name);
  }

  /** A live room instance by id (for admin tools and tests). */
  getRoom(roomId: string): Room | undefined {
    return this.#matchmaker.getRoom(roomId)?.room;
  }

  /**
   * Answer `method` requests for `path` on the HTTP server this server owns (not on one given as
   * the `server` option): an exact path (`'/arena'`) or a prefix (`'/arena/*'`; `'/*'` is every
   * path). Built-in endpoints (`/health`, `/rooms`, `/monitor`, `/metrics`) come first, then exact
   * routes, then the longest prefix; `GET` routes also answer `HEAD`. Serve a folder with
   * {@link staticFiles}: `server.route('GET', '/arena/*', staticFiles('public'))`.
   * @throws {@link InvalidOptionError} for a bad method or path, or a route already registered.
   */
  route(method: HttpMethod, path: string, handler: HttpHandler): this {
    this.#routes.add(method, path, handler);
    return this;
  }

  /**
   * The prom-client registry behind `/metrics` (one per server, not prom-client's global one):
   * register your own metrics on it to export them with the server's. `undefined` when the
   * `monitor` option is `false`.
   */
  get metricsRegistry(): Registry | undefined {
    return this.#getMonitor()?.metrics.registry;
  }

  /** Counters of the server. */
  get stats(): ServerStats {
    return {
      sessions: this.#sessions.size,
      rooms: this.#matchmaker.roomCount,
      session: this.#sessions.stats,
      matchmaker: this.#matchmaker.stats,
      tokens: this.#tokens?.stats,
    };
  }

  /**
   * Graceful shutdown: refuse new sessions and joins, dispose every room (members get `leave` with
   * `CloseCode.SHUTDOWN` and `onLeave`/`onDispose` run), let reliable queues drain (up to
   * `shutdownTimeout`), then close every link and listener. Idempotent.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#runShutdown();
    return this.#shutdown;
  }

  async #runShutdown(): Promise<void> {
    this.#state = 'shutting-down';
    this.#sessions.stopAccepting();
    this.#matchmaker.stopAccepting();
    await this.#matchmaker.disposeAll(CloseCode.SHUTDOWN, 'server shutting down');
    await this.#sessions.closeAll(CloseCode.SHUTDOWN, 'server shutting down');
    await this.#closeListeners();
    this.#monitor?.stop();
    this.#state = 'closed';
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#sessions.start();
    this.#getMonitor()?.start();
  }

  async #closeListeners(): Promise<void> {
    await this.#endpoints?.close();
  }

  #address(address: string | AddressInfo | null | undefined): AddressInfo | undefined {
    return address !== null && typeof address === 'object' ? address : undefined;
  }

  #onHttpRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/health') {
      json(res, 200, { status: this.#state, sessions: this.#sessions.size, rooms: this.#matchmaker.roomCount });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/rooms') {
      json(res, 200, this.getAvailableRooms(url.searchParams.get('name') ?? ''));
      return;
    }
    const endpoint = this.#tokens === undefined ? false : this.options.connectTokens.endpoint;
    if (endpoint !== false && url.pathname === endpoint) {
      this.#onTokenRequest(req, res);
      return;
    }
    if (this.#getMonitor()?.handle(req, res, url)) return;
    const route = this.#routes.match(req.method ?? 'GET', url.pathname);
    if (route !== undefined) {
      const fail = (error: unknown): void => {
        this.options.logger.error(`http route ${req.method} ${url.pathname} failed`, error);
        if (!res.headersSent) json(res, 500, { error: 'internal error' });
        else res.destroy();
      };
      try {
        Promise.resolve(route.handler(req, res, { url, subpath: route.subpath })).catch(fail);
      } catch (error) {
        fail(error);
      }
      return;
    }
    if (this.#routes.hasPath(url.pathname)) {
      json(res, 405, { error: 'method not allowed' });
      return;
    }
    json(res, 404, { error: 'not found' });
  }

  /** `POST <connectTokens.endpoint>`: a connect token for the UDP port, if `authorize` agrees. */
  #onTokenRequest(req: IncomingMessage, res: ServerResponse): void {
    req.resume(); // the body is not used: never buffer it
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      json(res, 405, { error: 'method not allowed' });
      return;
    }
    const udpPort = this.udpPort;
    if (udpPort === undefined) {
      json(res, 404, { error: 'no UDP port on this server' });
      return;
    }
    const authorize = this.options.connectTokens.authorize;
    const answer = (allowed: boolean): void => {
      if (!allowed) {
        json(res, 403, { error: 'forbidden' });
        return;
      }
      const host = hostOf(req.headers.host) ?? this.options.host;
      res.setHeader('Cache-Control', 'no-store');
      json(res, 200, this.issueConnectToken(`udp://${host}:${udpPort}`));
    };
    if (authorize === undefined) {
      answer(true);
      return;
    }
    Promise.resolve()
      .then(() => authorize(req))
      .then(
        (allowed) => answer(allowed === true),
        (error: unknown) => {
          this.options.logger.error('connectTokens.authorize failed', error);
          if (!res.headersSent) json(res, 500, { error: 'internal error' });
        },
      );
  }

  /** The monitor (created on first use), or `undefined` when the `monitor` option is `false`. */
  #getMonitor(): Monitor | undefined {
    const options = this.options.monitor;
    if (options === false) return undefined;
    this.#monitor ??= new Monitor(
      {
        sessions: () => this.#sessions.all(),
        closedSessionTraffic: () => this.#sessions.closedTraffic,
        rooms: () => this.#matchmaker.allRooms(),
        state: () => this.#state,
        boundHost: () => this.#address(this.#endpoints?.http.address())?.address ?? this.options.host,
      },
      options,
      this.options.clock,
    );
    return this.#monitor;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The host name of a `Host` header (without port; IPv6 keeps its brackets), or `undefined` when absent or odd. */
function hostOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(?::\d{1,5})?$/.exec(header.trim());
  return m === null ? undefined : m[1];
}
