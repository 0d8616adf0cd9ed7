import { describe, expect, it } from 'vitest';
import { newDoubles } from './doubles.js';
import {
  initRtt,
  noteRttTimeout,
  RTT_SLOTS,
  Rtt,
  type RttSettings,
  rttLossDelay,
  rttTimeout,
  sampleRtt,
} from './rtt-estimator.js';

/** The estimator's functions over its slots, at an offset of 3 in a larger array (as in a connection). */
class RttEstimator {
  readonly v = newDoubles(3 + RTT_SLOTS);
  constructor(readonly s: RttSettings) {
    initRtt(this.v, 3, s);
  }
  get srtt() {
    return this.v[3 + Rtt.SRTT];
  }
  get rttvar() {
    return this.v[3 + Rtt.RTTVAR];
  }
  get min() {
    return this.v[3 + Rtt.MIN];
  }
  get max() {
    return this.v[3 + Rtt.MAX];
  }
  get latest() {
    return this.v[3 + Rtt.LATEST];
  }
  get jitter() {
    return this.v[3 + Rtt.JITTER];
  }
  get samples() {
    return this.v[3 + Rtt.SAMPLES];
  }
  get backoff() {
    return this.v[3 + Rtt.BACKOFF];
  }
  sample(rtt: number) {
    sampleRtt(this.v, 3, rtt);
  }
  rto() {
    return rttTimeout(this.v, 3, this.s);
  }
  lossDelay() {
    return rttLossDelay(this.v, 3);
  }
  onTimeout() {
    noteRttTimeout(this.v, 3, this.s);
  }
}

const settings: RttSettings = { initialRtt: 100, minRto: 5, maxRto: 1000, maxAckDelay: 5, maxBackoff: 5 };

describe('RTT estimation', () => {
  it('before any sample: SRTT = initial RTT, RTTVAR = half of it', () => {
    const r = new RttEstimator(settings);
    expect(r.srtt).toBe(100);
    expect(r.rttvar).toBe(50);
    expect(r.min).toBe(Number.POSITIVE_INFINITY);
    expect(r.max).toBe(0);
    expect(r.rto()).toBe(100 + 4 * 50 + 5);
    expect(r.lossDelay()).toBe(112.5);
  });

  it('first sample: SRTT = R, RTTVAR = R/2 (RFC 6298 §2.2)', () => {
    const r = new RttEstimator(settings);
    r.sample(80);
    expect(r.srtt).toBe(80);
    expect(r.rttvar).toBe(40);
    expect(r.rto()).toBe(80 + 160 + 5);
    expect(r.jitter).toBe(0);
    expect(r.samples).toBe(1);
  });

  it('later samples: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT − R| (old SRTT), SRTT = 7/8 SRTT + 1/8 R (§2.3)', () => {
    const r = new RttEstimator(settings);
    r.sample(80);
    r.sample(120);
    expect(r.rttvar).toBe(0.75 * 40 + 0.25 * 40); // 40
    expect(r.srtt).toBe(0.875 * 80 + 0.125 * 120); // 85
    expect(r.jitter).toBe(40 / 16);
    r.sample(85);
    expect(r.rttvar).toBe(0.75 * 40 + 0.25 * 0); // 30
    expect(r.srtt).toBe(85);
    expect(r.jitter).toBe(2.5 + (35 - 2.5) / 16);
    expect(r.rto()).toBe(85 + 4 * 30 + 5);
    expect(r.min).toBe(80);
    expect(r.max).toBe(120);
    expect(r.latest).toBe(85);
  });

  it('uses a 1 ms granularity floor on the variance term', () => {
    const r = new RttEstimator(settings);
    for (let i = 0; i < 200; i++) r.sample(20);
    expect(r.rttvar).toBeLessThan(0.25);
    expect(r.rto()).toBe(20 + 1 + 5);
  });

  it('clamps the timeout to [minRto, maxRto]', () => {
    const low = new RttEstimator({ ...settings, minRto: 50, maxAckDelay: 0 });
    low.sample(2);
    for (let i = 0; i < 100; i++) low.sample(2);
    expect(low.rto()).toBe(50);
    const high = new RttEstimator({ ...settings, maxRto: 300 });
    high.sample(400);
    expect(high.rto()).toBe(300);
  });

  it('negative samples count as 0', () => {
    const r = new RttEstimator(settings);
    r.sample(-5);
    expect(r.srtt).toBe(0);
    expect(r.min).toBe(0);
    expect(r.rto()).toBe(0 + 1 + 5);
  });

  it('backoff doubles the timeout per timeout, capped by maxBackoff and maxRto, and resets on a sample', () => {
    const r = new RttEstimator({ ...settings, maxBackoff: 3, maxRto: 10_000 });
    r.sample(20); // srtt 20, rttvar 10 → base 65
    expect(r.rto()).toBe(65);
    r.onTimeout();
    expect(r.rto()).toBe(130);
    r.onTimeout();
    expect(r.rto()).toBe(260);
    r.onTimeout();
    expect(r.rto()).toBe(520);
    r.onTimeout(); // maxBackoff reached
    expect(r.backoff).toBe(3);
    expect(r.rto()).toBe(520);
    r.sample(20);
    expect(r.backoff).toBe(0);
    expect(r.rto()).toBeLessThan(65);
  });

  it('the backed-off timeout never exceeds maxRto', () => {
    const r = new RttEstimator({ ...settings, maxBackoff: 16, maxRto: 1000 });
    r.sample(100); // base 100 + 200 + 5 = 305
    r.onTimeout(); // 610
    expect(r.rto()).toBe(610);
    r.onTimeout(); // 1220 → 1000
    expect(r.rto()).toBe(1000);
    for (let i = 0; i < 20; i++) r.onTimeout();
    expect(r.rto()).toBe(1000);
  });

  it('loss delay is 9/8 of max(SRTT, latest RTT), at least 1 ms', () => {
    const r = new RttEstimator(settings);
    r.sample(80);
    r.sample(160); // srtt 90, latest 160
    expect(r.lossDelay()).toBe(1.125 * 160);
    r.sample(40); // srtt = 0.875*90 + 5 = 83.75, latest 40
    expect(r.lossDelay()).toBe(1.125 * 83.75);
    const zero = new RttEstimator(settings);
    zero.sample(0);
    expect(zero.lossDelay()).toBe(1);
  });
});
