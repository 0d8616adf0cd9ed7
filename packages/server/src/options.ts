/**
 * Options of the server and of room types, with every default in one place.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Server as HttpsServer, ServerOptions as HttpsServerOptions } from 'node:https';
import {
  type Clock,
  type ConnectionOptions,
  checkConnectionOptions,
  InvalidOptionError,
  type PayloadLimits,
  probesWithin,
  realClock,
  withDefaults,
} from '@netplay/transport';
import { DEFAULT_TOKEN_LIFETIME_MS, deriveTokenKey, TOKEN_KEY_SIZE } from '@netplay/transport/node';
import { type MonitorOptions, type ResolvedMonitorOptions, resolveMonitorOptions } from './monitor/options.js';

/** Per-session rate limits (token buckets refilled continuously). */
export interface RateLimitOptions {
  /** Messages per second a session may send (app messages and relays). Defaults to 120. */
  messagesPerSecond?: number;
  /** Bytes per second of message payload a session may send. Defaults to 262144 (256 KiB/s). */
  bytesPerSecond?: number;
  /**
   * Burst allowance, in seconds of the rates above. Defaults to 1. A session that resumes after
   * its link dropped may also send at once what the rates allowed over the time since it was last
   * heard from (what it queued while away), so the resume guarantee holds within the limits.
   */
  burstSeconds?: number;
  /**
   * A session whose dropped (over-limit) messages within one second exceed this multiple of
   * `messagesPerSecond` is disconnected with `CloseCode.FLOODING`. Defaults to 2.
   */
  floodFactor?: number;
}

/**
 * How UDP sessions are secured. `'allow'` (default): a client that presents a connect token gets an
 * encrypted, authenticated session (ChaCha20-Poly1305), others a plain one. `'require'`: UDP
 * datagrams without a valid token are dropped (plain UDP refused). `'off'`: plain UDP only.
 * WebSocket sessions are not affected (use `wss`: the `tls` or `server` option, or a TLS proxy).
 */
export type SecureUdpMode = 'allow' | 'require' | 'off';

/** Connect tokens for encrypted UDP (see docs/security.md). */
export interface ConnectTokenOptions {
  /**
   * 32-byte key that seals tokens. Defaults to one derived from `secret` (`deriveTokenKey(secret)`),
   * so a backend or cluster worker sharing the secret issues and accepts the same tokens.
   */
  key?: Uint8Array;
  /** Seconds a token may be used to open a session (the session outlives it). Defaults to 30. */
  lifetime?: number;
  /**
   * Path of the issuing endpoint on the server's own HTTP server (`POST` → a `ConnectToken` as
   * JSON), or `false` for none. Serve it over HTTPS (`tls` option or a TLS proxy): whoever reads the
   * token can read the session. Defaults to `'/netplay/token'`.
   */
  endpoint?: string | false;
  /** Decide whether a request to the endpoint gets a token (e.g. check a session cookie). Defaults to everyone. */
  authorize?(request: IncomingMessage): boolean | Promise<boolean>;
  /** Most tokens remembered at once (their counters and replay windows). Defaults to 2 × `maxSessions`. */
  maxTokens?: number;
}

