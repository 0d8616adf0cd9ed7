/**
 * One client session on the server: a {@link Peer} (protocol core over a link) plus the session's
 * life: grace period and resume when the link drops, idle timeout, slow-consumer and protocol-error
 * closes, and the graceful end (send `Left`, let the reliable queue drain, close).
 * @module
 */
import {
  type Clock,
  CloseCode,
  type ConnectionOptions,
  type ConnectionStats,
  DefaultChannel,
  decodeClientMessage,
  decodeHandshake,
  encodeHandshake,
  encodeServerMessage,
  HandshakeType,
  type Link,
  type LinkCloseInfo,
  NetplayError,
  Op,
  type PayloadCodec,
  Peer,
  type PeerHandlers,
  SessionErrorCode,
  scanRelay,
  type TimerHandle,
  TransportErrorCode,
} from '@netplay/transport';
import type { Logger } from '../options.js';
import type { DeliveryCallback, SessionEvents, SessionPort } from './session-port.js';

/** The settings a session reads from the layer that owns it. */
export interface SessionSettings {
  readonly clock: Clock;
  readonly codec: PayloadCodec;
  readonly events: SessionEvents;
  readonly logger: Logger;
  readonly connection: ConnectionOptions | undefined;
  /** Grace period in ms. */
  readonly reconnectGraceMs: number;
  /** How long an ending session may take to drain its reliable queue, in ms. */
  readonly drainTimeoutMs: number;
  /** The peer's send delay (Nagle-style send timer), in ms. Defaults to 0. */
  readonly sendDelayMs?: number;
}

/** What a session needs from the layer that owns it. */
export interface SessionHost {
  readonly settings: SessionSettings;
  /** The session is gone: forget it. */
  release(session: ServerSession): void;
  /** The resume token of session `id`. */
  resumeTokenOf(id: string): string;
  /** The session starts ending with `code` (e.g. `FLOODING`: the host may penalise its address). */
  ending?(session: ServerSession, code: number): void;
}

/** Lifecycle of a {@link ServerSession}. */
export type ServerSessionState = 'connected' | 'disconnected' | 'ending' | 'closed';

/**
 * A client session (implements the room layer's {@link SessionPort}). It is its peer's handlers
 * object and its links' handshake listener itself: a session holds no closures of its own.
 */
export class ServerSession implements SessionPort, PeerHandlers {
  readonly id: string;
  readonly remoteAddress: string;
  private readonly host: SessionHost;
  private readonly peer: Peer;
  /** {@link SessionPort.roomSlot}. */
  roomSlot: unknown = undefined;
  private _state: ServerSessionState = 'connected';
  /** The grace-period timer while disconnected, the drain poll while ending (never both). */
  private timer: TimerHandle | undefined;
  private endCode: number = CloseCode.NORMAL;
  private endReason = '';
  /** Who waits in {@link ServerSession.closed} (created by the first). */
  private closedWaiters: (() => void)[] | undefined;
  /** When the current link was attached, in whole ms on the host clock (an integer is stored unboxed). */
  private linkSince: number;
  /** Callbacks of {@link ServerSession.sendTracked} messages by `channel << 16 | messageId` (created by the first). */
  private tracked: Map<number, DeliveryCallback> | undefined;

  constructor(host: SessionHost, link: Link, id: string, remoteAddress: string) {
    this.host = host;
    this.id = id;
    this.remoteAddress = remoteAddress;
    const settings = host.settings;
    this.linkSince = Math.floor(settings.clock.now());
    this.peer = new Peer(
      {
        link,
        clock: settings.clock,
        connection: settings.connection,
        sendDelay: settings.sendDelayMs ?? 0,
      },
      this,
    );
  }

  /** The settings of the layer that owns the session. */
  private get settings(): SessionSettings {
    return this.host.settings;
  }

  /** The token that resumes this session (derived from its id when read; not stored). */
  get resumeToken(): string {
    return this.host.resumeTokenOf(this.id);
  }

  /** Current lifecycle state. */
  get state(): ServerSessionState {
    return this._state;
  }

  get connected(): boolean {
    return this._state === 'connected';
  }

  get stats(): Readonly<ConnectionStats> {
    return this.peer.connection.stats;
  }

  /** Bytes received from the client (without building the stats). */
  get bytesReceived(): number {
    return this.peer.connection.bytesReceived;
  }

  /** Bytes sent to the client (without building the stats). */
  get bytesSent(): number {
    return this.peer.connection.bytesSent;
  }

  /** Reliable messages sent again after loss (without building the stats). */
  get messagesResent(): number {
    return this.peer.connection.messagesResent;
  }

  /** Smoothed RTT, ms (without building the stats). */
  get rtt(): number {
    return this.peer.connection.rtt;
  }

