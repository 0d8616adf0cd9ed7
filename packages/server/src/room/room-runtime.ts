/**
 * The runtime behind one room instance: its members, seat reservations, message dispatch, relay
 * fan-out, tick and disposal. It implements the room's public API ({@link RoomControl}) and is
 * driven by the matchmaker. Game code never sees it.
 * @module
 */
import {
  type Clock,
  channelFor,
  DefaultChannel,
  encodeRelayedPrefix,
  encodeRelayedRaw,
  encodeServerMessage,
  InvalidOptionError,
  type MessageType,
  Op,
  type PayloadCodec,
  type RelayTarget,
  type RoomListing,
  SessionErrorCode,
} from '@netplay/transport';
import type { Logger, RoomDefinitionOptions } from '../options.js';
import { type Presence, ScopedPresence } from '../presence/presence.js';
import { guard, settle } from './hook-guard.js';
import type { RelayRequest, Room } from './room.js';
import type { RoomClient, RoomClientOwner } from './room-client.js';
import { type BroadcastOptions, ROOM_CONTROL, type RoomControl } from './room-control.js';
import { TickLoop, type TickStats } from './tick-loop.js';

/**
 * Up to this many members a room finds one by session id by scanning its member list (as fast as a
 * map lookup at that size); past it the room keeps a map from session id to member.
 */
const MEMBER_SCAN_LIMIT = 16;

/** The metadata of a room that never set any (shared, frozen). */
const NO_METADATA: Readonly<Record<string, unknown>> = Object.freeze({});

/** A room class as given to `server.define`. */
export type RoomClass = new () => Room<RoomClient>;

/** A registered room type. */
export interface RoomDefinition {
  readonly name: string;
  readonly roomClass: RoomClass;
  readonly options: Required<Omit<RoomDefinitionOptions, 'defaultOptions'>> & {
    readonly defaultOptions: Record<string, unknown>;
  };
}

/** What a runtime needs from the matchmaker that owns it. */
export interface RoomHost {
  readonly clock: Clock;
  readonly codec: PayloadCodec;
  readonly logger: Logger;
  /** The server's presence (rooms get a scoped view of it). */
  readonly presence: Presence;
  /** The room finished disposing: forget it. */
  roomDisposed(runtime: RoomRuntime): void;
  /** A client left this room (any reason): forget its membership. */
  memberRemoved(runtime: RoomRuntime, client: RoomClient): void;
}

/** A seat held for a joining client; release it once the join completes or fails. */
export interface Seat {
  readonly runtime: RoomRuntime;
  /** Resolves `false` if the seat expires before it is used. */
  readonly expired: Promise<false>;
  release(): void;
}

/** Counters of one room. */
export interface RoomRuntimeStats {
  messagesIn: number;
  relaysIn: number;
  relaysRefused: number;
  deliveriesOut: number;
  hookErrors: number;
}

/** The runtime of one room instance. */
export class RoomRuntime implements RoomControl, RoomClientOwner {
  readonly roomId: string;
  readonly roomName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly codec: PayloadCodec;
  readonly room: Room<RoomClient>;
  readonly presence: ScopedPresence;
  readonly stats: RoomRuntimeStats = { messagesIn: 0, relaysIn: 0, relaysRefused: 0, deliveriesOut: 0, hookErrors: 0 };
  /** Resolves `true` once `onCreate` finished, `false` if it failed (the room is then disposed). */
  readonly ready: Promise<boolean>;
  autoDispose: boolean;
  private readonly host: RoomHost;
  private readonly members: RoomClient[] = [];
  /**
   * Members by session id, kept once the room has had more than {@link MEMBER_SCAN_LIMIT} members
   * (a smaller room finds a member by scanning `members`, and holds no map).
   */
  private bySession: Map<string, RoomClient> | undefined;
  /** Encoded `[Relayed, sessionId, ` per member, for relays spliced from payload bytes (from the first relay). */
  private relayPrefixes: WeakMap<RoomClient, Uint8Array> | undefined;
  /** Seats reserved for joining clients; none while nobody is joining. */
  private seats: Set<Seat> | undefined;
  private readonly seatReservationMs: number;
  private _locked = false;
  private _private = false;
  private _maxClients: number;
  private _metadata: Record<string, unknown> = NO_METADATA;
  private tick: TickLoop | undefined;
  private isReady = false;
  private disposing: Promise<void> | undefined;

