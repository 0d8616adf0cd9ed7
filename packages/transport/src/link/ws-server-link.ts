/**
 * {@link ServerWebSocketLink}: the server's end of a WebSocket link, speaking RFC 6455 itself over
 * the upgraded socket (`ws-frame.ts` says why the server does not use `ws`).
 *
 * Memory is a design goal (a game server keeps thousands of idle links): counters are fields of the
 * link, the socket's listeners are shared functions that find their link under a symbol, the
 * options object is shared by every link of a server, the reassembly buffer exists only while a
 * split or fragmented message is being received, and the only timer is the close timeout, armed
 * while closing.
 * @module
 */
import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import { LinkError, MessageTooLargeError, ProtocolViolationError } from '../errors.js';
import type { Link, LinkCloseInfo } from './link.js';
import { InboxLink } from './link-inbox.js';
import type { WebSocketLinkStats } from './websocket.js';
import {
  encodeCloseFrame,
  type FrameViolation,
  frameHeaderSize,
  WsCloseCode,
  WsOpcode,
  writeFrameHeader,
} from './ws-frame.js';
import { type DroppedMessage, FrameParser, type FrameParserLimits } from './ws-frame-parser.js';

/** Counters of one {@link ServerWebSocketLink}. Read-only view of live values. */
export interface ServerWebSocketLinkStats extends WebSocketLinkStats {
  /** `1` if the peer broke the WebSocket protocol (the link then closed with 1002, 1007 or 1009), else `0`. */
  readonly protocolViolations: number;
}

/**
 * Resolved settings of the links of one server, shared by all of them (and by their parsers:
 * `maxMessageSize` is the links' `maxDatagramSize`). @internal
 */
export interface ServerWebSocketLinkSettings extends FrameParserLimits {
  /** Told when a link's socket has closed. */
  readonly owner?: ServerWebSocketLinkOwner;
  /** Milliseconds to wait for the peer to finish a closing handshake before destroying the socket. */
  readonly closeTimeout: number;
}

/** Told when a link's socket has closed. @internal */
export interface ServerWebSocketLinkOwner {
  /** The socket of `link` is closed (the link closed before, or now). */
  linkSocketClosed(link: ServerWebSocketLink): void;
}

/** Where a socket keeps its link, so that shared listener functions find it. */
const LINK = Symbol('netplay.serverWebSocketLink');
type LinkedSocket = Duplex & { [LINK]: ServerWebSocketLink; setNoDelay?(noDelay?: boolean): unknown };

const LOST_REASON = `websocket closed (code ${WsCloseCode.ABNORMAL})`;

/**
 * A reliable, ordered {@link Link} over one WebSocket accepted by `WebSocketLinkServer`: one binary
 * message is one datagram. Text messages are dropped and counted; pings are answered.
 *
 * A close without a closing handshake, or a socket error, is reported with a {@link LinkError}
 * (`connection lost (code 1006)`); so is a protocol violation by the peer (the link answers with
 * the close code of the violation). If the `onDatagram` handler throws, the link closes with a
 * {@link LinkError} whose `cause` is the thrown value (the receive path never throws).
 */
export class ServerWebSocketLink extends InboxLink implements Link {
  // Counters, read through `stats` (fields of the link: no object per link for them; the receive
  // counters are InboxLink's).
  protected datagramsSent = 0;
  protected bytesSent = 0;
  protected droppedNonBinary = 0;
  protected droppedOversize = 0;
  protected protocolViolations = 0;

