/**
 * One client session: a `Peer` (protocol core) over a {@link SessionLink}, speaking the room
 * protocol. It matches requests (`Join`, `List`) to their answers by request id with a timeout,
 * hands every other server message to its owner (the {@link Room}), reports the server's
 * `Disconnect` handshake packet, and can move to a new link (resume).
 * @module
 */
import {
  type ClientMessage,
  type Clock,
  type ConnectionOptions,
  DefaultChannel,
  decodeServerMessage,
  encodeClientMessage,
  encodeHandshake,
  HandshakeType,
  type LinkCloseInfo,
  LinkError,
  type PayloadCodec,
  Peer,
  type ServerMessage,
  SessionError,
  SessionErrorCode,
  type TimerHandle,
} from '@netplay/transport';
import type { SessionLink } from './session-link.js';

/** A server message that answers a request. */
export type ServerReply = Extract<ServerMessage, { requestId: number }>;

/** What a session reports to its owner. */
export interface SessionEvents {
  /** A server message that is not a request's answer. */
  onMessage(message: ServerMessage): void;
  /** A malformed server message, or an error of the connection (a handler threw, protocol violation). */
  onError(error: Error): void;
  /** The server sent `Disconnect`: the session is over for good. */
  onDisconnect(code: number, reason: string): void;
  /** The current link closed (the session itself may still resume on a new link). */
  onLinkClosed(info: LinkCloseInfo): void;
}

/** Settings of a {@link ClientSession}. */
export interface ClientSessionSettings {
  clock: Clock;
  codec: PayloadCodec;
  connection: ConnectionOptions | undefined;
  requestTimeout: number;
  /**
   * The link's handshake, when the session starts before it is accepted (requests sent right
   * behind `Connect` on a reliable link): the session takes over the link's handshake packets
   * once it settles. Absent: the link is already accepted.
   */
  accepted?: Promise<unknown>;
}

/** Replies kept for a request id nobody waits for yet. */
const MAX_UNCLAIMED = 8;

interface Pending {
  resolve(reply: ServerReply): void;
  reject(error: Error): void;
  timer: TimerHandle;
}

/** See the module description. */
export class ClientSession {
  /** The protocol driver. */
  readonly peer: Peer;
  private readonly s: ClientSessionSettings;
  private link: SessionLink;
  private events: SessionEvents | undefined;
  private readonly early: ServerMessage[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly unclaimed: ServerReply[] = [];
  private nextRequestId = 1;
  private closed = false;

  constructor(link: SessionLink, settings: ClientSessionSettings) {
    this.s = settings;
    this.link = link;
    if (settings.accepted === undefined) this.watch(link);
    else settings.accepted.then(() => this.watch(link)).catch(() => {});
    this.peer = new Peer(
      { link, clock: settings.clock, connection: settings.connection },
      {
        onMessage: (_channel, payload) => this.onPayload(payload),
        onError: (error) => this.events?.onError(error),
        onClose: (info) => {
          if (this.closed) return;
          this.failPending(info);
          this.events?.onLinkClosed(info);
        },
      },
    );
  }

  /** The current link. */
  get currentLink(): SessionLink {
    return this.link;
  }

  /** `true` once {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Route unsolicited messages and events to `events`. Messages that arrived before (e.g. in the
   * same datagram as `Joined`) are handed over now, in order.
   */
  attach(events: SessionEvents): void {
    this.events = events;
    for (const m of this.early.splice(0)) events.onMessage(m);
  }

  /** Send a room-protocol message. Throws like `Connection.send` (`MESSAGE_TOO_LARGE`, `CLOSED`, …). */
  send(channel: number, message: ClientMessage): void {
    this.peer.send(channel, encodeClientMessage(this.s.codec, message));
  }

  /**
   * Send a request (`Join`/`List`; its `requestId` is filled in) and wait for the answer with that id.
   * Rejects with {@link SessionError} `TIMEOUT` after `requestTimeout`, or a `LinkError`-like error
   * when the link closes first.
   */
  request(message: Extract<ClientMessage, { requestId: number }>): Promise<ServerReply> {
    const requestId = this.nextRequestId++;
    const reply = this.expect(requestId);
    this.send(DefaultChannel.Reliable, { ...message, requestId });
    return reply;
  }

  /** Wait for a reply with `requestId` (0: the unsolicited `Joined` after a redirect). */
  expect(requestId: number): Promise<ServerReply> {
    const i = this.unclaimed.findIndex((m) => m.requestId === requestId);
    if (i >= 0) return Promise.resolve(this.unclaimed.splice(i, 1)[0]!);
    return new Promise<ServerReply>((resolve, reject) => {
      const timer = this.s.clock.setTimeout(() => {
        this.pending.delete(requestId);
        reject(
          new SessionError(
            SessionErrorCode.TIMEOUT,
            `no answer to request ${requestId} within ${this.s.requestTimeout} ms`,
          ),
        );
      }, this.s.requestTimeout);
      this.pending.set(requestId, { resolve, reject, timer });
    });
  }

  /** Move the session to a new link (resume): unacked reliable messages go again on it. */
  replaceLink(link: SessionLink): void {
    this.link = link;
    this.watch(link);
    this.peer.replaceLink(link);
  }

  /**
   * Close the session: optionally tell the server with a `Disconnect` handshake packet (best effort),
   * then close the peer and the link. Pending requests fail. Idempotent.
   */
  close(disconnect?: { code: number; reason: string }): void {
    if (this.closed) return;
    this.closed = true;
    if (disconnect !== undefined && !this.link.closed) {
      this.peer.flush();
      this.link.send(encodeHandshake({ type: HandshakeType.Disconnect, ...disconnect }));
    }
    this.peer.close(disconnect?.reason ?? 'closed');
    this.failPending({ local: true, reason: 'session closed' });
  }

  private watch(link: SessionLink): void {
    link.onHandshake = (packet) => {
      if (link !== this.link || this.closed) return;
      // A duplicate Accept (our Response was resent) is harmless; Disconnect ends the session.
      if (packet.type === HandshakeType.Disconnect) this.events?.onDisconnect(packet.code, packet.reason);
    };
  }

  private onPayload(payload: Uint8Array): void {
    let message: ServerMessage;
    try {
      message = decodeServerMessage(this.s.codec, payload);
    } catch (error) {
      this.events?.onError(error as Error);
      return;
    }
    if ('requestId' in message) {
      const p = this.pending.get(message.requestId);
      if (p !== undefined) {
        this.pending.delete(message.requestId);
        p.timer.cancel();
        p.resolve(message);
      } else if (this.unclaimed.length < MAX_UNCLAIMED) {
        // E.g. the unsolicited Joined after a redirect, delivered while the Peer was being created.
        this.unclaimed.push(message);
      }
      return;
    }
    if (this.events !== undefined) this.events.onMessage(message);
    else this.early.push(message);
  }

  private failPending(info: LinkCloseInfo): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.timer.cancel();
      p.reject(new LinkError(`link closed before request ${id} was answered: ${info.reason}`, { cause: info.error }));
    }
  }
}
