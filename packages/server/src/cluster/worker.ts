/**
 * A cluster worker: one `Server` on its own port(s) hosting many rooms, driven by the manager over
 * IPC. It reserves seats and signs their tokens, seats clients that present them (the session
 * layer's `seats` hook), reports its load on a heartbeat, and hands direct messages and presence
 * publishes for other workers to the manager. Resume tokens and session ids carry its identity
 * (`node.index.incarnation.`), so its successor on the same port answers a resume with `ROOM_LOST`.
 * @module
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { CloseCode, SessionError, SessionErrorCode } from '@netplay/transport';
import { createLogger } from '../logging.js';
import type { Matchmaker } from '../matchmaker/matchmaker.js';
import { LocalPresence } from '../presence/presence.js';
import type { Seat } from '../room/room-runtime.js';
import { SERVER_INTERNALS, Server } from '../server.js';
import {
  type DirectMessage,
  type IpcEndpoint,
  type ManagerNotices,
  type ManagerRequests,
  type ReserveReply,
  type ReserveRequest,
  sessionIdPrefix,
  sessionOwner,
  type WorkerInit,
  type WorkerNotices,
  type WorkerReport,
  type WorkerRequests,
} from './ipc.js';
import { loadRoomsModule } from './rooms-module.js';
import { newSeatId, signSeatToken, verifySeatToken } from './seat-token.js';

/** The worker's side of the IPC channel (or of its control socket). */
export type WorkerIpc = IpcEndpoint<ManagerRequests, ManagerNotices, WorkerRequests, WorkerNotices>;

/** The worker's way to its manager. */
export interface ManagerLink {
  /**
   * The forked IPC channel, then the control socket of a manager that adopted it; `undefined` while
   * it has none (the manager died and none came back yet). Heartbeats go there.
   */
  current(): WorkerIpc | undefined;
  /** `false` while the manager is silent (hung): direct messages are refused at once, presence stays local. */
  responsive(): boolean;
}

interface Reservation {
  readonly seat: Seat;
  readonly options: Record<string, unknown>;
}