  readonly #socket: LinkedSocket;
  readonly #settings: ServerWebSocketLinkSettings;
  /**
   * The parser, while a frame is only partly read; between frames the link holds none and borrows
   * the process's idle one for the next chunk (an idle link keeps no parser state).
   */
  #parser: FrameParser | undefined;
  /** `false` once a close frame or a violation stopped reading. */
  #reading = true;
  #closeSent = false;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Take over an upgraded socket (after the `101` answer) and parse `head` first.
   * @internal
   */
  constructor(socket: Duplex, head: Uint8Array, settings: ServerWebSocketLinkSettings) {
    super();
    const linked = socket as LinkedSocket;
    this.#socket = linked;
    this.#settings = settings;
    linked[LINK] = this;
    linked.setNoDelay?.(true);
    // An http.Server's sockets allow half-open connections; a WebSocket does not: once the peer
    // ends, Node ends our side too (and the close listener tells a lost connection from a clean one).
    linked.allowHalfOpen = false;
    linked.on('data', ServerWebSocketLink.#onSocketData);
    linked.on('error', ServerWebSocketLink.#onSocketError);
    linked.on('close', ServerWebSocketLink.#onSocketClose);
    if (head.length > 0) this.#parse(head);
  }

  /** Always `true`: TCP delivers every message once and in order. */
  get reliable(): boolean {
    return true;
  }

  /** Largest datagram this link sends or delivers, in bytes. Larger incoming messages are dropped and counted. */
  get maxDatagramSize(): number {
    return this.#settings.maxMessageSize;
  }

  /** Live counters. */
  get stats(): ServerWebSocketLinkStats {
    return this as unknown as ServerWebSocketLinkStats;
  }

  /**
   * Bytes queued in the socket but not yet sent. A growing value means the peer (or the network)
   * does not keep up; upper layers may throttle on it.
   */
  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  /**
   * Bytes of frame header in front of a datagram: a sender that leaves this much room before each
   * datagram (a `Peer` does) lets {@link ServerWebSocketLink.send} write the header there and send
   * without copying.
   */
  get sendHeadroom(): number {
    return frameHeaderSize(this.#settings.maxMessageSize);
  }

  /**
   * Send one datagram as one binary frame, header and payload with one socket write: in place when
   * `headroom` leaves room for the header before `datagram` in its buffer, else copied into one new
   * buffer with the header.
   * @param headroom - Bytes before `datagram` in its buffer that the caller gives the link to
   *   overwrite (see `Link.send`). Defaults to 0.
   * @throws A {@link MessageTooLargeError} if `datagram` is larger than {@link ServerWebSocketLink.maxDatagramSize}.
   */
  send(datagram: Uint8Array, headroom = 0): void {
    if (this.closed) return;
    const length = datagram.byteLength;
    if (length > this.#settings.maxMessageSize) {
      throw new MessageTooLargeError(length, this.#settings.maxMessageSize, 'datagram');
    }
    if (!this.#socket.writable) {
      // The peer ended the connection without a close frame; its close event is still to come.
      this.#lost();
      return;
    }
    const header = frameHeaderSize(length);
    let frame: Uint8Array;
    if (headroom >= header && datagram.byteOffset >= header) {
      frame = Buffer.from(datagram.buffer, datagram.byteOffset - header, header + length);
    } else {
      frame = Buffer.allocUnsafe(header + length);
      frame.set(datagram, header);
    }
    writeFrameHeader(frame, 0, WsOpcode.BINARY, length);
    try {
      this.#socket.write(frame);
    } catch (error) {
      this.#finish({
        local: false,
        reason: 'websocket send failed',
        error: new LinkError('send failed', { cause: error }),
      });
      this.#destroy();
      return;
    }
    this.datagramsSent++;
    this.bytesSent += length;
  }

  /** Close with code 1000 and `reason` (cut to 123 UTF-8 bytes); reported with `local: true`. Idempotent. */
  close(reason = 'closed'): void {
    if (this.closed) return;
    this.markClosed({ local: true, reason });
    this.#sendClose(WsCloseCode.NORMAL, reason);
    this.reportClose();
  }

  // FrameSink: the link is its parser's sink (structurally: no object per link for it).

  /** @internal */
  onBinary(message: Uint8Array): void {
    if (!this.closed) this.receiveDatagram(message);
  }

  /** @internal */
  onDropped(reason: DroppedMessage): void {
    if (reason === 'text') this.droppedNonBinary++;
    else this.droppedOversize++;
  }

  /** @internal */
  onPing(payload: Uint8Array): void {
    if (this.#closeSent || !this.#socket.writable) return;
    const frame = Buffer.allocUnsafe(2 + payload.length);
    writeFrameHeader(frame, 0, WsOpcode.PONG, payload.length);
    frame.set(payload, 2);
    this.#socket.write(frame);
  }

  /** @internal */
  onClose(code: number, reason: string): void {
    this.#finish({ local: false, reason: reason === '' ? `websocket closed (code ${code})` : reason });
    // Echo the code (RFC 6455 §5.5.1); a close without a code is answered without one.
    this.#sendClose(code === WsCloseCode.NO_STATUS ? undefined : code);
  }

  /** @internal */
  onViolation(violation: FrameViolation): void {
    this.protocolViolations++;
    const what = `websocket protocol violation (${violation.closeCode}): ${violation.message}`;
    const cause = new ProtocolViolationError(`websocket ${violation.kind}: ${violation.message}`);
    this.#finish({ local: false, reason: what, error: new LinkError(what, { cause }) });
    this.#sendClose(violation.closeCode, violation.message);
  }

  /** @internal {@link InboxLink.onHandlerError}. */
  onHandlerError(error: unknown): void {
    this.#finish({
      local: false,
      reason: 'datagram handler threw',
      error: new LinkError('datagram handler threw', { cause: error }),
    });
    this.#sendClose(WsCloseCode.INTERNAL_ERROR);
  }

  /** Send a close frame (once), end the socket, and destroy it if the peer has not finished in time. */
  #sendClose(code?: number, reason?: string): void {
    this.#stopReading();
    if (this.#closeSent) return;
    this.#closeSent = true;
    const socket = this.#socket;
    if (!socket.writable) {
      this.#destroy();
      return;
    }
    socket.end(encodeCloseFrame(code, reason));
    this.#closeTimer = setTimeout(destroySocket, this.#settings.closeTimeout, socket);
    this.#closeTimer.unref?.();
  }

  #destroy(): void {
    this.#stopReading();
    this.#closeSent = true;
    this.#socket.destroy();
  }

  /** The connection ended without a closing handshake (or failed). */
  #lost(cause?: unknown): void {
    this.#stopReading();
    if (this.closed) return;
    const error = new LinkError(
      `connection lost (code ${WsCloseCode.ABNORMAL})`,
      cause === undefined ? undefined : { cause },
    );
    this.#finish({ local: false, reason: LOST_REASON, error });
  }

