import { InvalidOptionError, realClock } from '@netplay/transport';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_OPTIONS, resolveClientOptions } from './options.js';

describe('resolveClientOptions', () => {
  it('fills every default', () => {
    const o = resolveClientOptions();
    expect(o.clock).toBe(realClock);
    expect(o.handshakeTimeout).toBe(5000);
    expect(o.handshakeResendInterval).toBe(250);
    expect(o.requestTimeout).toBe(10_000);
    expect(o.leaveTimeout).toBe(2000);
    expect(o.idleTimeout).toBe(10_000);
    expect(o.reconnect).toEqual(DEFAULT_CLIENT_OPTIONS.reconnect);
    expect(o.logger).toBe(console);
    expect(o.connect).toBeUndefined();
  });

  it('merges partial reconnect options over the defaults', () => {
    const o = resolveClientOptions({ reconnect: { maxAttempts: 3 } });
    expect(o.reconnect).toMatchObject({ enabled: true, initialDelay: 250, maxDelay: 5000, maxAttempts: 3 });
  });

  it('keeps its own keep-alives within its idleTimeout (probesWithin), unless the connection options set them', () => {
    expect(resolveClientOptions().connection).toBeUndefined(); // 10 s: the defaults are within
    expect(resolveClientOptions({ idleTimeout: 2000 }).connection).toEqual({
      idleRttProbeInterval: 666,
      idleKeepAliveInterval: 200,
    });
    const own = { idleRttProbeInterval: 5000, idleKeepAliveInterval: 5000 };
    expect(resolveClientOptions({ idleTimeout: 2000, connection: own }).connection).toBe(own);
  });

  it.each([
    [{ handshakeTimeout: 0 }, 'handshakeTimeout'],
    [{ requestTimeout: -1 }, 'requestTimeout'],
    [{ idleTimeout: Number.NaN }, 'idleTimeout'],
    [{ connection: { idleKeepAliveInterval: -1 } }, 'idleKeepAliveInterval'],
    [{ leaveTimeout: Number.POSITIVE_INFINITY }, 'leaveTimeout'],
    [{ handshakeResendInterval: 0 }, 'handshakeResendInterval'],
    [{ reconnect: { initialDelay: 0 } }, 'reconnect.initialDelay'],
    [{ reconnect: { initialDelay: 500, maxDelay: 100 } }, 'reconnect.maxDelay'],
    [{ reconnect: { maxAttempts: 0 } }, 'reconnect.maxAttempts'],
    [{ reconnect: { maxAttempts: 1.5 } }, 'reconnect.maxAttempts'],
    [{ reconnect: { jitter: 2 } }, 'reconnect.jitter'],
    [{ network: { seed: 0.5 } }, 'network.seed'],
    [{ logger: {} as Console }, 'logger'],
    [{ connect: 'nope' as unknown as () => never }, 'connect'],
  ])('refuses %j with InvalidOptionError naming %s', (options, name) => {
    expect(() => resolveClientOptions(options)).toThrow(InvalidOptionError);
    expect(() => resolveClientOptions(options)).toThrow(name);
  });
});
