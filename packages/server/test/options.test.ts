import { DEFAULT_SERVER_OPTIONS, InvalidOptionError, resolveServerOptions, Server } from '@netplay/server';
import { describe, expect, it } from 'vitest';

describe('server options', () => {
  it('fills in every default', () => {
    const o = resolveServerOptions({});
    expect(o.port).toBe(DEFAULT_SERVER_OPTIONS.port);
    expect(o.reconnectGrace).toBe(DEFAULT_SERVER_OPTIONS.reconnectGrace);
    expect(o.idleTimeout).toBe(DEFAULT_SERVER_OPTIONS.idleTimeout);
    expect(o.secret.length).toBeGreaterThanOrEqual(16);
    expect(o.sendDelay).toBe(DEFAULT_SERVER_OPTIONS.sendDelay);
  });

  it.each([
    ['port', { port: 70_000 }],
    ['udpPort', { udpPort: -1 }],
    ['reconnectGrace', { reconnectGrace: 0 }],
    ['maxSessions', { maxSessions: 1.5 }],
    ['rateLimit.messagesPerSecond', { rateLimit: { messagesPerSecond: -5 } }],
    ['secret', { secret: new Uint8Array(4) }],
    ['sendDelay', { sendDelay: -1 }],
  ])('refuses a bad %s with INVALID_OPTION', (name, options) => {
    expect(() => new Server(options)).toThrow(InvalidOptionError);
    expect(() => new Server(options)).toThrow(name);
  });

  it('checks the sessions’ protocol options in the constructor, not in the first session', () => {
    expect(() => new Server({ connection: { maxMessageSize: 1_000_000, maxSendQueueBytes: 1000 } })).toThrow(
      InvalidOptionError,
    );
    expect(() => new Server({ connection: { mtu: 10 } })).toThrow(/mtu/);
    expect(() => new Server({ connection: { mtu: 1000 } })).not.toThrow();
  });
});
