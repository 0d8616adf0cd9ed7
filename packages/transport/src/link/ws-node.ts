/**
 * WebSocket links in Node: a client ({@link connectWebSocket}, resolving to a
 * {@link ClientWebSocketLink}) and a server ({@link WebSocketLinkServer}) that hands out one
 * {@link ServerWebSocketLink} per peer.
 *
 * Neither uses `ws`: the client writes the upgrade request and reads the answer itself
 * (`ws-client-upgrade.ts`, `ws-client-connect.ts`), the server answers the upgrade itself
 * (`ws-upgrade.ts`), and both frame RFC 6455 themselves (`ws-frame.ts`, `ws-frame-parser.ts`,
 * `ws-framed-link.ts`), which costs a fraction of `ws`'s memory and CPU per connection (`ws-frame.ts`
 * has the figures). Neither side negotiates per-message deflate (it costs latency and CPU for small
 * game datagrams), and both run with Nagle's algorithm off.
 * @module
 */
import { createServer, type Server as HttpServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { InvalidOptionError, LinkError } from '../errors.js';
import { validateMaxDatagramSize, WEBSOCKET_LINK_DEFAULTS, type WebSocketLinkOptions } from './websocket.js';
import { openClientWebSocket } from './ws-client-connect.js';
import type { ClientWebSocketLink } from './ws-client-link.js';
import { checkHeaders, checkProtocols } from './ws-client-upgrade.js';
import { ServerWebSocketLink, type ServerWebSocketLinkSettings } from './ws-server-link.js';
import { acceptUpgrade, checkUpgradeRequest, refuseUpgrade, UpgradeStatus } from './ws-upgrade.js';

/** Defaults of {@link ConnectWebSocketOptions} and {@link WebSocketLinkServerOptions}. */
export const WS_NODE_DEFAULTS = {
  maxDatagramSize: WEBSOCKET_LINK_DEFAULTS.maxDatagramSize,
  maxPayload: 1_048_576,
  handshakeTimeout: 10_000,
  maxLinks: 10_000,
  closeTimeout: 5_000,
  maxResponseHeadSize: 16_384,
  binaryType: 'nodebuffer',
} as const;

/** Options of {@link connectWebSocket}. */
export interface ConnectWebSocketOptions extends WebSocketLinkOptions {
  /**
   * What a received message is handed over in: `'nodebuffer'`, a view of the bytes as they were
   * read from the socket (no copy); `'arraybuffer'`, a copy in an `ArrayBuffer` of its own.
   * Defaults to `'nodebuffer'`.
   */
  binaryType?: 'arraybuffer' | 'nodebuffer';
  /**
   * Largest WebSocket message accepted, in bytes; a larger one closes the connection with code
   * 1009 before it is buffered. Messages between `maxDatagramSize` and this are dropped and counted.
   * Defaults to `1048576` (1 MiB).
   */
  maxPayload?: number;
  /**
   * Milliseconds allowed for the opening handshake, from the call to the server's `101` answer
   * (connecting and TLS included). Defaults to `10000`.
   */
  handshakeTimeout?: number;
  /** Extra HTTP headers of the upgrade request (e.g. an auth token). Defaults to none. */
  headers?: Record<string, string>;
  /** WebSocket subprotocols to offer. Defaults to none. */
  protocols?: string | string[];
  /**
   * Milliseconds a closing link waits for the server to finish the closing handshake before the
   * socket is destroyed. Defaults to `5000`.
   */
  closeTimeout?: number;
  /**
   * Largest head (status line and headers) of the server's answer to the upgrade request, in
   * bytes; a longer one fails the handshake. Defaults to `16384`.
   */
  maxResponseHeadSize?: number;
  /**
   * Certificate authorities that `wss://` trusts, in place of Node's bundled ones (e.g. a test's
   * self-signed certificate). The server's certificate is always verified, against its host name.
   * Defaults to Node's.
   */
  ca?: ConnectionOptions['ca'];
}

/**
 * Connect to a WebSocket server and resolve to a {@link ClientWebSocketLink} once open.
 *
 * @param url - `ws://` or `wss://` URL.
 * @returns A promise that rejects with a {@link LinkError} (code `LINK_ERROR`) if the URL is not a
 * `ws://` or `wss://` URL, the connection is refused, the handshake fails or times out, the server
 * answers without upgrading, or the socket closes before the link opens; with an
 * {@link InvalidOptionError} for an invalid option.
 */
export function connectWebSocket(url: string, options: ConnectWebSocketOptions = {}): Promise<ClientWebSocketLink> {
  let target: Parameters<typeof openClientWebSocket>[0];
  try {
    const d = WS_NODE_DEFAULTS;
    const binaryType = options.binaryType ?? d.binaryType;
    if (binaryType !== 'arraybuffer' && binaryType !== 'nodebuffer') {
      throw new InvalidOptionError('binaryType', "must be 'arraybuffer' or 'nodebuffer'");
    }
    const protocols = checkProtocols(options.protocols);
    const headers = checkHeaders(options.headers);
    const link = Object.freeze({
      role: 'client' as const,
      maxMessageSize: validateMaxDatagramSize(options.maxDatagramSize),
      maxPayload: positiveInteger('maxPayload', options.maxPayload ?? d.maxPayload),
      closeTimeout: positiveInteger('closeTimeout', options.closeTimeout ?? d.closeTimeout),
      copyMessages: binaryType === 'arraybuffer',
    });
    const handshakeTimeout = positiveInteger('handshakeTimeout', options.handshakeTimeout ?? d.handshakeTimeout);
    const maxResponseHeadSize = positiveInteger(
      'maxResponseHeadSize',
      options.maxResponseHeadSize ?? d.maxResponseHeadSize,
    );
    target = {
      url: webSocketUrl(url),
      handshakeTimeout,
      maxResponseHeadSize,
      protocols,
      headers,
      ca: options.ca,
      link,
    };
  } catch (error) {
    return Promise.reject(error);
  }
  return openClientWebSocket(target);
}

/** `url` parsed, if it is a `ws:` or `wss:` URL without a fragment. */
function webSocketUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new LinkError(`cannot connect to ${url}: not a URL`, { cause: error });
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new LinkError(`cannot connect to ${url}: not a ws:// or wss:// URL`);
  }
  if (parsed.hash !== '') throw new LinkError(`cannot connect to ${url}: a WebSocket URL has no fragment`);
  return parsed;
}

