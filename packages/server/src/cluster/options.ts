/**
 * Options of a {@link ClusterServer}, with every default in one place ({@link DEFAULT_CLUSTER_OPTIONS}).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { InvalidOptionError, withDefaults } from '@netplay/transport';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../logging.js';
import type { Logger, ServerOptions } from '../options.js';
import type { ClusterRegistry } from '../presence/registry.js';
import { PLACEMENT_NAMES, type PlacementStrategy } from './placement.js';

/** A contiguous range of ports, one per worker. */
export interface PortRange {
  /** First port (worker 0). */
  from: number;
  /** Last port, inclusive. Defaults to `from + workers - 1`; must leave room for every worker. */
  to?: number;
}

/**
 * Server options every worker runs with: the serializable part of {@link ServerOptions}, each
 * documented there with its default (`DEFAULT_SERVER_OPTIONS`); ports, clock, logger and secret
 * are the cluster's. In a cluster the limits (`maxSessions`, `maxSessionsPerAddress`, `maxRooms`,
 * `maxPendingHandshakes`, `maxPendingHandshakesPerAddress`, `floodBanSeconds`) hold per worker, and
 * `seatReservationTime` is also the lifetime of a redirect's seat token. The manager's own listener
 * and sessions use them too: `tls` (redirects then name `wss://` URLs), `allowedOrigins`,
 * `maxPayload`, `backlog`, `secureUdp`, `path`, `connection`, `payloadLimits`, the timeouts and session limits.
 */
export interface WorkerServerOptions
  extends Pick<
    ServerOptions,
    | 'path'
    | 'connection'
    | 'payloadLimits'
    | 'reconnectGrace'
    | 'idleTimeout'
    | 'handshakeTimeout'
    | 'maxSessions'
    | 'maxSessionsPerAddress'
    | 'maxRooms'
    | 'rateLimit'
    | 'seatReservationTime'
    | 'shutdownTimeout'
    | 'tls'
    | 'allowedOrigins'
    | 'maxPayload'
    | 'backlog'
    | 'secureUdp'
    | 'maxPendingHandshakes'
    | 'maxPendingHandshakesPerAddress'
    | 'floodBanSeconds'
  > {
  /** What workers log (to the console): `'info'`, `'warn'`, `'error'` or `'silent'`. Defaults to `'info'`. */
  logLevel?: LogLevel;
}

/** Which built-in placement strategy, or your own. */
export type PlacementOption = (typeof PLACEMENT_NAMES)[number] | PlacementStrategy;

/** Backoff of a worker that keeps crashing. */
export interface RestartBackoffOptions {
  /** Delay before restarting a worker that crashed soon after it started, in ms. Defaults to 500. */
  initialDelay?: number;
  /** Longest delay, in ms (each further quick crash doubles it). Defaults to 30000. */
  maxDelay?: number;
  /**
   * A worker that ran at least this long (ms) before dying is restarted at once and its backoff
   * reset; one that died sooner counts as a crash loop. Defaults to 10000.
   */
  stableAfter?: number;
}

