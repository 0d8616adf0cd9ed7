/**
 * The congestion window gates reliable data by the real size of the next record, not by a full
 * MTU: a game's small per-tick packets keep flowing while the window has room for them, and a
 * window without that room waits for acks instead of spinning.
 */
import {
  Connection,
  type ConnectionOptions,
  createSimulatedPair,
  DEFAULT_CONNECTION_OPTIONS,
  DefaultChannel,
  PACKET_HEADER_SIZE,
  Peer,
  RECORD_HEADER_SIZE,
  VirtualClock,
} from '@netplay/transport';
import { describe, expect, it } from 'vitest';

const R = DefaultChannel.Reliable;

/** A sender whose congestion window is exactly one MTU (1200 bytes) and stays there. */
const oneMtuWindow = (extra: ConnectionOptions = {}) =>
  new Connection({ initialCongestionWindow: 1, minCongestionWindow: 1, redundantSends: 0, mtu: 1200, ...extra });

describe('congestion window vs small records', () => {
  it('sends a small reliable record while the window has room for it, though less than an MTU is free', () => {
    const c = oneMtuWindow();
    c.send(R, new Uint8Array(32));
    const [first] = c.flush(0);
    expect(first!.length).toBe(PACKET_HEADER_SIZE + RECORD_HEADER_SIZE + 32);
    expect(c.stats.bytesInFlight).toBe(46);
    // 1154 bytes free: not a full MTU, but plenty for the next 32-byte message.
    c.send(R, new Uint8Array(32));
    expect(c.nextTimeout(17)).toBe(17);
    expect(c.flush(17)).toHaveLength(1);
    expect(c.stats.bytesInFlight).toBe(92);
  });

  it('waits for acks (no spin) when the next record does not fit the free room', () => {
    const c = oneMtuWindow();
    c.send(R, new Uint8Array(1000));
    expect(c.flush(0)).toHaveLength(1);
    expect(c.stats.bytesInFlight).toBe(1014);
    c.send(R, new Uint8Array(200)); // 214 bytes with framing and header > 186 free
    const t = c.nextTimeout(1);
    expect(t).toBeGreaterThan(1); // the resend timeout, not "now"
    expect(c.flush(1)).toEqual([]);
    c.send(R, new Uint8Array(100)); // queued behind the 200-byte message: order is kept
    expect(c.nextTimeout(1)).toBe(t);
  });

  it('a lost record waiting for a resend counts too', () => {
    const c = oneMtuWindow({ probeTimeouts: 0 });
    c.send(R, new Uint8Array(32));
    c.flush(0);
    // No ack ever comes: past the resend timeout (initial RTT 100 ms: 305 ms) the packet is lost,
    // its message needs a resend and the window is empty again.
    expect(c.flush(400)).toHaveLength(1);
    expect(c.stats.timeouts).toBe(1);
    expect(c.stats.packetsLost).toBe(1);
    expect(c.stats.messagesResent).toBe(1);
    expect(c.stats.bytesInFlight).toBe(46);
  });

  it('a probe timeout sends the record again past a full window, and keeps the first copy in flight', () => {
    const c = oneMtuWindow({ keepAliveInterval: 10_000 });
    c.send(R, new Uint8Array(1100));
    c.flush(0);
    expect(c.stats.bytesInFlight).toBe(1114); // 86 bytes free: no room for another copy
    // The probe timeout (305 ms) owes the peer a probe: a copy of the record, whatever the window.
    expect(c.nextTimeout(1)).toBe(305);
    expect(c.flush(305)).toHaveLength(1);
    expect(c.stats.timeouts).toBe(1);
    expect(c.stats.packetsLost).toBe(0);
    expect(c.stats.messagesResent).toBe(1);
    expect(c.stats.bytesInFlight).toBe(2228);
    // Nothing more is owed until the next, doubled, timeout counted from this one.
    expect(c.flush(306)).toEqual([]);
    expect(c.nextTimeout(306)).toBe(305 + 610);
  });
});

/**
 * A 60 Hz stream of 64-byte reliable messages over 50 ms one-way latency; both directions are cut
 * during [from, to). Returns each message's latency and send time.
 */
function outage(from: number, to: number, connection: ConnectionOptions = {}) {
  const clock = new VirtualClock();
  const conditions = { latency: 50, dropWindows: [{ from, to }] };
  const [la, lb] = createSimulatedPair({ clock, seed: 1, aToB: conditions, bToA: conditions });
  const sentAt: number[] = [];
  const latency: number[] = [];
  const a = new Peer({ link: la, clock, connection }, { onMessage: () => {} });
  const b = new Peer(
    { link: lb, clock, connection },
    {
      onMessage: (_ch, p) => {
        const i = new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0);
        latency[i] = clock.now() - sentAt[i]!;
      },
    },
  );
  let n = 0;
  const tick = () => {
    const p = new Uint8Array(64);
    new DataView(p.buffer).setUint32(0, n);
    sentAt[n] = clock.now();
    a.send(R, p);
    if (++n < 300) clock.setTimeout(tick, 1000 / 60);
  };
  clock.setTimeout(tick, 0);
  clock.advance(20_000);
  a.close();
  b.close();
  return { latency, sentAt };
}

describe('recovery after an outage (minimum congestion window)', () => {
  it('defaults to a 4-packet minimum window', () => {
    expect(DEFAULT_CONNECTION_OPTIONS.minCongestionWindow).toBe(4);
  });

  it('a 60 Hz stream is back to one-way latency within 300 ms of a 600 ms outage in both directions', () => {
    const { latency, sentAt } = outage(1000, 1600);
    expect(latency.filter((l) => l !== undefined)).toHaveLength(300);
    const after = latency.filter((_, i) => sentAt[i]! >= 1900);
    expect(after.length).toBeGreaterThan(100);
    // With a 2-packet floor the window, full of packets lost in the outage, lets one packet out per
    // backed-off resend timeout and messages sent 300 ms after the outage still wait ~150 ms.
    expect(Math.max(...after)).toBeLessThanOrEqual(50 + 1000 / 60);
  });
});
