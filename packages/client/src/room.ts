/**
 * {@link Room}: the handle a game holds for one room membership. It sends messages and relays,
 * dispatches what the server sends, keeps the member list, leaves, and — when the link drops —
 * reconnects with backoff and resumes the session so no reliable message is lost either way.
 * @module
 */
import {
  assertMessageType,
  CloseCode,
  ClosedError,
  channelFor,
  DefaultChannel,
  encodeClientMessage,
  InvalidOptionError,
  type JoinedInfo,
  type LinkCloseInfo,
  MessageTooLargeError,
  type MessageType,
  Op,
  type PayloadCodec,
  type ServerMessage,
  SessionError,
  SessionErrorCode,
  type TimerHandle,
  TransportErrorCode,
} from '@netplay/transport';
import { EventEmitter } from 'eventemitter3';
import type { Dialer } from './dial.js';
import type { ResolvedClientOptions } from './options.js';
import { Backoff } from './reconnect.js';
import type {
  AnyMessageHandler,
  MessageHandler,
  RelayOptions,
  RoomEvents,
  RoomState,
  RoomStats,
  SendOptions,
} from './room-events.js';
import type { ClientSession } from './session.js';

/** What a room needs from the client that created it. @internal */
export interface RoomContext {
  readonly options: ResolvedClientOptions;
  readonly codec: PayloadCodec;
  readonly dial: Dialer;
  /** URL the session lives on (the worker's after a redirect): where to reconnect. */
  readonly url: string;
}

/** Session codes of a resume Deny that are worth another attempt. */
const RETRYABLE = new Set<string>([
  SessionErrorCode.TIMEOUT,
  SessionErrorCode.LIMIT_REACHED,
  SessionErrorCode.UNAVAILABLE,
]);

/**
 * A joined room. Get one from `client.joinOrCreate / create / join / joinById`.
 *
 * Server events that arrive before the join promise has resumed your code (e.g. in the same packet
 * as the join reply) are held and delivered on the next turn of the client's clock, so handlers
 * registered right after `await client.join(…)` see them.
 *
 * Errors: an `'error'` with no listener is not lost: it goes to the client's `logger.error`
 * (default `console`).
 */
export class Room extends EventEmitter<RoomEvents> {
  /** Id of the room. */
  readonly roomId: string;
  /** Name of the room type. */
  readonly name: string;
  /** This membership's session id (what other members see as the relay sender). */
  readonly sessionId: string;
  private readonly ctx: RoomContext;
  private readonly info: JoinedInfo;
  private readonly session: ClientSession;
  private readonly members: Set<string>;
  private readonly handlers = new Map<MessageType, Set<MessageHandler>>();
  private readonly anyHandlers = new Set<AnyMessageHandler>();
  private readonly warnedTypes = new Set<MessageType>();
  private _state: RoomState = 'joined';
  private held: ServerMessage[] | undefined = [];
  private linkSince: number;
  private idleTimer: TimerHandle | undefined;
  private leaveTimer: TimerHandle | undefined;
  private reconnectTimer: TimerHandle | undefined;
  private backoff: Backoff | undefined;
  private attemptId = 0;
  private leaveWaiters: (() => void)[] = [];
  private reconnects = 0;
  private droppedWhileReconnecting = 0;

  /** @internal Created by the {@link Client}. */
  constructor(session: ClientSession, info: JoinedInfo, ctx: RoomContext) {
    super();
    this.ctx = ctx;
    this.info = info;
    this.session = session;
    this.roomId = info.roomId;
    this.name = info.roomName;
    this.sessionId = info.sessionId;
    this.members = new Set(info.peers.filter((p) => p !== info.sessionId));
    this.linkSince = ctx.options.clock.now();
    session.attach({
      onMessage: (m) => this.onServerMessage(m),
      onError: (e) => this.onSessionError(e),
      onDisconnect: (code, reason) => this.onDisconnect(code, reason),
      onLinkClosed: (info) => this.onLinkClosed(info),
    });
    ctx.options.clock.setTimeout(() => this.release(), 0);
    this.scheduleIdleCheck();
  }

  /** `joined`, `reconnecting`, `leaving` or `left`. */
  get state(): RoomState {
    return this._state;
  }

  /** Session ids of the other current members. */
  get peers(): readonly string[] {
    return [...this.members];
  }

  /** Seconds the server keeps this session after its link drops (from the join reply). */
  get reconnectGrace(): number {
    return this.info.reconnectGrace;
  }

