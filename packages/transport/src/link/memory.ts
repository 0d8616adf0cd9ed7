/**
 * Two connected in-memory links, no sockets: for tests, for the simulator, and for running a client
 * and a server in one process. Modelled on ws's `test/duplex-pair.js`.
 * @module
 */

import type { Clock } from '../clock.js';
import { InvalidOptionError, MessageTooLargeError } from '../errors.js';
import type { Link, LinkCloseInfo, LinkHandlers } from './link.js';

/** Options of {@link createMemoryLinkPair}. */
export interface MemoryLinkOptions {
  /**
   * Largest datagram in bytes; `send` of a larger one throws {@link MessageTooLargeError} (the link
   * is reliable, so silently dropping would break its promise). Defaults to `65536`.
   */
  maxDatagramSize?: number;
  /** Datagrams each side keeps while it has no handlers; more are dropped and counted. Defaults to `256`. */
  maxQueuedBeforeHandlers?: number;
  /**
   * When set, each delivery hop runs in `clock.setTimeout(…, 0)` instead of a microtask, so a pair
   * driven by a `VirtualClock` delivers inside `clock.advance()` at the virtual time it was sent.
   * Defaults to `undefined` (microtasks).
   */
  clock?: Clock;
}

/** Defaults of {@link MemoryLinkOptions}. */
export const DEFAULT_MEMORY_LINK_OPTIONS = Object.freeze({
  maxDatagramSize: 65536,
  maxQueuedBeforeHandlers: 256,
  clock: undefined,
}) satisfies MemoryLinkOptions;

/** One end of a {@link createMemoryLinkPair} pair. */
export interface MemoryLink extends Link {
  /** Always `true`: every datagram arrives once and in order. */
  readonly reliable: true;
  /** Datagrams dropped because this side had no handlers and its queue was full. */
  readonly droppedBeforeHandlers: number;
}

/**
 * Create two links connected to each other: what one sends, the other receives.
 *
 * - Reliable and ordered (`reliable: true`).
 * - Asynchronous: a datagram is delivered in a later microtask (or clock timer, with `clock`),
 *   never from inside `send`.
 * - No copy: the receiver gets the very `Uint8Array` that was sent (the sender gave up ownership).
 * - Datagrams arriving before `setHandlers` are queued (up to `maxQueuedBeforeHandlers`) and
 *   delivered once handlers are set.
 * - Closing one side closes the other: the closer gets `onClose({ local: true })`, the peer
 *   `onClose({ local: false })` after the datagrams sent before the close.
 *
 * @throws {@link InvalidOptionError} for invalid options.
 *
 * @example
 * ```ts
 * const [a, b] = createMemoryLinkPair();
 * b.setHandlers({ onDatagram: (d) => console.log('b got', d) });
 * a.send(new Uint8Array([1, 2, 3]));
 * ```
 */
export function createMemoryLinkPair(options: MemoryLinkOptions = {}): [MemoryLink, MemoryLink] {
  const d = DEFAULT_MEMORY_LINK_OPTIONS;
  const maxDatagramSize = options.maxDatagramSize ?? d.maxDatagramSize;
  const maxQueued = options.maxQueuedBeforeHandlers ?? d.maxQueuedBeforeHandlers;
  if (!Number.isSafeInteger(maxDatagramSize) || maxDatagramSize < 1) {
    throw new InvalidOptionError('maxDatagramSize', `must be an integer ≥ 1, got ${maxDatagramSize}`);
  }
  if (!Number.isSafeInteger(maxQueued) || maxQueued < 0) {
    throw new InvalidOptionError('maxQueuedBeforeHandlers', `must be an integer ≥ 0, got ${maxQueued}`);
  }
  const a = new MemoryLinkEnd(maxDatagramSize, maxQueued, options.clock);
  const b = new MemoryLinkEnd(maxDatagramSize, maxQueued, options.clock, a);
  return [a, b];
}

class MemoryLinkEnd implements MemoryLink {
  readonly reliable = true;
  readonly maxDatagramSize: number;
  readonly #maxQueued: number;
  readonly #clock: Clock | undefined;
  readonly #onDrain = (): void => this.#drain();
  #peer: MemoryLinkEnd | undefined;
  #handlers: LinkHandlers | undefined = undefined;
  /** Received, not yet delivered; `#head` is the next to deliver. */
  #inbox: (Uint8Array | undefined)[] = [];
  #head = 0;
  #closed = false;
  /** Close to report (set when closed locally, or once the peer's close is processed). */
  #closeInfo: LinkCloseInfo | undefined = undefined;
  /** The peer's close, processed after the datagrams it sent before closing. */
  #peerClose: LinkCloseInfo | undefined = undefined;
  #closeReported = false;
  #scheduled = false;
  #droppedBeforeHandlers = 0;

  constructor(maxDatagramSize: number, maxQueued: number, clock: Clock | undefined, peer?: MemoryLinkEnd) {
    this.maxDatagramSize = maxDatagramSize;
    this.#maxQueued = maxQueued;
    this.#clock = clock;
    if (peer !== undefined) {
      this.#peer = peer;
      peer.#peer = this;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  get droppedBeforeHandlers(): number {
    return this.#droppedBeforeHandlers;
  }

  send(datagram: Uint8Array): void {
    if (this.#closed) return;
    if (datagram.byteLength > this.maxDatagramSize) {
      throw new MessageTooLargeError(datagram.byteLength, this.maxDatagramSize, 'datagram');
    }
    this.#peer!.#receive(datagram);
  }

  setHandlers(handlers: LinkHandlers): void {
    this.#handlers = handlers;
    if (this.#head < this.#inbox.length || this.#peerClose !== undefined || this.#closeInfo !== undefined) {
      this.#schedule();
    }
  }

  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeInfo = { local: true, reason };
    this.#inbox = [];
    this.#head = 0;
    this.#peer!.#onPeerClose(reason);
    this.#schedule();
  }

  #receive(datagram: Uint8Array): void {
    if (this.#closed || this.#peerClose !== undefined) return;
    if (this.#handlers === undefined && this.#inbox.length - this.#head >= this.#maxQueued) {
      this.#droppedBeforeHandlers++;
      return;
    }
    this.#inbox.push(datagram);
    if (this.#handlers !== undefined) this.#schedule();
  }

  #onPeerClose(reason: string): void {
    if (this.#closed) return;
    this.#peerClose = { local: false, reason };
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (this.#clock === undefined) queueMicrotask(this.#onDrain);
    else this.#clock.setTimeout(this.#onDrain, 0);
  }

  #drain(): void {
    this.#scheduled = false;
    const handlers = this.#handlers;
    if (handlers !== undefined) {
      try {
        // A local close (from a handler) empties the inbox and ends this loop.
        while (this.#head < this.#inbox.length) {
          const datagram = this.#inbox[this.#head]!;
          this.#inbox[this.#head++] = undefined;
          handlers.onDatagram(datagram);
        }
      } finally {
        if (this.#head < this.#inbox.length) {
          this.#schedule();
        } else {
          this.#inbox.length = 0;
          this.#head = 0;
        }
      }
    }
    if (this.#peerClose !== undefined && !this.#closed) {
      // Closed as soon as the peer's close is processed; queued datagrams still reach a late handler.
      this.#closed = true;
      this.#closeInfo = this.#peerClose;
    }
    if (
      handlers !== undefined &&
      this.#closeInfo !== undefined &&
      !this.#closeReported &&
      this.#head === this.#inbox.length
    ) {
      this.#closeReported = true;
      handlers.onClose?.(this.#closeInfo);
    }
  }
}
