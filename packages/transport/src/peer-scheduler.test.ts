import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import { PeerScheduler, type ScheduledPeer } from './peer-scheduler.js';

/** A peer that records when it was flushed. */
function fakePeer(clock: VirtualClock, log: [string, number][], name: string): ScheduledPeer {
  return {
    heapIndex: -1,
    flushQueued: false,
    flushFromScheduler: () => log.push([name, clock.now()]),
  };
}

describe('PeerScheduler', () => {
  it('flushes each peer at its earliest requested deadline, in deadline order, never early', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 1, max: 500 })), { maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 19 }), { maxLength: 10 }),
        (requests, removed) => {
          const clock = new VirtualClock();
          const scheduler = new PeerScheduler(clock);
          const log: [string, number][] = [];
          const peers = Array.from({ length: 20 }, (_, i) => fakePeer(clock, log, `p${i}`));
          const earliest = new Map<number, number>();
          for (const [i, at] of requests) {
            scheduler.flushAt(peers[i]!, at);
            earliest.set(i, Math.min(earliest.get(i) ?? Number.POSITIVE_INFINITY, at));
          }
          for (const i of removed) {
            scheduler.remove(peers[i]!);
            earliest.delete(i);
          }
          expect(scheduler.scheduledPeers).toBe(earliest.size);
          clock.advance(1000);
          const expected = [...earliest].sort((a, b) => a[1] - b[1]).map(([i, at]) => [`p${i}`, at]);
          expect(log.map(([, at]) => at)).toEqual(expected.map(([, at]) => at));
          expect(new Set(log.map(([name]) => name))).toEqual(new Set(expected.map(([name]) => name)));
          expect(scheduler.scheduledPeers).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('flushes a peer once at the end of the turn however often it asks, and one host timer serves all', () => {
    const clock = new VirtualClock();
    const scheduler = new PeerScheduler(clock);
    const log: [string, number][] = [];
    const a = fakePeer(clock, log, 'a');
    const b = fakePeer(clock, log, 'b');
    for (let i = 0; i < 5; i++) {
      scheduler.flushSoon(a);
      scheduler.flushSoon(b);
    }
    for (let i = 0; i < 50; i++) scheduler.flushAt(fakePeer(clock, log, `t${i}`), 10 + i);
    expect(clock.pendingTimers).toBe(2); // one end-of-turn flush, one host timer
    clock.advance(0);
    expect(log).toEqual([
      ['a', 0],
      ['b', 0],
    ]);
    scheduler.flushSoon(a);
    scheduler.remove(a); // a peer that closes is not flushed
    clock.advance(100);
    expect(log.filter(([name]) => name === 'a')).toHaveLength(1);
    expect(log).toHaveLength(52);
  });
});
