import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import {
  DEFAULT_RATE_LIMIT,
  DEFAULT_SERVER_OPTIONS,
  InvalidOptionError,
  Room,
  resolveServerOptions,
  Server,
} from '@netplay/server';
import { describe, expect, it } from 'vitest';

describe('server options', () => {
  it('fills in every default', () => {
    const o = resolveServerOptions({});
    expect(o.port).toBe(DEFAULT_SERVER_OPTIONS.port);
    expect(o.reconnectGrace).toBe(DEFAULT_SERVER_OPTIONS.reconnectGrace);
    expect(o.idleTimeout).toBe(DEFAULT_SERVER_OPTIONS.idleTimeout);
    expect(o.secret.length).toBeGreaterThanOrEqual(16);
    expect(o.sendDelay).toBe(DEFAULT_SERVER_OPTIONS.sendDelay);
    expect(o.backlog).toBe(DEFAULT_SERVER_OPTIONS.backlog);
  });

  it.each([
    ['port', { port: 70_000 }],
    ['udpPort', { udpPort: -1 }],
    ['reconnectGrace', { reconnectGrace: 0 }],
    ['maxSessions', { maxSessions: 1.5 }],
    ['rateLimit.messagesPerSecond', { rateLimit: { messagesPerSecond: -5 } }],
    ['secret', { secret: new Uint8Array(4) }],
    ['sendDelay', { sendDelay: -1 }],
    ['backlog', { backlog: 0 }],
    ['idleTimeout', { idleTimeout: Number.NaN }],
    ['idleRttProbeInterval', { connection: { idleRttProbeInterval: 0 } }],
  ])('refuses a bad %s with INVALID_OPTION', (name, options) => {
    expect(() => new Server(options)).toThrow(InvalidOptionError);
    expect(() => new Server(options)).toThrow(name);
  });

  it('keeps a rate-limit default for an option passed as undefined', () => {
    expect(
      resolveServerOptions({ rateLimit: { messagesPerSecond: undefined, bytesPerSecond: 1000 } }).rateLimit,
    ).toEqual({
      ...DEFAULT_RATE_LIMIT,
      bytesPerSecond: 1000,
    });
  });

  it('keeps its own keep-alives within its idleTimeout (probesWithin), unless the connection options set them', () => {
    expect(resolveServerOptions({}).connection).toBeUndefined(); // 10 s: the defaults are within
    expect(resolveServerOptions({ idleTimeout: 3000 }).connection).toEqual({
      idleRttProbeInterval: 1000,
      idleKeepAliveInterval: 300,
    });
    expect(
      resolveServerOptions({ idleTimeout: 3000, connection: { mtu: 1000, idleRttProbeInterval: 2500 } }).connection,
    ).toEqual({ mtu: 1000, idleRttProbeInterval: 2500, idleKeepAliveInterval: 300 });
  });

  it('checks the sessions’ protocol options in the constructor, not in the first session', () => {
    expect(() => new Server({ connection: { maxMessageSize: 1_000_000, maxSendQueueBytes: 1000 } })).toThrow(
      InvalidOptionError,
    );
    expect(() => new Server({ connection: { mtu: 10 } })).toThrow(/mtu/);
    expect(() => new Server({ connection: { mtu: 1000 } })).not.toThrow();
  });

  it('refuses bad room type definitions', () => {
    class Lobby extends Room {}
    const server = new Server({ logger: { info() {}, warn() {}, error() {} } });
    server.define('lobby', Lobby);
    expect(() => server.define('lobby', Lobby)).toThrow(/already defined/);
    expect(() => server.define('', Lobby)).toThrow(InvalidOptionError);
    expect(() => server.define('x'.repeat(129), Lobby)).toThrow(InvalidOptionError);
    expect(() => server.define('tiny', Lobby, { maxClients: 0 })).toThrow(/maxClients/);
  });

  it('reports a port in use as LINK_ERROR and leaves nothing listening; listen() twice is refused', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const busy = new Server({ host: '127.0.0.1', port: taken, udpPort: 0 });
      await expect(busy.listen()).rejects.toMatchObject({ code: 'LINK_ERROR' });
      expect(busy.state).toBe('closed');
      const server = new Server({ host: '127.0.0.1', port: 0 });
      await server.listen();
      await expect(server.listen()).rejects.toThrow(InvalidOptionError);
      await server.shutdown();
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