  constructor(host: RoomHost, definition: RoomDefinition, roomId: string, seatReservationMs: number) {
    this.host = host;
    this.clock = host.clock;
    this.logger = host.logger;
    this.codec = host.codec;
    this.roomId = roomId;
    this.roomName = definition.name;
    this.autoDispose = definition.options.autoDispose;
    this._maxClients = definition.options.maxClients;
    this.seatReservationMs = seatReservationMs;
    this.presence = new ScopedPresence(host.presence, (error) => this.reportError(error, 'presence'));
    this.room = new definition.roomClass();
    this.room[ROOM_CONTROL] = this;
    this.ready = Promise.resolve(false); // replaced by start()
  }

  /** Run `onCreate(options)`; joins wait for `ready`. */
  start(options: Record<string, unknown>): Promise<boolean> {
    const ready = settle(() => this.room.onCreate?.(options)).then((outcome) => {
      if (!outcome.ok) {
        this.reportError(outcome.error, 'onCreate');
        void this.dispose(1011, 'room failed to start');
        return false;
      }
      this.isReady = true;
      this.maybeAutoDispose();
      return !this.disposing;
    });
    (this as { ready: Promise<boolean> }).ready = ready;
    return ready;
  }

  // ---- RoomControl (the room's public API) ---------------------------------------------------

  get clients(): readonly RoomClient[] {
    return this.members;
  }

  get locked(): boolean {
    return this._locked;
  }

  get isPrivate(): boolean {
    return this._private;
  }

  get maxClients(): number {
    return this._maxClients;
  }

  get metadata(): Readonly<Record<string, unknown>> {
    return this._metadata;
  }

  /** Members plus seats reserved for joining clients. */
  get occupancy(): number {
    return this.members.length + (this.seats?.size ?? 0);
  }

  /** `true` once `onCreate` finished and until the room disposes: a join needs no wait for it. */
  get readyNow(): boolean {
    return this.isReady && this.disposing === undefined;
  }

  /** `true` when a join can be admitted in the same turn: the room is ready and has no `onAuth` to await. */
  get admitsAtOnce(): boolean {
    return this.readyNow && this.room.onAuth === undefined;
  }

  /** `true` once disposing or disposed. */
  get disposed(): boolean {
    return this.disposing !== undefined;
  }

  /** Tick counters, when a tick is set. */
  get tickStats(): Readonly<TickStats> | undefined {
    return this.tick?.stats;
  }

  getClient(sessionId: string): RoomClient | undefined {
    if (this.bySession !== undefined) return this.bySession.get(sessionId);
    for (const member of this.members) if (member.sessionId === sessionId) return member;
    return undefined;
  }

  broadcast(type: MessageType, payload: unknown, options: BroadcastOptions | undefined): void {
    const bytes = encodeServerMessage(this.codec, { op: Op.Message, type, payload });
    const channel = channelFor('message', options?.reliable ?? true);
    const except = options?.except;
    for (const client of this.members) {
      if (except !== undefined && (except === client || (Array.isArray(except) && except.includes(client)))) continue;
      client.sendEncoded(channel, bytes);
      this.stats.deliveriesOut++;
    }
  }

  setTick(hz: number, onTick: (dt: number, tick: number) => void): void {
    this.clearTick();
    if (this.disposing) return;
    this.tick = new TickLoop(this.clock, hz, onTick, (error) => this.reportError(error, 'tick'));
  }

  clearTick(): void {
    this.tick?.stop();
    this.tick = undefined;
  }

  setLocked(locked: boolean): void {
    this._locked = locked;
  }

  setPrivate(isPrivate: boolean): void {
    this._private = isPrivate;
  }

