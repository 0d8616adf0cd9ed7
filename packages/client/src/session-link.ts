/**
 * The client's link wrapper for one session link: handshake packets (Challenge, Accept, Deny,
 * Disconnect — including late duplicates after the handshake) are decoded and taken out of the
 * datagram stream, so the protocol core (`Peer`) only ever sees its own packets. Protocol datagrams
 * that arrive before the `Peer` installs its handlers (right after Accept) are queued, not lost.
 * @module
 */

import {
  decodeHandshake,
  type HandshakePacket,
  isHandshakePacket,
  type Link,
  type LinkCloseInfo,
  LinkDecorator,
  type LinkHandlers,
} from '@netplay/transport';
import type { SecureSession } from './node-links.js';

/** Protocol datagrams kept while no handlers are installed; more are dropped. */
const MAX_QUEUED = 256;

/** Wraps one link of a session; see the module description. */
export class SessionLink extends LinkDecorator {
  /** Receives every decoded handshake packet (malformed ones are dropped and counted). */
  onHandshake: ((packet: HandshakePacket) => void) | undefined;
  /** Handshake-looking datagrams that did not decode. */
  malformedHandshakes = 0;
  /** Protocol datagrams dropped because no handler was installed and the queue was full. */
  droppedBeforeHandlers = 0;
  private handlers: LinkHandlers | undefined;
  private queue: Uint8Array[] = [];
  private closeInfo: LinkCloseInfo | undefined;
  private readonly closeListeners: ((info: LinkCloseInfo) => void)[] = [];

  /** The connect token's keys when this link is encrypted UDP (a resume reuses them). */
  readonly secure: SecureSession | undefined;

  constructor(inner: Link, secure?: SecureSession) {
    super(inner);
    this.secure = secure;
    inner.setHandlers({
      onDatagram: (datagram) => this.onDatagram(datagram),
      onClose: (info) => this.onInnerClose(info),
    });
    if (inner.closed && this.closeInfo === undefined) this.onInnerClose({ local: false, reason: 'already closed' });
  }

  /** Install the protocol receiver; datagrams queued so far are delivered now. */
  override setHandlers(handlers: LinkHandlers): void {
    this.handlers = handlers;
    const queued = this.queue;
    this.queue = [];
    for (const datagram of queued) {
      if (this.handlers !== handlers) break;
      handlers.onDatagram(datagram);
    }
    if (this.closeInfo !== undefined && this.handlers === handlers) handlers.onClose?.(this.closeInfo);
  }

  /** Call `listener` once when the link closes (at once if it already has). */
  onClosed(listener: (info: LinkCloseInfo) => void): void {
    if (this.closeInfo !== undefined) listener(this.closeInfo);
    else this.closeListeners.push(listener);
  }

  private onDatagram(datagram: Uint8Array): void {
    if (isHandshakePacket(datagram)) {
      const packet = decodeHandshake(datagram);
      if (packet === undefined) this.malformedHandshakes++;
      else this.onHandshake?.(packet);
      return;
    }
    if (this.handlers !== undefined) this.handlers.onDatagram(datagram);
    else if (this.queue.length < MAX_QUEUED) this.queue.push(datagram);
    else this.droppedBeforeHandlers++;
  }

  private onInnerClose(info: LinkCloseInfo): void {
    if (this.closeInfo !== undefined) return;
    this.closeInfo = info;
    for (const listener of this.closeListeners.splice(0)) listener(info);
    if (this.handlers !== undefined && this.queue.length === 0) this.handlers.onClose?.(info);
  }
}