/** Options of a {@link ClusterServer}. Only `rooms` is required. */
export interface ClusterServerOptions {
  /** Path of the rooms module every worker loads (see docs/cluster.md). Relative to the working directory. */
  rooms: string;
  /** TCP port of the manager (HTTP + WebSocket): where clients join. 0 picks a free port. Defaults to 2567. */
  port?: number;
  /** Interface the manager and workers bind. Defaults to `'0.0.0.0'`. */
  host?: string;
  /** UDP port of the manager; UDP is off (manager and workers) when absent. */
  udpPort?: number;
  /** Number of worker processes. Defaults to `os.availableParallelism()`. */
  workers?: number;
  /**
   * TCP ports of the workers (WebSocket). Defaults to `{ from: 7001 }`. A replacement worker binds
   * its predecessor's port again, so keep them outside the OS's ephemeral range (Linux:
   * `/proc/sys/net/ipv4/ip_local_port_range`, 32768–60999 by default): a free port there may be
   * handed to an outgoing connection meanwhile, and the replacement then fails to bind until it is
   * released (the manager retries with its restart backoff).
   */
  workerPorts?: PortRange;
  /** UDP ports of the workers, when `udpPort` is set. Defaults to the numbers of `workerPorts`. */
  workerUdpPorts?: PortRange;
  /**
   * Host name put in redirect URLs (`ws://publicHost:port`). Defaults to `host`, or `'127.0.0.1'`
   * when `host` is a wildcard address: set it to the machine's public name in production.
   */
  publicHost?: string;
  /** How a new room picks its worker. Defaults to `'least-connections'`. */
  placement?: PlacementOption;
  /**
   * Whether a new room may go to another node's worker (nodes sharing a registry, e.g. Redis):
   * `'fallback'` only when this node has no live worker (all restarting), `'always'` the placement
   * strategy weighs every node's workers (other nodes' load as last published, index ≥ `workers`),
   * `'never'`. Defaults to `'fallback'`.
   */
  placeAcrossNodes?: 'fallback' | 'always' | 'never';
  /** Milliseconds between worker heartbeats (load reports). Defaults to 250. */
  heartbeatInterval?: number;
  /** A worker silent this many ms is declared hung, killed and replaced. Defaults to 1500. */
  heartbeatTimeout?: number;
  /** Milliseconds a worker has to start (load the rooms module and bind its ports). Defaults to 20000. */
  workerStartTimeout?: number;
  /** Milliseconds a manager ↔ worker request may take. Defaults to 5000. */
  ipcTimeout?: number;
  /** Milliseconds `shutdown()` lets workers flush and close before killing them. Defaults to 10000. */
  shutdownTimeout?: number;
  /** Restart backoff of crashing workers. */
  restartBackoff?: RestartBackoffOptions;
  /**
   * Secret that signs seat tokens (HMAC-SHA256), 16+ bytes (32 recommended). Defaults to random
   * bytes per manager (tokens are signed and verified by that manager's workers only).
   */
  secret?: Uint8Array;
  /**
   * Redis URL (`redis://host:port/db`): the registry and the relay between machines, so several
   * managers sharing one Redis act as one cluster. Defaults to none (the in-process registry).
   */
  redis?: string;
  /** A registry instance (overrides `redis`), e.g. one `LocalRegistry` shared by managers in one process. */
  registry?: ClusterRegistry;
  /** Milliseconds a node's registry entry (its workers and rooms) lives unless refreshed. Defaults to 5000. */
  registryTtl?: number;
  /** Options of every worker's server (and of the manager's sessions). */
  server?: WorkerServerOptions;
  /** Extra `execArgv` for worker processes. Defaults to none. */
  execArgv?: string[];
  /**
   * Directory of the workers' control sockets (`worker-<index>-<port>.sock`; created with mode 0700,
   * keep an existing one private: whoever can connect can control the workers), where a
   * restarted manager finds the workers of one that died and adopts them. Defaults to
   * `<os.tmpdir()>/netplay-<uid>-<first worker port>` (the worker ports identify a cluster on a machine).
   */
  runDir?: string;
  /**
   * On `listen()`, adopt the live workers found in `runDir` (left by a manager that died) instead of
   * starting new ones: their rooms, sessions and seats carry on. Defaults to `true`.
   */
  adoptWorkers?: boolean;
  /**
   * Milliseconds a worker keeps running without a manager (it crashed and nobody restarted it)
   * before it shuts down gracefully, so orphans do not live for ever. 0 = no limit. Defaults to 0.
   */
  orphanTimeout?: number;
  /** Where the manager reports worker deaths, restarts and errors. Defaults to `console`. */
  logger?: Logger;
}

/** Defaults of {@link ClusterServerOptions} (those that have one). */
export const DEFAULT_CLUSTER_OPTIONS = {
  port: 2567,
  host: '0.0.0.0',
  workerPorts: { from: 7001 },
  placement: 'least-connections',
  heartbeatInterval: 250,
  heartbeatTimeout: 1500,
  workerStartTimeout: 20_000,
  ipcTimeout: 5000,
  shutdownTimeout: 10_000,
  restartBackoff: { initialDelay: 500, maxDelay: 30_000, stableAfter: 10_000 },
  registryTtl: 5000,
  adoptWorkers: true,
  orphanTimeout: 0,
  placeAcrossNodes: 'fallback',
} as const satisfies Partial<ClusterServerOptions>;

/** {@link ClusterServerOptions} with every default filled in. */
export interface ResolvedClusterOptions {
  rooms: string;
  port: number;
  host: string;
  udpPort: number | undefined;
  workers: number;
  workerPorts: readonly number[];
  workerUdpPorts: readonly number[] | undefined;
  publicHost: string;
  placement: PlacementOption;
  placeAcrossNodes: 'fallback' | 'always' | 'never';
  heartbeatInterval: number;
  heartbeatTimeout: number;
  workerStartTimeout: number;
  ipcTimeout: number;
  shutdownTimeout: number;
  restartBackoff: Required<RestartBackoffOptions>;
  secret: Uint8Array;
  redis: string | undefined;
  registry: ClusterRegistry | undefined;
  registryTtl: number;
  server: WorkerServerOptions;
  execArgv: string[];
  runDir: string;
  adoptWorkers: boolean;
  orphanTimeout: number;
  logger: Logger;
}

const positive = (name: string, value: number, integer = false): number => {
  if (!(typeof value === 'number' && value > 0 && (!integer || Number.isInteger(value)))) {
    throw new InvalidOptionError(name, integer ? 'must be a positive integer' : 'must be a positive number');
  }
  return value;
};

function oneOf<T extends string>(name: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) throw new InvalidOptionError(name, `must be one of ${allowed.join(', ')}`);
  return value;
}

