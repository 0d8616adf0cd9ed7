/**
 * Dial: open a link to a URL and run the session handshake on it, giving a {@link SessionLink}
 * ready for a `Peer`. Used for joins, redirects, listings and resumes.
 * @module
 */
import type { ConnectBody } from '@netplay/transport';
import type { LinkOpener } from './connect-link.js';
import { handshake } from './handshake.js';
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

/** A {@link Dialer} over `opener` with the client's handshake options. */
export function createDialer(opener: LinkOpener, options: ResolvedClientOptions): Dialer {
  return async (url, body, secure) => {
    const opened = await opener.open(url, secure);
    const link = new SessionLink(opened.link, opened.secure);
    const { resumed } = await handshake(link, {
      clock: options.clock,
      body,
      datagram: opened.datagram,
      timeout: options.handshakeTimeout,
      resendInterval: options.handshakeResendInterval,
    });
    return { link, resumed };
  };
}
