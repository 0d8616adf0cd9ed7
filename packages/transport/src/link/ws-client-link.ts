/**
 * {@link ClientWebSocketLink}: the Node client's end of a WebSocket link, speaking RFC 6455 itself
 * over the socket `connectWebSocket` opened and upgraded (`ws-client-upgrade.ts`); `ws-frame.ts`
 * says why it does not use `ws`. The framing, pings and the closing handshake are
 * {@link FramedWebSocketLink}'s, in the client's role: every frame goes out masked with a fresh key
 * (`ws-mask-key.ts`), written in place in the sender's buffer when it leaves room for the header,
 * and a masked frame from the server is a 1002 violation.
 * @module
 */
import type { Duplex } from 'node:stream';
import type { Link } from './link.js';
import {
  FramedWebSocketLink,
  type FramedWebSocketLinkSettings,
  type FramedWebSocketLinkStats,
} from './ws-framed-link.js';

/** Counters of one {@link ClientWebSocketLink}. Read-only view of live values. */
export type ClientWebSocketLinkStats = FramedWebSocketLinkStats;

/** Resolved settings of a client link (shared by its parser). @internal */
export interface ClientWebSocketLinkSettings extends FramedWebSocketLinkSettings {
  /** The client's role: frames are sent masked, and frames from the server must not be. */
  readonly role: 'client';
}

/**
 * A reliable, ordered {@link Link} over one WebSocket opened by `connectWebSocket`: one binary
 * message is one datagram. Text messages are dropped and counted; pings are answered.
 *
 * {@link FramedWebSocketLink.close} sends a close frame with code 1000 and the reason; a close
 * frame from the server is reported with its reason (or `websocket closed (code N)`). A close
 * without a closing handshake, or a socket error, is reported with a `LinkError`
 * (`connection lost (code 1006)`); so is a protocol violation by the server (the link answers with
 * the close code of the violation). If the `onDatagram` handler throws, the link closes with a
 * `LinkError` whose `cause` is the thrown value (the receive path never throws).
 */
export class ClientWebSocketLink extends FramedWebSocketLink implements Link {
  /** The subprotocol the server selected among those offered; `''` when none was offered. */
  readonly protocol: string;

  /**
   * Take over a socket after the server's `101` answer and parse `head`, the bytes that followed
   * the answer, first.
   * @internal
   */
  constructor(socket: Duplex, head: Uint8Array, settings: ClientWebSocketLinkSettings, protocol = '') {
    super(socket, head, settings);
    this.protocol = protocol;
  }

  /** Live counters. */
  override get stats(): ClientWebSocketLinkStats {
    return this as unknown as ClientWebSocketLinkStats;
  }
}