/** Where a logger is used; `console` fits. */
export interface Logger {
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

/** Options of a {@link Server}. */
export interface ServerOptions {
  /** TCP port for HTTP and WebSocket. 0 picks a free port. Defaults to 2567. Ignored when `server` is given. */
  port?: number;
  /** Interface to bind. Defaults to `'0.0.0.0'`; tests use `'127.0.0.1'`. */
  host?: string;
  /** UDP port for UDP sessions; UDP is off when absent. 0 picks a free port. */
  udpPort?: number;
  /**
   * Attach to an existing HTTP or HTTPS server instead of creating one (`port` is then ignored; the
   * built-in HTTP endpoints are not served on it, only WebSocket upgrades).
   */
  server?: HttpServer | HttpsServer;
  /**
   * TLS options (`key`, `cert`, …) of `node:https`: the server's own HTTP server becomes HTTPS and
   * WebSocket becomes `wss`. Defaults to none (plain HTTP / `ws`; put a TLS proxy in front in production).
   */
  tls?: HttpsServerOptions;
  /**
   * Browser origins allowed to open a WebSocket (`Origin` header, e.g. `'https://game.example'`);
   * others get `403`. Requests without `Origin` (non-browser clients) are not affected. Defaults to
   * none (every origin allowed).
   */
  allowedOrigins?: readonly string[];
  /** Largest WebSocket message accepted, in bytes (a larger one closes the socket, code 1009). Defaults to 65536. */
  maxPayload?: number;
  /**
   * Longest queue of TCP connections the operating system keeps for the server before it accepts
   * them (`listen` backlog; Linux caps it at `net.core.somaxconn`, 4096 on current kernels). A
   * connection that finds the queue full is dropped and its client retries after a second: at
   * Node's default of 511, a thousand players arriving at once wait a second. Defaults to 4096.
   * Ignored when `server` is given.
   */
  backlog?: number;
  /** Encrypted UDP: see {@link SecureUdpMode}. Defaults to `'allow'`. */
  secureUdp?: SecureUdpMode;
  /** Connect tokens for encrypted UDP. Defaults to `DEFAULT_CONNECT_TOKEN_OPTIONS` (see {@link ConnectTokenOptions}). */
  connectTokens?: ConnectTokenOptions;
  /** URL path of the WebSocket endpoint. Defaults to `'/'` (any path). */
  path?: string;
  /** Time source for ticks, timeouts and grace periods. Defaults to the real clock. */
  clock?: Clock;
  /**
   * Protocol options of every session's connection (`reliableLink` is set per link). Defaults to the
   * transport's `DEFAULT_CONNECTION_OPTIONS`.
   */
  connection?: ConnectionOptions;
  /**
   * How long a message to a client may wait for others to share its packet, in ms (a Nagle-style
   * send timer per session). 0 flushes at the end of the current event-loop turn, coalescing
   * whatever was sent in it. A few ms let a relay-heavy room put several members' messages in one
   * packet per recipient (fewer datagrams and syscalls) at the cost of up to that much latency.
   * Defaults to 0.
   */
  sendDelay?: number;
  /** Limits on decoded msgpack payloads from clients. Defaults to the transport's `DEFAULT_PAYLOAD_LIMITS`. */
  payloadLimits?: Partial<PayloadLimits>;
  /** Seconds a session survives its link dropping, waiting for the client to resume. Defaults to 20. */
  reconnectGrace?: number;
  /**
   * Milliseconds without hearing from a client before its link counts as dropped. The server's own
   * keep-alives to each client, which the client acks at once, come at most a third (WebSocket
   * probes) or a tenth (UDP) of this apart while a session idles, or every
   * `connection.rttProbeInterval` / `keepAliveInterval` (1000 / 250 ms) where that is longer,
   * unless `connection.idleRttProbeInterval` / `idleKeepAliveInterval` say otherwise (see
   * `probesWithin`). Defaults to 10000.
   */
  idleTimeout?: number;
  /** Milliseconds a new link has to complete its handshake. Defaults to 5000. */
  handshakeTimeout?: number;
  /** Most concurrent sessions (connected or in grace). Defaults to 10000. */
  maxSessions?: number;
  /** Most sessions from one address. Defaults to 256. */
  maxSessionsPerAddress?: number;
  /**
   * Most links still in their handshake at once (a new link beyond it is closed without an answer).
   * Defaults to 1024.
   */
  maxPendingHandshakes?: number;
  /** Most links still in their handshake from one address. Defaults to 32. */
  maxPendingHandshakesPerAddress?: number;
  /**
   * Seconds an address is refused new sessions (Deny `RATE_LIMITED`) after one of its sessions was
   * disconnected for flooding, so a flooder cannot rejoin at once with a fresh rate-limit bucket.
   * Resumes of other sessions from that address are not affected. `0` turns it off. Defaults to 10.
   */
  floodBanSeconds?: number;
  /** Most rooms at once. Defaults to 10000. */
  maxRooms?: number;
  /** Per-session rate limits. Defaults to `DEFAULT_RATE_LIMIT` (see {@link RateLimitOptions}). */
  rateLimit?: RateLimitOptions;
  /** Seconds a reserved seat is held before it expires unused. Defaults to 15. */
  seatReservationTime?: number;
  /** Milliseconds `shutdown()` waits for reliable queues to drain before closing links. Defaults to 2000. */
  shutdownTimeout?: number;
  /**
   * Secret for seat tokens, UDP cookies and resume tokens (32+ random bytes). Whoever holds it can
   * resume any session: share it only with the processes of one deployment (a cluster's workers),
   * and give a backend that issues connect tokens `connectTokens.key` instead. Defaults to a random
   * secret per process.
   */
  secret?: Uint8Array;
  /** Where errors in room hooks and bad input are reported. Defaults to `console`. */
  logger?: Logger;
  /**
   * The live monitor (`/monitor`) and Prometheus metrics (`/metrics`) on the server's own HTTP
   * server; `false` turns both off. Defaults to on, readable without a token only while bound to a
   * loopback address: see {@link MonitorOptions} and `DEFAULT_MONITOR_OPTIONS`.
   */
  monitor?: MonitorOptions | false;
}

/** Options of a room type, given to `server.define(name, RoomClass, options)`. */
export interface RoomDefinitionOptions {
  /** Most members per room. Defaults to `Infinity`. */
  maxClients?: number;
  /** Dispose the room when its last member leaves. Defaults to `true`. */
  autoDispose?: boolean;
  /** Options merged under the client's join options and passed to `onCreate`. Defaults to none. */
  defaultOptions?: Record<string, unknown>;
}

/** Defaults of {@link RateLimitOptions}. */
export const DEFAULT_RATE_LIMIT = {
  messagesPerSecond: 120,
  bytesPerSecond: 256 * 1024,
  burstSeconds: 1,
  floodFactor: 2,
} as const satisfies Required<RateLimitOptions>;

/** Defaults of {@link ServerOptions} (those that have one). */
export const DEFAULT_SERVER_OPTIONS = {
  port: 2567,
  host: '0.0.0.0',
  path: '/',
  reconnectGrace: 20,
  idleTimeout: 10_000,
  handshakeTimeout: 5_000,
  maxSessions: 10_000,
  maxSessionsPerAddress: 256,
  maxPendingHandshakes: 1024,
  maxPendingHandshakesPerAddress: 32,
  floodBanSeconds: 10,
  maxRooms: 10_000,
  maxPayload: 65_536,
  backlog: 4096,
  secureUdp: 'allow',
  seatReservationTime: 15,
  shutdownTimeout: 2_000,
  sendDelay: 0,
} as const;

/** Defaults of {@link ConnectTokenOptions} (`key` is derived from the server's secret; `maxTokens` is 2 × `maxSessions`). */
export const DEFAULT_CONNECT_TOKEN_OPTIONS = {
  lifetime: DEFAULT_TOKEN_LIFETIME_MS / 1000,
  endpoint: '/netplay/token',
} as const;

/** {@link ConnectTokenOptions} with every default filled in. */
export interface ResolvedConnectTokenOptions {
  key: Uint8Array;
  lifetime: number;
  endpoint: string | false;
  authorize: ((request: IncomingMessage) => boolean | Promise<boolean>) | undefined;
  maxTokens: number;
}

/** Defaults of {@link RoomDefinitionOptions}. */
export const DEFAULT_ROOM_OPTIONS = {
  maxClients: Number.POSITIVE_INFINITY,
  autoDispose: true,
} as const;

/** {@link ServerOptions} with every default filled in (what the server runs with). */
export interface ResolvedServerOptions {
  port: number;
  host: string;
  udpPort: number | undefined;
  server: HttpServer | HttpsServer | undefined;
  tls: HttpsServerOptions | undefined;
  allowedOrigins: readonly string[] | undefined;
  maxPayload: number;
  backlog: number;
  secureUdp: SecureUdpMode;
  connectTokens: ResolvedConnectTokenOptions;
  path: string;
  clock: Clock;
  connection: ConnectionOptions | undefined;
  payloadLimits: Partial<PayloadLimits> | undefined;
  reconnectGrace: number;
  idleTimeout: number;
  handshakeTimeout: number;
  maxSessions: number;
  maxSessionsPerAddress: number;
  maxPendingHandshakes: number;
  maxPendingHandshakesPerAddress: number;
  floodBanSeconds: number;
  maxRooms: number;
  rateLimit: Required<RateLimitOptions>;
  seatReservationTime: number;
  shutdownTimeout: number;
  sendDelay: number;
  secret: Uint8Array;
  logger: Logger;
  monitor: ResolvedMonitorOptions | false;
}

const positive = (name: string, value: number, integer = false): number => {
  if (!(typeof value === 'number' && value > 0 && (!integer || Number.isInteger(value)))) {
    throw new InvalidOptionError(name, integer ? 'must be a positive integer' : 'must be a positive number');
  }
  return value;
};

const nonNegative = (name: string, value: number): number => {
  if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value)))
    throw new InvalidOptionError(name, 'must be a number ≥ 0');
  return value;
};

