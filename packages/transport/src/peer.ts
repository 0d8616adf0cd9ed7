/**
 * The thin driver that binds a sans-IO {@link Connection} to a {@link Link} and a {@link Clock}:
 * received datagrams go into the connection, its datagrams go out on the link, and the clock's
 * {@link PeerScheduler} calls flush when the connection next needs it (end of the turn in which a
 * message was queued, send timer, resend timeout, delayed ack, keep-alive).
 * @module
 */
import type { Clock } from './clock.js';
import { Connection, type ConnectionHandlers } from './connection.js';
import { type ConnectionOptions, withReliableLink } from './connection-options.js';
import { InvalidOptionError } from './errors.js';
import type { Link, LinkCloseInfo, LinkHandlers } from './link/link.js';
import { MAX_HEADROOM } from './packet/packet-builder.js';
import { PeerScheduler } from './peer-scheduler.js';

/** Options of a {@link Peer}. */
export interface PeerOptions {
  /** The link to the other side. */
  link: Link;
  /** Time source. Use a `VirtualClock` in tests. */
  clock: Clock;
  /** Protocol options; `reliableLink` defaults to the link's own `reliable` flag. */
  connection?: ConnectionOptions;
  /**
   * How long a sent message may wait for others to share its packet, in ms (a Nagle-style send
   * timer). 0 flushes at the end of the current turn, coalescing everything sent synchronously.
   * Defaults to 0.
   */
  sendDelay?: number;
  /**
   * Drives this peer's flushes and timers together with other peers'. Defaults to the scheduler
   * shared by every peer on `clock` ({@link PeerScheduler.for}): one host timer and one end-of-turn
   * flush for all of them.
   */
  scheduler?: PeerScheduler;
}

/** Default of {@link PeerOptions.sendDelay}. */
export const DEFAULT_SEND_DELAY = 0;

/** Callbacks of a {@link Peer}: the connection's, plus the link closing. */
export interface PeerHandlers extends ConnectionHandlers {
  /**
   * The link closed. The peer itself stays open, keeping its unacked reliable messages, so that a
   * session can resume on a new link with {@link Peer.replaceLink}; call {@link Peer.close} when the
   * session is over (until then its timer keeps running).
   */
  onClose?(info: LinkCloseInfo): void;
  /**
   * A session-layer packet (a handshake packet: packet types 8–15, docs/protocol.md) arrived on
   * the current link: a retransmit of the handshake, or the peer's `Disconnect`. With this handler
   * set, such datagrams come here instead of going to the connection (which would drop them as
   * invalid).
   */
  onSessionPacket?(datagram: Uint8Array): void;
}

/** Packet type bits of a datagram's second byte, and the first type of the session layer's (docs/protocol.md). */
const TYPE_MASK = 0x0f;
const FIRST_SESSION_TYPE = 8;

/** Handlers of a link that has been replaced: whatever it still delivers is dropped. */
const DETACHED: LinkHandlers = { onDatagram: () => {} };

/**
 * A {@link Connection} driven over a {@link Link} on a {@link Clock}.
 *
 * The peer is its link's handler object (`onDatagram`, `onClose`) and its scheduler's entry: it
 * holds no closure and no timer of its own.
 */
export class Peer implements LinkHandlers {
  /** The protocol core (for stats, channel stats, options). */
  readonly connection: Connection;
  private link: Link;
  private readonly sendDelay: number;
  private readonly scheduler: PeerScheduler;
  private handlers: PeerHandlers;
  private closed = false;
  /** @internal Place in the scheduler's heap. */
  heapIndex = -1;
  /** @internal Waiting for the scheduler's end-of-turn flush. */
  flushQueued = false;

  constructor(options: PeerOptions, handlers: PeerHandlers) {
    this.link = options.link;
    this.sendDelay = options.sendDelay ?? DEFAULT_SEND_DELAY;
    const scheduler = options.scheduler ?? PeerScheduler.for(options.clock);
    if (scheduler.clock !== options.clock)
      throw new InvalidOptionError('scheduler', 'must run on the same clock as the peer');
    this.scheduler = scheduler;
    this.handlers = handlers;
    this.connection = new Connection(withReliableLink(options.connection, options.link.reliable), handlers);
    this.link.setHandlers(this);
    this.schedule();
  }

  /** Replace the callbacks. */
  setHandlers(handlers: PeerHandlers): void {
    this.handlers = handlers;
    this.connection.setHandlers(handlers);
  }

  /** The clock the peer runs on (its scheduler's). */
  private get clock(): Clock {
    return this.scheduler.clock;
  }

  /** The current link. */
  get currentLink(): Link {
    return this.link;
  }

  /**
   * Queue a message; it leaves within `sendDelay` ms, coalesced with others. Returns the message id.
   * Throws like {@link Connection.send}.
   */
  send(channel: number, payload: Uint8Array): number {
    const id = this.connection.send(channel, payload);
    if (this.sendDelay <= 0) this.scheduler.flushSoon(this);
    else this.scheduler.flushAt(this, this.clock.now() + this.sendDelay);
    return id;
  }

  /** Flush now instead of waiting for the send timer. */
  flush(): void {
    if (this.closed) return;
    const now = this.clock.now();
    const link = this.link;
    // Room for the link's framing in front of each datagram: it writes it there instead of copying.
    const headroom = Math.min(link.sendHeadroom ?? 0, MAX_HEADROOM);
    const datagrams = this.connection.flush(now, headroom);
    for (let i = 0; i < datagrams.length; i++) link.send(datagrams[i]!, headroom);
    this.scheduleAfter(now);
  }

  /** @internal Called by the scheduler. */
  flushFromScheduler(): void {
    this.flush();
  }

  /**
   * Move to a new link (session resume): unacked reliable messages are sent again on it, so nothing
   * reliable is lost. The old link is closed.
   */
  replaceLink(link: Link): void {
    const old = this.link;
    this.link = link;
    old.setHandlers(DETACHED);
    old.close('replaced');
    link.setHandlers(this);
    this.connection.resendUnacked();
    this.scheduler.flushSoon(this);
  }

  /** Close the peer and its link. Idempotent. */
  close(reason = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.scheduler.remove(this);
    this.connection.close();
    this.link.close(reason);
  }

  /** @internal {@link LinkHandlers.onDatagram} of the current link. */
  onDatagram(datagram: Uint8Array): void {
    if (this.closed) return;
    if (datagram.length >= 2 && (datagram[1]! & TYPE_MASK) >= FIRST_SESSION_TYPE) {
      const onSessionPacket = this.handlers.onSessionPacket;
      if (onSessionPacket !== undefined) {
        onSessionPacket.call(this.handlers, datagram);
        return;
      }
    }
    const now = this.clock.now();
    this.connection.receive(datagram, now);
    this.scheduleAfter(now);
  }

  /** @internal {@link LinkHandlers.onClose} of the current link. */
  onClose(info: LinkCloseInfo): void {
    this.handlers.onClose?.(info);
  }

  private schedule(): void {
    if (!this.closed) this.scheduleAfter(this.clock.now());
  }

  /** Ask the scheduler for the connection's next deadline (`now` itself: an end-of-turn flush). */
  private scheduleAfter(now: number): void {
    if (this.closed) return;
    const at = this.connection.nextTimeout(now);
    if (at <= now) this.scheduler.flushSoon(this);
    else this.scheduler.flushAt(this, at);
  }
}