/** See the module description. */
export class ClusterWorker {
  /** Presence of this worker's rooms (publishes also go to the manager). */
  readonly presence: LocalPresence;
  /** The room types the rooms module defined. */
  roomTypes: string[] = [];
  readonly #init: WorkerInit;
  readonly #server: Server;
  readonly #matchmaker: Matchmaker;
  readonly #reservations = new Map<string, Reservation>();
  readonly #lag: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  readonly #prefix: string;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  private constructor(init: WorkerInit, manager: ManagerLink) {
    this.#init = init;
    this.#prefix = sessionIdPrefix(init.nodeId, init.index, init.incarnation);
    this.presence = new LocalPresence(
      // Without a manager a publish reaches this worker's subscribers only (presence is at most once).
      (topic, data) => {
        if (manager.responsive()) manager.current()?.notify('presence', { topic, data });
      },
      (error) => console.error('netplay worker: a presence listener threw', error),
    );
    this.#server = new Server(
      {
        ...init.server,
        host: init.host,
        port: init.port,
        udpPort: init.udpPort,
        secret: init.secret,
        logger: createLogger(init.server.logLevel),
      },
      {
        idPrefix: this.#prefix,
        presence: this.presence,
        seats: { check: (token) => this.#checkSeat(token), seated: (token, session) => this.#seated(token, session) },
        unknownResume: (token) => this.#unknownResume(token),
        remoteDirect: (from, to, payload, reliable) => {
          const ipc = manager.current();
          if (ipc === undefined || !manager.responsive()) {
            return Promise.reject(
              new SessionError(
                SessionErrorCode.UNAVAILABLE,
                `the cluster manager is down: no direct message to ${to} (on another worker) until it is back; retry`,
              ),
            );
          }
          return ipc.request('direct', { from, to, payload, reliable }).catch((error: unknown) => {
            if (error instanceof SessionError) throw error;
            // The manager went away (or hung) with the message in flight.
            throw new SessionError(
              SessionErrorCode.UNAVAILABLE,
              `direct message to ${to} not delivered: the cluster manager did not answer; retry`,
              { cause: error },
            );
          });
        },
      },
    );
    this.#matchmaker = this.#server[SERVER_INTERNALS]().matchmaker;
  }

  /**
   * Load the rooms module, listen on the worker's port(s) and start the heartbeat.
   * @throws a `ClusterError` for a bad rooms module; a `LinkError` when a port cannot be bound.
   */
  static async start(init: WorkerInit, manager: ManagerLink): Promise<ClusterWorker> {
    const worker = new ClusterWorker(init, manager);
    worker.roomTypes = await loadRoomsModule(init.rooms, worker.#server);
    await worker.#server.listen();
    worker.#lag.enable();
    const beat = (): void => {
      const ipc = manager.current();
      if (ipc !== undefined) ipc.notify('heartbeat', worker.report());
      else worker.#lag.reset();
    };
    worker.#heartbeat = setInterval(beat, init.heartbeatInterval);
    beat();
    return worker;
  }

  /** Bound ports. */
  get ports(): { port: number; udpPort: number | undefined } {
    return { port: this.#server.port, udpPort: this.#server.udpPort };
  }

  /** Load and rooms, for the heartbeat. */
  report(): WorkerReport {
    const lag = this.#lag;
    const mean = Number.isFinite(lag.mean) ? lag.mean / 1e6 : 0;
    const max = lag.max / 1e6;
    lag.reset();
    const stats = this.#server.stats;
    return {
      sessions: stats.sessions,
      reservedSeats: this.#reservations.size,
      rooms: stats.rooms,
      eventLoopLag: { mean, max },
      available: this.#server.getAvailableRooms(),
      roomIds: [...this.#matchmaker.allRooms()].map((r) => r.roomId),
    };
  }

  /** Reserve a seat (in an existing room or a new one) and sign its token. Throws `SessionError`. */
  reserve(request: ReserveRequest): ReserveReply {
    const seat = this.#matchmaker.reserve(request.method, request.room, request.options);
    const seatId = newSeatId();
    const init = this.#init;
    const token = signSeatToken(init.secret, {
      v: 1,
      n: init.nodeId,
      w: init.index,
      i: init.incarnation,
      r: seat.runtime.roomId,
      s: seatId,
      e: Date.now() + this.#server.options.seatReservationTime * 1000,
    });
    this.#reservations.set(seatId, { seat, options: request.options });
    void seat.expired.then(() => this.#reservations.delete(seatId));
    return {
      roomId: seat.runtime.roomId,
      token,
      listing: seat.runtime.listing(),
      available: seat.runtime.seatRefusal(false) === undefined,
    };
  }

  /** Deliver a direct message to a session of this worker; `false` when it is not here. */
  deliver(message: DirectMessage): boolean {
    return this.#matchmaker.deliverDirect(message.from, message.to, message.payload, message.reliable);
  }

  /** Graceful shutdown: members get `leave` with `SHUTDOWN` and `reason`, queues drain, listeners close. */
  async shutdown(reason: string): Promise<void> {
    this.#matchmaker.stopAccepting();
    await this.#matchmaker.disposeAll(CloseCode.SHUTDOWN, reason);
    await this.#server.shutdown();
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#lag.disable();
  }

  #verify(token: string) {
    const init = this.#init;
    return verifySeatToken(
      init.secret,
      token,
      { node: init.nodeId, worker: init.index, incarnation: init.incarnation },
      Date.now(),
    );
  }

  #checkSeat(token: string): string | undefined {
    const verdict = this.#verify(token);
    if (!verdict.ok) return SessionErrorCode.INVALID_TOKEN;
    // Unknown seat id: already used, expired here, or never reserved on this worker.
    return this.#reservations.has(verdict.claims.s) ? undefined : SessionErrorCode.INVALID_TOKEN;
  }

  #seated(token: string, session: Parameters<Matchmaker['seatSession']>[0]): void {
    const verdict = this.#verify(token);
    if (!verdict.ok) return;
    const reservation = this.#reservations.get(verdict.claims.s);
    if (reservation === undefined) return;
    this.#reservations.delete(verdict.claims.s);
    this.#matchmaker.seatSession(session, reservation.seat, reservation.options);
  }

  #unknownResume(token: string): string {
    const owner = sessionOwner(token);
    const init = this.#init;
    if (owner.nodeId === init.nodeId && owner.index === init.index && owner.incarnation !== init.incarnation) {
      return SessionErrorCode.ROOM_LOST;
    }
    return SessionErrorCode.INVALID_TOKEN;
  }
}
