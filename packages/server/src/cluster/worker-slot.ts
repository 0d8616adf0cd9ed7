/**
 * The manager's handle of one worker port: forks the worker, sends `init`, watches its heartbeat
 * and its exit, and replaces a dead or hung worker (a new incarnation on the same port) — at once
 * after a long run, with a doubling backoff when it keeps crashing soon after start.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { type ControlChannel, controlChannel, controlSocketPath, dialControl } from './control-socket.js';
import { ClusterError, ClusterErrorCode } from './errors.js';
import { forkWorker } from './fork.js';
import {
  type AdoptReply,
  type DirectMessage,
  IpcEndpoint,
  type IpcHandlers,
  type ManagerNotices,
  type ManagerRequests,
  type PresenceMessage,
  type ReserveReply,
  type ReserveRequest,
  type WorkerNotices,
  type WorkerReport,
  type WorkerRequests,
} from './ipc.js';
import type { ResolvedClusterOptions } from './options.js';
import type { WorkerLoad } from './placement.js';

/** Lifecycle of a worker slot. */
export type WorkerSlotState = 'idle' | 'starting' | 'ready' | 'restarting' | 'stopping' | 'stopped';

/** What a slot needs from its manager. */
export interface SlotOwner {
  readonly nodeId: string;
  readonly options: ResolvedClusterOptions;
  /** A worker asks to deliver a direct message elsewhere. */
  direct(slot: WorkerSlot, message: DirectMessage): Promise<boolean>;
  /** A worker published on presence. */
  presence(slot: WorkerSlot, message: PresenceMessage): void;
  /** A worker became ready (first start or replacement). */
  ready(slot: WorkerSlot): void;
  /** A worker died or hung: its rooms are gone. `was` is the lost process as it last stood. */
  lost(slot: WorkerSlot, reason: string, was: LostWorker): void;
}

/** A lost worker's process id and last heartbeat report, taken before the slot forgets them. */
export interface LostWorker {
  readonly pid: number | undefined;
  readonly report: WorkerReport | undefined;
}

type ManagerIpc = IpcEndpoint<WorkerRequests, WorkerNotices, ManagerRequests, ManagerNotices>;

/** The worker process behind a slot: forked by this manager, or adopted from a dead one. */
interface WorkerHandle {
  readonly pid: number | undefined;
  kill(signal: NodeJS.Signals): void;
  /** `false` once the process has exited. */
  alive(): boolean;
}

