/**
 * Options of a {@link Client}, with every default in one place ({@link DEFAULT_CLIENT_OPTIONS}) and
 * validation that fails with a typed {@link InvalidOptionError}.
 * @module
 */
import {
  type Clock,
  type ConnectionOptions,
  type ConnectToken,
  checkConnectionOptions,
  InvalidOptionError,
  type Link,
  type NetworkConditions,
  type PayloadLimits,
  probesWithin,
  realClock,
  withDefaults,
} from '@netplay/transport';

/** Where the client reports what nobody else hears (an `'error'` without a listener, dropped input). `console` fits. */
export interface Logger {
  /** Something unusual that the client handled. */
  warn(message: string, ...details: unknown[]): void;
  /** An error nobody listened to. */
  error(message: string, ...details: unknown[]): void;
}

/**
 * The network simulator on this client's links: the transport's `NetworkConditions` plus a seed.
 * The same conditions apply to both directions (what the client sends and what it receives).
 */
export interface ClientNetworkOptions extends NetworkConditions {
  /**
   * Seed of the simulator's random choices. Each link the client opens uses `seed + n` (n = links
   * opened so far), so a reconnect does not replay the same drops. Defaults to `0`.
   */
  seed?: number;
}

/** Automatic reconnection and session resume after a dropped link. */
export interface ReconnectOptions {
  /** Reconnect and resume when the link drops without the server ending the session. Defaults to `true`. */
  enabled?: boolean;
  /** Delay before the first attempt, in ms; each further attempt doubles it. Defaults to `250`. */
  initialDelay?: number;
  /** Longest delay between attempts, in ms. Defaults to `5000`. */
  maxDelay?: number;
  /**
   * Most attempts before giving up. Defaults to `Infinity`: attempts stop anyway once the server's
   * grace period (`reconnectGrace` of the join reply) has passed since the link dropped.
   */
  maxAttempts?: number;
  /**
   * Fraction of each delay that is random, in [0, 1]: a delay `d` becomes `d × (1 − jitter + jitter × random())`,
   * so clients dropped together do not reconnect in lockstep. Defaults to `0.5`.
   */
  jitter?: number;
  /** Source of randomness for the jitter, returning [0, 1). Defaults to `Math.random`. */
  random?: () => number;
}

/**
 * Retrying a join while the server is unavailable: its port refuses connections or drops them
 * before the handshake (a cluster manager restarting), or it answers `UNAVAILABLE` (no worker ready).
 * Each such attempt fails fast with `SessionError` `UNAVAILABLE`; the join tries again after a
 * backoff delay (exponential, jitter as in {@link ReconnectOptions}) until `budget` is spent, then
 * rejects with that error.
 */
export interface JoinRetryOptions {
  /** Milliseconds, from the first attempt, within which a new attempt may start; 0 = no retry. Defaults to `10000`. */
  budget?: number;
  /** Delay before the second attempt, in ms; each further attempt doubles it. Defaults to `200`. */
  initialDelay?: number;
  /** Longest delay between attempts, in ms. Defaults to `2000`. */
  maxDelay?: number;
}

