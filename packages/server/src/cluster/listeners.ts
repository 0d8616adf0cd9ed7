/**
 * The manager's listeners: HTTP + WebSocket on its port (with `/health` and `/rooms`), UDP when
 * enabled. Every link goes to the manager's session layer.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { Link } from '@netplay/transport';
import { openEndpoints } from '../net/endpoints.js';
import type { LinkKind } from '../session/session-layer.js';

/** What the listeners need. */
export interface ListenerSettings {
  readonly host: string;
  readonly port: number;
  readonly udpPort: number | undefined;
  readonly path: string;
  readonly maxPeers: number;
  /** TLS options: the manager serves HTTPS / `wss` (as a `Server` with `tls` does). */
  readonly tls: HttpsServerOptions | undefined;
  /** Origins allowed to open a WebSocket; `undefined`: any. */
  readonly allowedOrigins: readonly string[] | undefined;
  /** Largest WebSocket message accepted. */
  readonly maxPayload: number;
  /** `listen` backlog of the manager's TCP port. */
  readonly backlog: number;
  /** `false` when secure UDP is off (no room for the encryption overhead). */
  readonly udpEncryption: boolean;
  onLink(link: Link, kind: LinkKind, remoteAddress: string, remotePort: number): void;
  /** JSON for `GET /health` and `GET /rooms?name=`. */
  health(): unknown;
  rooms(name: string): Promise<unknown>;
  onError(error: unknown): void;
}

/** Bound listeners. */
export interface ManagerListeners {
  readonly port: number;
  readonly udpPort: number | undefined;
  close(): Promise<void>;
}

/**
 * Bind the manager's port(s) with the same endpoint code (and hardening: TLS, origin checks,
 * payload cap) as a `Server`.
 * @throws a `LinkError`-coded `NetplayError` when a port cannot be bound (nothing stays bound).
 */
export async function listenManager(s: ListenerSettings): Promise<ManagerListeners> {
  const endpoints = await openEndpoints({
    host: s.host,
    port: s.port,
    udpPort: s.udpPort,
    tls: s.tls,
    path: s.path,
    maxPayload: s.maxPayload,
    backlog: s.backlog,
    allowedOrigins: s.allowedOrigins,
    udpEncryption: s.udpEncryption,
    maxUdpPeers: s.maxPeers,
    onHttp: (req, res) => onHttp(s, req, res),
    onLink: (link, kind, remoteAddress, remotePort) => s.onLink(link, kind, remoteAddress, remotePort),
    onUdpError: (error) => s.onError(error),
  });
  return { port: endpoints.port, udpPort: endpoints.udpPort, close: endpoints.close };
}

function onHttp(s: ListenerSettings, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/health') {
    json(res, 200, s.health());
    return;
  }
  if (req.method === 'GET' && url.pathname === '/rooms') {
    s.rooms(url.searchParams.get('name') ?? '').then(
      (rooms) => json(res, 200, rooms),
      () => json(res, 503, { error: 'registry unavailable' }),
    );
    return;
  }
  json(res, 404, { error: 'not found' });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
