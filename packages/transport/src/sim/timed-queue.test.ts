import { describe, expect, it } from 'vitest';
import { SeededRng } from './seeded-rng.js';
import { type TimedEntry, TimedQueue } from './timed-queue.js';

interface Item extends TimedEntry {
  id: number;
}

describe('TimedQueue', () => {
  it('pops in (at, insertion) order under random pushes and removals', () => {
    const rng = new SeededRng(7);
    const q = new TimedQueue<Item>();
    const live = new Map<number, Item>();
    for (let id = 0; id < 2000; id++) {
      const item: Item = { at: rng.int(50), seq: 0, index: -1, id };
      q.push(item);
      live.set(id, item);
      if (rng.next() < 0.3) {
        const victim = live.get(rng.int(id + 1));
        if (victim !== undefined) {
          expect(q.remove(victim)).toBe(true);
          expect(q.remove(victim)).toBe(false);
          live.delete(victim.id);
        }
      }
    }
    expect(q.size).toBe(live.size);
    const expected = [...live.values()].sort((a, b) => a.at - b.at || a.id - b.id).map((i) => i.id);
    const popped: number[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) {
      expect(e.index).toBe(-1);
      popped.push(e.id);
    }
    expect(popped).toEqual(expected);
  });

  it('clear empties the queue and detaches entries', () => {
    const q = new TimedQueue<Item>();
    const a: Item = { at: 1, seq: 0, index: -1, id: 1 };
    q.push(a);
    const seen: number[] = [];
    q.clear((e) => seen.push(e.id));
    expect(seen).toEqual([1]);
    expect(q.size).toBe(0);
    expect(q.remove(a)).toBe(false);
  });
});
