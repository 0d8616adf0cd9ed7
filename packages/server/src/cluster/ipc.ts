/**
 * Manager ↔ worker IPC: typed `op` / `nonce` messages over the child process channel (structured
 * clone: `serialization: 'advanced'`). A request carries a nonce and waits for the reply with that
 * nonce, with a timeout; a notice has no reply. Both sides declare what they send and answer as
 * maps, from which the message unions below are derived, so every op is checked at compile time.
 * @module
 */
import type { JoinMethod, RoomListing } from '@netplay/transport';
import { SessionError } from '@netplay/transport';
import { ClusterError, ClusterErrorCode } from './errors.js';
import type { WorkerServerOptions } from './options.js';

/** What a worker needs to start (sent by the manager in `init`). */
export interface WorkerInit {
  readonly nodeId: string;
  readonly index: number;
  readonly incarnation: number;
  readonly host: string;
  readonly port: number;
  readonly udpPort: number | undefined;
  /** Absolute path of the rooms module. */
  readonly rooms: string;
  readonly secret: Uint8Array;
  readonly heartbeatInterval: number;
  readonly server: WorkerServerOptions;
  /** Directory of the control sockets (see `control-socket.ts`): where a restarted manager finds the worker. */
  readonly runDir: string;
  /** Milliseconds the worker keeps running without a manager before it shuts down; 0 = for ever. */
  readonly orphanTimeout: number;
  /** A manager silent (no `ping`) this many ms counts as lost until it speaks again. */
  readonly managerTimeout: number;
}

/** A live worker as it introduces itself to a manager that adopts it (over its control socket). */
export interface AdoptReply {
  readonly nodeId: string;
  readonly index: number;
  readonly incarnation: number;
  readonly pid: number;
  readonly port: number;
  readonly udpPort: number | undefined;
  readonly roomTypes: string[];
  /** Its load and rooms now (so the manager lists them and places rooms at once). */
  readonly report: WorkerReport;
  /** Milliseconds it has been without a manager. */
  readonly orphanedFor: number;
}

/** A worker's load and rooms, sent on every heartbeat. */
export interface WorkerReport {
  /** Sessions alive on the worker. */
  readonly sessions: number;
  /** Seats reserved by redirects and not used yet. */
  readonly reservedSeats: number;
  /** Rooms alive. */
  readonly rooms: number;
  /** Event-loop delay since the last report (mean and max, ms). */
  readonly eventLoopLag: { readonly mean: number; readonly max: number };
  /** Rooms that take new members (public, unlocked, a free seat): the listing. */
  readonly available: readonly RoomListing[];
  /** Ids of every room on the worker (for `joinById`, private rooms too). */
  readonly roomIds: readonly string[];
}

/** A direct message between sessions (`SendTo`). */
export interface DirectMessage {
  readonly from: string;
  readonly to: string;
  readonly payload: unknown;
  readonly reliable: boolean;
}

/**
 * The prefix of every session id and resume token of a cluster worker: `node.index.incarnation.`
 * (where the manager routes a direct message, and how a successor on the same port recognises a
 * resume meant for its predecessor).
 */
export function sessionIdPrefix(nodeId: string, index: number, incarnation: number): string {
  return `${nodeId}.${index}.${incarnation}.`;
}

/** The worker a session id or resume token of {@link sessionIdPrefix} names (`NaN` fields when it names none). */
export function sessionOwner(id: string): { nodeId: string; index: number; incarnation: number } {
  const [nodeId = '', index, incarnation] = id.split('.', 3);
  return { nodeId, index: Number(index), incarnation: Number(incarnation) };
}

/** A presence publish. */
export interface PresenceMessage {
  readonly topic: string;
  readonly data: unknown;
}

/** Ask a worker for a seat. */
export interface ReserveRequest {
  readonly method: JoinMethod;
  /** Room type name, or room id for `joinById`. */
  readonly room: string;
  readonly options: Record<string, unknown>;
}

