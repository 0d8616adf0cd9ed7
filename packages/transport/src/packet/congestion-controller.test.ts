import { describe, expect, it } from 'vitest';
import { CongestionController } from './congestion-controller.js';

const MTU = 1000;
const make = () => new CongestionController({ mtu: MTU, initialWindowPackets: 10, minWindowPackets: 2 });

/** Send `n` full packets at `at`. */
function sendPackets(cc: CongestionController, n: number): void {
  for (let i = 0; i < n; i++) cc.onSent(MTU);
}

describe('CongestionController', () => {
  it('starts at the initial window with infinite ssthresh and tracks bytes in flight', () => {
    const cc = make();
    expect(cc.window).toBe(10 * MTU);
    expect(cc.ssthresh).toBe(Number.POSITIVE_INFINITY);
    sendPackets(cc, 3);
    expect(cc.bytesInFlight).toBe(3 * MTU);
    expect(cc.available()).toBe(7 * MTU);
  });

  it('slow start doubles the window per round trip of acks', () => {
    const cc = make();
    sendPackets(cc, 10);
    for (let i = 0; i < 10; i++) cc.onAcked(MTU, 0);
    expect(cc.window).toBe(20 * MTU);
    expect(cc.bytesInFlight).toBe(0);
    sendPackets(cc, 20);
    for (let i = 0; i < 20; i++) cc.onAcked(MTU, 1);
    expect(cc.window).toBe(40 * MTU);
  });

  it('halves once per loss episode and enters congestion avoidance', () => {
    const cc = make();
    sendPackets(cc, 10);
    cc.onLost(MTU, 0, 100); // episode starts at 100
    expect(cc.window).toBe(5 * MTU);
    expect(cc.ssthresh).toBe(5 * MTU);
    expect(cc.lossEvents).toBe(1);
    // More losses of packets sent before the episode began: no second halving.
    cc.onLost(MTU, 50, 120);
    cc.onLost(MTU, 100, 130); // sent exactly at the start: still the same episode
    expect(cc.window).toBe(5 * MTU);
    expect(cc.lossEvents).toBe(1);
    expect(cc.bytesInFlight).toBe(7 * MTU);
    // Acks of packets sent before the episode do not grow the window.
    cc.onAcked(MTU, 99);
    expect(cc.window).toBe(5 * MTU);
    // A packet sent after the episode began, lost: a new episode halves again.
    cc.onLost(MTU, 101, 200);
    expect(cc.window).toBe(2.5 * MTU);
    expect(cc.lossEvents).toBe(2);
  });

  it('grows by about one MTU per window of acks in congestion avoidance', () => {
    const cc = make();
    sendPackets(cc, 1);
    cc.onLost(MTU, 0, 10); // window = ssthresh = 5000
    sendPackets(cc, 5);
    cc.onAcked(MTU, 20);
    expect(cc.window).toBe(5000 + (MTU * MTU) / 5000); // 5200
    for (let i = 0; i < 4; i++) cc.onAcked(MTU, 20);
    expect(cc.window).toBeGreaterThan(5900);
    expect(cc.window).toBeLessThan(6000); // less than slow start's +5000
  });

  it('never halves below the minimum window', () => {
    const cc = make();
    sendPackets(cc, 10);
    for (let t = 1; t <= 10; t++) cc.onLost(MTU, t * 10, t * 10 + 5);
    expect(cc.lossEvents).toBe(10);
    expect(cc.window).toBe(2 * MTU);
  });

  it('persistent congestion collapses to the minimum window and starts a recovery period', () => {
    const cc = make();
    sendPackets(cc, 10);
    for (let i = 0; i < 10; i++) cc.onAcked(MTU, 0); // 20 packets
    sendPackets(cc, 4);
    cc.onPersistentCongestion(500);
    expect(cc.window).toBe(2 * MTU);
    expect(cc.ssthresh).toBe(10 * MTU);
    // Losses and acks of packets sent before it change nothing.
    cc.onLost(MTU, 400, 510);
    cc.onAcked(MTU, 450);
    expect(cc.window).toBe(2 * MTU);
    expect(cc.lossEvents).toBe(0);
    // Slow start again from there.
    cc.onAcked(MTU, 501);
    expect(cc.window).toBe(3 * MTU);
  });

  it('discarded packets only leave the books', () => {
    const cc = make();
    sendPackets(cc, 2);
    cc.onDiscarded(MTU);
    expect(cc.bytesInFlight).toBe(MTU);
    expect(cc.window).toBe(10 * MTU);
    expect(cc.lossEvents).toBe(0);
  });
});
