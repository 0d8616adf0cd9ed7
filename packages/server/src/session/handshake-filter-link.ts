/**
 * A link wrapper that takes session handshake packets out of the datagram stream of an established
 * session, so the protocol core only sees its own packets and the session can answer a late
 * handshake retransmit (a UDP client whose Accept was lost sends its Response again).
 * @module
 */
import { isHandshakePacket, type Link, LinkDecorator, type LinkHandlers } from '@netplay/transport';

/** Wraps `inner`; handshake packets go to `onHandshake`, everything else to the installed handlers. */
export class HandshakeFilterLink extends LinkDecorator {
  private readonly onHandshake: (datagram: Uint8Array) => void;

  constructor(inner: Link, onHandshake: (datagram: Uint8Array) => void) {
    super(inner);
    this.onHandshake = onHandshake;
  }

  override setHandlers(handlers: LinkHandlers): void {
    this.inner.setHandlers({
      onDatagram: (datagram) => {
        if (isHandshakePacket(datagram)) this.onHandshake(datagram);
        else handlers.onDatagram(datagram);
      },
      onClose: handlers.onClose,
    });
  }
}