  /** Time the client was last heard from (ms on the host clock), or -1. */
  get lastReceivedAt(): number {
    return this.peer.connection.lastReceivedAt;
  }

  /**
   * The current link's last sign of life: the later of the last datagram heard and the link's
   * start (silence counts from there, for the idle check and a resume's rate-limit credit).
   */
  private get lastHeardAt(): number {
    return Math.max(this.lastReceivedAt, this.linkSince);
  }

  send(channel: number, bytes: Uint8Array): void {
    if (this._state === 'closed' || this._state === 'ending') return;
    if (this._state === 'disconnected' && channel !== DefaultChannel.Reliable) return;
    this.queue(channel, bytes);
  }

  sendTracked(channel: number, bytes: Uint8Array, onDelivery: DeliveryCallback): boolean {
    if (this._state !== 'connected') return false;
    const id = this.queue(channel, bytes);
    if (id === undefined) return false;
    // Message ids wrap at 2^16 per channel: a callback never reported by then is replaced.
    this.tracked ??= new Map();
    this.tracked.set((channel << 16) | id, onDelivery);
    return true;
  }

  /** Queue `bytes` on the peer: its message id, or `undefined` when the send queue overflowed (closed `SLOW_CONSUMER`). */
  private queue(channel: number, bytes: Uint8Array): number | undefined {
    try {
      return this.peer.send(channel, bytes);
    } catch (error) {
      if (error instanceof NetplayError && error.code === TransportErrorCode.SEND_QUEUE_FULL) {
        this.close(CloseCode.SLOW_CONSUMER, 'send queue overflow');
        return undefined;
      }
      throw error;
    }
  }

  /** @internal {@link PeerHandlers.onAcked}: a tracked message may have arrived. */
  onAcked(channel: number, id: number): void {
    if (this.tracked !== undefined && this.tracked.size > 0) this.onDelivery(channel, id, true);
  }

  /** @internal {@link PeerHandlers.onLost}: a tracked message may have been lost. */
  onLost(channel: number, id: number): void {
    if (this.tracked !== undefined && this.tracked.size > 0) this.onDelivery(channel, id, false);
  }

  private onDelivery(channel: number, id: number, acked: boolean): void {
    const key = (channel << 16) | id;
    const callback = this.tracked?.get(key);
    if (callback === undefined) return;
    this.tracked!.delete(key);
    callback(acked);
  }

  /** Send a room-protocol error about something this client did; the session carries on. */
  sendError(code: string, message: string): void {
    this.send(DefaultChannel.Reliable, encodeServerMessage(this.settings.codec, { op: Op.Error, code, message }));
  }

  end(code: number, reason: string): void {
    if (this._state === 'ending' || this._state === 'closed') return;
    this.endCode = code;
    this.endReason = reason;
    this.host.ending?.(this, code);
    if (this._state === 'disconnected') {
      this.finish(); // nobody to tell
      return;
    }
    try {
      this.peer.send(DefaultChannel.Reliable, encodeServerMessage(this.settings.codec, { op: Op.Left, code, reason }));
    } catch {
      this.finish(); // queue full: the client is not reading, close without the courtesy
      return;
    }
    this._state = 'ending';
    this.peer.flush();
    this.waitForDrain();
  }

  /**
   * Close from the session layer (timeout, flooding, slow consumer, protocol error, shutdown):
   * tell the client if it is connected. The room layer hears `onClosed` once the session is gone.
   */
  close(code: number, reason: string): void {
    if (this._state === 'closed') return;
    if (code === CloseCode.SLOW_CONSUMER && this._state !== 'ending') {
      // It does not read: waiting for its queue to drain would only hold the memory longer.
      this.endCode = code;
      this.endReason = reason;
      this.host.ending?.(this, code);
      this.finish();
      return;
    }
    this.end(code, reason);
  }

  /** Resolves once the session is closed. */
  closed(): Promise<void> {
    if (this._state === 'closed') return Promise.resolve();
    return new Promise((resolve) => {
      this.closedWaiters ??= [];
      this.closedWaiters.push(resolve);
    });
  }

  /**
   * Resume on a new link (the client presented this session's resume token): send Accept, move the
   * peer to the link, and resend every unacked reliable message on it.
   */
  resume(link: Link): boolean {
    if (this._state === 'closed' || this._state === 'ending') return false;
    this.timer?.cancel();
    this.timer = undefined;
    link.send(encodeHandshake({ type: HandshakeType.Accept, resumed: true }));
    const wasDisconnected = this._state === 'disconnected';
    const lastHeard = this.lastHeardAt; // the old link's (before the new link's first packet)
    this._state = 'connected';
    this.linkSince = Math.floor(this.settings.clock.now());
    this.peer.replaceLink(link);
    const events = this.settings.events;
    events.onResumed?.(this, lastHeard);
    if (wasDisconnected) events.onReconnected?.(this);
    return true;
  }

