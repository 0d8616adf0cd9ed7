/**
 * The client side of the WebSocket opening handshake (RFC 6455 §4.1), without `http`: the `GET`
 * upgrade request as text ({@link upgradeRequest}), and {@link UpgradeResponseReader}, which reads
 * the server's answer from the socket's chunks (split anywhere) and checks it. Part of the Node
 * client's own framing (`ws-frame.ts` says why it does not use `ws`); `connectWebSocket` drives it
 * over a socket (`ws-client-connect.ts`).
 *
 * No extension is ever offered (so never permessage-deflate), and an answer that selects one fails
 * the handshake; a subprotocol answered must be one offered, and one must be answered when any
 * was offered (as `ws` requires).
 * @module
 */
import { Buffer } from 'node:buffer';
import { InvalidOptionError } from '../errors.js';
import { MASK_KEY_BYTES } from './ws-frame.js';
import { nextMaskKey } from './ws-mask-key.js';
import { hasToken, TOKEN_PATTERN, WEBSOCKET_VERSION, webSocketAccept } from './ws-upgrade.js';

/** Random bytes of a `Sec-WebSocket-Key` (RFC 6455 §4.1: a 16-byte nonce, base64). @internal */
export const WEBSOCKET_KEY_BYTES = 16;
/** The status of a server that accepts the upgrade. @internal */
export const SWITCHING_PROTOCOLS = 101;

/** What {@link upgradeRequest} writes. @internal */
export interface UpgradeRequestParts {
  /** `Host` header: the URL's host (and port, when not the scheme's default). */
  readonly host: string;
  /** Request target: the URL's path and query. */
  readonly path: string;
  /** `Sec-WebSocket-Key`, from {@link newWebSocketKey}. */
  readonly key: string;
  /** Subprotocols to offer (checked by {@link checkProtocols}). */
  readonly protocols: readonly string[];
  /** Extra headers (checked by {@link checkHeaders}); a `Host` among them replaces the URL's. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Headers the handshake writes itself, which the caller's `headers` may not set. */
const HANDSHAKE_HEADERS = new Set([
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);
/** A header value (RFC 9110 §5.5): visible characters, spaces, tabs and obs-text; no CR, LF or NUL. */
const VALUE_PATTERN = /^[\t\x20-\x7e\x80-\xff]*$/;
const STATUS_LINE = /^HTTP\/1\.\d (\d{3})(?: .*)?$/;
const CRLF = '\r\n';
const HEAD_END = '\r\n\r\n';

/** Scratch for the nonce of {@link newWebSocketKey} (copied out by `toString`). */
const nonce = Buffer.alloc(WEBSOCKET_KEY_BYTES);

/**
 * A fresh `Sec-WebSocket-Key`: base64 of 16 random bytes, taken from the pooled CSPRNG output of
 * the masking keys (`randomBytes` per connection was a CSPRNG call per connection).
 * @internal
 */
export function newWebSocketKey(): string {
  for (let at = 0; at < WEBSOCKET_KEY_BYTES; at += MASK_KEY_BYTES) nonce.writeInt32BE(nextMaskKey(), at);
  return nonce.toString('base64');
}

/**
 * The subprotocols of the `protocols` option as a list.
 * @throws An {@link InvalidOptionError} for a name that is not an HTTP token, or a duplicate.
 * @internal
 */
export function checkProtocols(protocols: string | readonly string[] | undefined): readonly string[] {
  const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols];
  if (!list.every((name) => TOKEN_PATTERN.test(name)) || new Set(list).size !== list.length) {
    throw new InvalidOptionError('protocols', 'must be distinct HTTP tokens');
  }
  return list;
}

/**
 * The `headers` option, checked: names are HTTP tokens, values hold no CR, LF or NUL (no header
 * injection), and none is a header the handshake writes itself.
 * @throws An {@link InvalidOptionError} otherwise.
 * @internal
 */
export function checkHeaders(headers: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> {
  if (headers === undefined) return {};
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN_PATTERN.test(name) || typeof value !== 'string' || !VALUE_PATTERN.test(value)) {
      throw new InvalidOptionError('headers', `invalid header ${JSON.stringify(name)}`);
    }
    if (HANDSHAKE_HEADERS.has(name.toLowerCase())) {
      throw new InvalidOptionError('headers', `${name} is set by the WebSocket handshake`);
    }
  }
  return headers;
}

