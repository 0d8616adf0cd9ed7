/**
 * The base class of game rooms: lifecycle hooks, typed message handlers, a fixed-rate tick,
 * broadcast, relay policy, lock / private / metadata. A game defines a subclass and registers it
 * with `server.define(name, RoomClass, options)`; the server creates instances as clients ask.
 * @module
 */
import { assertMessageType, type Clock, CloseCode, type MessageType } from '@netplay/transport';
import type { Logger } from '../options.js';
import type { Presence } from '../presence/presence.js';
import type { RoomClient } from './room-client.js';
import { type BroadcastOptions, ROOM_CONTROL, type RoomControl } from './room-control.js';

/** A relay a client asked for, as the room's {@link Room.onRelay} hook sees (and may rewrite) it. */
export interface RelayRequest {
  /** The payload to forward. Assign to rewrite what the recipients get. */
  payload: unknown;
  /**
   * Who receives it: `'others'` (every member but the sender), `'all'`, or session ids. Assign to
   * redirect; unknown ids are skipped.
   */
  to: 'others' | 'all' | readonly string[];
  /** `true` when it came (and goes out) on the reliable-ordered channel. */
  readonly reliable: boolean;
}

/** A handler of one message type: `(client, payload)`. */
export type MessageHandler<TPayload = unknown, TClient extends RoomClient = RoomClient> = (
  client: TClient,
  payload: TPayload,
) => void | Promise<void>;

/** The catch-all handler, registered with `onMessage('*', …)`: `(client, type, payload)`. */
export type WildcardMessageHandler<TClient extends RoomClient = RoomClient> = (
  client: TClient,
  type: MessageType,
  payload: unknown,
) => void | Promise<void>;

/** A payload check: `true` when `payload` has the expected shape. */
export type PayloadValidator<T> = (payload: unknown) => payload is T;

/** A registered message handler with its optional validator. */
export interface HandlerEntry {
  readonly handler: (client: RoomClient, payload: unknown) => void | Promise<void>;
  readonly validate: ((payload: unknown) => boolean) | undefined;
}

/**
 * Where a room's code runs. Subclass it and override the hooks you need; every hook may be async,
 * and a hook that throws (or rejects) is caught, logged and never takes down the server or other
 * rooms.
 *
 * ```ts
 * class Arena extends Room {
 *   override onCreate(options: Record<string, unknown>) {
 *     this.onMessage('move', (client, payload) => { ... });
 *     this.setTick(20, (dt) => this.broadcast('state', this.state, { reliable: false }));
 *   }
 *   override onJoin(client: RoomClient) { this.broadcast('hello', client.sessionId, { except: client }); }
 * }
 * ```
 *
 * @typeParam TClient - the member type (use `RoomClient<YourUserData, YourAuth>` for typed
 * `userData` and `auth`).
 */
export abstract class Room<TClient extends RoomClient = RoomClient> {
  /** @internal Set by the runtime before `onCreate`. */
  [ROOM_CONTROL]!: RoomControl;
  /** @internal Message handlers by type (created with the first). */
  handlers: Map<MessageType, HandlerEntry> | undefined;
  /** @internal The `'*'` handler. */
  wildcardHandler: WildcardMessageHandler | undefined;

  // ---- hooks ---------------------------------------------------------------------------------

  /**
   * The room was created, with the creating client's join options merged over the room type's
   * `defaultOptions`. Register message handlers and the tick here. Joins wait for it to finish.
   */
  onCreate?(options: Record<string, unknown>): void | Promise<void>;

  /**
   * Decide whether `client` may join. Return a falsy value or throw to refuse (the client gets
   * `AUTH_FAILED`); a truthy value is kept as `client.auth`. Runs while the client holds a seat
   * reservation, so capacity is already accounted for.
   */
  onAuth?(client: TClient, options: Record<string, unknown>): unknown;

  /** `client` joined (it already got its `Joined`; the other members got `peer-join`). */
  onJoin?(client: TClient, options: Record<string, unknown>): void | Promise<void>;

  /**
   * `client` left: `consented` is `true` when it called `leave()`, `false` when it was kicked,
   * timed out (no resume within the grace period), flooded, or the room is being disposed.
   */
  onLeave?(client: TClient, consented: boolean): void | Promise<void>;

  /** `client`'s link dropped; its session waits for a resume (the member stays in the room). */
  onDisconnect?(client: TClient): void;

  /** `client` resumed its session on a new link after a drop. */
  onReconnect?(client: TClient): void;

  /**
   * Inspect, rewrite or refuse a relay before the server forwards it. Return `false` to refuse it,
   * or a string to refuse it with that reason (the sender gets an `INVALID_REQUEST` error carrying
   * it); assign to `relay.payload` or `relay.to` to rewrite. Without this hook every relay is
   * forwarded as asked.
   */
  onRelay?(client: TClient, relay: RelayRequest): boolean | string | undefined | void;

  /** The room is going away (empty with `autoDispose`, `disconnect()`, or server shutdown). */
  onDispose?(): void | Promise<void>;

  /** A hook, handler or tick threw. Defaults to logging it. */
  onError?(error: unknown, where: string): void;

  // ---- API -----------------------------------------------------------------------------------

  /** This room's unique id (what `joinById` takes). */
  get roomId(): string {
    return this[ROOM_CONTROL].roomId;
  }

  /** The room type's name (as given to `server.define`). */
  get roomName(): string {
    return this[ROOM_CONTROL].roomName;
  }