/** A seat: the room and the signed token the client presents to the worker. */
export interface ReserveReply {
  readonly roomId: string;
  readonly token: string;
  /** The room as listed right after the reservation (the manager's view until the next heartbeat). */
  readonly listing: RoomListing;
  /** Whether it still takes joins by `join` / `joinOrCreate`. */
  readonly available: boolean;
}

/** Requests (`[body, reply]`) the manager sends a worker. */
export type WorkerRequests = {
  init: [WorkerInit, { port: number; udpPort: number | undefined; roomTypes: string[] }];
  reserve: [ReserveRequest, ReserveReply];
  deliver: [DirectMessage, boolean];
  shutdown: [{ reason: string }, null];
  /** A (re)started manager takes over a worker that lost its manager (control socket only). */
  adopt: [{ managerPid: number }, AdoptReply];
};
/** Notices the manager sends a worker. */
export type WorkerNotices = {
  presence: PresenceMessage;
  /** The manager is alive (every heartbeat interval). */
  ping: null;
};
/** Requests a worker sends the manager. */
export type ManagerRequests = {
  direct: [DirectMessage, boolean];
};
/** Notices a worker sends the manager. */
export type ManagerNotices = {
  heartbeat: WorkerReport;
  presence: PresenceMessage;
};

/** A map of request ops to `[body, reply]`. */
export type RequestMap = { [op: string]: [unknown, unknown] };
/** A map of notice ops to their body. */
export type NoticeMap = { [op: string]: unknown };

/** A request message: `{ op, nonce, body }`. */
export type RequestFrame<R extends RequestMap> = {
  [K in keyof R & string]: { readonly op: K; readonly nonce: number; readonly body: R[K][0] };
}[keyof R & string];
/** A notice message: `{ op, nonce: 0, body }`. */
export type NoticeFrame<N extends NoticeMap> = {
  [K in keyof N & string]: { readonly op: K; readonly nonce: 0; readonly body: N[K] };
}[keyof N & string];
/** A reply: `{ op: 'reply', nonce, ok, body | code + message }`. */
export type ReplyFrame =
  | { readonly op: 'reply'; readonly nonce: number; readonly ok: true; readonly body: unknown }
  | {
      readonly op: 'reply';
      readonly nonce: number;
      readonly ok: false;
      readonly code: string;
      readonly message: string;
    };

/** Everything one side of the channel may receive. */
export type Frame<R extends RequestMap, N extends NoticeMap> = RequestFrame<R> | NoticeFrame<N> | ReplyFrame;

/** How an endpoint answers incoming requests and notices. */
export interface IpcHandlers<R extends RequestMap, N extends NoticeMap> {
  requests: { [K in keyof R]: (body: R[K][0]) => R[K][1] | Promise<R[K][1]> };
  notices: { [K in keyof N]: (body: N[K]) => void };
}

const CLUSTER_CODES = new Set<string>(Object.values(ClusterErrorCode));

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * One side of an IPC channel: sends requests `Out` and notices `OutN`; answers requests `In` and
 * notices `InN` with `handlers`. Feed it every incoming message with {@link IpcEndpoint.receive}.
 * A failed request rejects with the remote {@link SessionError} (same code), a {@link ClusterError}
 * `IPC_TIMEOUT`, or `IPC_CLOSED`.
 */
export class IpcEndpoint<Out extends RequestMap, OutN extends NoticeMap, In extends RequestMap, InN extends NoticeMap> {
  readonly #send: (frame: unknown) => void;
  readonly #handlers: IpcHandlers<In, InN>;
  readonly #timeout: number;
  readonly #pending = new Map<number, Pending>();
  #nonce = 0;
  #closed = false;

