/**
 * {@link LinkInbox}: the receive and close bookkeeping that socket links (`UdpLink`,
 * `WebSocketLink`) share. Internal, not exported from the package.
 * @module
 */
import type { LinkCloseInfo, LinkHandlers } from './link.js';

/** Datagrams received before handlers are set are kept up to this count, then dropped. */
export const MAX_QUEUED_BEFORE_HANDLERS = 256;

/** The receive counters a {@link LinkInbox} keeps up to date. */
export interface LinkInboxCounters {
  datagramsReceived: number;
  bytesReceived: number;
  droppedQueueFull: number;
}

/**
 * Told when `onDatagram` throws; it should close the link. A function, or an object whose
 * `onHandlerError` method is called (so that a link can be its own listener, without a closure).
 */
export type HandlerErrorListener = ((error: unknown) => void) | { onHandlerError(error: unknown): void };

/**
 * A link's handlers, the bounded queue of datagrams that arrive before handlers are set, and its
 * close, reported once. The owning link decides what a throwing `onDatagram` handler does.
 * @internal
 */
export class LinkInbox {
  readonly #counters: LinkInboxCounters;
  readonly #onHandlerError: HandlerErrorListener;
  #handlers: LinkHandlers | undefined;
  /** Datagrams received before handlers were set; created by the first of them. */
  #queue: Uint8Array[] | undefined;
  #closeInfo: LinkCloseInfo | undefined;
  #closeReported = false;

  /**
   * @param counters - Counted on every {@link LinkInbox.receive}.
   * @param onHandlerError - Told when `onDatagram` throws.
   */
  constructor(counters: LinkInboxCounters, onHandlerError: HandlerErrorListener) {
    this.#counters = counters;
    this.#onHandlerError = onHandlerError;
  }

  /** `true` once {@link LinkInbox.close} ran. */
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

  /** Count `datagram` and deliver it, or queue it while there are no handlers (drop it when the queue is full). */
  receive(datagram: Uint8Array): void {
    const handlers = this.#handlers;
    if (handlers === undefined && (this.#queue?.length ?? 0) >= MAX_QUEUED_BEFORE_HANDLERS) {
      this.#counters.droppedQueueFull++;
      return;
    }
    this.#counters.datagramsReceived++;
    this.#counters.bytesReceived += datagram.byteLength;
    if (handlers !== undefined) {
      this.#dispatch(handlers, datagram);
    } else if (this.#queue === undefined) {
      this.#queue = [datagram];
    } else {
      this.#queue.push(datagram);
    }
  }

  /**
   * Mark the link closed (a local close drops the queue). Does not report it: the caller does its
   * own cleanup, then calls {@link LinkInbox.reportClose}.
   * @returns `false` if it was already closed.
   */
  close(info: LinkCloseInfo): boolean {
    if (this.#closeInfo !== undefined) return false;
    this.#closeInfo = info;
    if (info.local) this.#queue = undefined;
    return true;
  }

  /** Report the close to the handlers, once, if both are there. */
  reportClose(): void {
    if (this.#closeReported || this.#closeInfo === undefined || this.#handlers === undefined) return;
    this.#closeReported = true;
    this.#queue = undefined;
    this.#handlers.onClose?.(this.#closeInfo);
  }

  #dispatch(handlers: LinkHandlers, datagram: Uint8Array): void {
    try {
      handlers.onDatagram(datagram);
    } catch (error) {
      const listener = this.#onHandlerError;
      if (typeof listener === 'function') listener(error);
      else listener.onHandlerError(error);
    }
  }
}
