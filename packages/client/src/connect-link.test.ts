import { createMemoryLinkPair, realClock, SimulatedLink, VirtualClock } from '@netplay/transport';
import { describe, expect, it, vi } from 'vitest';
import { LinkOpener, parseUdpUrl, schemeOf } from './connect-link.js';
import { UnsupportedUrlError } from './errors.js';
import { resolveClientOptions } from './options.js';

describe('URLs', () => {
  it('reads the scheme', () => {
    expect(['ws://a', 'WSS://a', 'udp://a:1', 'http://x', 'nope'].map(schemeOf)).toEqual([
      'ws',
      'wss',
      'udp',
      'http',
      '',
    ]);
  });

  it('parses udp://host:port, IPv6 in brackets', () => {
    expect(parseUdpUrl('udp://127.0.0.1:2568')).toEqual({ host: '127.0.0.1', port: 2568 });
    expect(parseUdpUrl('udp://[::1]:9/')).toEqual({ host: '::1', port: 9 });
    expect(() => parseUdpUrl('udp://host')).toThrow(UnsupportedUrlError);
    expect(() => parseUdpUrl('udp://host:70000')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_URL' }));
  });

  it('refuses schemes it cannot open', async () => {
    const opener = new LinkOpener(resolveClientOptions({ clock: realClock }));
    await expect(opener.open('http://example.test')).rejects.toBeInstanceOf(UnsupportedUrlError);
  });
});

describe('LinkOpener', () => {
  it('uses the connect factory and marks udp:// and unreliable links as datagram links', async () => {
    const clock = new VirtualClock();
    const connect = vi.fn(async () => createMemoryLinkPair({ clock })[0]);
    const opener = new LinkOpener(resolveClientOptions({ clock, connect }));
    expect((await opener.open('ws://x')).datagram).toBe(false);
    expect((await opener.open('udp://x:1')).datagram).toBe(true);
    expect(connect).toHaveBeenCalledWith('udp://x:1');
  });

  it('wraps links in a SimulatedLink with network conditions; over a reliable link loss applies outbound only', async () => {
    const clock = new VirtualClock();
    const warn = vi.fn();
    const opener = new LinkOpener(
      resolveClientOptions({
        clock,
        connect: async () => createMemoryLinkPair({ clock })[0],
        network: { latency: 50, loss: 0.5, seed: 3 },
        logger: { warn, error: vi.fn() },
      }),
    );
    const { link, datagram } = await opener.open('ws://x');
    expect(link).toBeInstanceOf(SimulatedLink);
    const sim = link as SimulatedLink;
    expect(sim.conditions.outbound).toMatchObject({ latency: 50, loss: 0.5 });
    expect(sim.conditions.inbound).toMatchObject({ latency: 50, loss: 0, keepOrder: true });
    expect(datagram).toBe(true);
    await opener.open('ws://x');
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
