/**
 * Dial: open a link to a URL and run the session handshake on it, giving a {@link SessionLink}
 * ready for a `Peer`. Used for joins, redirects, listings and resumes.
 * @module
 */
import type { ConnectBody } from '@netplay/transport';
import type { LinkOpener } from './connect-link.js';
import { type HandshakeResult, handshake } from './handshake.js';
import type { SecureSession } from './node-links.js';
import type { ResolvedClientOptions } from './options.js';
import { SessionLink } from './session-link.js';

/** A link whose handshake succeeded. */
export interface DialedLink {
  readonly link: SessionLink;
  /** The server resumed an existing session (`Accept{resumed: true}`). */
  readonly resumed: boolean;
}

/**
 * Opens links and handshakes on them for one client. `secure`: the connect token keys of the
 * session being resumed over encrypted UDP (the link's `secure`), reused instead of a new token.
 */
export type Dialer = (url: string, body: ConnectBody, secure?: SecureSession) => Promise<DialedLink>;

/** A link whose handshake is under way (reliable links) or done (datagram links). */
export interface EarlyDialedLink {
  readonly link: SessionLink;
  /** Settles with the handshake: a session may send on `link` before (a reliable link keeps order). */
  readonly accepted: Promise<HandshakeResult>;
}

/**
 * Opens links for a new session whose first request may go right behind `Connect`: on a reliable
 * link (WebSocket) the server creates the session as it reads `Connect`, so what follows on the
 * same link reaches it, and a join takes one round trip instead of two. On a datagram link the
 * handshake (challenge, resends) completes first.
 */
export type EarlyDialer = (url: string, body: ConnectBody) => Promise<EarlyDialedLink>;

/** Open a link to `url` and start its handshake (not awaited). */
async function startDial(
  opener: LinkOpener,
  options: ResolvedClientOptions,
  url: string,
  body: ConnectBody,
  secure?: SecureSession,
): Promise<{ link: SessionLink; datagram: boolean; accepted: Promise<HandshakeResult> }> {
  const opened = await opener.open(url, secure);
  const link = new SessionLink(opened.link, opened.secure);
  const accepted = handshake(link, {
    clock: options.clock,
    body,
    datagram: opened.datagram,
    timeout: options.handshakeTimeout,
    resendInterval: options.handshakeResendInterval,
  });
  return { link, datagram: opened.datagram, accepted };
}

/** An {@link EarlyDialer} over `opener` with the client's handshake options. */
export function createEarlyDialer(opener: LinkOpener, options: ResolvedClientOptions): EarlyDialer {
  return async (url, body) => {
    const { link, datagram, accepted } = await startDial(opener, options, url, body);
    if (datagram) await accepted;
    return { link, accepted };
  };
}

/** A {@link Dialer} over `opener` with the client's handshake options. */
export function createDialer(opener: LinkOpener, options: ResolvedClientOptions): Dialer {
  return async (url, body, secure) => {
    const { link, accepted } = await startDial(opener, options, url, body, secure);
    const { resumed } = await accepted;
    return { link, resumed };
  };
}
