/**
 * A link wrapper that takes session handshake packets out of the datagram stream of an established
 * session, so the protocol core only sees its own packets and the session can answer a late
 * handshake retransmit (a UDP client whose Accept was lost sends its Response again).
 * @module
 */
import { isHandshakePacket, type Link, type LinkCloseInfo, LinkDecorator, type LinkHandlers } from '@netplay/transport';

/** Who hears the handshake packets of a {@link HandshakeFilterLink}. */
export interface LateHandshakeListener {
  /** A handshake packet arrived on `link` (the wrapped link) after the session was established. */
  onLateHandshake(link: Link, datagram: Uint8Array): void;
}

/**
 * Wraps `inner`; handshake packets go to the listener, everything else to the installed handlers.
 * It is the inner link's handlers object itself (no closure per session).
 */
export class HandshakeFilterLink extends LinkDecorator implements LinkHandlers {
  private readonly listener: LateHandshakeListener;
  private handlers: LinkHandlers | undefined;

  constructor(inner: Link, listener: LateHandshakeListener) {
    super(inner);
    this.listener = listener;
  }

  override setHandlers(handlers: LinkHandlers): void {
    this.handlers = handlers;
    this.inner.setHandlers(this);
  }

  /** @internal {@link LinkHandlers.onDatagram} of the inner link. */
  onDatagram(datagram: Uint8Array): void {
    if (isHandshakePacket(datagram)) this.listener.onLateHandshake(this.inner, datagram);
    else this.handlers?.onDatagram(datagram);
  }

  /** @internal {@link LinkHandlers.onClose} of the inner link. */
  onClose(info: LinkCloseInfo): void {
    this.handlers?.onClose?.(info);
  }
}