/** What {@link WebSocketLinkServerOptions.onLink} learns about a new peer, for authentication. */
export interface WebSocketLinkRequest {
  /** Peer IP address as seen by the socket (not `X-Forwarded-For`). Empty if unknown. */
  readonly remoteAddress: string;
  /** Peer port. `0` if unknown. */
  readonly remotePort: number;
  /** Request target of the upgrade request, e.g. `/play?token=…`. */
  readonly url: string;
  /** Headers of the upgrade request. */
  readonly headers: IncomingHttpHeaders;
  /** The raw upgrade request. */
  readonly request: IncomingMessage;
}

/** Options shared by both ways of running a {@link WebSocketLinkServer}. */
export interface WebSocketLinkServerCommonOptions extends WebSocketLinkOptions {
  /**
   * Called once per accepted peer with its link (install handlers right away; datagrams are queued
   * until then). Close the link to refuse the peer. Exceptions propagate like those of any event
   * listener.
   */
  onLink(link: ServerWebSocketLink, request: WebSocketLinkRequest): void;
  /**
   * Only upgrade requests whose path (without query) equals this are accepted. Defaults to any path.
   * Requests for other paths are left to other `upgrade` listeners of the HTTP server, or answered
   * `400` when there are none.
   */
  path?: string;
  /** Largest WebSocket message accepted; see {@link ConnectWebSocketOptions.maxPayload}. Defaults to `1048576`. */
  maxPayload?: number;
  /** Most simultaneous links; further upgrade requests are answered `503`. Defaults to `10000`. */
  maxLinks?: number;
  /**
   * Origins (`scheme://host[:port]`, as browsers send them in the `Origin` header) allowed to open a
   * link; an upgrade request from any other origin is answered `403`. Requests without an `Origin`
   * header (non-browser clients, which could send any header anyway) are not affected. Defaults to
   * none (every origin allowed).
   */
  allowedOrigins?: readonly string[];
  /**
   * Milliseconds a closing link waits for the peer to finish the closing handshake (its close frame
   * and the end of its TCP stream) before the socket is destroyed. Defaults to `5000`.
   */
  closeTimeout?: number;
}

