/**
 * The manager's room layer: what its session layer calls for each client message. A join is
 * placed on a worker and answered with `Redirect(url, seat token)`; a listing comes from the
 * registry (every worker, every node); anything else is refused (the manager hosts no rooms).
 * @module
 */
import {
  type ClientMessage,
  CloseCode,
  DefaultChannel,
  encodeServerMessage,
  type JoinMethod,
  Op,
  type PayloadCodec,
  type RoomListing,
  SessionError,
  SessionErrorCode,
} from '@netplay/transport';
import type { Logger } from '../options.js';
import type { LinkKind } from '../session/session-layer.js';
import type { SessionEvents, SessionPort } from '../session/session-port.js';

/** What the manager's room layer asks the cluster. */
export interface JoinPlacer {
  /** Reserve a seat for a join: where to connect and the seat token. Throws `SessionError`. */
  place(
    method: JoinMethod,
    room: string,
    options: Record<string, unknown>,
    kind: LinkKind,
    remoteAddress: string,
  ): Promise<{ url: string; token: string }>;
  /** Rooms that take joins, of type `name` (every type when empty), across the cluster. */
  list(name: string): Promise<RoomListing[]>;
}

/** Requests one manager session may have in flight. */
const MAX_PENDING = 4;

/** See the module description; one instance per link kind (the redirect URL follows the client's transport). */
export class ManagerSessionEvents implements SessionEvents {
  readonly #kind: LinkKind;
  readonly #placer: JoinPlacer;
  readonly #codec: PayloadCodec;
  readonly #logger: Logger;
  readonly #pending = new Map<string, number>();

  constructor(kind: LinkKind, placer: JoinPlacer, codec: PayloadCodec, logger: Logger) {
    this.#kind = kind;
    this.#placer = placer;
    this.#codec = codec;
    this.#logger = logger;
  }

  onClientMessage(session: SessionPort, message: ClientMessage): void {
    switch (message.op) {
      case Op.Join:
        this.#answer(session, message.requestId, async () => {
          const seat = await this.#placer.place(
            message.method,
            message.room,
            message.options,
            this.#kind,
            session.remoteAddress,
          );
          return { op: Op.Redirect, requestId: message.requestId, url: seat.url, seat: seat.token };
        });
        return;
      case Op.List:
        this.#answer(session, message.requestId, async () => ({
          op: Op.RoomList,
          requestId: message.requestId,
          rooms: await this.#placer.list(message.room),
        }));
        return;
      case Op.Leave:
        session.end(CloseCode.NORMAL, 'left');
        return;
      default:
        this.#send(session, {
          op: Op.Error,
          code: SessionErrorCode.INVALID_REQUEST,
          message: 'this is the cluster manager: join a room first',
        });
    }
  }

  onClosed(session: SessionPort): void {
    this.#pending.delete(session.id);
  }

  #answer(
    session: SessionPort,
    requestId: number,
    run: () => Promise<Parameters<typeof encodeServerMessage>[1]>,
  ): void {
    const pending = this.#pending.get(session.id) ?? 0;
    if (pending >= MAX_PENDING) {
      this.#send(session, {
        op: Op.RequestError,
        requestId,
        code: SessionErrorCode.LIMIT_REACHED,
        message: 'too many requests in flight',
      });
      return;
    }
    this.#pending.set(session.id, pending + 1);
    run()
      .then(
        (reply) => this.#send(session, reply),
        (error: unknown) => {
          const code = error instanceof SessionError ? error.code : SessionErrorCode.UNAVAILABLE;
          if (!(error instanceof SessionError)) this.#logger.warn('netplay cluster: a join failed', error);
          const message = error instanceof Error ? error.message : String(error);
          this.#send(session, { op: Op.RequestError, requestId, code, message });
        },
      )
      .finally(() => {
        const n = (this.#pending.get(session.id) ?? 1) - 1;
        if (n <= 0) this.#pending.delete(session.id);
        else this.#pending.set(session.id, n);
      });
  }

  #send(session: SessionPort, message: Parameters<typeof encodeServerMessage>[1]): void {
    session.send(DefaultChannel.Reliable, encodeServerMessage(this.#codec, message));
  }
}
