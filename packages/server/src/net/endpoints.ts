/**
 * The network endpoints of a server process: an HTTP(S) server carrying WebSocket upgrades (with
 * origin checks and a payload cap), and a UDP socket when enabled. One implementation for a
 * `Server` (a single process or a cluster worker) and for the cluster manager, so the public entry
 * point of a cluster is hardened exactly like a server.
 * @module
 */
import { createServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  createServer as createHttpsServer,
  type Server as HttpsServer,
  type ServerOptions as TlsOptions,
} from 'node:https';
import type { AddressInfo } from 'node:net';
import { type Link, NetplayError, TransportErrorCode } from '@netplay/transport';
import { ENCRYPTION_OVERHEAD, UDP_LINK_DEFAULTS, UdpLinkServer, WebSocketLinkServer } from '@netplay/transport/node';
import type { LinkKind } from '../session/session-layer.js';

/** What to open. */
export interface EndpointSettings {
  /** Interface to bind. */
  readonly host: string;
  /** TCP port for HTTP/WebSocket (0: any free port). Ignored with `server`. */
  readonly port: number;
  /** UDP port (0: any free port); no UDP socket when `undefined`. */
  readonly udpPort: number | undefined;
  /** An existing HTTP(S) server to attach to (the caller listens on it and closes it). */
  readonly server?: HttpServer | HttpsServer | undefined;
  /** TLS options: serve HTTPS / `wss`. Ignored with `server`. */
  readonly tls?: TlsOptions | undefined;
  /** WebSocket endpoint path (`'/'`: any path). */
  readonly path: string;
  /** Largest WebSocket message accepted, in bytes. */
  readonly maxPayload: number;
  /** `listen` backlog of the TCP port (ignored with `server`). */
  readonly backlog: number;
  /** Origins allowed to open a WebSocket (others get 403); `undefined`: any. */
  readonly allowedOrigins?: readonly string[] | undefined;
  /** Leave room for the encryption overhead on UDP datagrams (`false` when secure UDP is off). */
  readonly udpEncryption: boolean;
  /** Most UDP peers at once. */
  readonly maxUdpPeers: number;
  /** Every plain HTTP request. */
  onHttp(req: IncomingMessage, res: ServerResponse): void;
  /** A new link (WebSocket or UDP peer). */
  onLink(link: Link, kind: LinkKind, remoteAddress: string, remotePort: number): void;
  /** The UDP socket failed. */
  onUdpError(error: Error): void;
}

/** Bound endpoints. */
export interface Endpoints {
  /** The HTTP(S) server (for routes and the bound port). */
  readonly http: HttpServer | HttpsServer;
  /** The bound TCP port. */
  readonly port: number;
  /** The bound UDP port, or `undefined` without UDP. */
  readonly udpPort: number | undefined;
  /** Close every link and listener (an attached `server` is left running). Idempotent. */
  close(): Promise<void>;
}

/**
 * Open the endpoints.
 * @throws A `LINK_ERROR` {@link NetplayError} when a port cannot be bound (e.g. in use); nothing
 * stays bound then.
 */
export async function openEndpoints(s: EndpointSettings): Promise<Endpoints> {
  const handler = (req: IncomingMessage, res: ServerResponse): void => s.onHttp(req, res);
  const owned = s.server === undefined;
  const http = s.server ?? (s.tls === undefined ? createServer(handler) : createHttpsServer(s.tls, handler));
  let ws: WebSocketLinkServer | undefined;
  let udp: UdpLinkServer | undefined;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await Promise.all([ws?.close(), udp?.close()]);
      if (owned && http.listening) await new Promise<void>((resolve) => http.close(() => resolve()));
    })();
    return closing;
  };
  try {
    ws = await WebSocketLinkServer.listen({
      server: http,
      maxPayload: s.maxPayload,
      ...(s.allowedOrigins === undefined ? {} : { allowedOrigins: s.allowedOrigins }),
      ...(s.path === '/' ? {} : { path: s.path }),
      onLink: (link, request) => s.onLink(link, 'websocket', request.remoteAddress, request.remotePort),
    });
    if (owned) await bind(http, s.port, s.host, s.backlog);
    if (s.udpPort !== undefined) {
      udp = await UdpLinkServer.listen({
        port: s.udpPort,
        host: s.host,
        maxPeers: s.maxUdpPeers,
        // Room for the encryption overhead on top of a full-size packet.
        ...(s.udpEncryption ? { maxDatagramSize: UDP_LINK_DEFAULTS.maxDatagramSize + ENCRYPTION_OVERHEAD } : {}),
        onLink: (link, remote) => s.onLink(link, 'udp', remote.address, remote.port),
        onError: (error) => s.onUdpError(error),
      });
    }
  } catch (error) {
    await close();
    throw error;
  }
  const address = http.address();
  return {
    http,
    port: address !== null && typeof address === 'object' ? (address as AddressInfo).port : s.port,
    udpPort: udp?.address().port,
    close,
  };
}

/** Listen on `port`/`host`, turning a bind failure into a `LINK_ERROR`. */
function bind(http: HttpServer | HttpsServer, port: number, host: string, backlog: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      http.off('listening', onListening);
      reject(
        new NetplayError(TransportErrorCode.LINK_ERROR, `cannot listen on ${host}:${port}: ${error.message}`, {
          cause: error,
        }),
      );
    };
    const onListening = (): void => {
      http.off('error', onError);
      resolve();
    };
    http.once('error', onError);
    http.once('listening', onListening);
    http.listen({ port, host, backlog });
  });
}
