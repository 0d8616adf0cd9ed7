import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReceivedPackets, ReceiveVerdict } from './received-packets.js';

function receive(r: ReceivedPackets, ...seqs: number[]): void {
  for (const s of seqs) {
    expect(r.check(s)).toBe(ReceiveVerdict.New);
    r.record(s);
  }
}

describe('ReceivedPackets', () => {
  it('accepts anything first and takes it as latest', () => {
    const r = new ReceivedPackets(64);
    expect(r.hasAny).toBe(false);
    expect(r.check(40000)).toBe(ReceiveVerdict.New);
    r.record(40000);
    expect(r.hasAny).toBe(true);
    expect(r.latest).toBe(40000);
    expect(r.ackBits()).toBe(0);
  });

  it('sets bit i for sequence latest - 1 - i', () => {
    const r = new ReceivedPackets(64);
    receive(r, 0, 1, 3);
    expect(r.latest).toBe(3);
    expect(r.ackBits()).toBe(0b110); // 2 missing, 1 and 0 received
    receive(r, 35);
    // bit 31 = 3, bit 32 would be 2 (out of the field)
    expect(r.ackBits()).toBe(0x80000000);
    receive(r, 34);
    expect(r.latest).toBe(35);
    expect(r.ackBits()).toBe(0x80000001);
  });

  it('a full run of 33 packets gives all 32 bits as an unsigned u32', () => {
    const r = new ReceivedPackets(64);
    for (let s = 100; s <= 132; s++) receive(r, s);
    expect(r.ackBits()).toBe(0xffffffff);
    expect(r.ackBits()).toBeGreaterThan(0);
  });

  it('classifies duplicates, including the latest and older ones', () => {
    const r = new ReceivedPackets(64);
    receive(r, 10, 12);
    expect(r.check(12)).toBe(ReceiveVerdict.Duplicate);
    expect(r.check(10)).toBe(ReceiveVerdict.Duplicate);
    expect(r.check(11)).toBe(ReceiveVerdict.New); // late but unseen
    receive(r, 11);
    expect(r.check(11)).toBe(ReceiveVerdict.Duplicate);
    expect(r.latest).toBe(12); // an older packet does not move latest
  });

  it('calls a packet `size` or more behind latest stale', () => {
    const r = new ReceivedPackets(64);
    receive(r, 100);
    expect(r.check(100 - 63)).toBe(ReceiveVerdict.New);
    expect(r.check(100 - 64)).toBe(ReceiveVerdict.Stale);
    expect(r.check(100 - 1000)).toBe(ReceiveVerdict.Stale);
  });

  it('wraps at 65535 → 0: ack bits and duplicates across the wrap', () => {
    const r = new ReceivedPackets(64);
    receive(r, 65534, 65535, 1);
    expect(r.latest).toBe(1);
    // bit 0 = 0 (missing), bit 1 = 65535, bit 2 = 65534
    expect(r.ackBits()).toBe(0b110);
    expect(r.check(65535)).toBe(ReceiveVerdict.Duplicate);
    expect(r.check(0)).toBe(ReceiveVerdict.New);
    receive(r, 0);
    expect(r.ackBits()).toBe(0b111);
    expect(r.check(65534 - 62)).toBe(ReceiveVerdict.Stale); // 1 - (65472) = 65 behind
  });

  it('forgets slots skipped by a jump so a sequence a lap old is not read as received', () => {
    const r = new ReceivedPackets(64);
    receive(r, 0, 1, 2, 3);
    // Jump ahead by exactly one window: slots of 64..67 alias 0..3.
    receive(r, 68);
    expect(r.ackBits()).toBe(0);
    expect(r.check(66)).toBe(ReceiveVerdict.New);
    expect(r.check(64)).toBe(ReceiveVerdict.New);
    // Jump by more than the window.
    receive(r, 1000);
    expect(r.ackBits()).toBe(0);
    expect(r.check(1000 - 64 + 4)).toBe(ReceiveVerdict.New);
  });

  it('half-range boundary: 32767 ahead is new, 32768 ahead is old (stale)', () => {
    const r = new ReceivedPackets(64);
    receive(r, 0);
    expect(r.check(32767)).toBe(ReceiveVerdict.New);
    expect(r.check(32768)).toBe(ReceiveVerdict.Stale);
  });

  it('keeps the ack bitfield equal to the 32 sequences before latest, whatever arrives in what order', () => {
    // The field is maintained on every record; compare it with the set of sequences recorded.
    const steps = fc.array(fc.oneof(fc.integer({ min: -40, max: -1 }), fc.integer({ min: 1, max: 40 })), {
      maxLength: 300,
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), steps, (start, moves) => {
        const r = new ReceivedPackets(256);
        const got = new Set<number>();
        let at = start;
        r.record(at);
        got.add(at);
        for (const move of moves) {
          at = (at + move) & 0xffff;
          if (r.check(at) !== ReceiveVerdict.New) continue;
          r.record(at);
          got.add(at);
        }
        let expected = 0;
        for (let i = 0; i < 32; i++) if (got.has((r.latest - 1 - i) & 0xffff)) expected |= 1 << i;
        // (The walk spans at most 12,000 sequences: no wrap-around ambiguity in `got`.)
        expect(r.ackBits()).toBe(expected >>> 0);
      }),
      { numRuns: 500 },
    );
  });
});
