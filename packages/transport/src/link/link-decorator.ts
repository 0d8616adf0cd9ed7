/**
 * {@link LinkDecorator}: the base of links that wrap another link (a handshake filter, an
 * encrypting link, a session's link): everything is forwarded to the inner link until a subclass
 * overrides it.
 * @module
 */
import type { Link, LinkHandlers } from './link.js';

/**
 * A {@link Link} that wraps `inner`. By default it forwards `reliable`, `maxDatagramSize`,
 * `sendHeadroom`, `closed`, `send` (with its headroom), `setHandlers` and `close` unchanged;
 * subclasses override what they change (e.g. sealing in `send`, filtering in `setHandlers`).
 */
export abstract class LinkDecorator implements Link {
  /** The wrapped link. */
  readonly inner: Link;

  constructor(inner: Link) {
    this.inner = inner;
  }

  get reliable(): boolean {
    return this.inner.reliable;
  }

  get maxDatagramSize(): number {
    return this.inner.maxDatagramSize;
  }

  /** The inner link's: a decorator that overrides `send` and changes the bytes should override this too (to 0). */
  get sendHeadroom(): number | undefined {
    return this.inner.sendHeadroom;
  }

  get closed(): boolean {
    return this.inner.closed;
  }

  send(datagram: Uint8Array, headroom?: number): void {
    this.inner.send(datagram, headroom);
  }

  setHandlers(handlers: LinkHandlers): void {
    this.inner.setHandlers(handlers);
  }

  close(reason?: string): void {
    this.inner.close(reason);
  }
}
