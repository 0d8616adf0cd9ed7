/**
 * Probe timeouts (RFC 9002, section 6.2) on an unreliable link: when no ack comes for a resend
 * timeout, the sender sends a probe carrying copies of its oldest unacked reliable messages and
 * declares nothing lost; losses come from acks, or after `probeTimeouts` unanswered probes.
 * Against `probeTimeouts: 0`, which declares the packets in flight lost at the first timeout.
 */
import { Connection, type ConnectionOptions, DefaultChannel } from '@netplay/transport';
import { describe, expect, it } from 'vitest';
import { ConnectionPair } from './connection-pair.js';

const R = DefaultChannel.Reliable;
const U = DefaultChannel.Unreliable;
const OLD: ConnectionOptions = { probeTimeouts: 0 };

/** Message `n` as 2 bytes, and back. */
const numbered = (n: number) => new Uint8Array([n >> 8, n & 0xff]);
const numberOf = (p: Uint8Array) => (p[0]! << 8) | p[1]!;

/**
 * A 60 Hz stream of 120 reliable messages from a to b over 50 ms one-way latency, with b's event
 * loop blocked for 150 ms in the middle (its acks stop, then come all at once).
 */
function stalledReceiver(connection: ConnectionOptions = {}) {
  const p = new ConnectionPair({ latency: 50, connection, stall: { side: 'b', from: 1000, to: 1150 } });
  let n = 0;
  let windowBefore = 0;
  p.run(3000, (now) => {
    if (n < 120) p.a.send(R, numbered(n++));
    if (now < 1000) windowBefore = p.a.stats.congestionWindow;
  });
  return { p, windowBefore };
}