/** Options of a {@link Client}. Every field is optional; see {@link DEFAULT_CLIENT_OPTIONS}. */
export interface ClientOptions {
  /** Time source of every timer (handshake, requests, idle check, backoff). Use a `VirtualClock` in tests. Defaults to `realClock`. */
  clock?: Clock;
  /**
   * Put the transport's network simulator (`SimulatedLink`) on every link this client opens.
   * Over WebSocket the server treats its link as reliable and never resends, so on a reliable link
   * only latency, jitter (order kept) and bandwidth are simulated on what the client receives; loss,
   * duplication and reordering apply to what it sends (a warning is logged once). Defaults to none.
   */
  network?: ClientNetworkOptions;
  /** Milliseconds a handshake (connect → accept) may take before failing with `SessionError` `TIMEOUT`. Defaults to `5000`. */
  handshakeTimeout?: number;
  /** Over UDP (or any unreliable link), resend an unanswered Connect/Response every this many ms. Defaults to `250`. */
  handshakeResendInterval?: number;
  /** Milliseconds a join or listing request may wait for its answer before failing with `SessionError` `TIMEOUT`. Defaults to `10000`. */
  requestTimeout?: number;
  /** Milliseconds `room.leave()` waits for the server's `Left` before closing anyway. Defaults to `2000`. */
  leaveTimeout?: number;
  /**
   * Milliseconds without any datagram from the server after which the link counts as dropped. The
   * client's own keep-alives, which the server acks at once, come at most a third (WebSocket probes)
   * or a tenth (UDP) of this apart while the session idles, or every `connection.rttProbeInterval` /
   * `keepAliveInterval` (1000 / 250 ms) where that is longer, so a live server is heard from,
   * unless `connection.idleRttProbeInterval` / `idleKeepAliveInterval` say otherwise (see
   * `probesWithin`). Defaults to `10000`.
   */
  idleTimeout?: number;
  /** Reconnection and resume. */
  reconnect?: ReconnectOptions;
  /** Retrying joins while the server is unavailable (e.g. a cluster manager restarting). */
  joinRetry?: JoinRetryOptions;
  /**
   * Protocol options of every connection (`reliableLink` follows the link), checked by the
   * constructor (`INVALID_OPTION`). Defaults to the transport's defaults.
   */
  connection?: ConnectionOptions;
  /** Limits on decoded msgpack payloads from the server. Defaults to the transport's `DEFAULT_PAYLOAD_LIMITS`. */
  payloadLimits?: Partial<PayloadLimits>;
  /** Where an `'error'` with no listener and other unheard problems are reported. Defaults to `console`. */
  logger?: Logger;
  /**
   * Custom link factory: called with the server URL (or a redirect URL) for every link the client
   * opens, instead of the built-in WebSocket/UDP connectors. Use it to run over a memory link or a
   * simulator pair in tests, or over your own transport. Defaults to none (built-in connectors).
   */
  connect?: (url: string) => Promise<Link>;
  /**
   * Encrypted UDP: the connect token for a `udp://` URL (called with that URL, including a cluster
   * redirect's), e.g. fetched from your own backend over HTTPS. With a token source every `udp://`
   * session is encrypted and authenticated (ChaCha20-Poly1305, see docs/security.md); a resume
   * reuses the session's token. Defaults to none (plain UDP).
   */
  connectToken?: (url: string) => Promise<ConnectToken>;
  /**
   * Encrypted UDP, shortcut for {@link ClientOptions.connectToken}: `POST` this URL (a Netplay
   * server's `/netplay/token`, over `https://` in production) and use the token it answers.
   * Ignored when `connectToken` is given. Defaults to none.
   */
  tokenUrl?: string;
}

/** Defaults of {@link ClientOptions}. */
export const DEFAULT_CLIENT_OPTIONS = {
  clock: realClock,
  network: undefined,
  handshakeTimeout: 5000,
  handshakeResendInterval: 250,
  requestTimeout: 10_000,
  leaveTimeout: 2000,
  idleTimeout: 10_000,
  reconnect: {
    enabled: true,
    initialDelay: 250,
    maxDelay: 5000,
    maxAttempts: Number.POSITIVE_INFINITY,
    jitter: 0.5,
    random: Math.random,
  },
  joinRetry: { budget: 10_000, initialDelay: 200, maxDelay: 2000 },
  connection: undefined,
  payloadLimits: undefined,
  logger: console,
  connect: undefined,
  connectToken: undefined,
  tokenUrl: undefined,
} as const satisfies ClientOptions;

/** {@link ReconnectOptions} with every default filled in. */
export type ResolvedReconnectOptions = Required<ReconnectOptions>;

/** {@link ClientOptions} with every default filled in and validated. */
export interface ResolvedClientOptions {
  readonly clock: Clock;
  readonly network: ClientNetworkOptions | undefined;
  readonly handshakeTimeout: number;
  readonly handshakeResendInterval: number;
  readonly requestTimeout: number;
  readonly leaveTimeout: number;
  readonly idleTimeout: number;
  readonly reconnect: Readonly<ResolvedReconnectOptions>;
  readonly joinRetry: Readonly<Required<JoinRetryOptions>>;
  readonly connection: ConnectionOptions | undefined;
  readonly payloadLimits: Partial<PayloadLimits> | undefined;
  readonly logger: Logger;
  readonly connect: ((url: string) => Promise<Link>) | undefined;
  /** The token source (`connectToken`, or a fetch of `tokenUrl`), or `undefined` for plain UDP. */
  readonly connectToken: ((url: string) => Promise<ConnectToken>) | undefined;
}

