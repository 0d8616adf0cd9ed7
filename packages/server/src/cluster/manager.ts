/**
 * {@link ClusterServer}: the cluster manager. It listens on the well-known port, starts one worker
 * process per port of a range, places each new room on the least-loaded worker, answers joins with
 * a redirect to that worker and a signed seat token, watches the workers' heartbeats (replacing a
 * dead or hung one on the same port), relays direct messages and presence between workers, and —
 * with Redis — between machines.
 *
 * ```ts
 * const cluster = new ClusterServer({ port: 2567, workers: 4, workerPorts: { from: 7001 }, rooms: './rooms.js' });
 * await cluster.listen();
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { access, rm, rmdir } from 'node:fs/promises';
import {
  CloseCode,
  InvalidOptionError,
  type JoinMethod,
  PayloadCodec,
  type RoomListing,
  realClock,
  SessionError,
  SessionErrorCode,
} from '@netplay/transport';
import { type ResolvedServerOptions, resolveServerOptions } from '../options.js';
import { LocalRegistry } from '../presence/local-registry.js';
import type { ClusterRegistry, NodeEntry, RoomEntry, WorkerEntry } from '../presence/registry.js';
import { type LinkKind, SessionLayer } from '../session/session-layer.js';
import { controlSocketPath, ensureRunDir } from './control-socket.js';
import { ClusterError, ClusterErrorCode } from './errors.js';
import { type DirectMessage, type PresenceMessage, type ReserveRequest, sessionOwner } from './ipc.js';
import { listenManager, type ManagerListeners } from './listeners.js';
import { ManagerSessionEvents } from './manager-events.js';
import { NodeBus, type RemoteSeat } from './node-bus.js';
import { type ClusterServerOptions, type ResolvedClusterOptions, resolveClusterOptions } from './options.js';
import { type PlacementStrategy, placementStrategy, type WorkerLoad } from './placement.js';
import { type LostWorker, WorkerSlot, type WorkerSlotState } from './worker-slot.js';

/**
 * Grace of a manager session whose link drops: it only carries a join or a listing, so a client
 * that lost it simply asks again.
 */
const MANAGER_SESSION_GRACE_MS = 1000;

/** Lifecycle of a {@link ClusterServer}. */
export type ClusterState = 'idle' | 'starting' | 'listening' | 'shutting-down' | 'closed';

/** A worker as {@link ClusterServer.workers} shows it. */
export interface WorkerInfo {
  readonly index: number;
  readonly port: number;
  readonly udpPort: number | undefined;
  readonly state: WorkerSlotState;
  readonly pid: number | undefined;
  /** 1 for the first process on this port, +1 per replacement. */
  readonly incarnation: number;
  /** Sessions on the worker (as of its last heartbeat). */
  readonly sessions: number;
  /** Seats reserved on the worker and not used yet (as of its last heartbeat); placement counts them as connections. */
  readonly reservedSeats: number;
  /** Rooms on the worker (as of its last heartbeat). */
  readonly rooms: number;
  /** Mean event-loop delay over the last heartbeat, ms. */
  readonly eventLoopLag: number;
  /** `true` when the worker was started by a manager that died, and adopted by this one. */
  readonly adopted: boolean;
}

/** Events of a {@link ClusterServer} (node `EventEmitter`). */
export interface ClusterEvents {
  /** A worker (first start or replacement) is listening. */
  'worker-ready': [worker: WorkerInfo];
  /**
   * A worker died or stopped answering heartbeats; its rooms are gone. `worker` is the lost
   * process as it last stood: its pid, and its sessions and rooms as of its last heartbeat.
   */
  'worker-lost': [worker: WorkerInfo, reason: string];
}

