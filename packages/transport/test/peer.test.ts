/**
 * The `Peer` driver on a `VirtualClock`: the send timer coalesces a turn's messages into one
 * datagram, `sendDelay` waits, the timer re-arms without spinning, and `replaceLink` resumes a
 * session over a new link without losing or duplicating a reliable message.
 */
import {
  type Clock,
  DefaultChannel,
  InvalidOptionError,
  type Link,
  LinkDecorator,
  type PacketHeader,
  PacketType,
  Peer,
  type PeerOptions,
  PeerScheduler,
  readPacketHeader,
  type TimerHandle,
} from '@netplay/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/clock.js';
import { createMemoryLinkPair } from '../src/link/memory.js';
import { createSimulatedPair, type NetworkConditions } from '../src/sim/index.js';

const R = DefaultChannel.Reliable;
const U = DefaultChannel.Unreliable;

/** A link wrapper that records every datagram sent through it. */
class TapLink extends LinkDecorator {
  readonly sent: Uint8Array[] = [];
  override send(datagram: Uint8Array): void {
    this.sent.push(datagram);
    this.inner.send(datagram);
  }
}

/** A clock wrapper that counts the timers a peer arms and that fire. */
class CountingClock implements Clock {
  armed = 0;
  fired = 0;
  constructor(readonly inner: Clock) {}
  now(): number {
    return this.inner.now();
  }
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    this.armed++;
    return this.inner.setTimeout(() => {
      this.fired++;
      fn();
    }, delayMs);
  }
}

const header = (d: Uint8Array): PacketHeader => {
  const h: PacketHeader = { type: 0, sequence: 0, hasAck: false, ack: 0, ackBits: 0 };
  expect(readPacketHeader(d, h)).toBe(true);
  return h;
};
const dataPackets = (sent: Uint8Array[]) => sent.filter((d) => header(d).type === PacketType.Data);
const msg = (i: number, size = 8) => {
  const p = new Uint8Array(size);
  new DataView(p.buffer).setUint32(0, i);
  return p;
};
const idOf = (p: Uint8Array) => new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0);

interface End {
  peer: Peer;
  link: TapLink;
  clock: CountingClock;
  got: Map<number, number[]>;
  errors: Error[];
}

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.close();
});

function end(clock: VirtualClock, link: Link, options: Partial<PeerOptions> = {}): End {
  const e: End = {
    peer: undefined as unknown as Peer,
    link: new TapLink(link),
    clock: new CountingClock(clock),
    got: new Map([
      [R, []],
      [U, []],
    ]),
    errors: [],
  };
  e.peer = new Peer(
    { ...options, link: e.link, clock: e.clock },
    { onMessage: (ch, p) => e.got.get(ch)?.push(idOf(p)), onError: (err) => e.errors.push(err) },
  );
  peers.push(e.peer);
  return e;
}

function memoryPair(options: Partial<PeerOptions> = {}) {
  const clock = new VirtualClock();
  const [la, lb] = createMemoryLinkPair({ clock });
  return { clock, a: end(clock, la, options), b: end(clock, lb, options) };
}

