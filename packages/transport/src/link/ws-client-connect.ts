/**
 * Opening a WebSocket from Node without `ws` or `http`: a TCP socket (`node:net`, or `node:tls`
 * for `wss://`), the upgrade request written on it at once, the answer read by
 * {@link UpgradeResponseReader}, and the socket handed to a {@link ClientWebSocketLink} with the
 * bytes that followed the answer. `connectWebSocket` (`ws-node.ts`) validates the options and calls
 * {@link openClientWebSocket}.
 * @module
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { LinkError } from '../errors.js';
import { ClientWebSocketLink, type ClientWebSocketLinkSettings } from './ws-client-link.js';
import {
  newWebSocketKey,
  type UpgradeRequestParts,
  UpgradeResponseReader,
  upgradeRequest,
} from './ws-client-upgrade.js';

/** Default ports of the two schemes. */
const WS_PORT = 80;
const WSS_PORT = 443;

/** Everything {@link openClientWebSocket} needs, validated. @internal */
export interface ClientWebSocketTarget extends Pick<UpgradeRequestParts, 'protocols' | 'headers'> {
  /** A `ws:` or `wss:` URL without a fragment. */
  readonly url: URL;
  /** Milliseconds from now until the server's `101` answer must have been read. */
  readonly handshakeTimeout: number;
  /** Largest head of the server's answer, in bytes. */
  readonly maxResponseHeadSize: number;
  /** Certificate authorities for `wss:` in place of Node's; `undefined`: Node's. */
  readonly ca: ConnectionOptions['ca'];
  /** Settings of the link once open. */
  readonly link: ClientWebSocketLinkSettings;
}

/**
 * Connect, upgrade, and resolve to the open link.
 * @returns A promise that rejects with a {@link LinkError} if the connection is refused or fails
 * (TLS included), the answer is not a valid `101` (or its head is too long), the socket closes
 * before it, or `handshakeTimeout` passes first.
 * @internal
 */
export function openClientWebSocket(target: ClientWebSocketTarget): Promise<ClientWebSocketLink> {
  const { url } = target;
  return new Promise<ClientWebSocketLink>((resolve, reject) => {
    const secure = url.protocol === 'wss:';
    // An IPv6 literal is bracketed in a URL, not for a socket.
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = url.port === '' ? (secure ? WSS_PORT : WS_PORT) : Number(url.port);
    const key = newWebSocketKey();
    const reader = new UpgradeResponseReader(key, target.protocols, target.maxResponseHeadSize);
    let socket: Socket;
    try {
      socket = secure
        ? tlsConnect({
            host,
            port,
            // SNI names a host, never an address (Node refuses an IP as the server name).
            ...(isIP(host) === 0 ? { servername: host } : {}),
            ...(target.ca === undefined ? {} : { ca: target.ca }),
          })
        : netConnect({ host, port });
    } catch (error) {
      reject(new LinkError(`cannot connect to ${url.href}`, { cause: error }));
      return;
    }
    const settle = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const fail = (reason: string, cause?: unknown): void => {
      settle();
      // Keep a listener so a late error cannot crash the process while the socket winds down.
      socket.on('error', ignore);
      socket.destroy();
      reject(new LinkError(`cannot connect to ${url.href}: ${reason}`, cause === undefined ? undefined : { cause }));
    };
    const onData = (chunk: Buffer): void => {
      const response = reader.push(chunk);
      if (response === undefined) return;
      if (!response.ok) {
        fail(response.reason);
        return;
      }
      settle();
      resolve(new ClientWebSocketLink(socket, response.rest, target.link, response.protocol));
    };
    const onError = (error: Error): void => fail(error.message, error);
    const onClose = (): void => fail('closed before open');
    const timer = setTimeout(
      () => fail(`no answer to the opening handshake within ${target.handshakeTimeout} ms`),
      target.handshakeTimeout,
    );
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.setNoDelay(true);
    // Written at once: the socket holds it until connected (and, for wss, until TLS is set up).
    socket.write(
      upgradeRequest({
        host: url.host,
        path: `${url.pathname}${url.search}`,
        key,
        protocols: target.protocols,
        headers: target.headers,
      }),
      'latin1',
    );
  });
}

function ignore(): void {}