/** See the module description. */
export class ClusterServer extends EventEmitter<ClusterEvents> {
  /** The resolved options. */
  readonly options: Readonly<ResolvedClusterOptions>;
  #nodeId: string = randomBytes(4).toString('hex');
  readonly #slots: WorkerSlot[];
  readonly #placement: PlacementStrategy;
  readonly #codec: PayloadCodec;
  /** `options.server` resolved: what the manager's own sessions and listeners run with. */
  readonly #server: ResolvedServerOptions;
  readonly #sessions: Record<LinkKind, SessionLayer>;
  readonly #createLocks = new Map<string, Promise<unknown>>();
  #registry: ClusterRegistry | undefined;
  #bus: NodeBus | undefined;
  #listeners: ManagerListeners | undefined;
  #timers: ReturnType<typeof setInterval>[] = [];
  #state: ClusterState = 'idle';
  /** Node ids seen in the registry at the last refresh. */
  #knownNodes = new Set<string>();
  #refreshing: Promise<Set<string>> | undefined;
  #publishing = false;
  #lastWatchdog = Date.now();
  #publishAgain = false;
  #shutdown: Promise<void> | undefined;

  /**
   * @param options - see {@link ClusterServerOptions}; defaults in `DEFAULT_CLUSTER_OPTIONS`.
   * @throws `InvalidOptionError` for a bad option.
   */
  constructor(options: ClusterServerOptions) {
    super();
    const o = resolveClusterOptions(options);
    this.options = o;
    this.#placement = placementStrategy(o.placement);
    this.#codec = new PayloadCodec(o.server.payloadLimits ?? {});
    const cluster = this;
    const owner = {
      get nodeId() {
        return cluster.#nodeId;
      },
      options: o,
      direct: (_slot: WorkerSlot, m: DirectMessage) => this.#direct(m),
      presence: (slot: WorkerSlot, m: PresenceMessage) => this.#presence(m, slot),
      ready: (slot: WorkerSlot) => this.emit('worker-ready', info(slot)),
      lost: (slot: WorkerSlot, reason: string, was: LostWorker) => this.#lost(slot, reason, was),
    };
    this.#slots = o.workerPorts.map((_, i) => new WorkerSlot(owner, i));
    // The workers' server options, resolved (defaults, validation) the way each worker's Server does.
    const s = resolveServerOptions({ ...o.server, secret: o.secret, logger: o.logger });
    this.#server = s;
    const layer = (kind: LinkKind) =>
      new SessionLayer({
        clock: realClock,
        codec: this.#codec,
        events: new ManagerSessionEvents(
          kind,
          { place: (...a) => this.#place(...a), list: (name) => this.getAvailableRooms(name) },
          this.#codec,
          o.logger,
        ),
        logger: o.logger,
        connection: s.connection,
        secret: o.secret,
        reconnectGraceMs: MANAGER_SESSION_GRACE_MS,
        idleTimeoutMs: s.idleTimeout,
        handshakeTimeoutMs: s.handshakeTimeout,
        drainTimeoutMs: s.shutdownTimeout,
        maxSessions: s.maxSessions,
        maxSessionsPerAddress: s.maxSessionsPerAddress,
      });
    this.#sessions = { websocket: layer('websocket'), udp: layer('udp') };
  }

  /**
   * This manager's node id in the registry: random per instance, or — when `listen()` adopted the
   * workers of a manager that died — that manager's id (session ids and seat tokens carry it).
   */
  get nodeId(): string {
    return this.#nodeId;
  }

  /** Current lifecycle state. */
  get state(): ClusterState {
    return this.#state;
  }

  /** The manager's TCP port (the bound one when `port: 0`). */
  get port(): number {
    return this.#listeners?.port ?? this.options.port;
  }

  /** The manager's UDP port, or `undefined` when UDP is off. */
  get udpPort(): number | undefined {
    return this.#listeners?.udpPort ?? this.options.udpPort;
  }

  /** The workers, their state and load. */
  get workers(): WorkerInfo[] {
    return this.#slots.map((slot) => info(slot));
  }

  /**
   * Start every worker (in parallel), then listen on the manager's port(s).
   * @throws {@link ClusterError} `ROOMS_MODULE_NOT_FOUND` (missing or failing to import),
   *   `ROOMS_MODULE_EMPTY` (defines no room), `WORKER_START_FAILED` (e.g. a worker port is taken),
   *   `REGISTRY_ERROR` (Redis unreachable); a `LINK_ERROR` when the manager's port is taken.
   *   Nothing it started is left running then (adopted workers are let go, still serving their rooms).
   *
   * With `adoptWorkers` (the default), workers left running by a manager that died (found on their
   * control sockets in `runDir`) are adopted first — rooms, sessions and seats carry on, and this
   * manager takes over that manager's node id — and only the missing ones are started.
   */
  async listen(): Promise<void> {
    if (this.#state !== 'idle') throw new InvalidOptionError('listen', `cluster is ${this.#state}`);
    this.#state = 'starting';
    const o = this.options;
    try {
      await access(o.rooms).catch((cause: unknown) => {
        throw new ClusterError(ClusterErrorCode.ROOMS_MODULE_NOT_FOUND, `rooms module not found: ${o.rooms}`, {
          cause,
        });
      });
      try {
        ensureRunDir(o.runDir);
      } catch (cause) {
        throw new ClusterError(
          ClusterErrorCode.WORKER_START_FAILED,
          `cannot create the run directory ${o.runDir}: ${String(cause)}`,
          { cause },
        );
      }
      const adopted = o.adoptWorkers ? await this.#adoptWorkers() : [];
      this.#registry = o.registry ?? (o.redis !== undefined ? await connectRedis(o.redis) : new LocalRegistry());
      this.#bus = new NodeBus(
        this.#registry,
        this.nodeId,
        {
          reserve: ({ worker, request, kind }) => this.#reserveLocal(worker, request, kind),
          direct: (m) => this.#deliverLocal(m),
        },
        (m) => this.#presence(m, undefined),
        o.ipcTimeout,
      );
      await this.#bus.start();
      const started = await Promise.allSettled(
        this.#slots.filter((slot) => !adopted.includes(slot)).map((slot) => slot.start()),
      );
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      const s = this.#server;
      this.#listeners = await listenManager({
        host: o.host,
        port: o.port,
        udpPort: o.udpPort,
        path: s.path,
        maxPeers: s.maxSessions + 1024,
        // The public entry point is hardened like the workers: TLS, origin checks, payload cap.
        tls: s.tls,
        allowedOrigins: s.allowedOrigins,
        maxPayload: s.maxPayload,
        backlog: s.backlog,
        udpEncryption: s.secureUdp !== 'off',
        onLink: (link, kind, address, port) => this.#sessions[kind].accept(link, kind, address, port),
        health: () => ({ status: this.#state, nodeId: this.nodeId, workers: this.workers }),
        rooms: (name) => this.getAvailableRooms(name),
        onError: (error) => o.logger.error('netplay cluster: udp socket failed', error),
      });
    } catch (error) {
      for (const slot of this.#slots) if (slot.adopted) slot.release();
      await this.#stopAll('failed to start');
      this.#state = 'closed';
      throw error;
    }
    this.#sessions.websocket.start();
    this.#sessions.udp.start();
    this.#timers.push(setInterval(() => this.#watchdog(), o.heartbeatInterval));
    const publishEvery = Math.max(o.heartbeatInterval, Math.min(1000, o.registryTtl / 3));
    this.#timers.push(setInterval(() => void this.#publish(), publishEvery));
    await this.#publish();
    this.#state = 'listening';
  }

  /**
   * Adopt the live workers of a manager that died (their control sockets in `runDir`). Returns the
   * adopted slots. A worker of another node id than the first one adopted is shut down (a new one
   * takes its port); a worker that refuses (it has a live manager) fails the start.
   */
  async #adoptWorkers(): Promise<WorkerSlot[]> {
    const results = await Promise.allSettled(this.#slots.map((slot) => slot.adopt()));
    const adopted: WorkerSlot[] = [];
    let node: string | undefined;
    let incarnation = 0;
    for (const [i, r] of results.entries()) {
      const slot = this.#slots[i]!;
      if (r.status === 'rejected') {
        // listen() lets every adopted worker go again.
        const why = r.reason instanceof Error ? r.reason.message : String(r.reason);
        throw new ClusterError(
          ClusterErrorCode.WORKER_START_FAILED,
          `worker ${i} (port ${slot.port}) refused to be adopted (${why}): is another manager running for these ports?`,
          { cause: r.reason },
        );
      }
      const reply = r.value;
      if (reply === undefined) continue;
      node ??= reply.nodeId;
      if (reply.nodeId !== node) {
        await slot.stop('replaced: it belonged to another cluster node');
        continue;
      }
      incarnation = Math.max(incarnation, reply.incarnation);
      adopted.push(slot);
      this.options.logger.warn(
        `netplay cluster: adopted worker ${i} (port ${slot.port}, pid ${reply.pid}, ${reply.report.rooms} room(s), ` +
          `${reply.report.sessions} session(s)) of node ${reply.nodeId}, without a manager for ${reply.orphanedFor} ms`,
      );
    }
    if (node !== undefined) {
      this.#nodeId = node;
      // New workers of this node get an incarnation above every adopted one.
      for (const slot of this.#slots) if (!adopted.includes(slot)) slot.incarnation = incarnation;
    }
    return adopted;
  }

  /**
   * Public, unlocked rooms with a free seat, of type `name` (every type when empty), on every
   * worker of every node sharing the registry.
   */
  async getAvailableRooms(name = ''): Promise<RoomListing[]> {
    const rooms = await this.#allRooms();
    return rooms.filter((r) => r.available && (name === '' || r.name === name)).map(listing);
  }

  /**
   * Graceful shutdown: stop placing rooms and accepting joins, let every worker dispose its rooms
   * (members get `leave` with `CloseCode.SHUTDOWN`) and flush, close the manager's sessions and
   * listeners, leave the registry. Idempotent.
   */
  shutdown(reason = 'server shutting down'): Promise<void> {
    this.#shutdown ??= this.#runShutdown(reason);
    return this.#shutdown;
  }

  async #runShutdown(reason: string): Promise<void> {
    if (this.#state === 'idle') {
      this.#state = 'closed';
      return;
    }
    this.#state = 'shutting-down';
    await this.#stopAll(reason);
    this.#state = 'closed';
  }

  async #stopAll(reason: string): Promise<void> {
    for (const t of this.#timers.splice(0)) clearInterval(t);
    this.#sessions.websocket.stopAccepting();
    this.#sessions.udp.stopAccepting();
    await Promise.all(this.#slots.map((slot) => slot.stop(reason)));
    await Promise.all([
      this.#sessions.websocket.closeAll(CloseCode.SHUTDOWN, reason),
      this.#sessions.udp.closeAll(CloseCode.SHUTDOWN, reason),
    ]);
    await this.#listeners?.close();
    await this.#bus?.stop();
    // Stale control sockets of workers that were killed go (a released adopted worker keeps its
    // own), then the run directory when nothing else is in it.
    for (const slot of this.#slots) {
      if (!slot.ownsControlSocket) continue;
      await rm(controlSocketPath(this.options.runDir, slot.index, slot.port), { force: true });
    }
    await rmdir(this.options.runDir).catch(() => {});
    const registry = this.#registry;
    if (registry !== undefined) {
      await registry.removeNode(this.nodeId).catch(() => {});
      if (this.options.registry === undefined) await registry.close().catch(() => {});
    }
  }

  // ---- placement and joins -------------------------------------------------------------------

  async #place(
    method: JoinMethod,
    room: string,
    options: Record<string, unknown>,
    kind: LinkKind,
    remoteAddress: string,
  ): Promise<{ url: string; token: string }> {
    if (this.#state !== 'listening') throw new SessionError(SessionErrorCode.SHUTTING_DOWN, 'server is shutting down');
    if (method === 'joinById') {
      const entry = (await this.#allRooms()).find((r) => r.roomId === room);
      if (entry === undefined) throw new SessionError(SessionErrorCode.ROOM_NOT_FOUND, `no room with id ${room}`);
      return this.#reserveOn(entry.nodeId, entry.worker, { method, room, options }, kind);
    }
    if (method === 'create') return this.#create(room, options, kind, remoteAddress);
    // join / joinOrCreate: one at a time per room type on this manager, so two joinOrCreate never
    // create two rooms where one would do.
    // Whether the previous one succeeded or not, this one runs after it.
    const join = () => this.#joinExisting(method, room, options, kind, remoteAddress);
    const run = (this.#createLocks.get(room) ?? Promise.resolve()).then(join, join);
    this.#createLocks.set(room, run);
    void run
      .finally(() => {
        if (this.#createLocks.get(room) === run) this.#createLocks.delete(room);
      })
      .catch(() => {});
    return run;
  }

  async #joinExisting(
    method: JoinMethod,
    room: string,
    options: Record<string, unknown>,
    kind: LinkKind,
    remoteAddress: string,
  ): Promise<{ url: string; token: string }> {
    const candidates = (await this.#allRooms()).filter((r) => r.available && r.name === room);
    // Our own node first (a shorter path), then the others.
    candidates.sort((a, b) => Number(b.nodeId === this.nodeId) - Number(a.nodeId === this.nodeId));
    for (const entry of candidates.slice(0, 4)) {
      try {
        return await this.#reserveOn(
          entry.nodeId,
          entry.worker,
          { method: 'joinById', room: entry.roomId, options },
          kind,
        );
      } catch (error) {
        // The listing was stale (full, locked, gone): try the next room.
        if (!(error instanceof SessionError) || error.code === SessionErrorCode.AUTH_FAILED) throw error;
      }
    }
    if (method === 'join') throw new SessionError(SessionErrorCode.ROOM_NOT_FOUND, `no available ${room} room`);
    return this.#create(room, options, kind, remoteAddress);
  }

  async #create(
    room: string,
    options: Record<string, unknown>,
    kind: LinkKind,
    remoteAddress: string,
  ): Promise<{ url: string; token: string }> {
    const local = this.#slots.filter((s) => s.state === 'ready').map((s) => s.load());
    const across = this.options.placeAcrossNodes;
    // Other nodes' workers (from the registry, up to one refresh stale), indexed after ours.
    const remote =
      across === 'always' || (across === 'fallback' && local.length === 0) ? await this.#remoteWorkers() : [];
    const offset = this.#slots.length;
    const candidates = [...local, ...remote.map((r, i) => ({ ...r.load, index: offset + i }))];
    if (candidates.length === 0) {
      throw new SessionError(SessionErrorCode.UNAVAILABLE, 'no worker is available; retry later');
    }
    const chosen = this.#placement.choose(candidates, { roomName: room, remoteAddress });
    const request: ReserveRequest = { method: 'create', room, options };
    if (chosen.index < offset) return this.#reserveLocal(chosen.index, request, kind);
    const there = remote[chosen.index - offset]!;
    return this.#reserveOn(there.nodeId, there.worker, request, kind);
  }

  /** Live workers of the other nodes sharing the registry, with their load as last published. */
  async #remoteWorkers(): Promise<{ nodeId: string; worker: number; load: WorkerLoad }[]> {
    let nodes: NodeEntry[];
    try {
      nodes = (await this.#registry?.nodes()) ?? [];
    } catch {
      return [];
    }
    return nodes
      .filter((n) => n.nodeId !== this.nodeId)
      .sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1))
      .flatMap((n) =>
        n.workers.map((w) => ({
          nodeId: n.nodeId,
          worker: w.index,
          load: { index: w.index, connections: w.sessions, rooms: w.rooms, eventLoopLag: 0 },
        })),
      );
  }

  async #reserveOn(nodeId: string, worker: number, request: ReserveRequest, kind: LinkKind): Promise<RemoteSeat> {
    if (nodeId === this.nodeId) return this.#reserveLocal(worker, request, kind);
    const bus = this.#bus;
    if (bus === undefined) throw new SessionError(SessionErrorCode.UNAVAILABLE, 'cluster is not running');
    try {
      return await bus.request(nodeId, 'reserve', { worker, request, kind });
    } catch (error) {
      if (error instanceof SessionError) throw error;
      throw new SessionError(SessionErrorCode.UNAVAILABLE, `node ${nodeId} did not answer`, { cause: error });
    }
  }

  async #reserveLocal(worker: number, request: ReserveRequest, kind: LinkKind): Promise<RemoteSeat> {
    const slot = this.#slots[worker];
    if (slot === undefined || slot.state !== 'ready') {
      throw new SessionError(SessionErrorCode.ROOM_NOT_FOUND, `worker ${worker} is not running`);
    }
    try {
      const reply = await slot.reserve(request);
      // A new room is published at once, so other nodes find it by id before the next refresh.
      if (request.method === 'create' && this.#registry !== undefined && !(this.#registry instanceof LocalRegistry)) {
        this.#publishSoon();
      }
      return { url: slot.url(kind), token: reply.token, roomId: reply.roomId };
    } catch (error) {
      if (error instanceof SessionError) throw error;
      throw new SessionError(SessionErrorCode.UNAVAILABLE, `worker ${worker} did not answer; retry`, { cause: error });
    }
  }

