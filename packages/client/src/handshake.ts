/**
 * The client side of the session handshake on a new link.
 *
 * Reliable link (WebSocket): `Connect` → `Accept` | `Deny`.
 * Datagram link (UDP): padded `Connect` → `Challenge{cookie}` → padded `Response{cookie}` →
 * `Accept` | `Deny`; the last unanswered packet is resent every `resendInterval` ms, since any of
 * them may be lost. A server may also answer `Accept` straight away; both paths are accepted.
 * @module
 */
import {
  type Clock,
  type ConnectBody,
  encodeHandshake,
  HANDSHAKE_PADDED_SIZE,
  HandshakeType,
  LinkError,
  SessionError,
  SessionErrorCode,
  type TimerHandle,
} from '@netplay/transport';
import type { SessionLink } from './session-link.js';

/** Settings of one handshake. */
export interface HandshakeSettings {
  clock: Clock;
  /** Body of Connect/Response: nothing, a seat token, or a resume token. */
  body: ConnectBody;
  /** Pad and resend (datagram links). */
  datagram: boolean;
  /** Milliseconds before giving up with `TIMEOUT`. */
  timeout: number;
  /** Milliseconds between resends on datagram links. */
  resendInterval: number;
}

/** What the server said yes with. */
export interface HandshakeResult {
  /** `true` when the server resumed an existing session (`Connect{resume}`). */
  readonly resumed: boolean;
}

/**
 * Run the handshake on `link`. Resolves on Accept; rejects with {@link SessionError} on Deny (the
 * server's code) or timeout (`TIMEOUT`), or {@link LinkError} when the link closes first. On failure
 * the link is closed. On success `link.onHandshake` is left unset for the session to take over.
 */
export function handshake(link: SessionLink, s: HandshakeSettings): Promise<HandshakeResult> {
  return new Promise<HandshakeResult>((resolve, reject) => {
    const pad = s.datagram ? HANDSHAKE_PADDED_SIZE : 0;
    let current = encodeHandshake({ type: HandshakeType.Connect, body: s.body }, pad);
    let resendTimer: TimerHandle | undefined;
    let done = false;
    const finish = (error: Error | undefined, result?: HandshakeResult): void => {
      if (done) return;
      done = true;
      timeoutTimer.cancel();
      resendTimer?.cancel();
      link.onHandshake = undefined;
      if (error !== undefined) {
        link.close('handshake failed');
        reject(error);
      } else {
        resolve(result!);
      }
    };
    const sendCurrent = (): void => {
      if (done) return;
      link.send(current);
      if (s.datagram) {
        resendTimer?.cancel();
        resendTimer = s.clock.setTimeout(sendCurrent, s.resendInterval);
      }
    };
    const timeoutTimer = s.clock.setTimeout(
      () => finish(new SessionError(SessionErrorCode.TIMEOUT, `no handshake answer within ${s.timeout} ms`)),
      s.timeout,
    );
    link.onHandshake = (packet) => {
      switch (packet.type) {
        case HandshakeType.Challenge:
          current = encodeHandshake({ type: HandshakeType.Response, cookie: packet.cookie, body: s.body }, pad);
          sendCurrent();
          return;
        case HandshakeType.Accept:
          finish(undefined, { resumed: packet.resumed });
          return;
        case HandshakeType.Deny:
          finish(new SessionError(packet.code, packet.message));
          return;
        case HandshakeType.Disconnect:
          finish(new LinkError(`server disconnected during the handshake (${packet.code}: ${packet.reason})`));
          return;
        default:
          return; // Connect/Response are client → server: ignore.
      }
    };
    link.onClosed((info) =>
      finish(new LinkError(`link closed during the handshake: ${info.reason}`, { cause: info.error })),
    );
    sendCurrent();
  });
}
