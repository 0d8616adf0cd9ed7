/**
 * The congestion window gates reliable data by the real size of the next record, not by a full
 * MTU: a game's small per-tick packets keep flowing while the window has room for them, and a
 * window without that room waits for acks instead of spinning.
 */
import { Connection, DefaultChannel, PACKET_HEADER_SIZE, RECORD_HEADER_SIZE } from '@netplay/transport';
import { describe, expect, it } from 'vitest';

const R = DefaultChannel.Reliable;

/** A sender whose congestion window is exactly one MTU (1200 bytes) and stays there. */
const oneMtuWindow = () =>
  new Connection({ initialCongestionWindow: 1, minCongestionWindow: 1, redundantSends: 0, mtu: 1200 });

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
    const c = oneMtuWindow();
    c.send(R, new Uint8Array(32));
    c.flush(0);
    // No ack ever comes: past the resend timeout (initial RTT 100 ms: 305 ms) the packet is lost,
    // its message needs a resend and the window is empty again.
    expect(c.flush(400)).toHaveLength(1);
    expect(c.stats.timeouts).toBe(1);
    expect(c.stats.messagesResent).toBe(1);
    expect(c.stats.bytesInFlight).toBe(46);
  });
});
