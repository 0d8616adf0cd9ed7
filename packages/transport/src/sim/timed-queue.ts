/**
 * A binary min-heap of entries keyed by `(at, insertion order)`: the one priority queue behind
 * {@link VirtualClock} timers and the simulator's in-flight datagrams. Internal: not exported from
 * the package.
 * @module
 */

/**
 * An entry the {@link TimedQueue} can hold. The queue writes `seq` and `index`; callers set `at`
 * before {@link TimedQueue.push} and must not change it while the entry is queued.
 * @internal
 */
export interface TimedEntry {
  /** Due time in milliseconds. */
  at: number;
  /** Insertion order, assigned by the queue; breaks ties between equal `at`. */
  seq: number;
  /** Position in the heap, or `-1` when not queued. Maintained by the queue. */
  index: number;
}

/**
 * Min-heap ordered by `at`, then by insertion order, with O(log n) push, pop and removal of any
 * queued entry (the entry remembers its own position).
 * @internal
 */
export class TimedQueue<E extends TimedEntry> {
  readonly #heap: E[] = [];
  #nextSeq = 0;

  /** Number of queued entries. */
  get size(): number {
    return this.#heap.length;
  }

  /** The earliest entry, without removing it. */
  peek(): E | undefined {
    return this.#heap[0];
  }

  /** Queue `entry` (its `at` must already be set). */
  push(entry: E): void {
    entry.seq = this.#nextSeq++;
    entry.index = this.#heap.length;
    this.#heap.push(entry);
    this.#siftUp(entry.index);
  }

  /** Remove and return the earliest entry. */
  pop(): E | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    if (last !== top) {
      heap[0] = last;
      last.index = 0;
      this.#siftDown(0);
    }
    top.index = -1;
    return top;
  }

  /** Remove `entry` if it is queued here; returns whether it was. */
  remove(entry: E): boolean {
    const heap = this.#heap;
    const i = entry.index;
    if (i < 0 || heap[i] !== entry) return false;
    const last = heap.pop()!;
    if (last !== entry) {
      heap[i] = last;
      last.index = i;
      this.#siftUp(i);
      this.#siftDown(last.index);
    }
    entry.index = -1;
    return true;
  }

  /** Remove every entry, calling `onRemoved` for each (in heap order, not time order). */
  clear(onRemoved?: (entry: E) => void): void {
    const heap = this.#heap;
    for (let i = 0; i < heap.length; i++) {
      const e = heap[i]!;
      e.index = -1;
      onRemoved?.(e);
    }
    heap.length = 0;
  }

  #siftUp(i: number): void {
    const heap = this.#heap;
    const e = heap[i]!;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!before(e, parent)) break;
      heap[i] = parent;
      parent.index = i;
      i = parentIndex;
    }
    heap[i] = e;
    e.index = i;
  }

  #siftDown(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const e = heap[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && before(heap[right]!, heap[left]!)) child = right;
      const c = heap[child]!;
      if (!before(c, e)) break;
      heap[i] = c;
      c.index = i;
      i = child;
    }
    heap[i] = e;
    e.index = i;
  }
}

function before(a: TimedEntry, b: TimedEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