function forkedHandle(child: ChildProcess): WorkerHandle {
  return {
    pid: child.pid,
    kill: (signal) => child.kill(signal),
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}

function adoptedHandle(pid: number): WorkerHandle {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  return {
    pid,
    kill: (signal) => {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    },
    alive,
  };
}

/**
 * Resolves once `handle`'s process is gone (an adopted one is not our child: poll), killing it after
 * `killAfter` ms. Gives up after twice that (a zombie nobody reaps still answers signal 0).
 */
async function gone(handle: WorkerHandle, killAfter: number): Promise<void> {
  const killAt = Date.now() + killAfter;
  const giveUpAt = killAt + killAfter;
  let killed = false;
  while (handle.alive() && Date.now() < giveUpAt) {
    if (!killed && Date.now() >= killAt) {
      handle.kill('SIGKILL');
      killed = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** See the module description. */
export class WorkerSlot {
  /** Worker index (0-based). */
  readonly index: number;
  /** WebSocket port. */
  readonly port: number;
  /** UDP port, when UDP is on. */
  readonly udpPort: number | undefined;
  /** Incarnation of the current (or last) worker process; 1 for the first. */
  incarnation = 0;
  /** Latest heartbeat of the current worker. */
  report: WorkerReport | undefined;
  /** When the last heartbeat arrived (ms, `Date.now()`). */
  lastHeartbeat = 0;
  /**
   * `true` when a worker of this manager (started or adopted, not let go) created this slot's
   * control socket file: a graceful shutdown may remove it.
   */
  ownsControlSocket = false;
  #state: WorkerSlotState = 'idle';
  readonly #owner: SlotOwner;
  #child: WorkerHandle | undefined;
  #ipc: ManagerIpc | undefined;
  /** `true` when the current worker was adopted from a manager that died. */
  #adopted = false;
  /** The control connection of an adopted worker. */
  #control: ControlChannel | undefined;
  #startedAt = 0;
  #quickCrashes = 0;
  #inflight = 0;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** Resolves when the latest worker process has exited (a replacement waits for its port). */
  #exited: Promise<unknown> = Promise.resolve();

  constructor(owner: SlotOwner, index: number) {
    this.#owner = owner;
    this.index = index;
    this.port = owner.options.workerPorts[index]!;
    this.udpPort = owner.options.workerUdpPorts?.[index];
  }

  /** Current state. */
  get state(): WorkerSlotState {
    return this.#state;
  }

  /** Process id of the current worker. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** `true` when the current worker was started by a previous manager and adopted by this one. */
  get adopted(): boolean {
    return this.#adopted;
  }

  /** The URL clients of transport `kind` connect to. */
  url(kind: 'websocket' | 'udp'): string {
    const host = this.#owner.options.publicHost;
    return kind === 'udp' && this.udpPort !== undefined
      ? `udp://${host}:${this.udpPort}`
      : `${this.#owner.options.server.tls === undefined ? 'ws' : 'wss'}://${host}:${this.port}`;
  }

  /** Load as placement sees it (reservations made since the last heartbeat included). */
  load(): WorkerLoad {
    const r = this.report;
    return {
      index: this.index,
      connections: (r?.sessions ?? 0) + (r?.reservedSeats ?? 0) + this.#inflight,
      rooms: r?.rooms ?? 0,
      eventLoopLag: r?.eventLoopLag.mean ?? 0,
    };
  }

  /**
   * Start the worker and wait until it listens.
   * @throws {@link ClusterError} `WORKER_START_FAILED` (with the worker's error as cause).
   */
  async start(): Promise<void> {
    const o = this.#owner.options;
    this.#state = 'starting';
    this.incarnation++;
    this.#startedAt = Date.now();
    this.#adopted = false;
    const child = forkWorker(o.execArgv);
    const handle = forkedHandle(child);
    this.#child = handle;
    const ipc: ManagerIpc = new IpcEndpoint(
      (frame) => {
        if (child.connected) child.send(frame as object);
      },
      this.#handlers(handle),
      o.ipcTimeout,
    );
    this.#ipc = ipc;
    child.on('message', (message) => ipc.receive(message));
    const exited = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) =>
        resolve(signal === null ? `exited with code ${code}` : `killed by ${signal}`),
      );
      child.once('error', (error) => resolve(`failed: ${error.message}`));
    });
    this.#exited = exited;
    void exited.then((reason) => {
      ipc.close(`worker ${this.index} ${reason}`);
      if (this.#child === handle) this.#lost(reason);
    });
    try {
      const init = ipc.request(
        'init',
        {
          nodeId: this.#owner.nodeId,
          index: this.index,
          incarnation: this.incarnation,
          host: o.host,
          port: this.port,
          udpPort: this.udpPort,
          rooms: o.rooms,
          secret: o.secret,
          heartbeatInterval: o.heartbeatInterval,
          server: o.server,
          runDir: o.runDir,
          orphanTimeout: o.orphanTimeout,
          managerTimeout: o.heartbeatTimeout,
        },
        o.workerStartTimeout,
      );
      await Promise.race([
        init,
        exited.then((reason) => {
          throw new ClusterError(ClusterErrorCode.WORKER_START_FAILED, `worker ${this.index} ${reason} while starting`);
        }),
      ]);
    } catch (cause) {
      if (this.#child === handle) this.#child = undefined;
      if ((this.#state as WorkerSlotState) === 'starting') this.#state = 'restarting';
      child.kill('SIGKILL');
      if (
        cause instanceof ClusterError &&
        (cause.code === ClusterErrorCode.WORKER_START_FAILED ||
          cause.code === ClusterErrorCode.ROOMS_MODULE_NOT_FOUND ||
          cause.code === ClusterErrorCode.ROOMS_MODULE_EMPTY)
      ) {
        throw cause;
      }
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new ClusterError(
        ClusterErrorCode.WORKER_START_FAILED,
        `worker ${this.index} (port ${this.port}) did not start: ${why}`,
        { cause },
      );
    }
    this.lastHeartbeat = Date.now();
    this.ownsControlSocket = true;
    this.#state = 'ready';
    this.#owner.ready(this);
  }

  /**
   * Adopt the live worker of a manager that died: connect to its control socket and ask it to
   * answer to this manager from now on. Resolves with what it said about itself, or `undefined` when
   * no worker listens there (none left, or a stale socket file). Rejects when a worker answers but
   * refuses (it has a live manager).
   */
  async adopt(): Promise<AdoptReply | undefined> {
    const o = this.#owner.options;
    const socket = await dialControl(controlSocketPath(o.runDir, this.index, this.port), o.ipcTimeout);
    if (socket === undefined) return undefined;
    let handle: WorkerHandle | undefined;
    const channel: ControlChannel = controlChannel(socket, (frame) => ipc.receive(frame));
    const ipc: ManagerIpc = new IpcEndpoint(
      (frame) => channel.send(frame),
      this.#handlers(() => handle),
      o.ipcTimeout,
    );
    void channel.closed.then(() => ipc.close(`worker ${this.index}: control connection closed`));
    let reply: AdoptReply;
    try {
      reply = await ipc.request('adopt', { managerPid: process.pid });
    } catch (error) {
      channel.close();
      throw error;
    }
    const adopted = adoptedHandle(reply.pid);
    handle = adopted;
    this.#child = adopted;
    this.#ipc = ipc;
    this.#control = channel;
    this.#adopted = true;
    this.incarnation = reply.incarnation;
    this.report = reply.report;
    this.#inflight = 0;
    this.lastHeartbeat = Date.now();
    this.#startedAt = Date.now();
    // The process is not our child: its exit shows as its control connection closing.
    this.#exited = channel.closed.then(() => gone(adopted, o.shutdownTimeout));
    void channel.closed.then(() => {
      if (this.#child === adopted) this.#lost('its control connection closed (worker exited)');
    });
    this.ownsControlSocket = true;
    this.#state = 'ready';
    this.#owner.ready(this);
    return reply;
  }

  /**
   * Let an adopted worker go without stopping it (this manager failed to start): it closes the
   * control connection, and the worker waits, rooms running, for the next manager.
   */
  release(): void {
    if (!this.#adopted || this.#child === undefined) return;
    this.ownsControlSocket = false;
    this.#state = 'stopped';
    this.#child = undefined;
    this.#ipc?.close('released');
    this.#ipc = undefined;
    this.#control?.close();
    this.#control = undefined;
  }

  /** Reserve a seat on this worker. Throws the worker's `SessionError` or a `ClusterError`. */
  async reserve(request: ReserveRequest): Promise<ReserveReply> {
    const ipc = this.#ipc;
    if (this.#state !== 'ready' || ipc === undefined) {
      throw new ClusterError(ClusterErrorCode.IPC_CLOSED, `worker ${this.index} is ${this.#state}`);
    }
    const reply = await ipc.request('reserve', request);
    this.#inflight++;
    // Until the next heartbeat, the manager sees the room as the reservation left it.
    const r = this.report;
    if (r !== undefined) {
      const available = r.available.filter((room) => room.roomId !== reply.roomId);
      if (reply.available) available.push(reply.listing);
      const roomIds = r.roomIds.includes(reply.roomId) ? r.roomIds : [...r.roomIds, reply.roomId];
      this.report = { ...r, available, roomIds };
    }
    return reply;
  }

  /** What the worker behind this slot may ask and tell (only while `handle` is the current one). */
  #handlers(handle: WorkerHandle | (() => WorkerHandle | undefined)): IpcHandlers<ManagerRequests, ManagerNotices> {
    const current = (): boolean => this.#child === (typeof handle === 'function' ? handle() : handle);
    return {
      requests: { direct: (message) => this.#owner.direct(this, message) },
      notices: {
        heartbeat: (report) => {
          if (!current()) return;
          this.report = report;
          this.#inflight = 0;
          this.lastHeartbeat = Date.now();
        },
        presence: (message) => this.#owner.presence(this, message),
      },
    };
  }

  /** Deliver a direct message to a session of this worker; `false` when it is not here. */
  async deliver(message: DirectMessage): Promise<boolean> {
    if (this.#state !== 'ready' || this.#ipc === undefined) return false;
    return this.#ipc.request('deliver', message);
  }

  /** Forward a presence publish to this worker. */
  publish(message: PresenceMessage): void {
    if (this.#state === 'ready') this.#ipc?.notify('presence', message);
  }

  /** Called on the manager's watchdog tick: tell the worker its manager is alive; kill a worker whose heartbeat stopped. */
  check(now: number): void {
    if (this.#state !== 'ready') return;
    this.#ipc?.notify('ping', null);
    const silent = now - this.lastHeartbeat;
    if (silent > this.#owner.options.heartbeatTimeout) {
      const child = this.#child;
      this.#lost(`no heartbeat for ${silent} ms`);
      child?.kill('SIGKILL');
    }
  }

  /** Graceful stop: the worker disposes its rooms (members get `leave` with `reason`) and exits. */
  async stop(reason: string): Promise<void> {
    const previous = this.#state;
    this.#state = 'stopping';
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (child === undefined || !child.alive()) {
      this.#state = 'stopped';
      return;
    }
    const exited = this.#exited;
    const timeout = this.#owner.options.shutdownTimeout;
    const killer = setTimeout(() => child.kill('SIGKILL'), timeout);
    if (previous === 'ready') {
      await this.#ipc?.request('shutdown', { reason }, timeout).catch(() => child.kill('SIGTERM'));
    } else {
      child.kill('SIGTERM');
    }
    await exited;
    clearTimeout(killer);
    this.#state = 'stopped';
  }

  #lost(reason: string): void {
    // Only a running worker is lost; a failed start is handled by start()'s caller.
    if (this.#state !== 'ready') return;
    const was: LostWorker = { pid: this.pid, report: this.report };
    this.#child = undefined;
    this.#ipc?.close(reason);
    this.#ipc = undefined;
    this.report = undefined;
    this.#inflight = 0;
    this.#state = 'restarting';
    this.#owner.lost(this, reason, was);
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    const b = this.#owner.options.restartBackoff;
    const ranFor = Date.now() - this.#startedAt;
    let delay = 0;
    if (ranFor >= b.stableAfter) {
      this.#quickCrashes = 0;
    } else {
      this.#quickCrashes++;
      delay = Math.min(b.maxDelay, b.initialDelay * 2 ** (this.#quickCrashes - 1));
    }
    if (delay > 0) {
      this.#owner.options.logger.warn(
        `netplay cluster: worker ${this.index} crashed ${this.#quickCrashes} time(s) in a row; restarting in ${delay} ms`,
      );
    }
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      // A killed (hung) worker may still hold the port for a moment: start once it is gone.
      void this.#exited.then(() => {
        if (this.#state !== 'restarting') return;
        this.start().catch((error: unknown) => {
          this.#owner.options.logger.error(`netplay cluster: worker ${this.index} failed to restart`, error);
          if (this.#state === 'restarting') this.#scheduleRestart();
        });
      });
    }, delay);
  }
}
