/**
 * The server side of the WebSocket opening handshake (RFC 6455 §4.2) on the `upgrade` event of a
 * Node `http`/`https` server: validate the request, answer `101 Switching Protocols`, or refuse it
 * with an HTTP status. Part of the server's own framing (see `ws-frame.ts` for why it does not use
 * `ws` there). No extension is ever negotiated (`Sec-WebSocket-Extensions` is ignored, so never
 * permessage-deflate); of the subprotocols a client offers, the first is selected, as `ws`'s server
 * does by default.
 * @module
 */
import { hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** The GUID a server appends to `Sec-WebSocket-Key` before hashing it (RFC 6455 §1.3). @internal */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** The only protocol version spoken (`Sec-WebSocket-Version`). @internal */
export const WEBSOCKET_VERSION = '13';

/** HTTP statuses the handshake answers with. @internal */
export const UpgradeStatus = {
  BAD_REQUEST: 400,
  FORBIDDEN: 403,
  UPGRADE_REQUIRED: 426,
  SERVICE_UNAVAILABLE: 503,
} as const;

const STATUS_TEXT: Readonly<Record<number, string>> = {
  [UpgradeStatus.BAD_REQUEST]: 'Bad Request',
  [UpgradeStatus.FORBIDDEN]: 'Forbidden',
  [UpgradeStatus.UPGRADE_REQUIRED]: 'Upgrade Required',
  [UpgradeStatus.SERVICE_UNAVAILABLE]: 'Service Unavailable',
};

/** Base64 of 16 bytes: 22 characters and `==`. */
const KEY_PATTERN = /^[+/0-9A-Za-z]{22}==$/;
/** An HTTP token (RFC 9110 §5.6.2): the syntax of a header name and of a subprotocol name. @internal */
export const TOKEN_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The outcome of {@link checkUpgradeRequest}. @internal */
export type UpgradeCheck =
  | {
      readonly ok: true;
      /** The client's `Sec-WebSocket-Key`. */
      readonly key: string;
      /** The selected subprotocol, if the client offered any. */
      readonly protocol: string | undefined;
    }
  | {
      readonly ok: false;
      /** `400`, or `426` for a missing or unsupported `Sec-WebSocket-Version`. */
      readonly status: number;
      /** Why, for logs and tests (not sent). */
      readonly reason: string;
    };

/** The parts of an upgrade request {@link checkUpgradeRequest} reads. @internal */
export type UpgradeRequestLike = Pick<IncomingMessage, 'method' | 'httpVersionMajor' | 'httpVersionMinor' | 'headers'>;

/**
 * Validate a WebSocket upgrade request: `GET`, HTTP/1.1 or later, `Upgrade: websocket`, a
 * `Connection` header with the `upgrade` token, a `Sec-WebSocket-Key` that is base64 of 16 bytes,
 * `Sec-WebSocket-Version: 13`, and a well-formed `Sec-WebSocket-Protocol` list if present.
 * @internal
 */
export function checkUpgradeRequest(request: UpgradeRequestLike): UpgradeCheck {
  const { headers } = request;
  if (request.method !== 'GET') return bad('method is not GET');
  if (request.httpVersionMajor < 1 || (request.httpVersionMajor === 1 && request.httpVersionMinor < 1)) {
    return bad('HTTP version before 1.1');
  }
  if (!hasToken(headers.upgrade, 'websocket')) return bad('no Upgrade: websocket');
  if (!hasToken(headers.connection, 'upgrade')) return bad('no Connection: upgrade');
  const key = headers['sec-websocket-key'];
  if (key === undefined || !KEY_PATTERN.test(key)) return bad('missing or invalid Sec-WebSocket-Key');
  if (headers['sec-websocket-version']?.trim() !== WEBSOCKET_VERSION) {
    return { ok: false, status: UpgradeStatus.UPGRADE_REQUIRED, reason: 'unsupported Sec-WebSocket-Version' };
  }
  const offered = headers['sec-websocket-protocol'];
  let protocol: string | undefined;
  if (offered !== undefined) {
    const protocols = offered.split(',').map((name) => name.trim());
    if (!protocols.every((name) => TOKEN_PATTERN.test(name)) || new Set(protocols).size !== protocols.length) {
      return bad('invalid Sec-WebSocket-Protocol');
    }
    protocol = protocols[0];
  }
  return { ok: true, key, protocol };
}

/** `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64 of the SHA-1 of key + GUID. @internal */
export function webSocketAccept(key: string): string {
  // One-shot hash: no Hash object per handshake (createHash + update + digest cost several times more).
  return hash('sha1', key + WEBSOCKET_GUID, 'base64');
}

/**
 * Answer `101 Switching Protocols`. The socket then carries WebSocket frames; the caller feeds the
 * upgrade's `head` bytes to its parser before anything read later.
 * @internal
 */
export function acceptUpgrade(socket: Duplex, key: string, protocol: string | undefined): void {
  const selected = protocol === undefined ? '' : `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${webSocketAccept(key)}\r\n${selected}\r\n`,
  );
}

/**
 * Refuse an upgrade request with an HTTP status and close the socket once the answer is written.
 * A `426` names the version this server speaks (`Sec-WebSocket-Version: 13`).
 * @internal
 */
export function refuseUpgrade(socket: Duplex, status: number): void {
  const version = status === UpgradeStatus.UPGRADE_REQUIRED ? `Sec-WebSocket-Version: ${WEBSOCKET_VERSION}\r\n` : '';
  socket.on('error', ignore);
  socket.once('finish', destroyStream);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n${version}Connection: close\r\nContent-Length: 0\r\n\r\n`,
  );
}

function bad(reason: string): UpgradeCheck {
  return { ok: false, status: UpgradeStatus.BAD_REQUEST, reason };
}

/** Whether a comma-separated header value holds `token` (case-insensitive). @internal */
export function hasToken(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false;
  const joined = typeof value === 'string' ? value : value.join(',');
  return joined.split(',').some((part) => part.trim().toLowerCase() === token);
}

function destroyStream(this: Duplex): void {
  this.destroy();
}

function ignore(): void {}