describe('probe timeouts', () => {
  it('a receiver that stalls past the timeout costs probes, not losses: nothing is declared lost or resent as lost, and the window stays', () => {
    const { p, windowBefore } = stalledReceiver();
    const s = p.a.stats;
    expect(p.got.b.map((m) => numberOf(m.payload))).toEqual([...Array(120).keys()]);
    expect(s.timeouts).toBeGreaterThanOrEqual(1);
    expect(s.timeouts).toBeLessThanOrEqual(3);
    expect(s.packetsLost).toBe(0);
    expect(s.spuriousLosses).toBe(0);
    expect(s.congestionWindow).toBeGreaterThanOrEqual(windowBefore);
    expect(p.errors).toEqual([]);
  });

  it('with probeTimeouts 0 the same stall declares packets lost that are acked later, and halves the window', () => {
    const { p, windowBefore } = stalledReceiver(OLD);
    const s = p.a.stats;
    expect(p.got.b.map((m) => numberOf(m.payload))).toEqual([...Array(120).keys()]);
    expect(s.packetsLost).toBeGreaterThan(0);
    expect(s.spuriousLosses).toBe(s.packetsLost);
    expect(s.congestionWindow).toBeLessThan(windowBefore);
  });

  it('a lost lone reliable message goes again in the probe, as early as a resend would', () => {
    const latencyOf = (connection: ConnectionOptions) => {
      // The first data packet from a is lost; nothing else is sent after it.
      const p = new ConnectionPair({
        latency: 50,
        connection,
        drop: (from, index) => from === 'a' && index === 2,
      });
      p.run(500); // keep-alives both ways: an RTT sample
      const sentAt = p.now;
      const rto = p.a.stats.rto;
      p.a.send(R, numbered(7));
      p.run(5000);
      expect(p.got.b.map((m) => numberOf(m.payload))).toEqual([7]);
      return { latency: p.got.b[0]!.at - sentAt, rto, stats: p.a.stats };
    };
    const probe = latencyOf({});
    const old = latencyOf(OLD);
    expect(probe.latency).toBe(old.latency);
    expect(probe.latency).toBe(probe.rto + 50); // the timeout, then the one-way latency
    expect(old.stats.packetsLost).toBe(1);
    // The probe's ack shows the first packet lost (time threshold): declared lost from acks, and
    // its message already acked through the probe, so it is not sent a third time.
    expect(probe.stats.packetsLost).toBe(1);
    expect(probe.stats.messagesResent).toBe(1);
    expect(probe.stats.timeouts).toBe(1);
  });

  it('a lost lone unreliable message is reported lost once the probe (a KeepAlive) is acked, not at the timeout', () => {
    const p = new ConnectionPair({
      latency: 50,
      connection: { keepAliveInterval: 10_000, idleKeepAliveInterval: 10_000 },
      drop: (from, index) => from === 'a' && index === 1,
    });
    p.a.send(U, numbered(1));
    p.run(1); // the first packet (index 0) goes
    p.run(400);
    const id = p.a.send(U, numbered(2)); // index 1: lost
    const sentAt = p.now;
    const rto = p.a.stats.rto;
    p.run(sentAt + rto + 1);
    expect(p.lost.a).toEqual([]); // the timeout sent a probe and declared nothing
    expect(p.a.stats.timeouts).toBe(1);
    p.run(sentAt + rto + 100 + 10); // the probe's round trip
    expect(p.lost.a).toEqual([[U, id]]);
    expect(p.got.b.map((m) => numberOf(m.payload))).toEqual([1]);
  });

  it('on a dead path, packets are declared lost after probeTimeouts probes, each timeout counted from the last', () => {
    const c = new Connection({ keepAliveInterval: 100_000, idleKeepAliveInterval: 100_000, minRto: 100 });
    const lost: number[] = [];
    c.setHandlers({ onMessage: () => {}, onLost: (_ch, id) => lost.push(id) });
    const id = c.send(U, numbered(1));
    c.send(R, numbered(2));
    expect(c.flush(0)).toHaveLength(1);
    // Initial RTT 100: timeout 100 + 4 × 50 + 5 = 305 ms, doubling after each one.
    const fired: number[] = [];
    for (let now = 1, timeouts = 0; now < 10_000 && lost.length === 0; now = c.nextTimeout(now)) {
      const out = c.flush(now);
      if (c.stats.timeouts > timeouts) {
        timeouts = c.stats.timeouts;
        fired.push(now);
        expect(out).toHaveLength(1); // the probe (with the reliable copy), or the resend
      }
    }
    expect(fired).toEqual([305, 305 + 610, 305 + 610 + 1000, 305 + 610 + 1000 + 1000]);
    expect(lost).toEqual([id]);
    expect(c.stats.packetsLost).toBeGreaterThanOrEqual(1);
  });

  it('a sender waking from a stall past several doubled timeouts sends one probe, then reads the acks: nothing is lost', () => {
    const options = { keepAliveInterval: 100_000, idleKeepAliveInterval: 100_000, minRto: 100 };
    const a = new Connection(options);
    const b = new Connection(options);
    a.send(R, numbered(1));
    const [first] = a.flush(0);
    b.receive(first!, 50);
    const acks = b.flush(55); // b's ack (after its 5 ms ackDelay) waits, unread, while a is stalled
    expect(acks).toHaveLength(1);
    // a wakes at 5000 ms, past timeouts at 305, 915 and 1915 ms: its timer fires before it reads.
    const wake = 5000;
    expect(a.nextTimeout(wake)).toBe(wake);
    expect(a.flush(wake)).toHaveLength(1); // one probe
    expect(a.stats.timeouts).toBe(1);
    expect(a.nextTimeout(wake)).toBeGreaterThan(wake); // the next one counts from this one
    expect(a.flush(wake)).toEqual([]);
    a.receive(acks[0]!, wake);
    expect(a.stats.packetsLost).toBe(0);
    expect(a.hasPendingData).toBe(false); // the message is acked
  });

  it('probeTimeouts is an integer from 0 to maxBackoff', () => {
    const invalid = expect.objectContaining({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('probeTimeouts'),
    });
    expect(() => new Connection({ probeTimeouts: 6 })).toThrow(invalid); // maxBackoff defaults to 5
    expect(() => new Connection({ probeTimeouts: 1.5 })).toThrow(invalid);
    expect(() => new Connection({ probeTimeouts: -1 })).toThrow(invalid);
    expect(() => new Connection({ probeTimeouts: 2, maxBackoff: 1 })).toThrow(invalid);
    expect(new Connection({ probeTimeouts: 0, maxBackoff: 0 }).options.probeTimeouts).toBe(0);
  });
});