const portNumber = (name: string, value: number): number => {
  if (!(Number.isInteger(value) && value >= 0 && value <= 65_535))
    throw new InvalidOptionError(name, 'must be 0..65535');
  return value;
};

/**
 * Fill in defaults and validate.
 * @throws {@link InvalidOptionError} (`INVALID_OPTION`) naming the first bad option.
 */
export function resolveServerOptions(options: ServerOptions = {}): ResolvedServerOptions {
  const rateLimit = withDefaults(DEFAULT_RATE_LIMIT, options.rateLimit);
  positive('rateLimit.messagesPerSecond', rateLimit.messagesPerSecond);
  positive('rateLimit.bytesPerSecond', rateLimit.bytesPerSecond);
  positive('rateLimit.burstSeconds', rateLimit.burstSeconds);
  positive('rateLimit.floodFactor', rateLimit.floodFactor);
  const secret = options.secret ?? new Uint8Array(randomBytes(32));
  if (secret.length < 16) throw new InvalidOptionError('secret', 'must be at least 16 bytes (32 recommended)');
  const d = DEFAULT_SERVER_OPTIONS;
  const secureUdp = options.secureUdp ?? d.secureUdp;
  if (secureUdp !== 'allow' && secureUdp !== 'require' && secureUdp !== 'off') {
    throw new InvalidOptionError('secureUdp', "must be 'allow', 'require' or 'off'");
  }
  const maxSessions = positive('maxSessions', options.maxSessions ?? d.maxSessions, true);
  const idleTimeout = positive('idleTimeout', options.idleTimeout ?? d.idleTimeout);
  const t = options.connectTokens ?? {};
  const tokenKey = t.key ?? deriveTokenKey(secret);
  if (!(tokenKey instanceof Uint8Array) || tokenKey.length !== TOKEN_KEY_SIZE) {
    throw new InvalidOptionError('connectTokens.key', `must be ${TOKEN_KEY_SIZE} bytes`);
  }
  const endpoint = t.endpoint ?? DEFAULT_CONNECT_TOKEN_OPTIONS.endpoint;
  if (endpoint !== false && !(typeof endpoint === 'string' && endpoint.startsWith('/'))) {
    throw new InvalidOptionError('connectTokens.endpoint', "must be a path starting with '/', or false");
  }
  if (t.authorize !== undefined && typeof t.authorize !== 'function') {
    throw new InvalidOptionError('connectTokens.authorize', 'must be a function');
  }
  if (options.allowedOrigins !== undefined && !Array.isArray(options.allowedOrigins)) {
    throw new InvalidOptionError('allowedOrigins', 'must be an array of origins');
  }
  return {
    port: portNumber('port', options.port ?? d.port),
    host: options.host ?? d.host,
    udpPort: options.udpPort === undefined ? undefined : portNumber('udpPort', options.udpPort),
    server: options.server,
    tls: options.tls,
    allowedOrigins: options.allowedOrigins,
    maxPayload: positive('maxPayload', options.maxPayload ?? d.maxPayload, true),
    backlog: positive('backlog', options.backlog ?? d.backlog, true),
    secureUdp,
    connectTokens: {
      key: tokenKey,
      lifetime: positive('connectTokens.lifetime', t.lifetime ?? DEFAULT_CONNECT_TOKEN_OPTIONS.lifetime),
      endpoint,
      authorize: t.authorize,
      maxTokens: positive('connectTokens.maxTokens', t.maxTokens ?? 2 * maxSessions, true),
    },
    path: options.path ?? d.path,
    clock: options.clock ?? realClock,
    connection: probesWithin(checkConnectionOptions(options.connection), idleTimeout),
    payloadLimits: options.payloadLimits,
    reconnectGrace: positive('reconnectGrace', options.reconnectGrace ?? d.reconnectGrace),
    idleTimeout,
    handshakeTimeout: positive('handshakeTimeout', options.handshakeTimeout ?? d.handshakeTimeout),
    maxSessions,
    maxSessionsPerAddress: positive(
      'maxSessionsPerAddress',
      options.maxSessionsPerAddress ?? d.maxSessionsPerAddress,
      true,
    ),
    maxPendingHandshakes: positive(
      'maxPendingHandshakes',
      options.maxPendingHandshakes ?? d.maxPendingHandshakes,
      true,
    ),
    maxPendingHandshakesPerAddress: positive(
      'maxPendingHandshakesPerAddress',
      options.maxPendingHandshakesPerAddress ?? d.maxPendingHandshakesPerAddress,
      true,
    ),
    floodBanSeconds: nonNegative('floodBanSeconds', options.floodBanSeconds ?? d.floodBanSeconds),
    maxRooms: positive('maxRooms', options.maxRooms ?? d.maxRooms, true),
    rateLimit,
    seatReservationTime: positive('seatReservationTime', options.seatReservationTime ?? d.seatReservationTime),
    shutdownTimeout: positive('shutdownTimeout', options.shutdownTimeout ?? d.shutdownTimeout),
    sendDelay: nonNegative('sendDelay', options.sendDelay ?? d.sendDelay),
    secret,
    logger: options.logger ?? console,
    monitor: resolveMonitorOptions(options.monitor),
  };
}
