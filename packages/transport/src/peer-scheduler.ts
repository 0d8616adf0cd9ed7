/**
 * {@link PeerScheduler}: the timers of many {@link Peer}s on one {@link Clock}, as one host timer
 * and one end-of-turn flush for all of them.
 *
 * A server drives thousands of peers. Each one has a deadline (its next resend timeout, delayed
 * ack, keep-alive or send timer) and, whenever a message was queued, wants a flush at the end of
 * the current turn. One host timer and one `setImmediate` per peer cost a timer object, a closure
 * and a host call each time they are armed, and an idle session would hold a live timer for its
 * keep-alive. The scheduler keeps every peer's deadline in a binary heap (a peer holds at most one
 * place in it, so nothing stale piles up) and the peers that want an end-of-turn flush in a list,
 * and arms one host timer, for the earliest deadline, and one zero-delay timer per turn in which
 * anything was queued: a fan-out to every member of a room flushes each member once, in one
 * callback, with everything the turn queued for it.
 * @module
 */
import type { Clock, TimerHandle } from './clock.js';
import { newDoubles } from './packet/doubles.js';

/** What the scheduler drives: a {@link Peer}. @internal */
export interface ScheduledPeer {
  /** Position in the scheduler's heap, or -1 when it has no deadline there. */
  heapIndex: number;
  /** `true` while it waits in the end-of-turn list. */
  flushQueued: boolean;
  /** Flush now (called for due deadlines and at the end of a turn in which it asked for one). */
  flushFromScheduler(): void;
}

/**
 * Drives the flushes of every {@link Peer} on one clock: see the module description. Peers on the
 * same clock share the scheduler {@link PeerScheduler.for} returns unless one is given in
 * {@link PeerOptions.scheduler}; a separate scheduler changes nothing but how timers are grouped.
 */
export class PeerScheduler {
  readonly #clock: Clock;
  /** Binary min-heap of peers on their deadlines. */
  readonly #heap: ScheduledPeer[] = [];
  /**
   * The deadline of the peer at each heap position (unboxed doubles, moved with the peers: a
   * deadline kept in each peer would be a heap number per peer).
   */
  readonly #deadlines: number[] = newDoubles(0);
  #timer: TimerHandle | undefined;
  /** Due time the host timer is armed for (`Infinity`: none). */
  #timerAt = Number.POSITIVE_INFINITY;
  #queued: ScheduledPeer[] = [];
  #spare: ScheduledPeer[] = [];
  #immediate: TimerHandle | undefined;
  /** Peers popped by one timer callback (reused). */
  readonly #dueScratch: (ScheduledPeer | undefined)[] = [];
  /** Inside the timer callback: the host timer is armed once, at its end. */
  #firing = false;

  /** @param clock - The clock every peer of this scheduler runs on. */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The scheduler shared by the peers on `clock` (created on first use). */
  static for(clock: Clock): PeerScheduler {
    let scheduler = shared.get(clock);
    if (scheduler === undefined) {
      scheduler = new PeerScheduler(clock);
      shared.set(clock, scheduler);
    }
    return scheduler;
  }

  /** The clock the peers run on. */
  get clock(): Clock {
    return this.#clock;
  }

  /** Peers with a deadline (for tests and monitoring). */
  get scheduledPeers(): number {
    return this.#heap.length;
  }

  /** Flush `peer` at the end of the current turn (once, however often this is called in the turn). @internal */
  flushSoon(peer: ScheduledPeer): void {
    if (peer.flushQueued) return;
    peer.flushQueued = true;
    this.#queued.push(peer);
    this.#immediate ??= this.#clock.setTimeout(this.#runQueued, 0);
  }