  setMaxClients(maxClients: number): void {
    if (!(maxClients >= 1)) throw new InvalidOptionError('maxClients', 'must be at least 1');
    this._maxClients = maxClients;
  }

  setMetadata(metadata: Record<string, unknown>): void {
    this.codec.encode(metadata); // fail now, not when a listing is sent
    this._metadata = { ...metadata };
  }

  // ---- joining ---------------------------------------------------------------------------------

  /** Why a new client cannot take a seat now (`undefined`: it can). */
  seatRefusal(byId: boolean): string | undefined {
    if (this.disposing) return SessionErrorCode.ROOM_NOT_FOUND;
    if (this._private && !byId) return SessionErrorCode.ROOM_NOT_FOUND;
    if (this._locked) return SessionErrorCode.ROOM_LOCKED;
    if (this.occupancy >= this._maxClients) return SessionErrorCode.ROOM_FULL;
    return undefined;
  }

  /** Hold a seat (call {@link seatRefusal} first, in the same turn). */
  reserveSeat(): Seat {
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    let resolveExpired!: (v: false) => void;
    const expired = new Promise<false>((resolve) => {
      resolveExpired = resolve;
    });
    const seat: Seat = {
      runtime: this,
      expired,
      release: () => {
        timer?.cancel();
        const seats = this.seats;
        if (seats === undefined || !seats.delete(seat)) return;
        if (seats.size === 0) this.seats = undefined;
        this.maybeAutoDispose();
      },
    };
    timer = this.clock.setTimeout(() => {
      resolveExpired(false);
      seat.release();
    }, this.seatReservationMs);
    this.seats ??= new Set();
    this.seats.add(seat);
    return seat;
  }

  /** Run `onAuth`: the auth value, or `undefined` when refused. */
  async authorize(client: RoomClient, options: Record<string, unknown>): Promise<{ auth: unknown } | undefined> {
    const onAuth = this.room.onAuth;
    if (onAuth === undefined) return { auth: undefined };
    const outcome = await settle(() => onAuth.call(this.room, client, options));
    if (!outcome.ok) {
      this.logger.info(`room ${this.roomName}/${this.roomId}: onAuth refused a client: ${String(outcome.error)}`);
      return undefined;
    }
    return outcome.value ? { auth: outcome.value === true ? undefined : outcome.value } : undefined;
  }

  /** Make `client` a member: tell it, tell the others, run `onJoin`. */
  admit(
    client: RoomClient,
    options: Record<string, unknown>,
    requestId: number,
    resumeToken: string,
    reconnectGrace: number,
  ): void {
    const peers = this.members.map((m) => m.sessionId);
    this.members.push(client);
    if (this.bySession !== undefined) this.bySession.set(client.sessionId, client);
    else if (this.members.length > MEMBER_SCAN_LIMIT)
      this.bySession = new Map(this.members.map((member) => [member.sessionId, member]));
    client.sendEncoded(
      DefaultChannel.Reliable,
      encodeServerMessage(this.codec, {
        op: Op.Joined,
        requestId,
        info: {
          roomId: this.roomId,
          roomName: this.roomName,
          sessionId: client.sessionId,
          resumeToken,
          peers,
          reconnectGrace,
        },
      }),
    );
    const joined = encodeServerMessage(this.codec, { op: Op.PeerJoin, sessionId: client.sessionId });
    for (const other of this.members) if (other !== client) other.sendEncoded(DefaultChannel.Reliable, joined);
    guard(
      () => this.room.onJoin?.(client, options),
      (error) => this.reportError(error, 'onJoin'),
    );
  }

  // ---- membership --------------------------------------------------------------------------

