/**
 * The manager's listeners: HTTP + WebSocket on its port (with `/health` and `/rooms`), UDP when
 * enabled. Every link goes to the manager's session layer.
 * @module
 */
import { createServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Link, NetplayError, TransportErrorCode } from '@netplay/transport';
import { UdpLinkServer, WebSocketLinkServer } from '@netplay/transport/node';
import type { LinkKind } from '../session/session-layer.js';

/** What the listeners need. */
export interface ListenerSettings {
  readonly host: string;
  readonly port: number;
  readonly udpPort: number | undefined;
  readonly path: string;
  readonly maxPeers: number;
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
 * Bind the manager's port(s).
 * @throws a `LinkError`-coded `NetplayError` when a port cannot be bound (nothing stays bound).
 */
export async function listenManager(s: ListenerSettings): Promise<ManagerListeners> {
  const http = createServer((req, res) => onHttp(s, req, res));
  let ws: WebSocketLinkServer | undefined;
  let udp: UdpLinkServer | undefined;
  const close = async (): Promise<void> => {
    await Promise.all([ws?.close(), udp?.close()]);
    if (http.listening) await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  try {
    ws = await WebSocketLinkServer.listen({
      server: http,
      ...(s.path === '/' ? {} : { path: s.path }),
      onLink: (link, request) => s.onLink(link, 'websocket', request.remoteAddress, request.remotePort),
    });
    await bind(http, s.port, s.host);
    if (s.udpPort !== undefined) {
      udp = await UdpLinkServer.listen({
        port: s.udpPort,
        host: s.host,
        maxPeers: s.maxPeers,
        onLink: (link, remote) => s.onLink(link, 'udp', remote.address, remote.port),
        onError: (error) => s.onError(error),
      });
    }
  } catch (error) {
    await close();
    throw error;
  }
  const udpServer = udp;
  return {
    port: (http.address() as AddressInfo).port,
    udpPort: udpServer?.address().port,
    close,
  };
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

function bind(http: HttpServer, port: number, host: string): Promise<void> {
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
    http.listen(port, host);
  });
}
