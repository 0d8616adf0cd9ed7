/**
 * Who may read the monitor and metrics: a token when one is set; without one, only a server bound
 * to a loopback address.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The outcome of {@link checkMonitorAccess}: allowed, or the status and message to answer. */
export type MonitorAccess =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

/** `true` for 127.0.0.0/8, `::1`, `::ffff:127.x.y.z` and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** The token a request carries (`Authorization: Bearer …`, else `?token=…`), or `undefined`. */
export function requestToken(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match?.[1] !== undefined) return match[1];
  }
  return url.searchParams.get('token') ?? undefined;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Constant-time comparison of two tokens. */
export function tokensEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * Decide whether a request may read the monitor: with `token` set it must carry it (401 otherwise);
 * without one the server must be bound to a loopback address (403 otherwise).
 */
export function checkMonitorAccess(
  req: IncomingMessage,
  url: URL,
  token: string | undefined,
  boundHost: string,
): MonitorAccess {
  if (token !== undefined) {
    const given = requestToken(req, url);
    if (given !== undefined && tokensEqual(given, token)) return { ok: true };
    return {
      ok: false,
      status: 401,
      message: 'monitor: missing or wrong token (use ?token=… or Authorization: Bearer …)',
    };
  }
  if (isLoopbackHost(boundHost)) return { ok: true };
  return {
    ok: false,
    status: 403,
    message:
      `monitor: the server is bound to ${boundHost}, not a loopback address, so /monitor and /metrics need a token: ` +
      "set new Server({ monitor: { token: '…' } }) and pass it as ?token=… or Authorization: Bearer …",
  };
}