  // ---- registry ------------------------------------------------------------------------------

  #localRooms(): RoomEntry[] {
    const out: RoomEntry[] = [];
    for (const slot of this.#slots) {
      const report = slot.state === 'ready' ? slot.report : undefined;
      if (report === undefined) continue;
      const available = new Set<string>();
      for (const r of report.available) {
        available.add(r.roomId);
        out.push({ ...r, nodeId: this.nodeId, worker: slot.index, available: true });
      }
      for (const roomId of report.roomIds) {
        if (available.has(roomId)) continue;
        out.push({
          roomId,
          name: '',
          clients: 0,
          maxClients: 0,
          locked: false,
          metadata: {},
          nodeId: this.nodeId,
          worker: slot.index,
          available: false,
        });
      }
    }
    return out;
  }

  async #allRooms(): Promise<RoomEntry[]> {
    const local = this.#localRooms();
    // Other managers sharing the registry (in-process or Redis) publish their rooms there.
    let nodes: NodeEntry[];
    try {
      nodes = (await this.#registry?.nodes()) ?? [];
    } catch (error) {
      this.options.logger.warn('netplay cluster: registry unavailable, listing this node only', error);
      return local;
    }
    return [...local, ...nodes.filter((n) => n.nodeId !== this.nodeId).flatMap((n) => n.rooms)];
  }

  async #publish(): Promise<void> {
    const registry = this.#registry;
    if (registry === undefined || this.#state === 'shutting-down' || this.#state === 'closed') return;
    try {
      await registry.publishNode(
        { nodeId: this.nodeId, workers: this.#workerEntries(), rooms: this.#localRooms(), updatedAt: Date.now() },
        this.options.registryTtl,
      );
      this.#knownNodes = new Set((await registry.nodes()).map((n) => n.nodeId));
    } catch (error) {
      this.options.logger.warn('netplay cluster: registry update failed', error);
    }
  }

  /** Publish now, or once more right after the publish in flight (at most one write per round trip). */
  #publishSoon(): void {
    if (this.#publishing) {
      this.#publishAgain = true;
      return;
    }
    this.#publishing = true;
    void this.#publish().finally(() => {
      this.#publishing = false;
      if (this.#publishAgain) {
        this.#publishAgain = false;
        this.#publishSoon();
      }
    });
  }

  /** Read the registry's node ids now (concurrent callers share one read). */
  #refreshKnownNodes(): Promise<Set<string>> {
    this.#refreshing ??= (async () => {
      try {
        const nodes = await this.#registry?.nodes();
        if (nodes !== undefined) this.#knownNodes = new Set(nodes.map((n) => n.nodeId));
      } catch {
        // Registry unavailable: keep what we knew.
      } finally {
        this.#refreshing = undefined;
      }
      return this.#knownNodes;
    })();
    return this.#refreshing;
  }

  #workerEntries(): WorkerEntry[] {
    return this.#slots
      .filter((slot) => slot.state === 'ready')
      .map((slot) => ({
        index: slot.index,
        url: slot.url('websocket'),
        udpUrl: slot.udpPort === undefined ? undefined : slot.url('udp'),
        incarnation: slot.incarnation,
        sessions: slot.report?.sessions ?? 0,
        rooms: slot.report?.rooms ?? 0,
      }));
  }

  // ---- health --------------------------------------------------------------------------------

  #watchdog(): void {
    const now = Date.now();
    const gap = now - this.#lastWatchdog;
    this.#lastWatchdog = now;
    // This process itself was asleep (stopped, swapped, a long GC): the workers' heartbeats are
    // still queued on their channels, so judge them on a later tick, not now.
    if (gap > this.options.heartbeatTimeout / 2) {
      for (const slot of this.#slots) slot.lastHeartbeat = Math.max(slot.lastHeartbeat, now);
      return;
    }
    for (const slot of this.#slots) slot.check(now);
  }

  #lost(slot: WorkerSlot, reason: string, was: LostWorker): void {
    this.options.logger.warn(
      `netplay cluster: worker ${slot.index} (port ${slot.port}, pid ${was.pid ?? '?'}) lost: ${reason}; its rooms are gone, starting a replacement`,
    );
    void this.#publish();
    this.emit('worker-lost', info(slot, was), reason);
  }

  // ---- relay ---------------------------------------------------------------------------------

  /** A direct message from a worker to a session elsewhere: the session id says which node and worker. */
  async #direct(m: DirectMessage): Promise<boolean> {
    const node = sessionOwner(m.to).nodeId;
    if (node === this.nodeId) return this.#deliverLocal(m);
    const bus = this.#bus;
    if (bus === undefined) return false;
    // Only live nodes are asked: an id naming no node must not leave a request waiting for a timeout.
    // A node that joined since the last refresh is looked up once before giving up.
    if (!this.#knownNodes.has(node) && !(await this.#refreshKnownNodes()).has(node)) return false;
    try {
      return await bus.request(node, 'direct', m);
    } catch {
      return false;
    }
  }

  async #deliverLocal(m: DirectMessage): Promise<boolean> {
    const { index, incarnation } = sessionOwner(m.to);
    const slot = this.#slots[index];
    if (slot === undefined || slot.state !== 'ready' || slot.incarnation !== incarnation) return false;
    try {
      return await slot.deliver(m);
    } catch {
      return false;
    }
  }

  /** A presence publish from a worker (`from`) or another node: every other local worker gets it. */
  #presence(m: PresenceMessage, from: WorkerSlot | undefined): void {
    for (const slot of this.#slots) if (slot !== from) slot.publish(m);
    if (from !== undefined) this.#bus?.publishPresence(m);
  }
}