  /**
   * Flush `peer` at `at` unless it already has an earlier deadline (a later one is kept: it fires
   * early, the flush finds nothing due and the peer asks again). `Infinity` is ignored. @internal
   */
  flushAt(peer: ScheduledPeer, at: number): void {
    if (!(at < Number.POSITIVE_INFINITY)) return;
    const i = peer.heapIndex;
    if (i >= 0) {
      if (at >= this.#deadlines[i]!) return;
      this.#deadlines[i] = at;
      this.#up(i);
    } else {
      const end = this.#heap.length;
      this.#heap.push(peer);
      this.#deadlines.push(at);
      peer.heapIndex = end;
      this.#up(end);
    }
    if (at < this.#timerAt && !this.#firing) this.#arm(at);
  }

  /** Forget `peer`'s deadline and end-of-turn flush (it closed). @internal */
  remove(peer: ScheduledPeer): void {
    if (peer.heapIndex >= 0) this.#removeAt(peer.heapIndex);
    peer.flushQueued = false; // left in the list: the run skips it
  }

  readonly #runQueued = (): void => {
    this.#immediate = undefined;
    // Peers queued by these flushes wait for the next turn, as a setImmediate armed in one would.
    const run = this.#queued;
    this.#queued = this.#spare;
    for (let i = 0; i < run.length; i++) {
      const peer = run[i]!;
      if (!peer.flushQueued) continue;
      peer.flushQueued = false;
      flushGuarded(peer);
    }
    run.length = 0;
    this.#spare = run;
  };

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    const heap = this.#heap;
    const deadlines = this.#deadlines;
    const due = this.#dueScratch;
    // Pop every due peer before flushing any: a flush may give its peer a new deadline at `now`.
    let count = 0;
    while (heap.length > 0 && deadlines[0]! <= now) {
      due[count++] = heap[0]!;
      this.#removeAt(0);
    }
    this.#firing = true;
    for (let i = 0; i < count; i++) {
      const peer = due[i]!;
      due[i] = undefined;
      flushGuarded(peer);
    }
    this.#firing = false;
    if (heap.length > 0) this.#arm(deadlines[0]!);
  };

  #arm(at: number): void {
    this.#timer?.cancel();
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(this.#onTimer, Math.max(0, at - this.#clock.now()));
  }

  #removeAt(i: number): void {
    const heap = this.#heap;
    const deadlines = this.#deadlines;
    heap[i]!.heapIndex = -1;
    const last = heap.pop()!;
    const lastDeadline = deadlines.pop()!;
    if (i < heap.length) {
      heap[i] = last;
      deadlines[i] = lastDeadline;
      last.heapIndex = i;
      this.#down(i);
      this.#up(last.heapIndex);
    }
  }

  /** Move the entry at `i` up while its deadline is earlier than its parent's. */
  #up(i: number): void {
    const heap = this.#heap;
    const deadlines = this.#deadlines;
    const peer = heap[i]!;
    const at = deadlines[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (deadlines[parent]! <= at) break;
      const p = heap[parent]!;
      heap[i] = p;
      deadlines[i] = deadlines[parent]!;
      p.heapIndex = i;
      i = parent;
    }
    heap[i] = peer;
    deadlines[i] = at;
    peer.heapIndex = i;
  }

  /** Move the entry at `i` down while a child's deadline is earlier. */
  #down(i: number): void {
    const heap = this.#heap;
    const deadlines = this.#deadlines;
    const n = heap.length;
    const peer = heap[i]!;
    const at = deadlines[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && deadlines[child + 1]! < deadlines[child]!) child++;
      if (deadlines[child]! >= at) break;
      const c = heap[child]!;
      heap[i] = c;
      deadlines[i] = deadlines[child]!;
      c.heapIndex = i;
      i = child;
    }
    heap[i] = peer;
    deadlines[i] = at;
    peer.heapIndex = i;
  }
}

/**
 * Flush one peer; an exception (a link's `send` throwing) is rethrown asynchronously, as an
 * uncaught error of its own timer would have been, after the other peers of the batch are flushed.
 */
function flushGuarded(peer: ScheduledPeer): void {
  try {
    peer.flushFromScheduler();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** One scheduler per clock, for peers created without one. */
const shared = new WeakMap<Clock, PeerScheduler>();
