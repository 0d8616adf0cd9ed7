/**
 * {@link FramedWebSocketLink}: a {@link Link} over a socket that already carries WebSocket frames
 * (after the opening handshake), speaking RFC 6455 itself (`ws-frame.ts` says why). The base of both
 * ends: {@link ServerWebSocketLink} (a socket upgraded by `WebSocketLinkServer`) and
 * {@link ClientWebSocketLink} (a socket opened by `connectWebSocket`). The role decides only how
 * frames are masked: a client masks every frame it sends with a fresh key and refuses a masked
 * frame; a server never masks and refuses an unmasked one. Everything else (sending in place, pings,
 * the closing handshake, losses, violations) is this one class.
 *
 * Memory is a design goal (a game server keeps thousands of idle links, a load-test process opens
 * thousands of clients): the counters of what happens all the time are fields of the link and those
 * of what rarely happens (drops, violations) share one object created by the first of them, the
 * booleans are bits of one integer, the socket's listeners are shared functions that find their
 * link under a symbol, the settings object is shared by many links, the parser and its reassembly
 * buffer exist only while a frame is partly read, the only timer is the close timeout, armed
 * while closing, and the private methods are not `#` methods (`link-inbox.ts` says why).
 * @module
 */
import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import { LinkError, MessageTooLargeError, ProtocolViolationError } from '../errors.js';
import type { Link, LinkCloseInfo } from './link.js';
import { FIRST_SUBCLASS_FLAG, InboxLink, statNamesOf } from './link-inbox.js';
import { WEBSOCKET_LINK_STAT_KEYS, type WebSocketLinkStats } from './websocket.js';
import {
  encodeCloseFrame,
  type FrameViolation,
  frameHeaderSize,
  maskBytes,
  WsCloseCode,
  WsOpcode,
  writeFrameHeader,
} from './ws-frame.js';
import { type DroppedMessage, FrameParser, type FrameParserLimits } from './ws-frame-parser.js';
import { nextMaskKey } from './ws-mask-key.js';

/** Counters of one {@link FramedWebSocketLink}. Read-only view of live values. */
export interface FramedWebSocketLinkStats extends WebSocketLinkStats {
  /** `1` if the peer broke the WebSocket protocol (the link then closed with 1002, 1007 or 1009), else `0`. */
  readonly protocolViolations: number;
}

/**
 * Resolved settings of a link, shared by many links (and by their parsers: `maxMessageSize` is the
 * links' `maxDatagramSize`; `role` says which end the link is, `'server'` when absent). @internal
 */
export interface FramedWebSocketLinkSettings extends FrameParserLimits {
  /** Milliseconds to wait for the peer to finish a closing handshake before destroying the socket. */
  readonly closeTimeout: number;
  /**
   * Deliver each message in a buffer of its own (`binaryType: 'arraybuffer'`) instead of a view
   * into the bytes read from the socket. Defaults to `false`.
   */
  readonly copyMessages?: boolean;
}

/** Where a socket keeps its link, so that shared listener functions find it. */
const LINK = Symbol('netplay.webSocketLink');
type LinkedSocket = Duplex & { [LINK]: FramedWebSocketLink; setNoDelay?(noDelay?: boolean): unknown };

const LOST_REASON = `websocket closed (code ${WsCloseCode.ABNORMAL})`;

/** Bit of the link's `flags`: a close frame or a violation stopped reading (every later byte is ignored). */
const READING_STOPPED = FIRST_SUBCLASS_FLAG;
/** Bit of the link's `flags`: the close frame was sent (or the socket destroyed): nothing more is written. */
const CLOSE_SENT = FIRST_SUBCLASS_FLAG << 1;

/** The counters of {@link FramedWebSocketLinkStats}, by name (for toJSON). */
const FRAMED_LINK_STAT_NAMES = statNamesOf<FramedWebSocketLinkStats>({
  ...WEBSOCKET_LINK_STAT_KEYS,
  protocolViolations: true,
});

/**
 * A reliable, ordered {@link Link} over one WebSocket: one binary message is one datagram. Text
 * messages are dropped and counted; pings are answered.
 *
 * A close without a closing handshake, or a socket error, is reported with a {@link LinkError}
 * (`connection lost (code 1006)`); so is a protocol violation by the peer (the link answers with
 * the close code of the violation). If the `onDatagram` handler throws, the link closes with a
 * {@link LinkError} whose `cause` is the thrown value (the receive path never throws).
 */
export abstract class FramedWebSocketLink extends InboxLink implements Link {
  // Counters, read through `stats` (fields of the link: no object per link for them; the receive
  // counters and those of rare events are InboxLink's).
  protected datagramsSent = 0;
  protected bytesSent = 0;