/** `slot` as {@link ClusterServer.workers} shows it; for a lost worker, its process as it last stood (`was`). */
function info(slot: WorkerSlot, was?: LostWorker): WorkerInfo {
  const r = was === undefined ? slot.report : was.report;
  return {
    index: slot.index,
    port: slot.port,
    udpPort: slot.udpPort,
    state: slot.state,
    pid: was === undefined ? slot.pid : was.pid,
    incarnation: slot.incarnation,
    sessions: r?.sessions ?? 0,
    reservedSeats: r?.reservedSeats ?? 0,
    rooms: r?.rooms ?? 0,
    eventLoopLag: r?.eventLoopLag.mean ?? 0,
    adopted: slot.adopted,
  };
}

function listing(entry: RoomEntry): RoomListing {
  return {
    roomId: entry.roomId,
    name: entry.name,
    clients: entry.clients,
    maxClients: entry.maxClients,
    locked: entry.locked,
    metadata: entry.metadata,
  };
}

async function connectRedis(url: string): Promise<ClusterRegistry> {
  try {
    const { RedisRegistry } = await import('../presence/redis-registry.js');
    return await RedisRegistry.connect(url);
  } catch (cause) {
    if (cause instanceof ClusterError) throw cause;
    throw new ClusterError(ClusterErrorCode.REGISTRY_ERROR, `cannot use Redis at ${url}: ${String(cause)}`, { cause });
  }
}
