/**
 * The matchmaker (the room layer's entry point): room types, the rooms alive on this server,
 * joining (create / join / joinOrCreate / joinById) with atomic seat reservations, listings, and
 * routing each session's messages to its room after the session's rate limits.
 *
 * It implements the session layer's {@link SessionEvents}; it never touches links or sockets.
 * @module
 */
import {
  type ClientMessage,
  type Clock,
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
import { LocalPresence, type Presence } from '../presence/presence.js';
import { RateVerdict, type ResolvedRateLimit, SessionRateLimiter } from '../relay/rate-limiter.js';
import type { RoomClient } from '../room/room-client.js';
import { type RoomDefinition, type RoomHost, RoomRuntime, type Seat } from '../room/room-runtime.js';
import { randomId } from '../session/random-id.js';
import type { SessionEvents, SessionPort } from '../session/session-port.js';
import { Member } from './member.js';

/** Settings of a {@link Matchmaker} (resolved server options). */
export interface MatchmakerSettings {
  clock: Clock;
  codec: PayloadCodec;
  logger: Logger;
  rateLimit: ResolvedRateLimit;
  maxRooms: number;
  seatReservationMs: number;
  /** Seconds a session survives a dropped link (told to clients in `Joined`). */
  reconnectGrace: number;
  /** Presence shared by the rooms. Defaults to a new in-process {@link LocalPresence}. */
  presence?: Presence;
  /**
   * Cluster mode: deliver a direct message (`SendTo`) to a session this server does not host.
   * Resolves `false` when no session has that id anywhere. Without it such messages are refused.
   */
  remoteDirect?(from: string, to: string, payload: unknown, reliable: boolean): Promise<boolean>;
  /** The session with this id on this server (for direct messages to it), if any. */
  findSession(id: string): SessionPort | undefined;
}

/** Counters of the matchmaker. */
export interface MatchmakerStats {
  roomsCreated: number;
  roomsDisposed: number;
  joins: number;
  joinsRefused: number;
  messagesRateLimited: number;
  sessionsFlooding: number;
  badRequests: number;
}

/** Owns room types and rooms; routes sessions to rooms. */
export class Matchmaker implements SessionEvents, RoomHost {
  readonly stats: MatchmakerStats = {
    roomsCreated: 0,
    roomsDisposed: 0,
    joins: 0,
    joinsRefused: 0,
    messagesRateLimited: 0,
    sessionsFlooding: 0,
    badRequests: 0,
  };
  readonly clock: Clock;
  readonly codec: PayloadCodec;
  readonly logger: Logger;
  readonly presence: Presence;
  private readonly s: MatchmakerSettings;
  private readonly definitions = new Map<string, RoomDefinition>();
  private readonly rooms = new Map<string, RoomRuntime>();
  private readonly byName = new Map<string, Set<RoomRuntime>>();
  private readonly disposeWaiters = new Set<() => void>();
  private accepting = true;

  constructor(settings: MatchmakerSettings) {
    this.s = settings;
    this.clock = settings.clock;
    this.codec = settings.codec;
    this.logger = settings.logger;
    this.presence = settings.presence ?? new LocalPresence(undefined, (e) => this.logger.error('presence', e));
  }

  /** Register a room type. */
  define(definition: RoomDefinition): void {
    this.definitions.set(definition.name, definition);
  }

  /** `true` when a room type of that name is defined. */
  hasDefinition(name: string): boolean {
    return this.definitions.has(name);
  }

  /** Rooms alive now (including ones still running `onCreate`). */
  get roomCount(): number {
    return this.rooms.size;
  }

  /** A live room by id. */
  getRoom(roomId: string): RoomRuntime | undefined {
    return this.rooms.get(roomId);
  }

  /** Every live room. */
  allRooms(): IterableIterator<RoomRuntime> {
    return this.rooms.values();
  }

  /** Public, unlocked rooms of type `name` with a free seat (every type when `name` is empty). */
  listAvailable(name: string): RoomListing[] {
    const out: RoomListing[] = [];
    const pool = name === '' ? this.rooms.values() : (this.byName.get(name)?.values() ?? []);
    for (const runtime of pool) if (runtime.seatRefusal(false) === undefined) out.push(runtime.listing());
    return out;
  }

  /**
   * Reserve a seat for a new member in a room chosen by `method` (`room` is a type name, or a room
   * id for `joinById`). Throws {@link SessionError} with the refusal. Synchronous up to the seat,
   * so concurrent joins never overfill a room nor create duplicates.
   */
  reserve(method: JoinMethod, room: string, options: Record<string, unknown>): Seat {
    return this.pickRoom(method, room, options).reserveSeat();
  }

  /**
   * The room a new member joins by `method` (`room` is a type name, or a room id for `joinById`),
   * created if the method says so; it has a free seat now. Throws {@link SessionError} with the
   * refusal. Take the seat in the same turn (reserve it, or admit at once) so that concurrent joins
   * never overfill a room nor create duplicates.
   */
  private pickRoom(method: JoinMethod, room: string, options: Record<string, unknown>): RoomRuntime {
    if (!this.accepting) throw new SessionError(SessionErrorCode.SHUTTING_DOWN, 'server is shutting down');
    if (method === 'joinById') {
      const runtime = this.rooms.get(room);
      if (runtime === undefined) throw new SessionError(SessionErrorCode.ROOM_NOT_FOUND, `no room with id ${room}`);
      const refusal = runtime.seatRefusal(true);
      if (refusal !== undefined) throw new SessionError(refusal, refusalMessage(refusal, room));
      return runtime;
    }
    const definition = this.definitions.get(room);
    if (definition === undefined) throw new SessionError(SessionErrorCode.ROOM_NOT_FOUND, `no room type named ${room}`);
    if (method === 'join' || method === 'joinOrCreate') {
      for (const runtime of this.byName.get(room) ?? []) {
        if (runtime.seatRefusal(false) === undefined) return runtime;
      }
      if (method === 'join') throw new SessionError(SessionErrorCode.ROOM_NOT_FOUND, `no available ${room} room`);
    }
    return this.createRoom(definition, options);
  }

  /** Create a room of `definition` (its `onCreate` runs in the background; joins wait for it). */
  createRoom(definition: RoomDefinition, options: Record<string, unknown>): RoomRuntime {
    if (this.rooms.size >= this.s.maxRooms) throw new SessionError(SessionErrorCode.LIMIT_REACHED, 'too many rooms');
    let id = newRoomId();
    while (this.rooms.has(id)) id = newRoomId();
    const runtime = new RoomRuntime(this, definition, id, this.s.seatReservationMs);
    this.rooms.set(id, runtime);
    const named = this.byName.get(definition.name);
    if (named === undefined) this.byName.set(definition.name, new Set([runtime]));
    else named.add(runtime);
    this.stats.roomsCreated++;
    void runtime.start({ ...definition.options.defaultOptions, ...options });
    return runtime;
  }

  /** Stop creating rooms and taking joins (shutdown). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Dispose every room, telling members `code` / `reason`. Resolves when all are gone. */
  async disposeAll(code: number, reason: string): Promise<void> {
    await Promise.all([...this.rooms.values()].map((runtime) => runtime.dispose(code, reason)));
  }

  // ---- RoomHost ------------------------------------------------------------------------------

  roomDisposed(runtime: RoomRuntime): void {
    if (this.rooms.get(runtime.roomId) !== runtime) return;
    this.rooms.delete(runtime.roomId);
    const named = this.byName.get(runtime.roomName);
    named?.delete(runtime);
    if (named?.size === 0) this.byName.delete(runtime.roomName);
    this.stats.roomsDisposed++;
    for (const resolve of this.disposeWaiters) resolve();
  }

  memberRemoved(_runtime: RoomRuntime, client: RoomClient): void {
    if (client.session.roomSlot === client) client.session.roomSlot = undefined;
  }

  // ---- SessionEvents -------------------------------------------------------------------------

  onClientMessage(session: SessionPort, message: ClientMessage, channel: number, size = 0): void {
    const m = memberOf(session);
    switch (message.op) {
      case Op.Join:
        if (m !== undefined) {
          this.refuse(
            session,
            message.requestId,
            SessionErrorCode.INVALID_REQUEST,
            'this session is already in a room',
          );
          return;
        }
        void this.join(session, message.requestId, message.method, message.room, message.options);
        return;
      case Op.List:
        session.send(
          DefaultChannel.Reliable,
          encodeServerMessage(this.codec, {
            op: Op.RoomList,
            requestId: message.requestId,
            rooms: this.listAvailable(message.room),
          }),
        );
        return;
      case Op.Leave:
        if (m?.admitted === true) {
          m.runtime.removeClient(m, true, { code: CloseCode.NORMAL, reason: 'left' });
        } else {
          session.end(CloseCode.NORMAL, 'left');
        }
        return;
      case Op.Message:
      case Op.Relay:
      case Op.SendTo: {
        if (m?.admitted !== true) {
          this.stats.badRequests++;
          this.sendError(session, SessionErrorCode.INVALID_REQUEST, 'join a room first');
          return;
        }
        const now = this.clock.now();
        m.limiter ??= new SessionRateLimiter(this.s.rateLimit, now);
        const verdict = m.limiter.admit(size, now);
        if (verdict !== RateVerdict.Ok) {
          this.stats.messagesRateLimited++;
          if (verdict === RateVerdict.Flood) {
            this.stats.sessionsFlooding++;
            this.logger.warn(`session ${session.id}: flooding past its rate limit, disconnected`);
            m.runtime.removeClient(m, false, { code: CloseCode.FLOODING, reason: 'rate limit exceeded' });
          } else if (verdict === RateVerdict.Limited) {
            this.sendError(session, SessionErrorCode.RATE_LIMITED, 'message dropped: rate limit exceeded');
          }
          return;
        }
        if (message.op === Op.Message) m.runtime.handleMessage(m, message.type, message.payload);
        else if (message.op === Op.Relay) m.runtime.handleRelay(m, message, channel);
        else this.sendDirect(session, message.to, message.payload, channel === DefaultChannel.Reliable);
        return;
      }
    }
  }

  onBadMessage(_session: SessionPort, _error: Error): void {
    this.stats.badRequests++;
  }

  onDisconnected(session: SessionPort): void {
    const m = memberOf(session);
    if (m?.admitted === true) m.runtime.clientDisconnected(m);
  }

  onResumed(session: SessionPort, lastHeard: number): void {
    const m = memberOf(session);
    if (m?.admitted !== true) return;
    // What the client sent while away arrives at once now: the rate limit lets it in (see `resumed`).
    m.limiter ??= new SessionRateLimiter(this.s.rateLimit, lastHeard);
    m.limiter.resumed(lastHeard, this.clock.now());
  }

  onReconnected(session: SessionPort): void {
    const m = memberOf(session);
    if (m?.admitted === true) m.runtime.clientReconnected(m);
  }

  onClosed(session: SessionPort, code: number, _reason: string): void {
    const m = memberOf(session);
    if (m === undefined) return;
    session.roomSlot = undefined;
    // A client that said goodbye (Disconnect with NORMAL) consented; a timeout or a kick did not.
    if (m.admitted) m.runtime.removeClient(m, code === CloseCode.NORMAL);
  }

  // ---- direct messages -----------------------------------------------------------------------

  /**
   * Deliver a direct message from session `from` to session `to` if `to` is a member of a room on
   * this server. `false` when it is not here.
   */
  deliverDirect(from: string, to: string, payload: unknown, reliable: boolean): boolean {
    const session = this.s.findSession(to);
    const m = session === undefined ? undefined : memberOf(session);
    if (m?.admitted !== true) return false;
    const bytes = encodeServerMessage(this.codec, { op: Op.Direct, from, payload });
    m.session.send(reliable ? DefaultChannel.Reliable : DefaultChannel.Unreliable, bytes);
    return true;
  }

  private sendDirect(session: SessionPort, to: string, payload: unknown, reliable: boolean): void {
    if (this.deliverDirect(session.id, to, payload, reliable)) return;
    const unknown = (): void => this.sendError(session, SessionErrorCode.INVALID_REQUEST, `no session ${to}`);
    const remote = this.s.remoteDirect;
    if (remote === undefined) {
      unknown();
      return;
    }
    remote.call(this.s, session.id, to, payload, reliable).then(
      (delivered) => {
        if (!delivered) unknown();
      },
      (error: unknown) => {
        // A refusal with a code (cluster: UNAVAILABLE while the manager is down) reaches the sender.
        if (error instanceof SessionError) this.sendError(session, error.code, error.message);
        else this.logger.warn(`direct message to ${to} failed`, error);
      },
    );
  }

  // ---- joining -------------------------------------------------------------------------------

  /**
   * Seat `session` in the room of a seat reserved earlier (cluster mode: the client presented the
   * seat token of a redirect). It gets `Joined` with request id 0, or `RequestError` 0.
   */
  seatSession(session: SessionPort, seat: Seat, options: Record<string, unknown>): void {
    void this.join(session, 0, 'joinById', seat.runtime.roomId, options, seat);
  }

  /**
   * Join `session` to a room. A room that is ready and has no `onAuth` takes the member at once,
   * in this turn (no seat timer, no promise); otherwise a seat is held while `onCreate` finishes and
   * `onAuth` decides. The session's {@link Member} is in its `roomSlot` from here on (a second join
   * request is refused), until the join is refused or the member leaves.
   */
  private join(
    session: SessionPort,
    requestId: number,
    method: JoinMethod,
    room: string,
    options: Record<string, unknown>,
    reserved?: Seat,
  ): Promise<void> | undefined {
    if (reserved !== undefined)
      return this.joinWhenReady(this.seatMember(session, reserved.runtime), requestId, options, reserved);
    let runtime: RoomRuntime;
    try {
      runtime = this.pickRoom(method, room, options);
    } catch (error) {
      this.joinRefused(session, requestId, error);
      return undefined;
    }
    const m = this.seatMember(session, runtime);
    if (runtime.admitsAtOnce) {
      this.admit(m, undefined, options, requestId);
      return undefined;
    }
    return this.joinWhenReady(m, requestId, options, runtime.reserveSeat());
  }

  /** The session's {@link Member} of `runtime`, joining. */
  private seatMember(session: SessionPort, runtime: RoomRuntime): Member {
    const m = new Member(session, runtime);
    session.roomSlot = m;
    return m;
  }

  private async joinWhenReady(
    m: Member,
    requestId: number,
    options: Record<string, unknown>,
    seat: Seat,
  ): Promise<void> {
    try {
      const runtime = seat.runtime;
      const ready = await Promise.race([runtime.ready, seat.expired]);
      if (!ready) throw new SessionError(SessionErrorCode.ROOM_ERROR, 'the room failed to start');
      const verdict = await Promise.race([runtime.authorize(m, options), seat.expired]);
      if (verdict === false) throw new SessionError(SessionErrorCode.TIMEOUT, 'seat reservation expired');
      if (verdict === undefined) throw new SessionError(SessionErrorCode.AUTH_FAILED, 'the room refused this client');
      if (runtime.disposed) throw new SessionError(SessionErrorCode.ROOM_NOT_FOUND, 'the room was disposed');
      if (m.session.roomSlot !== m) return; // the session went away meanwhile
      this.admit(m, verdict.auth, options, requestId);
    } catch (error) {
      if (!m.admitted && m.session.roomSlot === m) m.session.roomSlot = undefined;
      this.joinRefused(m.session, requestId, error);
    } finally {
      seat.release();
    }
  }

  /** Make `m` a member of its room (the seat is taken: reserved, or checked in this turn). */
  private admit(m: Member, auth: unknown, options: Record<string, unknown>, requestId: number): void {
    m.auth = auth;
    m.admitted = true;
    this.stats.joins++;
    m.runtime.admit(m, options, requestId, m.session.resumeToken, this.s.reconnectGrace);
  }

  private joinRefused(session: SessionPort, requestId: number, error: unknown): void {
    this.stats.joinsRefused++;
    const code = error instanceof SessionError ? error.code : SessionErrorCode.ROOM_ERROR;
    const message = error instanceof Error ? error.message : String(error);
    if (!(error instanceof SessionError)) this.logger.error('join failed', error);
    this.refuse(session, requestId, code, message);
  }

  private refuse(session: SessionPort, requestId: number, code: string, message: string): void {
    session.send(
      DefaultChannel.Reliable,
      encodeServerMessage(this.codec, { op: Op.RequestError, requestId, code, message }),
    );
  }

  private sendError(session: SessionPort, code: string, message: string): void {
    session.send(DefaultChannel.Reliable, encodeServerMessage(this.codec, { op: Op.Error, code, message }));
  }
}

function refusalMessage(code: string, roomId: string): string {
  if (code === SessionErrorCode.ROOM_FULL) return `room ${roomId} is full`;
  if (code === SessionErrorCode.ROOM_LOCKED) return `room ${roomId} is locked`;
  return `no room with id ${roomId}`;
}

/** A random url-safe room id (9 bytes → 12 characters). */
function newRoomId(): string {
  return randomId(9);
}

/** The session's {@link Member}, if it joins or is in a room. */
function memberOf(session: SessionPort): Member | undefined {
  return session.roomSlot as Member | undefined;
}