  /** Connection statistics (RTT, jitter, loss, bytes in/out, resends, …) plus reconnect counters. A fresh snapshot per read. */
  get stats(): RoomStats {
    return {
      ...this.session.peer.connection.stats,
      reconnects: this.reconnects,
      droppedWhileReconnecting: this.droppedWhileReconnecting,
    };
  }

  /**
   * Send a message to the room's handler for `type` on the server. Reliable-ordered by default;
   * `{ reliable: false }` sends it unreliable-sequenced (dropped while reconnecting).
   * A `Uint8Array` payload travels as raw bytes.
   * @throws {@link ClosedError} (`CLOSED`) after the room was left; {@link CodecError} for a bad
   *   type or an unencodable payload; {@link MessageTooLargeError} when it exceeds the channel's limit;
   *   `SEND_QUEUE_FULL` when the reliable queue is full.
   */
  send(type: MessageType, payload?: unknown, options: SendOptions = {}): void {
    this.assertOpen();
    assertMessageType(type);
    this.transmit('message', options.reliable ?? true, { op: Op.Message, type, payload: payload ?? null });
  }

  /**
   * Relay `payload` through the server to other members (`to`: `'others'` by default, `'all'`, or a
   * list of session ids); they get a `'relay'` event with this client's session id. The server room's
   * hook may refuse it (an `'error'` event follows).
   * @throws like {@link Room.send}, and {@link InvalidOptionError} for a bad `to`.
   */
  relay(payload: unknown, options: RelayOptions = {}): void {
    this.assertOpen();
    const target = options.to ?? 'others';
    if (
      target !== 'others' &&
      target !== 'all' &&
      !(Array.isArray(target) && target.every((s: unknown) => typeof s === 'string'))
    ) {
      throw new InvalidOptionError('to', "must be 'others', 'all' or an array of session ids");
    }
    this.transmit('relay', options.reliable ?? true, {
      op: Op.Relay,
      payload: payload ?? null,
      target,
    });
  }

  /**
   * Send `payload` straight to one session by id, in this room or any other, on any worker of a
   * cluster; it gets a `'direct'` event with this client's session id. Reliable by default. When
   * no session has that id the server answers with an `'error'` (`INVALID_REQUEST`).
   * @throws like {@link Room.send}, and {@link InvalidOptionError} for an empty `sessionId`.
   */
  message(sessionId: string, payload: unknown, options: SendOptions = {}): void {
    this.assertOpen();
    if (typeof sessionId !== 'string' || sessionId.length === 0) {
      throw new InvalidOptionError('sessionId', 'must be a non-empty string');
    }
    this.transmit('relay', options.reliable ?? true, { op: Op.SendTo, to: sessionId, payload: payload ?? null });
  }