/** Options of {@link WebSocketLinkServer.listen}: its own port, or attached to an HTTP(S) server. */
export type WebSocketLinkServerOptions = WebSocketLinkServerCommonOptions &
  (
    | {
        /** Port to listen on; `0` for an ephemeral port. */
        port: number;
        /** Interface to listen on. Defaults to all interfaces. */
        host?: string;
        server?: never;
      }
    | {
        /** An existing HTTP(S) server to take upgrade requests from; the caller listens on it and closes it. */
        server: HttpServer | HttpsServer;
        port?: never;
        host?: never;
      }
  );

/** Counters of a {@link WebSocketLinkServer}. Read-only view of live values. */
export interface WebSocketLinkServerStats {
  /** Links handed to `onLink`. */
  readonly linksAccepted: number;
  /** Upgrade requests refused because `maxLinks` links were open. */
  readonly refusedMaxLinks: number;
  /** Upgrade requests refused (`403`) because their `Origin` is not in `allowedOrigins`. */
  readonly refusedOrigin: number;
  /**
   * Upgrade requests refused because they are not a valid WebSocket opening handshake: `400`
   * (method, `Upgrade`, `Connection`, `Sec-WebSocket-Key`, `Sec-WebSocket-Protocol`) or `426`
   * (`Sec-WebSocket-Version` other than 13).
   */
  readonly refusedHandshake: number;
  /** Links closed because the peer broke the WebSocket protocol (counted once their socket closed). */
  readonly protocolViolations: number;
}

/**
 * Accepts WebSocket connections and hands each one to `onLink` as a {@link ServerWebSocketLink}.
 * Create with {@link WebSocketLinkServer.listen}.
 */
export class WebSocketLinkServer {
  /** Live counters. */
  readonly stats: WebSocketLinkServerStats;

