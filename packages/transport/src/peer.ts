/**
 * The thin driver that binds a sans-IO {@link Connection} to a {@link Link} and a {@link Clock}:
 * received datagrams go into the connection, its datagrams go out on the link, and one timer on the
 * clock calls flush when the connection next needs it (send timer, resend timeout, delayed ack,
 * keep-alive).
 * @module
 */
import type { Clock, TimerHandle } from './clock.js';
import { Connection, type ConnectionHandlers } from './connection.js';
import type { ConnectionOptions } from './connection-options.js';
import type { Link, LinkCloseInfo } from './link/link.js';

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
}

/** A {@link Connection} driven over a {@link Link} on a {@link Clock}. */
export class Peer {
  /** The protocol core (for stats, channel stats, options). */
  readonly connection: Connection;
  private link: Link;
  private readonly clock: Clock;
  private readonly sendDelay: number;
  private handlers: PeerHandlers;
  /** Flush at the end of the current turn (something is ready now). */
  private immediate: TimerHandle | undefined;
  /**
   * Flush at the next deadline (send delay, resend, delayed ack, keep-alive). Left armed when a
   * send needs an immediate flush, and when a later deadline replaces it (it then fires early and
   * the flush finds nothing due): re-arming it on every send and flush cost a host timer each time.
   */
  private timer: TimerHandle | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private closed = false;

  constructor(options: PeerOptions, handlers: PeerHandlers) {
    this.clock = options.clock;
    this.link = options.link;
    this.sendDelay = options.sendDelay ?? DEFAULT_SEND_DELAY;
    this.handlers = handlers;
    this.connection = new Connection({ reliableLink: options.link.reliable, ...options.connection }, handlers);
    this.attach(this.link);
    this.schedule();
  }

  /** Replace the callbacks. */
  setHandlers(handlers: PeerHandlers): void {
    this.handlers = handlers;
    this.connection.setHandlers(handlers);
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
    this.scheduleAt(this.clock.now() + this.sendDelay);
    return id;
  }

  /** Flush now instead of waiting for the send timer. */
  flush(): void {
    if (this.closed) return;
    const now = this.clock.now();
    const datagrams = this.connection.flush(now);
    for (const d of datagrams) this.link.send(d);
    this.schedule();
  }

  /**
   * Move to a new link (session resume): unacked reliable messages are sent again on it, so nothing
   * reliable is lost. The old link is closed.
   */
  replaceLink(link: Link): void {
    const old = this.link;
    this.link = link;
    old.setHandlers({ onDatagram: () => {} });
    old.close('replaced');
    this.attach(link);
    this.connection.resendUnacked();
    this.scheduleAt(this.clock.now());
  }

  /** Close the peer and its link. Idempotent. */
  close(reason = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.immediate?.cancel();
    this.immediate = undefined;
    this.connection.close();
    this.link.close(reason);
  }

  private attach(link: Link): void {
    link.setHandlers({
      onDatagram: (datagram) => {
        if (this.closed || link !== this.link) return;
        this.connection.receive(datagram, this.clock.now());
        this.schedule();
      },
      onClose: (info) => {
        if (link !== this.link) return;
        this.handlers.onClose?.(info);
      },
    });
  }

  private schedule(): void {
    if (this.closed) return;
    const now = this.clock.now();
    this.scheduleAt(this.connection.nextTimeout(now));
  }

  private scheduleAt(at: number): void {
    if (this.closed || at >= this.timerAt || !Number.isFinite(at)) return;
    const now = this.clock.now();
    if (at <= now) {
      if (this.immediate === undefined) this.immediate = this.clock.setTimeout(this.onImmediate, 0);
      return;
    }
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.setTimeout(this.onTimer, at - now);
  }

  private readonly onImmediate = (): void => {
    this.immediate = undefined;
    this.flush();
  };

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.flush();
  };
}
