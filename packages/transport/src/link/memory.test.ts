import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../clock.js';
import { InvalidOptionError, MessageTooLargeError } from '../errors.js';
import type { LinkCloseInfo } from './link.js';
import { createMemoryLinkPair } from './memory.js';

/** Let every pending microtask run (microtasks queued by microtasks included). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function recorder() {
  const datagrams: Uint8Array[] = [];
  const closes: LinkCloseInfo[] = [];
  return {
    datagrams,
    closes,
    handlers: { onDatagram: (d: Uint8Array) => datagrams.push(d), onClose: (i: LinkCloseInfo) => closes.push(i) },
  };
}

describe('createMemoryLinkPair', () => {
  it('is reliable and delivers in order, both ways, without copying', async () => {
    const [a, b] = createMemoryLinkPair();
    expect(a.reliable).toBe(true);
    expect(b.maxDatagramSize).toBe(65536);
    const ra = recorder();
    const rb = recorder();
    a.setHandlers(ra.handlers);
    b.setHandlers(rb.handlers);
    const sent = Array.from({ length: 100 }, (_, i) => new Uint8Array([i]));
    for (const d of sent) a.send(d);
    b.send(new Uint8Array([200]));
    await flush();
    expect(rb.datagrams).toHaveLength(100);
    for (const [i, d] of rb.datagrams.entries()) expect(d).toBe(sent[i]);
    expect(ra.datagrams.map((d) => d[0])).toEqual([200]);
  });

  it('never delivers from inside send (no re-entrancy)', async () => {
    const [a, b] = createMemoryLinkPair();
    const log: string[] = [];
    b.setHandlers({ onDatagram: () => log.push('received') });
    a.send(new Uint8Array(1));
    log.push('sent');
    await flush();
    expect(log).toEqual(['sent', 'received']);
  });

  it('queues datagrams that arrive before setHandlers, up to the limit', async () => {
    const [a, b] = createMemoryLinkPair({ maxQueuedBeforeHandlers: 3 });
    for (let i = 0; i < 5; i++) a.send(new Uint8Array([i]));
    await flush();
    expect(b.droppedBeforeHandlers).toBe(2);
    const rb = recorder();
    b.setHandlers(rb.handlers);
    expect(rb.datagrams).toHaveLength(0); // delivered later, not from inside setHandlers
    await flush();
    expect(rb.datagrams.map((d) => d[0])).toEqual([0, 1, 2]);
    a.send(new Uint8Array([9]));
    await flush();
    expect(rb.datagrams.map((d) => d[0])).toEqual([0, 1, 2, 9]);
  });

  it('closing one side closes the other, after the datagrams sent before the close', async () => {
    const [a, b] = createMemoryLinkPair();
    const ra = recorder();
    const rb = recorder();
    a.setHandlers(ra.handlers);
    const order: string[] = [];
    b.setHandlers({
      onDatagram: (d) => order.push(`d${d[0]}`),
      onClose: (info) => {
        order.push('close');
        rb.closes.push(info);
      },
    });
    a.send(new Uint8Array([1]));
    a.send(new Uint8Array([2]));
    a.close('bye');
    expect(a.closed).toBe(true);
    a.send(new Uint8Array([3])); // silent no-op
    a.close('again'); // idempotent
    await flush();
    expect(order).toEqual(['d1', 'd2', 'close']);
    expect(rb.closes).toEqual([{ local: false, reason: 'bye' }]);
    expect(ra.closes).toEqual([{ local: true, reason: 'bye' }]);
    expect(b.closed).toBe(true);
    b.send(new Uint8Array([4])); // no-op on a closed link
    b.close();
    await flush();
    expect(ra.datagrams).toHaveLength(0);
    expect(ra.closes).toHaveLength(1);
    expect(rb.closes).toHaveLength(1);
  });

  it('drops what was in flight towards a side that closes', async () => {
    const [a, b] = createMemoryLinkPair();
    const rb = recorder();
    b.setHandlers(rb.handlers);
    a.send(new Uint8Array([1]));
    b.close();
    await flush();
    expect(rb.datagrams).toHaveLength(0);
    expect(rb.closes).toEqual([{ local: true, reason: 'closed' }]);
  });

  it('stops delivering when a handler closes its own side', async () => {
    const [a, b] = createMemoryLinkPair();
    const got: number[] = [];
    b.setHandlers({
      onDatagram: (d) => {
        got.push(d[0]!);
        b.close();
      },
    });
    a.send(new Uint8Array([1]));
    a.send(new Uint8Array([2]));
    await flush();
    expect(got).toEqual([1]);
  });

  it('reports a peer close to handlers set later, after the queued datagrams', async () => {
    const [a, b] = createMemoryLinkPair();
    a.send(new Uint8Array([7]));
    a.close('gone');
    await flush();
    expect(b.closed).toBe(true);
    const order: string[] = [];
    b.setHandlers({ onDatagram: (d) => order.push(`d${d[0]}`), onClose: (i) => order.push(`close:${i.reason}`) });
    await flush();
    expect(order).toEqual(['d7', 'close:gone']);
  });

  it('throws MessageTooLargeError above maxDatagramSize', () => {
    const [a] = createMemoryLinkPair({ maxDatagramSize: 4 });
    expect(() => a.send(new Uint8Array(5))).toThrow(MessageTooLargeError);
    expect(() => a.send(new Uint8Array(4))).not.toThrow();
    expect(() => createMemoryLinkPair({ maxDatagramSize: 0 })).toThrow(InvalidOptionError);
    expect(() => createMemoryLinkPair({ maxQueuedBeforeHandlers: -1 })).toThrow(InvalidOptionError);
  });

  it('keeps delivering after a handler throws', () => {
    // With a clock, errors surface from clock.advance(), which makes this testable without globals.
    const clock = new VirtualClock();
    const [c, d] = createMemoryLinkPair({ clock });
    const got: number[] = [];
    d.setHandlers({
      onDatagram: (x) => {
        got.push(x[0]!);
        if (x[0] === 1) throw new Error('handler bug');
      },
    });
    c.send(new Uint8Array([1]));
    c.send(new Uint8Array([2]));
    expect(() => clock.advance(0)).toThrow('handler bug');
    clock.advance(0);
    expect(got).toEqual([1, 2]);
  });

  it('with a clock, delivers on clock timers inside advance(), at the time of sending', () => {
    const clock = new VirtualClock({ start: 500 });
    const [a, b] = createMemoryLinkPair({ clock });
    const at: number[] = [];
    b.setHandlers({ onDatagram: () => at.push(clock.now()) });
    a.send(new Uint8Array(1));
    expect(at).toEqual([]);
    clock.advance(0);
    expect(at).toEqual([500]);
  });
});
