/**
 * A {@link Link} over one WebSocket: one binary WebSocket message is one datagram.
 *
 * Universal: no Node import, so it goes into the browser build. It wraps anything shaped like the
 * standard `WebSocket` (the browser's built-in one, or a `ws` WebSocket in Node). In Node,
 * `connectWebSocket` in `@netplay/transport/node` frames RFC 6455 itself instead (a
 * `ClientWebSocketLink`).
 * @module
 */
import { InvalidOptionError, LinkError, MessageTooLargeError } from '../errors.js';
import type { Link, LinkCloseInfo } from './link.js';
import { INBOX_STAT_KEYS, InboxLink, type StatKeys, statNamesOf } from './link-inbox.js';

/** Defaults of {@link WebSocketLinkOptions} and {@link ConnectBrowserWebSocketOptions}. */
export const WEBSOCKET_LINK_DEFAULTS = {
  maxDatagramSize: 65_536,
  openTimeout: 10_000,
  binaryType: 'arraybuffer',
} as const satisfies Required<Omit<ConnectBrowserWebSocketOptions, 'protocols' | 'WebSocket'>>;

/** `WebSocket.OPEN`. */
const OPEN = 1;
/** A close reason may hold at most 123 UTF-8 bytes (RFC 6455 §5.5). */
const MAX_CLOSE_REASON_BYTES = 123;

/** The part of a WebSocket event the link reads (`MessageEvent`, `CloseEvent` or an error event). */
export interface WebSocketEventLike {
  /** Event type: `message`, `close` or `error`. */
  readonly type: string;
  /** Message payload (`message` events). */
  readonly data?: unknown;
  /** Close code (`close` events). */
  readonly code?: number;
  /** Close reason (`close` events). */
  readonly reason?: string;
  /** `false` when the connection was lost without a closing handshake (`close` events). */
  readonly wasClean?: boolean;
  /** The underlying error, when the implementation provides one (`error` events of `ws`). */
  readonly error?: unknown;
}

/**
 * The structural subset of the standard `WebSocket` that {@link WebSocketLink} uses. Both the
 * browser's `WebSocket` and `ws`'s `WebSocket` satisfy it, without this package depending on the
 * DOM or `ws` typings.
 */
export interface WebSocketLike {
  /** Set to `'arraybuffer'` by the link. */
  binaryType: string;
  /** Bytes queued by `send` but not yet written to the network. */
  readonly bufferedAmount: number;
  /** `0` connecting, `1` open, `2` closing, `3` closed. */
  readonly readyState: number;
  /** Send one binary message. */
  send(data: Uint8Array): void;
  /** Start the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Listen to `open`, `message`, `close` and `error` events. */
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: WebSocketEventLike) => void): void;
  /** Remove a listener added with `addEventListener`. */
  removeEventListener(
    type: 'open' | 'message' | 'close' | 'error',
    listener: (event: WebSocketEventLike) => void,
  ): void;
}

/** Options of {@link WebSocketLink}. */
export interface WebSocketLinkOptions {
  /**
   * What the socket hands over for a binary message: `'arraybuffer'` (the standard, browsers) or,
   * with `ws` in Node, `'nodebuffer'`: a `Buffer` of the received bytes as they are, where
   * `'arraybuffer'` makes `ws` copy every message into a new `ArrayBuffer`. Defaults to
   * `'arraybuffer'` (`connectWebSocket`'s own default is `'nodebuffer'`).
   */
  binaryType?: 'arraybuffer' | 'nodebuffer';
  /**
   * Largest datagram in bytes. Larger incoming messages are dropped and counted in
   * {@link WebSocketLinkStats.droppedOversize}; sending a larger one throws {@link MessageTooLargeError}.
   * Defaults to `65536`.
   */
  maxDatagramSize?: number;
}

/** Counters of one {@link WebSocketLink}. Read-only view of live values. */
export interface WebSocketLinkStats {
  /** Datagrams handed to the socket. */
  readonly datagramsSent: number;
  /** Bytes handed to the socket (payload only). */
  readonly bytesSent: number;
  /** Datagrams accepted for delivery (not counting drops). */
  readonly datagramsReceived: number;
  /** Bytes accepted for delivery. */
  readonly bytesReceived: number;
  /** Text frames (or any non-binary data) dropped. */
  readonly droppedNonBinary: number;
  /** Messages over `maxDatagramSize` dropped. */
  readonly droppedOversize: number;
  /** Datagrams dropped because more than 256 arrived before handlers were set. */
  readonly droppedQueueFull: number;
}

/** The counters of {@link WebSocketLinkStats} (a framed link's keys spread them). @internal */
export const WEBSOCKET_LINK_STAT_KEYS: StatKeys<WebSocketLinkStats> = {
  ...INBOX_STAT_KEYS,
  datagramsSent: true,
  bytesSent: true,
  droppedNonBinary: true,
  droppedOversize: true,
};