  /**
   * @param send - writes one message to the other side (`child.send` / `process.send`).
   * @param handlers - answers the other side's requests and notices.
   * @param timeout - default request timeout in ms.
   */
  constructor(send: (frame: unknown) => void, handlers: IpcHandlers<In, InN>, timeout: number) {
    this.#send = send;
    this.#handlers = handlers;
    this.#timeout = timeout;
  }

  /** Requests waiting for their reply. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Send request `op` and wait for its reply (at most `timeout` ms). */
  request<K extends keyof Out & string>(op: K, body: Out[K][0], timeout = this.#timeout): Promise<Out[K][1]> {
    if (this.#closed) return Promise.reject(new ClusterError(ClusterErrorCode.IPC_CLOSED, `ipc closed (${op})`));
    this.#nonce = this.#nonce >= 0x7fffffff ? 1 : this.#nonce + 1;
    const nonce = this.#nonce;
    return new Promise<Out[K][1]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(nonce);
        reject(new ClusterError(ClusterErrorCode.IPC_TIMEOUT, `no answer to ${op} within ${timeout} ms`));
      }, timeout);
      this.#pending.set(nonce, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.#write({ op, nonce, body });
    });
  }

  /** Send notice `op` (no reply). */
  notify<K extends keyof OutN & string>(op: K, body: OutN[K]): void {
    if (!this.#closed) this.#write({ op, nonce: 0, body });
  }

  /** Handle one message from the other side (anything malformed is ignored). */
  receive(message: unknown): void {
    if (message === null || typeof message !== 'object') return;
    const frame = message as Frame<In, InN>;
    if (frame.op === 'reply') {
      const reply = frame as ReplyFrame;
      const p = this.#pending.get(reply.nonce);
      if (p === undefined) return;
      this.#pending.delete(reply.nonce);
      clearTimeout(p.timer);
      if (reply.ok) p.resolve(reply.body);
      else if (CLUSTER_CODES.has(reply.code)) p.reject(new ClusterError(reply.code as ClusterErrorCode, reply.message));
      else p.reject(new SessionError(reply.code, reply.message));
      return;
    }
    if (frame.nonce === 0) {
      const notice = this.#handlers.notices[frame.op as keyof InN];
      if (notice !== undefined) notice((frame as NoticeFrame<InN>).body as InN[keyof InN]);
      return;
    }
    const handler = this.#handlers.requests[frame.op as keyof In];
    if (handler === undefined) {
      this.#reply(frame.nonce, undefined, new SessionError('INVALID_REQUEST', `unknown ipc op ${String(frame.op)}`));
      return;
    }
    const nonce = frame.nonce;
    Promise.resolve()
      .then(() => handler((frame as RequestFrame<In>).body as In[keyof In][0]))
      .then(
        (result) => this.#reply(nonce, result, undefined),
        (error: unknown) => this.#reply(nonce, undefined, error),
      );
  }

  /** Fail every pending request with `IPC_CLOSED` and refuse new ones. */
  close(reason: string): void {
    this.#closed = true;
    this.failPending(ClusterErrorCode.IPC_CLOSED, reason);
  }

  /** Fail every pending request now with `code` (`IPC_TIMEOUT`: the other side went silent), keeping the channel open. */
  failPending(code: ClusterErrorCode, reason: string): void {
    for (const [nonce, p] of this.#pending) {
      this.#pending.delete(nonce);
      clearTimeout(p.timer);
      p.reject(new ClusterError(code, reason));
    }
  }

  #reply(nonce: number, body: unknown, error: unknown): void {
    if (this.#closed) return;
    if (error === undefined) {
      this.#write({ op: 'reply', nonce, ok: true, body: body ?? null });
      return;
    }
    const code =
      typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'ROOM_ERROR';
    const message = error instanceof Error ? error.message : String(error);
    this.#write({ op: 'reply', nonce, ok: false, code, message });
  }

  #write(frame: Frame<RequestMap, NoticeMap>): void {
    try {
      this.#send(frame);
    } catch {
      // The channel is closing: the request times out or is failed by close().
    }
  }
}