  /**
   * Remove `client`: the others get `PeerLeave`, `onLeave(client, consented)` runs, and the
   * member's session ends with `end` (omit it when the session is already gone).
   */
  removeClient(client: RoomClient, consented: boolean, end?: { code: number; reason: string }): void {
    const index = this.members.indexOf(client);
    if (index < 0) return;
    this.members.splice(index, 1);
    this.bySession?.delete(client.sessionId);
    client.markLeft();
    this.host.memberRemoved(this, client);
    const left = encodeServerMessage(this.codec, { op: Op.PeerLeave, sessionId: client.sessionId });
    for (const other of this.members) other.sendEncoded(DefaultChannel.Reliable, left);
    if (end !== undefined) client.session.end(end.code, end.reason);
    guard(
      () => this.room.onLeave?.(client, consented),
      (error) => this.reportError(error, 'onLeave'),
    );
    this.maybeAutoDispose();
  }

  /** {@link RoomClientOwner.countDelivery}: a message to one member (`client.send`). */
  countDelivery(): void {
    this.stats.deliveriesOut++;
  }

  /** {@link RoomClientOwner.kick}: the room's code removed a member. */
  kick(client: RoomClient, code: number, reason: string): void {
    this.removeClient(client, false, { code, reason });
  }

  /** The member's link dropped (it waits for a resume). */
  clientDisconnected(client: RoomClient): void {
    this.linkHook('onDisconnect', client);
  }

  /** The member resumed. */
  clientReconnected(client: RoomClient): void {
    this.linkHook('onReconnect', client);
  }

  /** Run the room's `onDisconnect` / `onReconnect` for `client`, if it has one; a throw is reported. */
  private linkHook(name: 'onDisconnect' | 'onReconnect', client: RoomClient): void {
    const hook = this.room[name];
    if (hook)
      guard(
        () => hook.call(this.room, client),
        (error) => this.reportError(error, name),
      );
  }

  // ---- traffic -------------------------------------------------------------------------------

  /** An app message from a member: dispatch it to its handler. */
  handleMessage(client: RoomClient, type: MessageType, payload: unknown): void {
    this.stats.messagesIn++;
    const entry = this.room.handlers?.get(type);
    if (entry !== undefined) {
      if (
        entry.validate !== undefined &&
        !guard(
          () => entry.validate?.(payload),
          (e) => this.reportError(e, 'validate'),
        )
      ) {
        this.sendError(client, SessionErrorCode.INVALID_REQUEST, `invalid payload for message ${String(type)}`);
        return;
      }
      guard(
        () => entry.handler.call(this.room, client, payload),
        (error) => this.handlerFailed(client, error, `onMessage(${String(type)})`),
      );
      return;
    }
    const wildcard = this.room.wildcardHandler;
    if (wildcard !== undefined) {
      guard(
        () => wildcard.call(this.room, client, type, payload),
        (error) => this.handlerFailed(client, error, "onMessage('*')"),
      );
      return;
    }
    this.sendError(client, SessionErrorCode.UNHANDLED_MESSAGE, `no handler for message ${String(type)}`);
  }

  /**
   * A relay from a member: let `onRelay` inspect it, then encode `Relayed` once and queue the same
   * bytes for every recipient, on the channel it came on. When the message arrived as validated
   * payload bytes (`payloadBytes`) and no hook replaces the payload, `Relayed` is spliced from them
   * without decoding or re-encoding anything.
   */
  handleRelay(
    client: RoomClient,
    relay: { readonly payload: unknown; readonly target: RelayTarget; readonly payloadBytes?: Uint8Array | undefined },
    channel: number,
  ): void {
    this.stats.relaysIn++;
    const reliable = channel === DefaultChannel.Reliable;
    const target = relay.target;
    let to: RelayTarget = target;
    let payload: unknown;
    let payloadBytes = relay.payloadBytes;
    const hook = this.room.onRelay;
    if (hook !== undefined) {
      payload = relay.payload;
      const request: RelayRequest = { payload, to: target, reliable };
      let failed = false;
      const verdict = guard(
        () => hook.call(this.room, client, request),
        (error) => {
          failed = true;
          this.handlerFailed(client, error, 'onRelay');
        },
      );
      if (failed || verdict === false || typeof verdict === 'string') {
        this.stats.relaysRefused++;
        if (!failed) {
          const reason = typeof verdict === 'string' ? verdict : 'relay refused by the room';
          this.sendError(client, SessionErrorCode.INVALID_REQUEST, reason);
        }
        return;
      }
      if (request.payload !== payload) payloadBytes = undefined;
      payload = request.payload;
      to = request.to;
    } else if (payloadBytes === undefined) {
      payload = relay.payload;
    }
    const bytes =
      payloadBytes !== undefined
        ? encodeRelayedRaw(this.relayedPrefix(client), payloadBytes)
        : encodeServerMessage(this.codec, { op: Op.Relayed, from: client.sessionId, payload });
    const out = reliable ? DefaultChannel.Reliable : DefaultChannel.Unreliable;
    if (to === 'others' || to === 'all') {
      const skip = to === 'others' ? client : undefined;
      for (const member of this.members) {
        if (member === skip) continue;
        member.sendEncoded(out, bytes);
        this.stats.deliveriesOut++;
      }
      return;
    }
    for (const id of to) {
      const member = this.getClient(id);
      if (member === undefined) continue;
      member.sendEncoded(out, bytes);
      this.stats.deliveriesOut++;
    }
  }