  /** Current members, in join order. */
  get clients(): readonly TClient[] {
    return this[ROOM_CONTROL].clients as readonly TClient[];
  }

  /** The server's clock (use it for game timers so tests can run the room on virtual time). */
  get clock(): Clock {
    return this[ROOM_CONTROL].clock;
  }

  /** The server's logger. */
  get logger(): Logger {
    return this[ROOM_CONTROL].logger;
  }

  /** `true` while the room takes no new members (except by an existing seat reservation). */
  get locked(): boolean {
    return this[ROOM_CONTROL].locked;
  }

  /** `true` when the room is hidden from listings and `join`/`joinOrCreate` (only `joinById` reaches it). */
  get isPrivate(): boolean {
    return this[ROOM_CONTROL].isPrivate;
  }

  /** Most members at once. */
  get maxClients(): number {
    return this[ROOM_CONTROL].maxClients;
  }

  /** Metadata shown in room listings. */
  get metadata(): Readonly<Record<string, unknown>> {
    return this[ROOM_CONTROL].metadata;
  }

  /** Dispose the room when its last member leaves. Defaults to the room type's `autoDispose`. */
  get autoDispose(): boolean {
    return this[ROOM_CONTROL].autoDispose;
  }

  set autoDispose(value: boolean) {
    this[ROOM_CONTROL].autoDispose = value;
  }

  /**
   * Publish / subscribe on named topics between rooms: `this.presence.publish('chat', msg)`,
   * `this.presence.subscribe('chat', (msg) => …)`. Reaches every room of this server, and in cluster
   * mode every room on every worker (and every machine sharing the Redis registry). Subscriptions
   * end with the room.
   */
  get presence(): Presence {
    return this[ROOM_CONTROL].presence;
  }

  /** A member by session id. */
  getClient(sessionId: string): TClient | undefined {
    return this[ROOM_CONTROL].getClient(sessionId) as TClient | undefined;
  }

  /**
   * Handle messages of `type` sent with the client's `room.send(type, payload)`. With `validate`,
   * a payload that fails it never reaches the handler: the sender gets an `INVALID_REQUEST` error.
   * A message with no handler (and no `'*'` handler) gets `UNHANDLED_MESSAGE`. Returns a function
   * that removes the handler.
   */
  onMessage<T = unknown>(
    type: MessageType,
    handler: MessageHandler<T, TClient>,
    validate?: PayloadValidator<T>,
  ): () => void;
  /** Handle every message type that has no handler of its own: `(client, type, payload)`. */
  onMessage(type: '*', handler: WildcardMessageHandler<TClient>): () => void;
  onMessage(
    type: MessageType,
    handler: MessageHandler<never, TClient> | WildcardMessageHandler<TClient>,
    validate?: (payload: unknown) => boolean,
  ): () => void {
    assertMessageType(type);
    if (type === '*') {
      const h = handler as WildcardMessageHandler;
      this.wildcardHandler = h;
      return () => {
        if (this.wildcardHandler === h) this.wildcardHandler = undefined;
      };
    }
    const entry: HandlerEntry = {
      handler: handler as (client: RoomClient, payload: unknown) => void,
      validate,
    };
    this.handlers ??= new Map();
    const handlers = this.handlers;
    handlers.set(type, entry);
    return () => {
      if (handlers.get(type) === entry) handlers.delete(type);
    };
  }

  /**
   * Send `(type, payload)` to every member (or all but `except`). Encoded once, shared by every
   * recipient. Reliable by default; `{ reliable: false }` uses the unreliable-sequenced channel.
   */
  broadcast(type: MessageType, payload?: unknown, options?: BroadcastOptions): void {
    this[ROOM_CONTROL].broadcast(type, payload ?? null, options);
  }

  /**
   * Call `onTick(dt, tick)` `hz` times a second on the server's clock, where `dt` is the seconds
   * since the previous tick (nominally `1 / hz`) and `tick` counts from 1. Replaces any previous
   * tick. A tick that throws is reported and the loop goes on; a late loop catches up by skipping,
   * never by bursting.
   */
  setTick(hz: number, onTick: (dt: number, tick: number) => void): void {
    this[ROOM_CONTROL].setTick(hz, onTick);
  }

  /** Stop the tick. */
  clearTick(): void {
    this[ROOM_CONTROL].clearTick();
  }

  /** Take no new members (seats already reserved still complete). */
  lock(): void {
    this[ROOM_CONTROL].setLocked(true);
  }

  /** Take new members again. */
  unlock(): void {
    this[ROOM_CONTROL].setLocked(false);
  }

  /** Hide the room from listings and matchmaking (`joinById` still works), or show it again. */
  setPrivate(isPrivate = true): void {
    this[ROOM_CONTROL].setPrivate(isPrivate);
  }

  /** Change the most members at once (members above it are not removed). */
  setMaxClients(maxClients: number): void {
    this[ROOM_CONTROL].setMaxClients(maxClients);
  }

  /** Replace the metadata shown in listings (must be msgpack-encodable). */
  setMetadata(metadata: Record<string, unknown>): void {
    this[ROOM_CONTROL].setMetadata(metadata);
  }

  /**
   * Dispose the room now: every member gets `leave` with `code` (default `ROOM_DISPOSED`),
   * `onLeave` runs for each, then `onDispose`. Resolves when done.
   */
  disconnect(code: number = CloseCode.ROOM_DISPOSED, reason = 'room disposed'): Promise<void> {
    return this[ROOM_CONTROL].dispose(code, reason);
  }
}