const nonNegative = (name: string, value: number): number => {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new InvalidOptionError(name, 'must be a finite number >= 0');
  }
  return value;
};

function placement(option: PlacementOption): PlacementOption {
  return typeof option === 'object' && option !== null ? option : oneOf('placement', option, PLACEMENT_NAMES);
}

function ports(name: string, range: PortRange, workers: number): number[] {
  const { from } = range;
  const to = range.to ?? from + workers - 1;
  if (!(Number.isInteger(from) && from >= 1 && Number.isInteger(to) && to <= 65_535 && to >= from)) {
    throw new InvalidOptionError(name, 'must be a range of ports within 1..65535 (from <= to)');
  }
  if (to - from + 1 < workers) {
    throw new InvalidOptionError(name, `${from}-${to} has ${to - from + 1} port(s) for ${workers} worker(s)`);
  }
  return Array.from({ length: workers }, (_, i) => from + i);
}

/**
 * Fill in defaults and validate.
 * @throws `InvalidOptionError` naming the first bad option.
 */
export function resolveClusterOptions(options: ClusterServerOptions): ResolvedClusterOptions {
  const d = DEFAULT_CLUSTER_OPTIONS;
  if (typeof options.rooms !== 'string' || options.rooms.length === 0) {
    throw new InvalidOptionError('rooms', 'the path of a rooms module is required');
  }
  const workers = positive('workers', options.workers ?? availableParallelism(), true);
  const host = options.host ?? d.host;
  const port = options.port ?? d.port;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65_535))
    throw new InvalidOptionError('port', 'must be 0..65535');
  const workerPorts = ports('workerPorts', options.workerPorts ?? d.workerPorts, workers);
  const udp = options.udpPort;
  if (udp !== undefined && !(Number.isInteger(udp) && udp >= 0 && udp <= 65_535)) {
    throw new InvalidOptionError('udpPort', 'must be 0..65535');
  }
  const secret = options.secret ?? new Uint8Array(randomBytes(32));
  if (secret.length < 16) throw new InvalidOptionError('secret', 'must be at least 16 bytes (32 recommended)');
  const heartbeatInterval = positive('heartbeatInterval', options.heartbeatInterval ?? d.heartbeatInterval);
  const heartbeatTimeout = positive('heartbeatTimeout', options.heartbeatTimeout ?? d.heartbeatTimeout);
  if (heartbeatTimeout <= heartbeatInterval) {
    throw new InvalidOptionError('heartbeatTimeout', 'must be longer than heartbeatInterval');
  }
  const backoff = withDefaults(d.restartBackoff, options.restartBackoff);
  positive('restartBackoff.initialDelay', backoff.initialDelay);
  positive('restartBackoff.maxDelay', backoff.maxDelay);
  positive('restartBackoff.stableAfter', backoff.stableAfter);
  const server = { ...options.server };
  // Checked here, as the manager checks the other server options: a worker would only fail to start.
  if (server.logLevel !== undefined && !isLogLevel(server.logLevel)) {
    throw new InvalidOptionError('server.logLevel', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const wildcard = host === '0.0.0.0' || host === '::';
  return {
    rooms: isAbsolute(options.rooms) ? options.rooms : resolve(options.rooms),
    port,
    host,
    udpPort: udp,
    workers,
    workerPorts,
    workerUdpPorts:
      udp === undefined
        ? undefined
        : ports('workerUdpPorts', options.workerUdpPorts ?? { from: workerPorts[0]! }, workers),
    publicHost: options.publicHost ?? (wildcard ? '127.0.0.1' : host),
    placement: placement(options.placement ?? d.placement),
    placeAcrossNodes: oneOf('placeAcrossNodes', options.placeAcrossNodes ?? d.placeAcrossNodes, [
      'fallback',
      'always',
      'never',
    ] as const),
    heartbeatInterval,
    heartbeatTimeout,
    workerStartTimeout: positive('workerStartTimeout', options.workerStartTimeout ?? d.workerStartTimeout),
    ipcTimeout: positive('ipcTimeout', options.ipcTimeout ?? d.ipcTimeout),
    shutdownTimeout: positive('shutdownTimeout', options.shutdownTimeout ?? d.shutdownTimeout),
    restartBackoff: backoff,
    secret,
    redis: options.redis,
    registry: options.registry,
    registryTtl: positive('registryTtl', options.registryTtl ?? d.registryTtl),
    server,
    execArgv: [...(options.execArgv ?? [])],
    runDir: resolve(options.runDir ?? join(tmpdir(), `netplay-${process.getuid?.() ?? 'u'}-${workerPorts[0]}`)),
    adoptWorkers: options.adoptWorkers ?? d.adoptWorkers,
    orphanTimeout: nonNegative('orphanTimeout', options.orphanTimeout ?? d.orphanTimeout),
    logger: options.logger ?? console,
  };
}