  /**
   * Handle messages of one type (`room.onMessage('chat', (payload) => …)`), or of every type with
   * `'*'` (`(type, payload) => …`). Returns a function that removes the handler. The payload came
   * from the network: validate it before use.
   */
  onMessage(type: '*', handler: AnyMessageHandler): () => void;
  onMessage<P = unknown>(type: MessageType, handler: MessageHandler<P>): () => void;
  onMessage(type: MessageType, handler: MessageHandler | AnyMessageHandler): () => void {
    if (type === '*') {
      const h = handler as AnyMessageHandler;
      this.anyHandlers.add(h);
      return () => {
        this.anyHandlers.delete(h);
      };
    }
    assertMessageType(type);
    const h = handler as MessageHandler;
    let set = this.handlers.get(type);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(type, set);
    }
    set.add(h);
    return () => {
      const s = this.handlers.get(type);
      s?.delete(h);
      if (s?.size === 0) this.handlers.delete(type);
    };
  }

  /**
   * Leave the room: tell the server and resolve once it confirms (`Left`), the link closes, or
   * `leaveTimeout` passes. Emits `'leave'` (code 1000). Idempotent: later calls return the same
   * outcome. While reconnecting, leaves at once (the server drops the session after its grace period).
   */
  leave(): Promise<void> {
    if (this._state === 'left') return Promise.resolve();
    const done = new Promise<void>((resolve) => this.leaveWaiters.push(resolve));
    if (this._state === 'leaving') return done;
    if (this._state === 'reconnecting') {
      this.session.close();
      this.finish(CloseCode.NORMAL, 'left');
      return done;
    }
    this._state = 'leaving';
    try {
      this.session.send(DefaultChannel.Reliable, { op: Op.Leave });
    } catch {
      this.session.close({ code: CloseCode.NORMAL, reason: 'left' });
      this.finish(CloseCode.NORMAL, 'left');
      return done;
    }
    this.leaveTimer = this.ctx.options.clock.setTimeout(() => {
      this.leaveTimer = undefined;
      this.session.close({ code: CloseCode.NORMAL, reason: 'left' });
      this.finish(CloseCode.NORMAL, 'left (the server did not confirm in time)');
    }, this.ctx.options.leaveTimeout);
    return done;
  }

  // ---------------------------------------------------------------- sending

  private assertOpen(): void {
    if (this._state === 'left' || this._state === 'leaving') throw new ClosedError('room');
  }

  private transmit(kind: 'message' | 'relay', reliable: boolean, message: Parameters<ClientSession['send']>[1]): void {
    const channel = channelFor(kind, reliable);
    if (this._state === 'reconnecting' && !reliable) {
      // Still refuse what would never fit, so errors do not depend on the link's state.
      const size = encodeClientMessage(this.ctx.codec, message).length;
      const limit = this.session.peer.connection.maxUnreliableMessageSize;
      if (size > limit) throw new MessageTooLargeError(size, limit, 'unreliable message');
      this.droppedWhileReconnecting++;
      return;
    }
    this.session.send(channel, message);
  }

  // ---------------------------------------------------------------- receiving

  private release(): void {
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) for (const m of held) this.dispatch(m);
  }

  private onServerMessage(m: ServerMessage): void {
    if (this.held !== undefined) this.held.push(m);
    else this.dispatch(m);
  }

  private dispatch(m: ServerMessage): void {
    if (this._state === 'left') return;
    switch (m.op) {
      case Op.Message:
        this.dispatchMessage(m.type, m.payload);
        return;
      case Op.Relayed:
        this.safeEmit('relay', m.payload, m.from);
        return;
      case Op.Direct:
        this.safeEmit('direct', m.payload, m.from);
        return;
      case Op.PeerJoin:
        if (m.sessionId === this.sessionId || this.members.has(m.sessionId)) return;
        this.members.add(m.sessionId);
        this.safeEmit('peer-join', m.sessionId);
        return;
      case Op.PeerLeave:
        if (!this.members.delete(m.sessionId)) return;
        this.safeEmit('peer-leave', m.sessionId);
        return;
      case Op.Error:
        this.emitError(new SessionError(m.code, m.message));
        return;
      case Op.Left:
        this.finish(m.code, m.reason);
        // The server closes the link once our ack of Left arrived; close it ourselves if it does not.
        this.leaveTimer?.cancel();
        this.leaveTimer = this.ctx.options.clock.setTimeout(() => {
          this.leaveTimer = undefined;
          this.session.close();
        }, this.ctx.options.leaveTimeout);
        return;
      default:
        return; // Request answers nobody waits for.
    }
  }

  private dispatchMessage(type: MessageType, payload: unknown): void {
    const set = this.handlers.get(type);
    if (set === undefined && this.anyHandlers.size === 0) {
      if (!this.warnedTypes.has(type)) {
        this.warnedTypes.add(type);
        this.ctx.options.logger.warn(
          `netplay room ${this.roomId}: no onMessage handler for type ${JSON.stringify(type)}`,
        );
      }
      return;
    }
    // Copies: a handler may add or remove handlers. No closure per call: this runs per message.
    if (set !== undefined) {
      for (const h of [...set]) {
        try {
          h(payload);
        } catch (error) {
          this.handlerFailed(error);
        }
      }
    }
    if (this.anyHandlers.size === 0) return;
    for (const h of [...this.anyHandlers]) {
      try {
        h(type, payload);
      } catch (error) {
        this.handlerFailed(error);
      }
    }
  }

  private safeEmit<E extends keyof RoomEvents>(event: E, ...args: RoomEvents[E]): void {
    try {
      (this.emit as (event: E, ...args: RoomEvents[E]) => boolean)(event, ...args);
    } catch (error) {
      this.handlerFailed(error);
    }
  }

  private handlerFailed(error: unknown): void {
    this.emitError(error instanceof Error ? error : new Error(String(error)));
  }

  private emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else this.ctx.options.logger.error(`netplay room ${this.roomId}: unhandled 'error' event`, error);
  }

  private onSessionError(error: Error): void {
    this.emitError(error);
    if ((error as { code?: unknown }).code === TransportErrorCode.PROTOCOL_VIOLATION && this._state !== 'left') {
      this.session.close({ code: CloseCode.PROTOCOL_ERROR, reason: 'protocol violation' });
      this.finish(CloseCode.PROTOCOL_ERROR, 'protocol violation');
    }
  }

  private onDisconnect(code: number, reason: string): void {
    this.session.close();
    this.finish(code, reason);
  }

  // ---------------------------------------------------------------- leave

  private finish(code: number, reason: string): void {
    if (this._state === 'left') return;
    // Events still held (the room ended before they were released) go out first.
    this.release();
    if ((this._state as RoomState) === 'left') return; // a held Left ended it
    this._state = 'left';
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
    this.reconnectTimer?.cancel();
    this.reconnectTimer = undefined;
    this.leaveTimer?.cancel();
    this.leaveTimer = undefined;
    this.attemptId++;
    this.safeEmit('leave', code, reason);
    for (const resolve of this.leaveWaiters.splice(0)) resolve();
  }

  // ---------------------------------------------------------------- link loss, idle, resume

  private scheduleIdleCheck(): void {
    const o = this.ctx.options;
    const every = Math.max(10, Math.min(1000, o.idleTimeout / 4));
    this.idleTimer = o.clock.setTimeout(() => {
      this.idleTimer = undefined;
      if (this._state === 'left') return;
      if (this._state !== 'reconnecting') {
        const heard = Math.max(this.session.peer.connection.stats.lastReceivedAt, this.linkSince);
        if (o.clock.now() - heard > o.idleTimeout) {
          o.logger.warn(`netplay room ${this.roomId}: nothing heard from the server for ${o.idleTimeout} ms`);
          this.session.currentLink.close('idle timeout');
        }
      }
      if ((this._state as RoomState) !== 'left') this.scheduleIdleCheck();
    }, every);
  }

  private onLinkClosed(info: LinkCloseInfo): void {
    if (this._state === 'left') {
      this.leaveTimer?.cancel();
      this.leaveTimer = undefined;
      this.session.close();
      return;
    }
    if (this._state === 'leaving') {
      this.session.close();
      this.finish(CloseCode.NORMAL, 'left');
      return;
    }
    if (this._state !== 'joined') return;
    if (!this.ctx.options.reconnect.enabled) {
      this.session.close();
      this.emitError(new SessionError(SessionErrorCode.TIMEOUT, `connection lost: ${info.reason}`));
      this.finish(CloseCode.TIMEOUT, `connection lost: ${info.reason}`);
      return;
    }
    this._state = 'reconnecting';
    const clock = this.ctx.options.clock;
    this.backoff = new Backoff(this.ctx.options.reconnect, clock.now() + this.info.reconnectGrace * 1000);
    this.safeEmit('reconnecting');
    this.scheduleAttempt(undefined);
  }

  private scheduleAttempt(lastError: Error | undefined): void {
    if (this._state !== 'reconnecting') return;
    const clock = this.ctx.options.clock;
    const delay = this.backoff!.next(clock.now());
    if (delay === undefined) {
      const attempts = this.backoff!.attempted;
      this.giveUp(
        new SessionError(
          SessionErrorCode.TIMEOUT,
          `could not resume the session after ${attempts} attempt(s)${lastError ? `: ${lastError.message}` : ''}`,
          { cause: lastError },
        ),
      );
      return;
    }
    this.reconnectTimer = clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.attempt();
    }, delay);
  }

  private attempt(): void {
    const id = ++this.attemptId;
    this.ctx.dial(this.ctx.url, { resume: this.info.resumeToken }, this.session.currentLink.secure).then(
      ({ link, resumed }) => {
        if (id !== this.attemptId || this._state !== 'reconnecting') {
          link.close('obsolete');
          return;
        }
        if (!resumed) {
          link.close('not resumed');
          this.giveUp(new SessionError(SessionErrorCode.INVALID_TOKEN, 'the server did not resume the session'));
          return;
        }
        this.session.replaceLink(link);
        this.linkSince = this.ctx.options.clock.now();
        this._state = 'joined';
        this.reconnects++;
        this.safeEmit('reconnected');
      },
      (error: Error) => {
        if (id !== this.attemptId || this._state !== 'reconnecting') return;
        if (error instanceof SessionError && !RETRYABLE.has(error.code)) this.giveUp(error);
        else this.scheduleAttempt(error);
      },
    );
  }

  private giveUp(error: SessionError): void {
    this.session.close();
    this.emitError(error);
    const code =
      error.code === SessionErrorCode.SHUTTING_DOWN
        ? CloseCode.SHUTDOWN
        : error.code === SessionErrorCode.ROOM_LOST
          ? CloseCode.ROOM_LOST
          : CloseCode.TIMEOUT;
    this.finish(code, `session not resumed: ${error.message}`);
  }
}
