/**
 * Hostile input at every entry point of the server (a few hundred fuzz cases each; `npm run fuzz`
 * runs the same properties for much longer): handshakes on WebSocket and UDP links, the room
 * protocol decoder, the msgpack payload decoder, join storms, encrypted UDP links, the server's
 * WebSocket framing (and the Node client's, against a hostile server), and the HTTP endpoints on a
 * real socket.
 */
import { request } from 'node:http';
import { Server } from '@netplay/server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Arena,
  encryptedLinkProperty,
  handshakeProperty,
  matchmakingProperty,
  payloadDecoderProperty,
  roomProtocolProperty,
  webSocketClientFramesProperty,
  webSocketFramesProperty,
} from './fuzz/hostile-properties.js';

const runs = 60;

describe('hostile input', () => {
  it('handshake: garbage, mutated and token-bomb handshakes on WebSocket and UDP links', async () => {
    const arena = await new Arena().setup();
    await fc.assert(handshakeProperty(arena), { numRuns: runs, seed: 1 });
    expect(arena.server.stats.session.handshakeDatagramsDropped).toBeGreaterThan(0);
  });

  it('room protocol: unknown ops, wrong field types, huge relay target lists', async () => {
    const arena = await new Arena().setup();
    await fc.assert(roomProtocolProperty(arena), { numRuns: runs, seed: 2 });
    expect(arena.server.stats.matchmaker.badRequests).toBeGreaterThan(0);
  });

  it('payload decoder: deep nesting and huge declared lengths', async () => {
    const arena = await new Arena().setup();
    await fc.assert(payloadDecoderProperty(arena), { numRuns: runs, seed: 3 });
  });

  it('matchmaking: join storms on unknown rooms, random ids, past maxRooms', async () => {
    const arena = await new Arena().setup();
    await fc.assert(matchmakingProperty(arena), { numRuns: 20, seed: 4 });
    expect(arena.server.stats.rooms).toBe(1);
  });

  it('encrypted UDP link: forged, truncated and mutated datagrams are never delivered', () => {
    fc.assert(encryptedLinkProperty(), { numRuns: runs * 4, seed: 5 });
  });

  it('WebSocket frames: garbage, unmasked, reserved bits, huge lengths, bad closes, in random chunks', () => {
    fc.assert(webSocketFramesProperty(), { numRuns: runs * 4, seed: 6 });
  });

  it('WebSocket frames from a server to the Node client: garbage, masked, reserved bits, huge lengths, bad closes', () => {
    fc.assert(webSocketClientFramesProperty(), { numRuns: runs * 4, seed: 7 });
  });
});

describe('hostile HTTP requests', () => {
  let server: Server;
  beforeAll(async () => {
    server = new Server({ host: '127.0.0.1', port: 0, logger: { info() {}, warn() {}, error() {} } });
    await server.listen();
  });
  afterAll(() => server.shutdown());

  function send(method: string, path: string, body?: Uint8Array): Promise<number> {
    return new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port: server.port, method, path }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(-1)); // the server may refuse a request line outright
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  it('answers hostile paths, query strings, methods and bodies with a status, and stays healthy', async () => {
    const pathChar = fc.constantFrom(...'/?&=%#abc.._~-+:;[]{}|\\"\'<> \t'.split(''), '%00', '%ff', '%', '..');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
        fc.oneof(
          fc.array(pathChar, { maxLength: 40 }).map((p) => `/${p.join('')}`),
          fc.string({ maxLength: 200 }).map((q) => `/rooms?name=${encodeURIComponent(q)}`),
          fc.array(pathChar, { maxLength: 30 }).map((q) => `/rooms?${q.join('')}`),
          fc.constantFrom('/health', '/rooms', '/netplay/token', '/metrics', '/monitor', '/monitor/data'),
          fc.integer({ min: 1000, max: 60_000 }).map((n) => `/rooms?name=${'x'.repeat(n)}`),
        ),
        fc.option(fc.integer({ min: 0, max: 2_000_000 }), { nil: undefined }),
        async (method, path, bodySize) => {
          const status = await send(
            method,
            path.replace(/[ \t]/g, '%20'),
            bodySize === undefined ? undefined : new Uint8Array(bodySize),
          );
          expect(status === -1 || (status >= 200 && status < 500) || status === 431).toBe(true);
        },
      ),
      { numRuns: 80, seed: 6 },
    );
    expect(await send('GET', '/health')).toBe(200);
    expect(server.state).toBe('listening');
  });
});
