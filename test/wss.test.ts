/**
 * WebSocket hardening on real sockets on 127.0.0.1: `wss` with the `tls` option (a self-signed
 * certificate made by `openssl` for the test), `allowedOrigins` (403 for other browser origins),
 * `maxPayload`, and the token endpoint over HTTPS.
 */
import { request as httpsRequest } from 'node:https';
import { Room, Server } from '@netplay/server';
import { connectWebSocket } from '@netplay/transport/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type SelfSigned, selfSignedCertificate } from '../packages/transport/test/self-signed.js';

const quiet = { info() {}, warn() {}, error() {} };

let certificate: SelfSigned | undefined;
let key = '';
let cert = '';

beforeAll(() => {
  certificate = selfSignedCertificate('127.0.0.1', 'IP:127.0.0.1');
  ({ key, cert } = certificate);
});

afterAll(() => certificate?.remove());

/** Open a raw `ws` socket; resolves with the upgrade's HTTP status (101 when it opened). */
function upgradeStatus(url: string, options: WebSocket.ClientOptions): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options);
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => {});
  });
}

describe('WebSocket hardening', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await server?.shutdown();
    server = undefined;
  });

  it('serves wss with the tls option, and the token endpoint over HTTPS', async () => {
    server = new Server({ host: '127.0.0.1', port: 0, udpPort: 0, logger: quiet, tls: { key, cert } });
    server.define('lobby', class extends Room {});
    await server.listen();
    const link = await new Promise<Awaited<ReturnType<typeof connectWebSocket>>>((resolve, reject) => {
      // The client trusts the test's self-signed certificate only.
      const ws = new WebSocket(`wss://127.0.0.1:${server!.port}`, { ca: cert });
      ws.on('open', () => {
        ws.close();
        connectWebSocket(`wss://127.0.0.1:${server!.port}`, { headers: {} }).then(resolve, reject);
      });
      ws.on('error', reject);
    }).catch((error: Error) => error);
    // `connectWebSocket` does not trust the self-signed certificate: it must fail, not fall back to plaintext.
    expect(link).toBeInstanceOf(Error);
    const token = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: server!.port, path: '/netplay/token', method: 'POST', ca: cert },
        (res) => {
          let body = '';
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(token.status).toBe(200);
    expect(JSON.parse(token.body)).toMatchObject({ version: 1, url: `udp://127.0.0.1:${server.udpPort}` });
  });

  it('refuses upgrades from origins not in allowedOrigins with 403; no Origin (non-browser) passes', async () => {
    server = new Server({
      host: '127.0.0.1',
      port: 0,
      logger: quiet,
      allowedOrigins: ['https://game.example'],
    });
    await server.listen();
    const url = `ws://127.0.0.1:${server.port}`;
    expect(await upgradeStatus(url, { origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(url, { origin: 'https://GAME.example/' })).toBe(101);
    expect(await upgradeStatus(url, {})).toBe(101);
  });

  it('closes a socket that sends a message over maxPayload (1009)', async () => {
    server = new Server({ host: '127.0.0.1', port: 0, logger: quiet, maxPayload: 4096 });
    await server.listen();
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server!.port}`);
      ws.on('open', () => ws.send(new Uint8Array(10_000)));
      ws.on('close', (c) => resolve(c));
      ws.on('error', () => {});
    });
    expect(code).toBe(1009);
  });
});