  readonly #server: HttpServer | HttpsServer;
  readonly #ownsServer: boolean;
  /**
   * The open links (until their socket has closed): a doubly-linked list through their `_prev` and
   * `_next` fields, cheaper per link than a `Set` entry. See {@link WebSocketLinkServer.linkCount}.
   */
  #firstLink: ServerWebSocketLink | undefined;
  #linkCount = 0;
  readonly #options: WebSocketLinkServerCommonOptions;
  readonly #maxLinks: number;
  readonly #settings: ServerWebSocketLinkSettings;
  readonly #stats = {
    linksAccepted: 0,
    refusedMaxLinks: 0,
    refusedOrigin: 0,
    refusedHandshake: 0,
    protocolViolations: 0,
  };
  readonly #allowedOrigins: ReadonlySet<string> | undefined;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  private constructor(
    server: HttpServer | HttpsServer,
    ownsServer: boolean,
    options: WebSocketLinkServerCommonOptions,
  ) {
    this.#server = server;
    this.#ownsServer = ownsServer;
    this.#options = options;
    this.#maxLinks = positiveInteger('maxLinks', options.maxLinks ?? WS_NODE_DEFAULTS.maxLinks);
    // One settings object for every link of this server.
    this.#settings = Object.freeze({
      maxMessageSize: validateMaxDatagramSize(options.maxDatagramSize),
      maxPayload: positiveInteger('maxPayload', options.maxPayload ?? WS_NODE_DEFAULTS.maxPayload),
      closeTimeout: positiveInteger('closeTimeout', options.closeTimeout ?? WS_NODE_DEFAULTS.closeTimeout),
      owner: { linkSocketClosed: (link: ServerWebSocketLink) => this.#linkSocketClosed(link) },
    });
    this.#allowedOrigins =
      options.allowedOrigins === undefined ? undefined : new Set(options.allowedOrigins.map(normalizeOrigin));
    this.stats = this.#stats;
    server.on('upgrade', this.#onUpgrade);
  }

  /**
   * Start a server. With `{ port, host }` it listens on its own HTTP server (plain HTTP requests
   * get `426 Upgrade Required`); with `{ server }` it takes upgrade requests from an existing one.
   *
   * @returns A promise resolving once listening; rejects with {@link LinkError} if the port cannot
   * be bound, or {@link InvalidOptionError} for a bad option.
   */
  static async listen(options: WebSocketLinkServerOptions): Promise<WebSocketLinkServer> {
    if (options.server !== undefined) return new WebSocketLinkServer(options.server, false, options);
    const port = options.port;
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidOptionError('port', 'must be 0..65535');
    const server = createServer((_req, res) => {
      res.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end('Upgrade Required');
    });
    const linkServer = new WebSocketLinkServer(server, true, options);
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        server.off('listening', onListening);
        reject(new LinkError(`cannot listen on ${options.host ?? '*'}:${port}: ${error.message}`, { cause: error }));
      };
      const onListening = (): void => {
        server.off('error', onError);
        server.on('error', ignore);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, options.host);
    });
    return linkServer;
  }

  /** Number of open links (a link counts until its socket has closed). */
  get linkCount(): number {
    return this.#linkCount;
  }

  /**
   * The address the HTTP server listens on.
   * @throws A {@link LinkError} if it is not listening on an IP address (not yet, or a pipe).
   */
  address(): AddressInfo {
    const address = this.#server.address();
    if (address === null || typeof address === 'string')
      throw new LinkError('server is not listening on an IP address');
    return address;
  }

  /**
   * Stop accepting, close every link (each reports `onClose` with `local: true`) and resolve once
   * every socket is closed (a peer that does not finish the closing handshake is cut off after
   * `closeTimeout`) and, if the server owns its HTTP server, that server is closed too.
   * An attached HTTP server is left running. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#server.off('upgrade', this.#onUpgrade);
    const drained = new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
    // A snapshot of the list: closing a link may change it (its socket may close at once).
    const links: ServerWebSocketLink[] = [];
    for (let link = this.#firstLink; link !== undefined; link = link._next) links.push(link);
    for (const link of links) link.close('server closed');
    if (this.#linkCount > 0) await drained;
    if (this.#ownsServer) {
      await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    }
  }

  #linkSocketClosed(link: ServerWebSocketLink): void {
    if (!this.#removeLink(link)) return;
    this.#stats.protocolViolations += link.stats.protocolViolations;
    if (this.#linkCount === 0) this.#drained?.();
  }

  /** Put `link` first in the list of open links. */
  #addLink(link: ServerWebSocketLink): void {
    const first = this.#firstLink;
    link._next = first;
    if (first !== undefined) first._prev = link;
    this.#firstLink = link;
    this.#linkCount++;
  }

  /** Take `link` out of the list of open links in O(1); `false` if it was not in it (taken out before). */
  #removeLink(link: ServerWebSocketLink): boolean {
    const { _prev: prev, _next: next } = link;
    if (prev === undefined) {
      if (this.#firstLink !== link) return false;
      this.#firstLink = next;
    } else {
      prev._next = next;
    }
    if (next !== undefined) next._prev = prev;
    link._prev = undefined;
    link._next = undefined;
    this.#linkCount--;
    return true;
  }

  readonly #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = this.#options.path;
    if (path !== undefined && pathOf(request.url) !== path) {
      if (this.#server.listenerCount('upgrade') === 1) refuseUpgrade(socket, UpgradeStatus.BAD_REQUEST);
      return;
    }
    if (this.#closing !== undefined) {
      refuseUpgrade(socket, UpgradeStatus.SERVICE_UNAVAILABLE);
      return;
    }
    const origin = request.headers.origin;
    if (
      this.#allowedOrigins !== undefined &&
      origin !== undefined &&
      !this.#allowedOrigins.has(normalizeOrigin(origin))
    ) {
      this.#stats.refusedOrigin++;
      refuseUpgrade(socket, UpgradeStatus.FORBIDDEN);
      return;
    }
    if (this.#linkCount >= this.#maxLinks) {
      this.#stats.refusedMaxLinks++;
      refuseUpgrade(socket, UpgradeStatus.SERVICE_UNAVAILABLE);
      return;
    }
    const handshake = checkUpgradeRequest(request);
    if (!handshake.ok) {
      this.#stats.refusedHandshake++;
      refuseUpgrade(socket, handshake.status);
      return;
    }
    // The client may have given up already (sent its FIN, or reset).
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      return;
    }
    acceptUpgrade(socket, handshake.key, handshake.protocol);
    const link = new ServerWebSocketLink(socket, head, this.#settings);
    this.#addLink(link);
    this.#stats.linksAccepted++;
    this.#options.onLink(link, {
      remoteAddress: request.socket.remoteAddress ?? '',
      remotePort: request.socket.remotePort ?? 0,
      url: request.url ?? '/',
      headers: request.headers,
      request,
    });
  };
}

/** Origins compare case-insensitively and without a trailing slash. */
function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidOptionError(name, 'must be a positive integer');
  return value;
}

function ignore(): void {}