  readonly #socket: LinkedSocket;
  readonly #settings: FramedWebSocketLinkSettings;
  /**
   * The parser, while a frame is only partly read; between frames the link holds none and borrows
   * the process's idle one for the next chunk (an idle link keeps no parser state).
   */
  #parser: FrameParser | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Take over a socket that carries frames from now on (after the opening handshake) and parse
   * `head`, the first bytes read after the handshake, first.
   * @internal
   */
  constructor(socket: Duplex, head: Uint8Array, settings: FramedWebSocketLinkSettings) {
    super();
    const linked = socket as LinkedSocket;
    this.#socket = linked;
    this.#settings = settings;
    linked[LINK] = this;
    linked.setNoDelay?.(true);
    // An http.Server's sockets allow half-open connections; a WebSocket does not: once the peer
    // ends, Node ends our side too (and the close listener tells a lost connection from a clean one).
    linked.allowHalfOpen = false;
    linked.on('data', FramedWebSocketLink.#onSocketData);
    linked.on('error', FramedWebSocketLink.#onSocketError);
    linked.on('close', FramedWebSocketLink.#onSocketClose);
    if (head.length > 0) this.parse(head);
  }

  /** Text messages dropped (read through `stats`). */
  protected get droppedNonBinary(): number {
    return this.troubleSeen.droppedNonBinary;
  }

  /** `1` if the peer broke the protocol, else `0` (read through `stats`). */
  protected get protocolViolations(): number {
    return this.troubleSeen.protocolViolations;
  }

  /** Always `true`: TCP delivers every message once and in order. */
  get reliable(): boolean {
    return true;
  }

  /** Largest datagram this link sends or delivers, in bytes. Larger incoming messages are dropped and counted. */
  get maxDatagramSize(): number {
    return this.#settings.maxMessageSize;
  }

  /** Live counters (a view of the link; `JSON.stringify` writes a snapshot, see {@link InboxLink.toJSON}). */
  get stats(): FramedWebSocketLinkStats {
    return this as unknown as FramedWebSocketLinkStats;
  }

  /** @internal */
  protected override get statNames(): readonly string[] {
    return FRAMED_LINK_STAT_NAMES;
  }

  /**
   * Bytes queued in the socket but not yet sent. A growing value means the peer (or the network)
   * does not keep up; upper layers may throttle on it.
   */
  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  /**
   * Bytes of frame header in front of a datagram (a client's includes the masking key): a sender
   * that leaves this much room before each datagram (a `Peer` does) lets
   * {@link FramedWebSocketLink.send} write the header there and send without copying.
   */
  get sendHeadroom(): number {
    return frameHeaderSize(this.#settings.maxMessageSize, this.#settings.role === 'client');
  }

  /** The settings the link was created with (for the subclasses). @internal */
  protected get settings(): FramedWebSocketLinkSettings {
    return this.#settings;
  }

  /**
   * Send one datagram as one binary frame, header and payload with one socket write: in place when
   * `headroom` leaves room for the header before `datagram` in its buffer (a client then masks the
   * datagram's bytes in place too, as the headroom contract of `Link.send` allows), else copied into
   * one new buffer with the header (and masked there).
   * @param headroom - Bytes before `datagram` in its buffer that the caller gives the link to
   *   overwrite (see `Link.send`). Defaults to 0.
   * @throws A {@link MessageTooLargeError} if `datagram` is larger than {@link FramedWebSocketLink.maxDatagramSize}.
   */
  send(datagram: Uint8Array, headroom = 0): void {
    if (this.closed) return;
    const length = datagram.byteLength;
    const settings = this.#settings;
    if (length > settings.maxMessageSize) throw new MessageTooLargeError(length, settings.maxMessageSize, 'datagram');
    if (!this.#socket.writable) {
      // The peer ended the connection without a close frame; its close event is still to come.
      this.lost();
      return;
    }
    const key = this.maskKey();
    const header = frameHeaderSize(length, key !== undefined);
    let frame: Uint8Array;
    if (headroom >= header && datagram.byteOffset >= header) {
      frame = Buffer.from(datagram.buffer, datagram.byteOffset - header, header + length);
    } else {
      frame = Buffer.allocUnsafe(header + length);
      frame.set(datagram, header);
    }
    writeFrameHeader(frame, 0, WsOpcode.BINARY, length, key);
    if (key !== undefined) maskBytes(frame, header, length, key);
    try {
      this.#socket.write(frame);
    } catch (error) {
      this.finish({
        local: false,
        reason: 'websocket send failed',
        error: new LinkError('send failed', { cause: error }),
      });
      this.destroySocketNow();
      return;
    }
    this.datagramsSent++;
    this.bytesSent += length;
  }

  /** Close with code 1000 and `reason` (cut to 123 UTF-8 bytes); reported with `local: true`. Idempotent. */
  close(reason = 'closed'): void {
    if (this.closed) return;
    this.markClosed({ local: true, reason });
    this.sendClose(WsCloseCode.NORMAL, reason);
    this.reportClose();
  }

  /** The socket has closed (the link closed before, or now). Called once. @internal */
  protected socketClosed(): void {}

  // FrameSink: the link is its parser's sink (structurally: no object per link for it).

  /** @internal */
  onBinary(message: Uint8Array): void {
    if (!this.closed) this.receiveDatagram(this.#settings.copyMessages === true ? message.slice() : message);
  }

  /** @internal */
  onDropped(reason: DroppedMessage): void {
    if (reason === 'text') this.trouble.droppedNonBinary++;
    else this.trouble.droppedOversize++;
  }

  /** @internal */
  onPing(payload: Uint8Array): void {
    if ((this.flags & CLOSE_SENT) !== 0 || !this.#socket.writable) return;
    const key = this.maskKey();
    const header = frameHeaderSize(payload.length, key !== undefined);
    const frame = Buffer.allocUnsafe(header + payload.length);
    writeFrameHeader(frame, 0, WsOpcode.PONG, payload.length, key);
    frame.set(payload, header);
    if (key !== undefined) maskBytes(frame, header, payload.length, key);
    this.#socket.write(frame);
  }

  /** @internal */
  onClose(code: number, reason: string): void {
    this.finish({ local: false, reason: reason === '' ? `websocket closed (code ${code})` : reason });
    // Echo the code (RFC 6455 §5.5.1); a close without a code is answered without one.
    this.sendClose(code === WsCloseCode.NO_STATUS ? undefined : code);
  }

  /** @internal */
  onViolation(violation: FrameViolation): void {
    this.trouble.protocolViolations++;
    const what = `websocket protocol violation (${violation.closeCode}): ${violation.message}`;
    const cause = new ProtocolViolationError(`websocket ${violation.kind}: ${violation.message}`);
    this.finish({ local: false, reason: what, error: new LinkError(what, { cause }) });
    this.sendClose(violation.closeCode, violation.message);
  }

  /** @internal {@link InboxLink.onHandlerError}. */
  onHandlerError(error: unknown): void {
    this.finish({
      local: false,
      reason: 'datagram handler threw',
      error: new LinkError('datagram handler threw', { cause: error }),
    });
    this.sendClose(WsCloseCode.INTERNAL_ERROR);
  }

  /** A fresh masking key for a client's frame; `undefined` on a server (its frames are not masked). */
  private maskKey(): number | undefined {
    return this.#settings.role === 'client' ? nextMaskKey() : undefined;
  }

  /** Send a close frame (once), end the socket, and destroy it if the peer has not finished in time. */
  private sendClose(code?: number, reason?: string): void {
    this.stopReading();
    if ((this.flags & CLOSE_SENT) !== 0) return;
    this.flags |= CLOSE_SENT;
    const socket = this.#socket;
    if (!socket.writable) {
      this.destroySocketNow();
      return;
    }
    socket.end(encodeCloseFrame(code, reason, this.maskKey()));
    this.#closeTimer = setTimeout(destroySocket, this.#settings.closeTimeout, socket);
    this.#closeTimer.unref?.();
  }

  private destroySocketNow(): void {
    this.stopReading();
    this.flags |= CLOSE_SENT;
    this.#socket.destroy();
  }

  /** The connection ended without a closing handshake (or failed). */
  private lost(cause?: unknown): void {
    this.stopReading();
    if (this.closed) return;
    const error = new LinkError(
      `connection lost (code ${WsCloseCode.ABNORMAL})`,
      cause === undefined ? undefined : { cause },
    );
    this.finish({ local: false, reason: LOST_REASON, error });
  }

  private finish(info: LinkCloseInfo): void {
    if (this.markClosed(info)) this.reportClose();
  }

  /** Parse a chunk with the link's parser, or the process's idle one when between frames. */
  private parse(chunk: Uint8Array): void {
    if ((this.flags & READING_STOPPED) !== 0) return;
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
  private stopReading(): void {
    this.flags |= READING_STOPPED;
    const parser = this.#parser;
    if (parser !== undefined) {
      this.#parser = undefined;
      parser.stop();
    }
  }

  // Socket listeners: shared by every link, called with the socket as `this` (no closure per link).
  // biome-ignore-start lint/complexity/noThisInStatic: listeners, called with the socket as `this`

  static #onSocketData(this: LinkedSocket, chunk: Buffer): void {
    this[LINK].parse(chunk);
  }

  static #onSocketError(this: LinkedSocket, error: Error): void {
    const link = this[LINK];
    link.lost(error);
    link.destroySocketNow();
  }

  static #onSocketClose(this: LinkedSocket): void {
    const link = this[LINK];
    clearTimeout(link.#closeTimer);
    link.#closeTimer = undefined;
    link.lost();
    link.socketClosed();
  }
  // biome-ignore-end lint/complexity/noThisInStatic: listeners
}

/** A parser between frames, lent to whichever link parses next (it holds no state then). */
let idleParser: FrameParser | undefined;

function destroySocket(socket: Duplex): void {
  socket.destroy();
}