  #finish(info: LinkCloseInfo): void {
    if (this.markClosed(info)) this.reportClose();
  }

  /** Parse a chunk with the link's parser, or the process's idle one when between frames. */
  #parse(chunk: Uint8Array): void {
    if (!this.#reading) return;
    let parser = this.#parser;
    if (parser === undefined) {
      parser = idleParser ?? new FrameParser(this, this.#settings);
      idleParser = undefined; // in use: a callback that makes another link parse gets its own
      parser.reset(this, this.#settings);
      this.#parser = parser;
    }
    parser.push(chunk);
    if (this.#parser === parser && parser.betweenFrames) {
      this.#parser = undefined;
      idleParser = parser;
    }
  }

  /** Ignore every later byte (the link is closing) and let go of the parser's buffers. */
  #stopReading(): void {
    this.#reading = false;
    const parser = this.#parser;
    if (parser !== undefined) {
      this.#parser = undefined;
      parser.stop();
    }
  }

  // Socket listeners: shared by every link, called with the socket as `this` (no closure per link).
  // biome-ignore-start lint/complexity/noThisInStatic: listeners, called with the socket as `this`

  static #onSocketData(this: LinkedSocket, chunk: Buffer): void {
    this[LINK].#parse(chunk);
  }

  static #onSocketError(this: LinkedSocket, error: Error): void {
    const link = this[LINK];
    link.#lost(error);
    link.#destroy();
  }

  static #onSocketClose(this: LinkedSocket): void {
    const link = this[LINK];
    clearTimeout(link.#closeTimer);
    link.#closeTimer = undefined;
    link.#lost();
    link.#settings.owner?.linkSocketClosed(link);
  }
  // biome-ignore-end lint/complexity/noThisInStatic: listeners
}

/** A parser between frames, lent to whichever link parses next (it holds no state then). */
let idleParser: FrameParser | undefined;

function destroySocket(socket: Duplex): void {
  socket.destroy();
}