/** The counters of {@link WebSocketLinkStats}, by name (for toJSON). */
const WEBSOCKET_LINK_STAT_NAMES = statNamesOf(WEBSOCKET_LINK_STAT_KEYS);

/**
 * A reliable, ordered {@link Link} over a WebSocket. The socket must be open.
 *
 * The link owns the socket from construction on: it sets `binaryType` (see the options) and closes
 * the socket when the link is closed. A close without a closing handshake (code 1006) or a socket
 * error is reported with a {@link LinkError}. If the `onDatagram` handler throws, the link closes
 * with a {@link LinkError} whose `cause` is the thrown value (the receive path never throws).
 */
export class WebSocketLink extends InboxLink implements Link {
  /** Always `true`: TCP delivers every message once and in order. */
  readonly reliable = true;
  readonly maxDatagramSize: number;
  // Counters, read through `stats` (fields of the link: no object per link for them; the receive
  // counters and those of rare events are InboxLink's).
  protected datagramsSent = 0;
  protected bytesSent = 0;

  readonly #ws: WebSocketLike;

  /**
   * @param ws - An open WebSocket-like object; the link takes it over.
   * @throws A {@link LinkError} if `ws` is not open.
   * @throws An {@link InvalidOptionError} if an option is out of range.
   */
  constructor(ws: WebSocketLike, options: WebSocketLinkOptions = {}) {
    super();
    this.maxDatagramSize = validateMaxDatagramSize(options.maxDatagramSize);
    if (ws.readyState !== OPEN) throw new LinkError(`websocket is not open (readyState ${ws.readyState})`);
    this.#ws = ws;
    ws.binaryType = options.binaryType ?? WEBSOCKET_LINK_DEFAULTS.binaryType;
    ws.addEventListener('message', (event) => this.onMessage(event.data));
    ws.addEventListener('close', (event) => this.onSocketClose(event));
    ws.addEventListener('error', (event) => this.onSocketError(event));
  }

  /** Text messages dropped (read through `stats`). */
  protected get droppedNonBinary(): number {
    return this.troubleSeen.droppedNonBinary;
  }

  /** Live counters (a view of the link; `JSON.stringify` writes a snapshot, see {@link InboxLink.toJSON}). */
  get stats(): WebSocketLinkStats {
    return this as unknown as WebSocketLinkStats;
  }

  /** @internal */
  protected override get statNames(): readonly string[] {
    return WEBSOCKET_LINK_STAT_NAMES;
  }

  /**
   * Bytes queued in the socket but not yet sent. A growing value means the peer (or the network)
   * does not keep up; upper layers may throttle on it.
   */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  /** @throws A {@link MessageTooLargeError} if `datagram` is larger than {@link WebSocketLink.maxDatagramSize}. */
  send(datagram: Uint8Array): void {
    if (this.closed) return;
    if (datagram.byteLength > this.maxDatagramSize) {
      throw new MessageTooLargeError(datagram.byteLength, this.maxDatagramSize, 'datagram');
    }
    try {
      this.#ws.send(datagram);
    } catch (error) {
      this.finish({
        local: false,
        reason: 'websocket send failed',
        error: new LinkError('send failed', { cause: error }),
      });
      return;
    }
    this.datagramsSent++;
    this.bytesSent += datagram.byteLength;
  }

  close(reason = 'closed'): void {
    if (this.closed) return;
    this.finish({ local: true, reason });
    try {
      this.#ws.close(1000, truncateReason(reason));
    } catch {
      // Already closing, or a reason the implementation refuses: the link is closed either way.
    }
  }

  /** @internal {@link InboxLink.onHandlerError}: close with a LinkError, and the socket with 1011. */
  onHandlerError(error: unknown): void {
    const linkError = new LinkError('datagram handler threw', { cause: error });
    this.finish({ local: false, reason: 'datagram handler threw', error: linkError });
    this.closeSocket();
  }

  private onMessage(data: unknown): void {
    if (this.closed) return;
    const datagram = toBytes(data);
    if (datagram === undefined) {
      this.trouble.droppedNonBinary++;
      return;
    }
    if (datagram.byteLength > this.maxDatagramSize) {
      this.trouble.droppedOversize++;
      return;
    }
    this.receiveDatagram(datagram);
  }

  private onSocketClose(event: WebSocketEventLike): void {
    if (this.closed) return;
    const code = event.code ?? 1005;
    const reason = event.reason ? event.reason : `websocket closed (code ${code})`;
    if (event.wasClean === false || code === 1006) {
      this.finish({ local: false, reason, error: new LinkError(`connection lost (code ${code})`) });
    } else {
      this.finish({ local: false, reason });
    }
  }

  private onSocketError(event: WebSocketEventLike): void {
    if (this.closed) return;
    const cause = event.error ?? event;
    this.finish({ local: false, reason: 'websocket error', error: new LinkError('websocket error', { cause }) });
    this.closeSocket();
  }

