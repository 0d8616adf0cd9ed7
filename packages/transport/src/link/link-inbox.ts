/**
 * {@link InboxLink}: the receive and close bookkeeping that socket links (`UdpLink`,
 * `WebSocketLink`, `ServerWebSocketLink`) share, as their base class: the handlers, the bounded
 * queue of datagrams that arrive before handlers are set, the receive counters, the counters of
 * rare events ({@link LinkTrouble}), the link's flag bits, and the close, reported once. A base
 * class rather than an object each link holds: a server keeps thousands of links, and this saves
 * an object and a closure per link.
 *
 * The link classes' private methods are TypeScript-`private`, not `#` methods: V8 marks every
 * instance of a class that has `#` methods with that class's brand, a field (8 B) per class per link.
 * Their private fields stay `#`.
 * @module
 */
import type { LinkCloseInfo, LinkHandlers } from './link.js';

/** Datagrams received before handlers are set are kept up to this count, then dropped. */
export const MAX_QUEUED_BEFORE_HANDLERS = 256;

/**
 * Counters of things that rarely happen to a link, in one object the first of them creates (a
 * link that never drops anything holds none). Each link class counts those it can see and
 * exposes them in its `stats`. @internal
 */
export interface LinkTrouble {
  /** Datagrams dropped because more than 256 arrived before handlers were set. */
  droppedQueueFull: number;
  /** Datagrams (messages) over the link's `maxDatagramSize` dropped. */
  droppedOversize: number;
  /** WebSocket text messages (or any non-binary data) dropped. */
  droppedNonBinary: number;
  /** WebSocket protocol violations by the peer (at most one: the link then closes). */
  protocolViolations: number;
}

/** What a link without trouble reads. */
const NO_TROUBLE: Readonly<LinkTrouble> = Object.freeze({
  droppedQueueFull: 0,
  droppedOversize: 0,
  droppedNonBinary: 0,
  protocolViolations: 0,
});

/** Every counter of a stats interface `T` mapped to `true`: a missing or unknown key does not compile. @internal */
export type StatKeys<T> = { readonly [K in keyof T]-?: true };

/** The names in `keys`, for a link's {@link InboxLink.toJSON}. @internal */
export function statNamesOf<T>(keys: StatKeys<T>): readonly string[] {
  return Object.freeze(Object.keys(keys));
}

/** The receive counters every {@link InboxLink} keeps (a subclass's stat keys spread them). @internal */
export const INBOX_STAT_KEYS = {
  datagramsReceived: true,
  bytesReceived: true,
  droppedQueueFull: true,
} as const;

const INBOX_STAT_NAMES = statNamesOf(INBOX_STAT_KEYS);

/** Bit of {@link InboxLink.flags}: the close was reported to the handlers. */
const CLOSE_REPORTED = 1;
/**
 * The lowest bit of {@link InboxLink.flags} that subclasses may use for their own booleans
 * (`FIRST_SUBCLASS_FLAG`, `FIRST_SUBCLASS_FLAG << 1`, …). @internal
 */
export const FIRST_SUBCLASS_FLAG = CLOSE_REPORTED << 1;

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
  /**
   * The link's booleans as bits of one small integer (one field per link instead of one each): bit
   * 0 is InboxLink's, the subclass's start at {@link FIRST_SUBCLASS_FLAG}. All clear on a new link.
   * @internal
   */
  protected flags = 0;
  #handlers: LinkHandlers | undefined;
  /** Datagrams received before handlers were set; created by the first of them. */
  #queue: Uint8Array[] | undefined;
  #closeInfo: LinkCloseInfo | undefined;
  /** Counters of rare events, created by the first of them. */
  #trouble: LinkTrouble | undefined;

  /** Datagrams dropped because more than 256 arrived before handlers were set (read through `stats`). */
  protected get droppedQueueFull(): number {
    return this.troubleSeen.droppedQueueFull;
  }

  /** Datagrams over `maxDatagramSize` dropped (read through `stats`). */
  protected get droppedOversize(): number {
    return this.troubleSeen.droppedOversize;
  }

  /** The rare-event counters, to count one: created on first use. @internal */
  protected get trouble(): LinkTrouble {
    this.#trouble ??= { ...NO_TROUBLE };
    return this.#trouble;
  }

  /** The rare-event counters, to read them: zeros while none happened (creates nothing). @internal */
  protected get troubleSeen(): Readonly<LinkTrouble> {
    return this.#trouble ?? NO_TROUBLE;
  }

  /**
   * Names of the counters the link's `stats` shows (the link is its own stats view), for
   * {@link InboxLink.toJSON}: by default the receive counters kept here; a subclass with counters
   * of its own overrides it. @internal
   */
  protected get statNames(): readonly string[] {
    return INBOX_STAT_NAMES;
  }

  /**
   * The counters as a plain object: what `JSON.stringify(link.stats)` writes. The stats view is the
   * link itself, whose rare counters are getters and whose other fields are not statistics.
   */
  toJSON(): Record<string, number> {
    const snapshot: Record<string, number> = {};
    const view = this as unknown as Record<string, number>;
    for (const name of this.statNames) snapshot[name] = view[name]!;
    return snapshot;
  }

  /** `true` once closed (locally or by the peer). */
  get closed(): boolean {
    return this.#closeInfo !== undefined;
  }

  /** Install the receiver: deliver what was queued, then report a close that already happened. */
  setHandlers(handlers: LinkHandlers): void {
    this.#handlers = handlers;
    const queue = this.#queue;
    while (
      queue !== undefined &&
      queue.length > 0 &&
      this.#handlers === handlers &&
      (this.flags & CLOSE_REPORTED) === 0
    ) {
      this.dispatch(handlers, queue.shift()!);
    }
    if (this.#queue === queue && queue?.length === 0) this.#queue = undefined;
    if (this.#closeInfo !== undefined) this.reportClose();
  }

  /**
   * `onDatagram` threw `error` (the receive path never throws): the subclass closes the link
   * (e.g. with a {@link LinkError} whose `cause` is `error`).
   */
  abstract onHandlerError(error: unknown): void;

  /** Count `datagram` and deliver it, or queue it while there are no handlers (drop it when the queue is full). */
  protected receiveDatagram(datagram: Uint8Array): void {
    const handlers = this.#handlers;
    if (handlers === undefined && (this.#queue?.length ?? 0) >= MAX_QUEUED_BEFORE_HANDLERS) {
      this.trouble.droppedQueueFull++;
      return;
    }
    this.datagramsReceived++;
    this.bytesReceived += datagram.byteLength;
    if (handlers !== undefined) {
      this.dispatch(handlers, datagram);
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
    if ((this.flags & CLOSE_REPORTED) !== 0 || this.#closeInfo === undefined || this.#handlers === undefined) return;
    this.flags |= CLOSE_REPORTED;
    this.#queue = undefined;
    this.#handlers.onClose?.(this.#closeInfo);
  }

  private dispatch(handlers: LinkHandlers, datagram: Uint8Array): void {
    try {
      handlers.onDatagram(datagram);
    } catch (error) {
      this.onHandlerError(error);
    }
  }
}