  /** Idle check from the layer's sweep: no datagram for `idleTimeoutMs` means the link is dead. */
  checkIdle(now: number, idleTimeoutMs: number): void {
    if (this._state !== 'connected') return;
    if (now - this.lastHeardAt > idleTimeoutMs) {
      this.peer.currentLink.close('idle timeout');
      this.onClose();
    }
  }

  /**
   * @internal {@link PeerHandlers.onSessionPacket}: a handshake packet on the established link: a
   * retransmit (the client missed our Accept), or the client's `Disconnect` (it is done with this
   * session: no grace period).
   */
  onSessionPacket(datagram: Uint8Array): void {
    const packet = decodeHandshake(datagram);
    if (packet === undefined) return;
    if (packet.type === HandshakeType.Connect || packet.type === HandshakeType.Response) {
      if (this._state === 'connected' && packet.body.resume === undefined) {
        this.peer.currentLink.send(encodeHandshake({ type: HandshakeType.Accept, resumed: false }));
      }
    } else if (packet.type === HandshakeType.Disconnect) {
      this.endCode = CloseCode.NORMAL;
      this.endReason = packet.reason || 'client disconnected';
      this.finish();
    }
  }

  /** @internal {@link PeerHandlers.onMessage}: a room-protocol message from the client. */
  onMessage(channel: number, payload: Uint8Array): void {
    if (this._state !== 'connected') return;
    let message: ReturnType<typeof decodeClientMessage>;
    try {
      // Relays (the bulk of traffic) are validated without being decoded; the rest is decoded.
      message = scanRelay(this.settings.codec, payload) ?? decodeClientMessage(this.settings.codec, payload);
    } catch (error) {
      this.sendError(SessionErrorCode.INVALID_REQUEST, (error as Error).message);
      this.settings.events.onBadMessage?.(this, error as Error);
      return;
    }
    this.settings.events.onClientMessage(this, message, channel, payload.length);
  }

  /** @internal {@link PeerHandlers.onError}: a handler threw, or the client broke the protocol. */
  onError(error: Error): void {
    if (error instanceof NetplayError && error.code === TransportErrorCode.PROTOCOL_VIOLATION) {
      this.settings.logger.warn(`session ${this.id}: ${error.message}`);
      this.close(CloseCode.PROTOCOL_ERROR, 'protocol violation');
    } else {
      this.settings.logger.error(`session ${this.id}: handler error`, error);
    }
  }

  /** @internal {@link PeerHandlers.onClose}: the current link closed. */
  onClose(_info?: LinkCloseInfo): void {
    if (this._state === 'ending') {
      this.finish();
      return;
    }
    if (this._state !== 'connected') return;
    this._state = 'disconnected';
    this.settings.events.onDisconnected?.(this);
    this.timer = this.settings.clock.setTimeout(() => {
      this.timer = undefined;
      if (this._state !== 'disconnected') return;
      this.endCode = CloseCode.TIMEOUT;
      this.endReason = 'not resumed within the grace period';
      this.finish();
    }, this.settings.reconnectGraceMs);
  }

  /** Close the link once the peer acked everything (Left included), or after the drain timeout. */
  private waitForDrain(): void {
    const deadline = this.settings.clock.now() + this.settings.drainTimeoutMs;
    const check = () => {
      this.timer = undefined;
      if (this._state !== 'ending') return;
      if (!this.peer.connection.hasPendingData || this.settings.clock.now() >= deadline) {
        this.finish();
        return;
      }
      this.timer = this.settings.clock.setTimeout(check, DRAIN_POLL_MS);
    };
    this.timer = this.settings.clock.setTimeout(check, DRAIN_POLL_MS);
  }

  private finish(): void {
    if (this._state === 'closed') return;
    this._state = 'closed';
    this.timer?.cancel();
    this.timer = undefined;
    const link = this.peer.currentLink;
    if (!link.closed) {
      link.send(encodeHandshake({ type: HandshakeType.Disconnect, code: this.endCode, reason: this.endReason }));
    }
    this.peer.close(this.endReason || 'closed');
    this.tracked?.clear();
    this.host.release(this);
    this.settings.events.onClosed(this, this.endCode, this.endReason);
    const waiters = this.closedWaiters;
    this.closedWaiters = undefined;
    if (waiters !== undefined) for (const resolve of waiters) resolve();
  }
}

/** How often an ending session checks whether its reliable queue drained, in ms. */
const DRAIN_POLL_MS = 10;