  private relayedPrefix(client: RoomClient): Uint8Array {
    this.relayPrefixes ??= new WeakMap();
    const prefixes = this.relayPrefixes;
    let prefix = prefixes.get(client);
    if (prefix === undefined) {
      prefix = encodeRelayedPrefix(client.sessionId);
      prefixes.set(client, prefix);
    }
    return prefix;
  }

  /** Tell a member about an error it caused (the session carries on). */
  sendError(client: RoomClient, code: string, message: string): void {
    client.sendEncoded(DefaultChannel.Reliable, encodeServerMessage(this.codec, { op: Op.Error, code, message }));
  }

  /** How the room appears in listings. */
  listing(): RoomListing {
    return {
      roomId: this.roomId,
      name: this.roomName,
      clients: this.members.length,
      maxClients: Number.isFinite(this._maxClients) ? this._maxClients : 0,
      locked: this._locked,
      metadata: this._metadata,
    };
  }

  // ---- disposal ------------------------------------------------------------------------------

  /** Dispose: remove every member (ending its session with `code`), run `onDispose`, forget the room. */
  dispose(code: number, reason: string): Promise<void> {
    if (this.disposing === undefined) {
      // Set before the members are removed: the last removal must see the room disposing (else
      // its auto-dispose would run `onDispose` a second time).
      let settled!: { resolve: () => void; reject: (error: unknown) => void };
      this.disposing = new Promise<void>((resolve, reject) => {
        settled = { resolve, reject };
      });
      this.runDispose(code, reason).then(settled.resolve, settled.reject);
    }
    return this.disposing;
  }

  private async runDispose(code: number, reason: string): Promise<void> {
    this.clearTick();
    this.presence.close();
    for (const client of [...this.members]) this.removeClient(client, false, { code, reason });
    for (const seat of [...(this.seats ?? [])]) seat.release();
    const onDispose = this.room.onDispose;
    if (onDispose !== undefined) {
      const outcome = await settle(() => onDispose.call(this.room));
      if (!outcome.ok) this.reportError(outcome.error, 'onDispose');
    }
    this.host.roomDisposed(this);
  }

  private maybeAutoDispose(): void {
    if (this.autoDispose && this.isReady && !this.disposing && this.occupancy === 0) {
      void this.dispose(1000, 'room empty');
    }
  }

  private handlerFailed(client: RoomClient, error: unknown, where: string): void {
    this.reportError(error, where);
    this.sendError(client, SessionErrorCode.ROOM_ERROR, `the room failed to handle it (${where})`);
  }

  /** Report an error thrown by game code to the room's `onError`, or log it. */
  reportError(error: unknown, where: string): void {
    this.stats.hookErrors++;
    const onError = this.room.onError;
    if (onError !== undefined) {
      try {
        onError.call(this.room, error, where);
        return;
      } catch (secondary) {
        this.logger.error(`room ${this.roomName}/${this.roomId}: onError threw`, secondary);
      }
    }
    this.logger.error(`room ${this.roomName}/${this.roomId}: ${where} threw`, error);
  }
}
