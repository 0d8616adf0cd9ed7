/**
 * {@link ServerWebSocketLink}: the server's end of a WebSocket link, speaking RFC 6455 itself over
 * the upgraded socket (`ws-frame.ts` says why the server does not use `ws`). The framing, pings and
 * the closing handshake are {@link FramedWebSocketLink}'s, in the server's role: frames go out
 * unmasked, and an unmasked frame from the client is a 1002 violation.
 * @module
 */
import type { Duplex } from 'node:stream';
import type { Link } from './link.js';
import {
  FramedWebSocketLink,
  type FramedWebSocketLinkSettings,
  type FramedWebSocketLinkStats,
} from './ws-framed-link.js';

/** Counters of one {@link ServerWebSocketLink}. Read-only view of live values. */
export type ServerWebSocketLinkStats = FramedWebSocketLinkStats;

/**
 * Resolved settings of the links of one server, shared by all of them (and by their parsers:
 * `maxMessageSize` is the links' `maxDatagramSize`). @internal
 */
export interface ServerWebSocketLinkSettings extends FramedWebSocketLinkSettings {
  /** The server's role (the default): frames from the client must be masked. */
  readonly role?: 'server';
  /** Told when a link's socket has closed. */
  readonly owner?: ServerWebSocketLinkOwner;
}

/** Told when a link's socket has closed. @internal */
export interface ServerWebSocketLinkOwner {
  /** The socket of `link` is closed (the link closed before, or now). */
  linkSocketClosed(link: ServerWebSocketLink): void;
}

/**
 * A reliable, ordered {@link Link} over one WebSocket accepted by `WebSocketLinkServer`: one binary
 * message is one datagram. Text messages are dropped and counted; pings are answered.
 *
 * A close without a closing handshake, or a socket error, is reported with a `LinkError`
 * (`connection lost (code 1006)`); so is a protocol violation by the peer (the link answers with
 * the close code of the violation). If the `onDatagram` handler throws, the link closes with a
 * `LinkError` whose `cause` is the thrown value (the receive path never throws).
 */
export class ServerWebSocketLink extends FramedWebSocketLink implements Link {
  /**
   * The neighbours of this link in its server's list of open links (`WebSocketLinkServer` keeps
   * them in a doubly-linked list through the links: two fields per link instead of a `Set` entry).
   * Both `undefined` when the link is not in the list (or is its only link). @internal
   */
  _prev: ServerWebSocketLink | undefined = undefined;
  /** See {@link ServerWebSocketLink._prev}. @internal */
  _next: ServerWebSocketLink | undefined = undefined;

  /**
   * Take over an upgraded socket (after the `101` answer) and parse `head` first.
   * @internal
   */
  constructor(socket: Duplex, head: Uint8Array, settings: ServerWebSocketLinkSettings) {
    super(socket, head, settings);
  }

  /** Live counters. */
  override get stats(): ServerWebSocketLinkStats {
    return this as unknown as ServerWebSocketLinkStats;
  }

  /** @internal Tells the server that owns the link. */
  protected override socketClosed(): void {
    (this.settings as ServerWebSocketLinkSettings).owner?.linkSocketClosed(this);
  }
}
