import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageRef } from './packet-builder.js';
import {
  appendRef,
  refCount,
  releaseRefsArray,
  runFirst,
  runLength,
  SentPackets,
  SentState,
  takeRefsArray,
} from './sent-packets.js';

/** A counted reference array holding `refs`. */
function counted(refs: readonly number[]): number[] {
  const a = takeRefsArray();
  for (const r of refs) appendRef(a, r);
  return a;
}

/** The references of a run and of a counted array (either may be empty), in order. */
function refsOf(run: number, refs: readonly number[] | undefined): number[] {
  const out: number[] = [];
  for (let k = 0; k < runLength(run); k++) out.push(runFirst(run) + k);
  for (let k = 1; refs !== undefined && k <= refCount(refs); k++) out.push(refs[k]!);
  return out;
}

/** Every reference slot `i` holds, from its run or its array, read in place. */
function readRefs(sent: SentPackets, i: number): number[] {
  return refsOf(sent.run(i), sent.refs(i));
}

/** Every reference slot `i` holds, taken out of the ring as an ack does. */
function takeAll(sent: SentPackets, i: number): number[] {
  const run = sent.takeRun(i);
  const refs = sent.takeRefs(i);
  const out = refsOf(run, refs);
  if (refs !== undefined) releaseRefsArray(refs);
  return out;
}

function record(sent: SentPackets, seq: number, refs: readonly number[], state: number = SentState.InFlight): number {
  const slot = sent.slotFor(seq);
  const back = sent.record(slot, seq, 1000 + seq, 100, state, counted(refs));
  expect(refCount(back)).toBe(0); // the array handed back is empty, ready for the next packet
  return slot;
}

describe('SentPackets message references', () => {
  it('keeps consecutive references of one channel as a run in the slot, no array', () => {
    const sent = new SentPackets(256);
    const refs = [messageRef(1, 10), messageRef(1, 11), messageRef(1, 12)];
    const slot = record(sent, 0, refs);
    expect(runLength(sent.run(slot))).toBe(3);
    expect(runFirst(sent.run(slot))).toBe(messageRef(1, 10));
    expect(refCount(sent.refs(slot))).toBe(0);
    expect(takeAll(sent, slot)).toEqual(refs);
    expect(takeAll(sent, slot)).toEqual([]); // taken once
  });

  it('keeps references that are not a run in an array: gaps, other channels, a sequence wrap', () => {
    const sent = new SentPackets(256);
    const cases = [
      [messageRef(1, 10), messageRef(1, 12)],
      [messageRef(0, 5), messageRef(1, 6)],
      [messageRef(1, 0xffff), messageRef(1, 0)],
      // 0xffff + 1 is a reference of the next channel's sequence 0: not the same run either.
      [messageRef(1, 0xffff), messageRef(2, 0)],
    ];
    cases.forEach((refs, seq) => {
      const slot = record(sent, seq, refs);
      expect(sent.run(slot)).toBe(0);
      expect(readRefs(sent, slot)).toEqual(refs);
      expect(takeAll(sent, slot)).toEqual(refs);
    });
  });

  it('keeps nothing for an ack-only packet or a packet without messages', () => {
    const sent = new SentPackets(256);
    const empty = record(sent, 0, []);
    expect(readRefs(sent, empty)).toEqual([]);
    const ackOnly = record(sent, 1, [messageRef(0, 1), messageRef(0, 3)], SentState.Empty);
    expect(readRefs(sent, ackOnly)).toEqual([]);
  });

  it('releases the array of a slot overwritten a lap later, by a run or by another array', () => {
    const sent = new SentPackets(4); // at its maximum size from the start: slots are reused
    const first = record(sent, 0, [messageRef(0, 1), messageRef(0, 3)]);
    sent.setState(first, SentState.Acked); // acked, its references never taken
    const again = record(sent, 4, [messageRef(0, 7), messageRef(0, 8)]);
    expect(again).toBe(first);
    expect(readRefs(sent, again)).toEqual([messageRef(0, 7), messageRef(0, 8)]);
    expect(refCount(sent.refs(again))).toBe(0);
    sent.setState(again, SentState.Acked);
    const third = record(sent, 8, [messageRef(0, 1), messageRef(1, 1)]);
    expect(readRefs(sent, third)).toEqual([messageRef(0, 1), messageRef(1, 1)]);
  });

  it('reads back what was recorded through growth and reuse (property)', () => {
    const refList = fc.array(
      fc.oneof(
        // a run on one channel, possibly across the 0xffff wrap
        fc
          .tuple(
            fc.integer({ min: 0, max: 15 }),
            fc.integer({ min: 0xfff0, max: 0xffff }),
            fc.integer({ min: 1, max: 20 }),
          )
          .map(([ch, start, n]) => Array.from({ length: n }, (_, k) => messageRef(ch, (start + k) & 0xffff))),
        fc.array(
          fc
            .tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 0xffff }))
            .map(([c, s]) => messageRef(c, s)),
          { maxLength: 6 },
        ),
      ),
      { minLength: 1, maxLength: 120 },
    );
    fc.assert(
      fc.property(refList, fc.integer({ min: 0, max: 0xffff }), (packets, start) => {
        const sent = new SentPackets(64);
        const live = new Map<number, number[]>();
        packets.forEach((refs, k) => {
          const seq = (start + k) & 0xffff;
          // Free the slot this packet needs, as the connection does (ack the packet a lap older).
          const old = (seq - 64) & 0xffff;
          const oldSlot = sent.find(old);
          if (live.has(old) && oldSlot >= 0) {
            expect(takeAll(sent, oldSlot)).toEqual(live.get(old));
            sent.setState(oldSlot, SentState.Acked);
            live.delete(old);
          }
          record(sent, seq, refs);
          live.set(seq, refs);
          for (const [s, expected] of live) expect(readRefs(sent, sent.find(s))).toEqual(expected);
        });
      }),
      { numRuns: 200 },
    );
  });
});