/** The upgrade request, head only (it has no body), as latin1 text. @internal */
export function upgradeRequest(parts: UpgradeRequestParts): string {
  const extra = Object.entries(parts.headers);
  const ownHost = extra.some(([name]) => name.toLowerCase() === 'host');
  let request = `GET ${parts.path} HTTP/1.1${CRLF}`;
  if (!ownHost) request += `Host: ${parts.host}${CRLF}`;
  request +=
    `Upgrade: websocket${CRLF}Connection: Upgrade${CRLF}` +
    `Sec-WebSocket-Key: ${parts.key}${CRLF}Sec-WebSocket-Version: ${WEBSOCKET_VERSION}${CRLF}`;
  if (parts.protocols.length > 0) request += `Sec-WebSocket-Protocol: ${parts.protocols.join(', ')}${CRLF}`;
  for (const [name, value] of extra) request += `${name}: ${value}${CRLF}`;
  return request + CRLF;
}

/** The outcome of reading the server's answer. @internal */
export type UpgradeResponse =
  | {
      readonly ok: true;
      /** The subprotocol selected; `''` when none was offered. */
      readonly protocol: string;
      /** Bytes after the answer's head: the first frame bytes. */
      readonly rest: Uint8Array;
    }
  | {
      readonly ok: false;
      /** Why the handshake failed (for the `LinkError`). */
      readonly reason: string;
    };

/**
 * Reads the server's answer to an upgrade request from the socket's chunks, in order, and checks
 * it: status `101`, `Upgrade: websocket`, `Connection: upgrade`, `Sec-WebSocket-Accept` derived
 * from our key, a subprotocol among those offered, no extension. The head may be split anywhere; it
 * may hold at most `maxHeadSize` bytes (its final empty line included).
 * @internal
 */
export class UpgradeResponseReader {
  readonly #accept: string;
  readonly #protocols: readonly string[];
  readonly #maxHeadSize: number;
  /** Bytes of an incomplete head so far. */
  #pending: Buffer | undefined;

  constructor(key: string, protocols: readonly string[], maxHeadSize: number) {
    this.#accept = webSocketAccept(key);
    this.#protocols = protocols;
    this.#maxHeadSize = maxHeadSize;
  }

  /** Read the next chunk: the outcome once the head is complete (or too long), else `undefined`. */
  push(chunk: Uint8Array): UpgradeResponse | undefined {
    const pending = this.#pending;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const data = pending === undefined ? bytes : Buffer.concat([pending, bytes]);
    // The end of the head may straddle the previous chunk: search from 3 bytes before its end.
    const end = data.indexOf(HEAD_END, Math.max(0, (pending?.length ?? 0) - (HEAD_END.length - 1)), 'latin1');
    const headSize = end === -1 ? data.length : end + HEAD_END.length;
    if (headSize > this.#maxHeadSize) return failed(`response head over ${this.#maxHeadSize} bytes`);
    if (end === -1) {
      this.#pending = data;
      return undefined;
    }
    this.#pending = undefined;
    return this.#check(data.toString('latin1', 0, end), data.subarray(headSize));
  }

  #check(head: string, rest: Uint8Array): UpgradeResponse {
    const lines = head.split(CRLF);
    const status = STATUS_LINE.exec(lines[0]!);
    if (status === null) return failed('invalid HTTP status line');
    if (Number(status[1]) !== SWITCHING_PROTOCOLS) return failed(`unexpected server response ${status[1]}`);
    const headers = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      if (colon < 1 || !TOKEN_PATTERN.test(name)) return failed('invalid HTTP header line');
      const value = line.slice(colon + 1).trim();
      const seen = headers.get(name);
      headers.set(name, seen === undefined ? value : `${seen}, ${value}`);
    }
    if (headers.get('upgrade')?.toLowerCase() !== 'websocket') return failed('missing or invalid Upgrade header');
    if (!hasToken(headers.get('connection'), 'upgrade')) return failed('missing or invalid Connection header');
    if (headers.get('sec-websocket-accept') !== this.#accept) return failed('missing or invalid Sec-WebSocket-Accept');
    const extensions = headers.get('sec-websocket-extensions');
    if (extensions !== undefined && extensions !== '') return failed('server selected an extension none was offered');
    const protocol = headers.get('sec-websocket-protocol');
    if (protocol === undefined) {
      if (this.#protocols.length > 0) return failed('server selected no subprotocol');
      return { ok: true, protocol: '', rest };
    }
    if (!this.#protocols.includes(protocol)) return failed('server selected a subprotocol that was not offered');
    return { ok: true, protocol, rest };
  }
}

function failed(reason: string): UpgradeResponse {
  return { ok: false, reason };
}