  /** Close the socket after a failure: 1011 where allowed (`ws`), a plain close where not (browsers). */
  private closeSocket(): void {
    try {
      this.#ws.close(1011);
    } catch {
      try {
        this.#ws.close();
      } catch {
        // The socket is already going away.
      }
    }
  }

  private finish(info: LinkCloseInfo): void {
    if (this.markClosed(info)) this.reportClose();
  }
}

/** Options of {@link connectBrowserWebSocket}. */
export interface ConnectBrowserWebSocketOptions extends WebSocketLinkOptions {
  /** WebSocket subprotocols to offer. Defaults to none. */
  protocols?: string | string[];
  /**
   * Milliseconds to wait for the socket to open before failing with a {@link LinkError}.
   * Defaults to `10000`.
   */
  openTimeout?: number;
  /** The WebSocket constructor to use. Defaults to `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructorLike;
}

/** A constructor of {@link WebSocketLike} objects, such as the standard `WebSocket`. */
export type WebSocketConstructorLike = new (url: string, protocols?: string | string[]) => WebSocketLike;

/**
 * Open a standard WebSocket (`globalThis.WebSocket` by default, so this works in browsers and in
 * runtimes with a built-in WebSocket) and resolve to a {@link WebSocketLink} once it is open.
 *
 * @param url - `ws://` or `wss://` URL of a `WebSocketLinkServer`.
 * @returns A promise that rejects with a {@link LinkError} if the socket errors, closes or does not
 * open within `openTimeout`, or if no WebSocket implementation is available.
 */
export function connectBrowserWebSocket(
  url: string,
  options: ConnectBrowserWebSocketOptions = {},
): Promise<WebSocketLink> {
  const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
  const openTimeout = options.openTimeout ?? WEBSOCKET_LINK_DEFAULTS.openTimeout;
  const linkOptions: WebSocketLinkOptions = { maxDatagramSize: validateMaxDatagramSize(options.maxDatagramSize) };
  if (!Number.isFinite(openTimeout) || openTimeout <= 0) {
    return Promise.reject(new InvalidOptionError('openTimeout', 'must be a positive number of milliseconds'));
  }
  if (Ctor === undefined) return Promise.reject(new LinkError('no WebSocket implementation in this runtime'));
  return new Promise<WebSocketLink>((resolve, reject) => {
    let ws: WebSocketLike;
    try {
      ws = options.protocols === undefined ? new Ctor(url) : new Ctor(url, options.protocols);
    } catch (error) {
      reject(new LinkError(`cannot open ${url}`, { cause: error }));
      return;
    }
    ws.binaryType = 'arraybuffer';
    const settle = (): void => {
      clearTimeout(timer);
      ws.removeEventListener('open', onOpen);
      ws.removeEventListener('error', onFail);
      ws.removeEventListener('close', onFail);
    };
    const onOpen = (): void => {
      settle();
      try {
        resolve(new WebSocketLink(ws, linkOptions));
      } catch (error) {
        reject(error);
      }
    };
    const onFail = (event: WebSocketEventLike): void => {
      settle();
      const detail = event.type === 'close' ? `closed before open (code ${event.code ?? 1006})` : 'error before open';
      reject(new LinkError(`cannot connect to ${url}: ${detail}`, { cause: event.error }));
    };
    const timer = setTimeout(() => {
      settle();
      try {
        ws.close();
      } catch {
        // Closing a connecting socket may throw in some implementations.
      }
      reject(new LinkError(`cannot connect to ${url}: no open within ${openTimeout} ms`));
    }, openTimeout);
    ws.addEventListener('open', onOpen);
    ws.addEventListener('error', onFail);
    ws.addEventListener('close', onFail);
  });
}

/** Validate a `maxDatagramSize` option (shared with the Node WebSocket adapter). @internal */
export function validateMaxDatagramSize(value: number | undefined): number {
  const size = value ?? WEBSOCKET_LINK_DEFAULTS.maxDatagramSize;
  if (!Number.isInteger(size) || size < 1)
    throw new InvalidOptionError('maxDatagramSize', 'must be a positive integer');
  return size;
}

/** Binary message data as a `Uint8Array`, or `undefined` for text / blobs / anything else. */
function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // An ArrayBuffer from another realm (iframe, vm context).
  if (Object.prototype.toString.call(data) === '[object ArrayBuffer]') return new Uint8Array(data as ArrayBuffer);
  return undefined;
}

const encoder = new TextEncoder();

/** Cut `reason` to at most 123 UTF-8 bytes on a character boundary. */
function truncateReason(reason: string): string {
  if (reason.length * 3 <= MAX_CLOSE_REASON_BYTES) return reason;
  let cut = reason;
  while (encoder.encode(cut).byteLength > MAX_CLOSE_REASON_BYTES) cut = cut.slice(0, -1);
  return cut;
}
