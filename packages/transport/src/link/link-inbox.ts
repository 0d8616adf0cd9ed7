/**
 * {@link InboxLink}: the receive and close bookkeeping that socket links (`UdpLink`,
 * `WebSocketLink`, `ServerWebSocketLink`) share, as their base class: the handlers, the bounded
 * queue of datagrams that arrive before handlers are set, the receive counters, and the close,
 * reported once. A base class rather than an object each link holds: a server keeps thousands of
 * links, and this saves an object and a closure per link.
 * @module
 */
import type { LinkCloseInfo, LinkHandlers } from './link.js';

/** Datagrams received before handlers are set are kept up to this count, then dropped. */
export const MAX_QUEUED_BEFORE_HANDLERS = 256;

/**
 * Base of socket links: install handlers with {@link InboxLink.setHandlers}; the subclass feeds
 * what arrives to {@link InboxLink.receiveDatagram} and closes with {@link InboxLink.markClosed}
 * then {@link InboxLink.reportClose}. Subclasses decide what a throwing `onDatagram` handler does
 * ({@link InboxLink.onHandlerError}), and expose the counters in their `stats`.
 */
export abstract class InboxLink {
  /** Datagrams accepted for delivery (not counting drops). */
  protected datagramsReceived = 0;
  /** Bytes accepted for delivery. */
  protected bytesReceived = 0;
  /** Datagrams dropped because more than 256 arrived before handlers were set. */
  protected droppedQueueFull = 0;
  #handlers: LinkHandlers | undefined;
  /** Datagrams received before handlers were set; created by the first of them. */
  #queue: Uint8Array[] | undefined;
  #closeInfo: LinkCloseInfo | undefined;
  #closeReported = false;

  /** `true` once closed (locally or by the peer). */
  get closed(): boolean {
    return this.#closeInfo !== undefined;
  }

  /** Install the receiver: deliver what was queued, then report a close that already happened. */
  setHandlers(handlers: LinkHandlers): void {
    this.#handlers = handlers;
    const queue = this.#queue;
    while (queue !== undefined && queue.length > 0 && this.#handlers === handlers && !this.#closeReported) {
      this.#dispatch(handlers, queue.shift()!);
    }
    if (this.#queue === queue && queue?.length === 0) this.#queue = undefined;
    if (this.#closeInfo !== undefined) this.reportClose();
  }

  /**
   * `onDatagram` threw `error` (the receive path never throws): the subclass closes the link.
   * @internal
   */
  abstract onHandlerError(error: unknown): void;

  /** Count `datagram` and deliver it, or queue it while there are no handlers (drop it when the queue is full). */
  protected receiveDatagram(datagram: Uint8Array): void {
    const handlers = this.#handlers;
    if (handlers === undefined && (this.#queue?.length ?? 0) >= MAX_QUEUED_BEFORE_HANDLERS) {
      this.droppedQueueFull++;
      return;
    }
    this.datagramsReceived++;
    this.bytesReceived += datagram.byteLength;
    if (handlers !== undefined) {
      this.#dispatch(handlers, datagram);
    } else if (this.#queue === undefined) {
      this.#queue = [datagram];
    } else {
      this.#queue.push(datagram);
    }
  }

  /**
   * Mark the link closed (a local close drops the queue). Does not report it: the subclass does its
   * own cleanup, then calls {@link InboxLink.reportClose}.
   * @returns `false` if it was already closed.
   */
  protected markClosed(info: LinkCloseInfo): boolean {
    if (this.#closeInfo !== undefined) return false;
    this.#closeInfo = info;
    if (info.local) this.#queue = undefined;
    return true;
  }

  /** Report the close to the handlers, once, if both are there. */
  protected reportClose(): void {
    if (this.#closeReported || this.#closeInfo === undefined || this.#handlers === undefined) return;
    this.#closeReported = true;
    this.#queue = undefined;
    this.#handlers.onClose?.(this.#closeInfo);
  }

  #dispatch(handlers: LinkHandlers, datagram: Uint8Array): void {
    try {
      handlers.onDatagram(datagram);
    } catch (error) {
      this.onHandlerError(error);
    }
  }
}
