/**
 * Errors of the client. Most come from the transport and the session contract (re-exported here so a
 * game imports them from `@netplay/client`); the client adds one code of its own.
 *
 * | code | class | when |
 * |---|---|---|
 * | session codes (`ROOM_NOT_FOUND`, `TIMEOUT`, `INVALID_TOKEN`, …) | {@link SessionError} | the server refused or reported something; a handshake, request or reconnect timed out |
 * | `CLOSED` | {@link ClosedError} | `send`/`relay` after the room was left |
 * | `MESSAGE_TOO_LARGE` | {@link MessageTooLargeError} | a message exceeds its channel's limit (thrown by `send`/`relay`) |
 * | `CODEC_ERROR` | {@link CodecError} | a payload cannot be encoded, a bad message type, or a malformed server message |
 * | `LINK_ERROR` | {@link LinkError} | the socket could not be opened or failed |
 * | `INVALID_OPTION` | {@link InvalidOptionError} | a bad client option |
 * | `UNSUPPORTED_URL` | {@link UnsupportedUrlError} | a URL scheme this runtime cannot open (`udp://` in a browser, `http://`, …) |
 * | `TOKEN_UNAVAILABLE` | {@link ConnectTokenError} | the `connectToken` / `tokenUrl` source failed or gave no valid token |
 * @module
 */
import { NetplayError } from '@netplay/transport';

export {
  CloseCode,
  ClosedError,
  CodecError,
  InvalidOptionError,
  isSessionErrorCode,
  LinkError,
  MessageTooLargeError,
  NetplayError,
  ProtocolViolationError,
  SendQueueFullError,
  SessionError,
  SessionErrorCode,
  TransportErrorCode,
} from '@netplay/transport';

/** Error codes the client adds to the transport's and the session contract's. */
export const ClientErrorCode = {
  /** The URL's scheme cannot be opened in this runtime (`udp://` in a browser) or is not a Netplay scheme. */
  UNSUPPORTED_URL: 'UNSUPPORTED_URL',
  /** No connect token for an encrypted UDP session: the token source failed or answered something else. */
  TOKEN_UNAVAILABLE: 'TOKEN_UNAVAILABLE',
} as const;

/** One of the {@link ClientErrorCode} values. */
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** The client cannot open this URL here: an unknown scheme, or `udp://` outside Node. */
export class UnsupportedUrlError extends NetplayError {
  /** The URL that was refused. */
  readonly url: string;
  constructor(url: string, reason: string) {
    super(ClientErrorCode.UNSUPPORTED_URL, `cannot open ${url}: ${reason}`);
    this.url = url;
  }
}

/** No connect token for an encrypted UDP session (the token source failed, or its answer is not a token). */
export class ConnectTokenError extends NetplayError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(ClientErrorCode.TOKEN_UNAVAILABLE, `no connect token: ${reason}`, options);
  }
}