function positive(name: string, value: number): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new InvalidOptionError(name, `must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}

/**
 * Fill in defaults and validate.
 * @throws {@link InvalidOptionError} for an out-of-range or mistyped option.
 */
export function resolveClientOptions(options: ClientOptions = {}): ResolvedClientOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'must be an object');
  const d = DEFAULT_CLIENT_OPTIONS;
  const clock = options.clock ?? d.clock;
  if (typeof clock.now !== 'function' || typeof clock.setTimeout !== 'function') {
    throw new InvalidOptionError('clock', 'must implement now() and setTimeout()');
  }
  const r = withDefaults(d.reconnect, options.reconnect);
  if (typeof r.enabled !== 'boolean') throw new InvalidOptionError('reconnect.enabled', 'must be a boolean');
  positive('reconnect.initialDelay', r.initialDelay);
  positive('reconnect.maxDelay', r.maxDelay);
  if (r.maxDelay < r.initialDelay) {
    throw new InvalidOptionError('reconnect.maxDelay', `must be ≥ reconnect.initialDelay (${r.initialDelay})`);
  }
  if (!(r.maxAttempts === Number.POSITIVE_INFINITY || (Number.isSafeInteger(r.maxAttempts) && r.maxAttempts >= 1))) {
    throw new InvalidOptionError('reconnect.maxAttempts', `must be an integer ≥ 1 or Infinity, got ${r.maxAttempts}`);
  }
  if (!(r.jitter >= 0 && r.jitter <= 1)) {
    throw new InvalidOptionError('reconnect.jitter', `must be in [0, 1], got ${r.jitter}`);
  }
  if (typeof r.random !== 'function') throw new InvalidOptionError('reconnect.random', 'must be a function');
  const joinRetry = withDefaults(d.joinRetry, options.joinRetry);
  if (!(typeof joinRetry.budget === 'number' && joinRetry.budget >= 0 && Number.isFinite(joinRetry.budget))) {
    throw new InvalidOptionError('joinRetry.budget', `must be a finite number ≥ 0, got ${String(joinRetry.budget)}`);
  }
  positive('joinRetry.initialDelay', joinRetry.initialDelay);
  positive('joinRetry.maxDelay', joinRetry.maxDelay);
  const idleTimeout = positive('idleTimeout', options.idleTimeout ?? d.idleTimeout);
  const logger = options.logger ?? d.logger;
  if (typeof logger.warn !== 'function' || typeof logger.error !== 'function') {
    throw new InvalidOptionError('logger', 'must have warn() and error()');
  }
  if (options.connect !== undefined && typeof options.connect !== 'function') {
    throw new InvalidOptionError('connect', 'must be a function (url) => Promise<Link>');
  }
  if (options.connectToken !== undefined && typeof options.connectToken !== 'function') {
    throw new InvalidOptionError('connectToken', 'must be a function (url) => Promise<ConnectToken>');
  }
  if (options.tokenUrl !== undefined && !/^https?:\/\//i.test(String(options.tokenUrl))) {
    throw new InvalidOptionError('tokenUrl', 'must be an http:// or https:// URL');
  }
  const connectToken =
    options.connectToken ?? (options.tokenUrl === undefined ? undefined : fetchToken(options.tokenUrl));
  const network = options.network;
  if (network !== undefined && (network === null || typeof network !== 'object')) {
    throw new InvalidOptionError('network', 'must be an object of network conditions');
  }
  if (network?.seed !== undefined && !Number.isSafeInteger(network.seed)) {
    throw new InvalidOptionError('network.seed', `must be an integer, got ${network.seed}`);
  }
  return {
    clock,
    network,
    handshakeTimeout: positive('handshakeTimeout', options.handshakeTimeout ?? d.handshakeTimeout),
    handshakeResendInterval: positive(
      'handshakeResendInterval',
      options.handshakeResendInterval ?? d.handshakeResendInterval,
    ),
    requestTimeout: positive('requestTimeout', options.requestTimeout ?? d.requestTimeout),
    leaveTimeout: positive('leaveTimeout', options.leaveTimeout ?? d.leaveTimeout),
    idleTimeout,
    reconnect: Object.freeze(r),
    joinRetry: Object.freeze(joinRetry),
    connection: probesWithin(checkConnectionOptions(options.connection), idleTimeout),
    payloadLimits: options.payloadLimits,
    logger,
    connect: options.connect,
    connectToken,
  };
}

/** A token source that `POST`s `tokenUrl` (global `fetch`) and returns the JSON answer. */
function fetchToken(tokenUrl: string): (url: string) => Promise<ConnectToken> {
  return async () => {
    const response = await fetch(tokenUrl, { method: 'POST', headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(`${tokenUrl} answered ${response.status}`);
    return (await response.json()) as ConnectToken;
  };
}