describe('Peer: send timer', () => {
  it('coalesces the messages sent in one turn into one datagram (sendDelay 0)', () => {
    const { clock, a, b } = memoryPair();
    for (let i = 0; i < 10; i++) a.peer.send(R, msg(i));
    a.peer.send(U, msg(100));
    expect(a.link.sent).toHaveLength(0); // nothing leaves inside send()
    clock.advance(0);
    expect(dataPackets(a.link.sent)).toHaveLength(1);
    clock.advance(1);
    expect(b.got.get(R)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(b.got.get(U)).toEqual([100]);
  });

  it('a send does not re-arm the deadline timer: one immediate flush per turn with data', () => {
    const { clock, a } = memoryPair();
    clock.advance(1); // the first keep-alive deadline is armed
    const before = a.clock.armed;
    for (let turn = 0; turn < 20; turn++) {
      a.peer.send(R, msg(turn));
      a.peer.send(R, msg(100 + turn));
      clock.advance(1);
    }
    expect(dataPackets(a.link.sent)).toHaveLength(20);
    // One zero-delay timer per turn; the keep-alive timer stays armed (it was re-armed per send).
    expect(a.clock.armed - before).toBeLessThanOrEqual(22);
  });

  it('sendDelay > 0 holds messages until the delay after the first one, then sends them together', () => {
    const { clock, a, b } = memoryPair({ sendDelay: 20 });
    a.peer.send(R, msg(0));
    clock.advance(10);
    a.peer.send(R, msg(1));
    clock.advance(9); // t = 19
    expect(a.link.sent).toHaveLength(0);
    expect(b.got.get(R)).toEqual([]);
    clock.advance(1); // t = 20
    expect(dataPackets(a.link.sent)).toHaveLength(1);
    clock.advance(0);
    expect(b.got.get(R)).toEqual([0, 1]);
  });

  it('flush() sends at once, without waiting for sendDelay', () => {
    const { clock, a, b } = memoryPair({ sendDelay: 50 });
    a.peer.send(R, msg(7));
    a.peer.flush();
    expect(dataPackets(a.link.sent)).toHaveLength(1);
    clock.advance(0);
    expect(b.got.get(R)).toEqual([7]);
  });
});

describe('Peer: timers re-arm without spinning', () => {
  const idle = (make: () => { clock: VirtualClock; a: End; b: End }) => {
    const { clock, a, b } = make();
    for (let i = 0; i < 20; i++) a.peer.send(R, msg(i));
    b.peer.send(R, msg(99));
    clock.advance(1_000);
    expect(b.got.get(R)).toHaveLength(20);
    expect(a.peer.connection.hasPendingData || b.peer.connection.hasPendingData).toBe(false);
    const fired = [a.clock.fired, b.clock.fired];
    const sent = [a.link.sent.length, b.link.sent.length];
    clock.advance(10_000);
    // A reliable link's keep-alive is its RTT probe. Once no data flows, keep-alives come at the
    // idle interval (the first may still come at the active one: +1 below).
    const o = a.peer.connection.options;
    const keepAlive = o.reliableLink
      ? Math.max(o.rttProbeInterval, o.idleRttProbeInterval)
      : Math.max(o.keepAliveInterval, o.idleKeepAliveInterval);
    for (const [i, e] of [a, b].entries()) {
      const datagrams = e.link.sent.slice(sent[i]);
      const types = datagrams.map((d) => header(d).type);
      // Only keep-alives and the acks they elicit.
      expect(types.every((t) => t === PacketType.KeepAlive || t === PacketType.Ack)).toBe(true);
      // Something leaves at least every keep-alive interval (an ack resets the interval too), and
      // at most one keep-alive per interval plus the ack each of the peer's elicits.
      const keepAlives = types.filter((t) => t === PacketType.KeepAlive).length;
      const intervals = Math.floor(10_000 / keepAlive);
      expect(datagrams.length).toBeGreaterThanOrEqual(intervals - 1);
      expect(keepAlives).toBeLessThanOrEqual(intervals + 2);
      expect(datagrams.length).toBeLessThanOrEqual(2 * (intervals + 2));
      // No spin: wake-ups stay in proportion to datagrams (a spin would show thousands). The Peer
      // only ever moves its timer earlier, so a resend deadline armed for a packet that was acked in
      // the meantime still fires once, sending nothing: at most one such wake-up per datagram.
      const wakeUps = e.clock.fired - fired[i]!;
      expect(wakeUps).toBeLessThanOrEqual(2 * datagrams.length + 2);
      expect(wakeUps).toBeLessThanOrEqual(4 * (intervals + 2));
    }
    expect(a.errors.concat(b.errors)).toEqual([]);
  };

  it('over a reliable memory link', () => idle(() => memoryPair()));

  it('over an unreliable simulated link (resend timers armed)', () =>
    idle(() => {
      const clock = new VirtualClock();
      const net: NetworkConditions = { latency: 15, jitter: 5 };
      const [la, lb] = createSimulatedPair({ clock, seed: 4, aToB: net, bToA: net });
      expect(la.reliable).toBe(false);
      return { clock, a: end(clock, la), b: end(clock, lb) };
    }));
});

describe('Peer: replaceLink resumes the session', () => {
  const resume = (lossy: boolean) => {
    const clock = new VirtualClock();
    const net: NetworkConditions = { latency: 10, jitter: 4, loss: 0.1, duplicate: 0.05 };
    const pair = (seed: number): [Link, Link] =>
      lossy ? createSimulatedPair({ clock, seed, aToB: net, bToA: net }) : createMemoryLinkPair({ clock });
    const [la, lb] = pair(1);
    const a = end(clock, la);
    const b = end(clock, lb);
    const closes: string[] = [];
    a.peer.setHandlers({
      onMessage: (ch, p) => a.got.get(ch)?.push(idOf(p)),
      onError: (e) => a.errors.push(e),
      onClose: () => closes.push('a'),
    });
    b.peer.setHandlers({
      onMessage: (ch, p) => b.got.get(ch)?.push(idOf(p)),
      onError: (e) => b.errors.push(e),
      onClose: () => closes.push('b'),
    });
    const N = 300;
    let n = 0;
    // One reliable message each way every ms; the old link dies at t = 100 with messages in flight.
    const tick = () => {
      if (n >= N) return;
      a.peer.send(R, msg(n, n % 40 === 0 ? 3000 : 8));
      b.peer.send(R, msg(n));
      n++;
      clock.setTimeout(tick, 1);
    };
    tick();
    clock.advance(100);
    la.close('cable pulled');
    clock.advance(100); // 100 more messages each way are sent into the dead link
    expect(closes.sort()).toEqual(['a', 'b']);
    const deliveredWhileDead = b.got.get(R)!.length;
    expect(deliveredWhileDead).toBeLessThan(200);
    const [na, nb] = pair(2);
    a.peer.replaceLink(na);
    b.peer.replaceLink(nb);
    clock.runUntil(() => n >= N && !a.peer.connection.hasPendingData && !b.peer.connection.hasPendingData, 1_000_000);
    clock.advance(1_000);
    const all = Array.from({ length: N }, (_, i) => i);
    expect(b.got.get(R)).toEqual(all);
    expect(a.got.get(R)).toEqual(all);
    expect(a.errors.concat(b.errors)).toEqual([]);
  };

  it('over memory links: messages sent while the old link was dead arrive exactly once, in order', () => resume(false));

  it('over lossy simulated links', () => resume(true));
});

describe('Peer: session-layer packets', () => {
  it('hands datagrams of packet types 8–15 to onSessionPacket instead of the connection', () => {
    const clock = new VirtualClock();
    const [la, lb] = createMemoryLinkPair({ clock });
    const session: Uint8Array[] = [];
    const a = new Peer({ link: la, clock }, { onMessage: () => {}, onSessionPacket: (d) => session.push(d) });
    const b = new Peer({ link: lb, clock }, { onMessage: () => {} });
    peers.push(a, b);
    const handshake = (type: number) => new Uint8Array([0x4e, 0x20 | type, 1, 2, 3]);
    lb.send(handshake(8));
    lb.send(handshake(15));
    lb.send(handshake(3)); // reserved, not the session layer's: the connection drops it
    clock.advance(1);
    expect(session.map((d) => d[1]! & 0x0f)).toEqual([8, 15]);
    expect(a.connection.stats.invalidPacketsDropped).toBe(1);
    // Without the handler such a datagram is just invalid for the connection.
    la.send(handshake(9));
    clock.advance(1);
    expect(b.connection.stats.invalidPacketsDropped).toBe(1);
  });
});

describe('Peer: options', () => {
  it('refuses a scheduler that runs on another clock', () => {
    const clock = new VirtualClock();
    const [la] = createMemoryLinkPair({ clock });
    const other = new PeerScheduler(new VirtualClock());
    expect(() => new Peer({ link: la, clock, scheduler: other }, { onMessage: () => {} })).toThrow(InvalidOptionError);
    const own = new PeerScheduler(clock);
    const peer = new Peer({ link: la, clock, scheduler: own }, { onMessage: () => {} });
    peers.push(peer);
    peer.send(R, msg(1));
    clock.advance(0);
    // The peer's next deadline (its RTT probe) lives in its own scheduler, not the clock's shared one.
    expect(own.scheduledPeers).toBe(1);
    expect(PeerScheduler.for(clock).scheduledPeers).toBe(0);
  });
});
