/**
 * Time sources. The protocol core never reads time itself: drivers read a {@link Clock} and pass
 * `now` in. Tests use {@link VirtualClock} so seconds of game time run in milliseconds.
 * @module
 */

import { InvalidOptionError, LivelockError } from './errors.js';
import { type TimedEntry, TimedQueue } from './sim/timed-queue.js';
import { withDefaults } from './with-defaults.js';

/** Handle returned by {@link Clock.setTimeout}. */
export interface TimerHandle {
  /** Cancel the timer; cancelling twice or after it fired is a no-op. */
  cancel(): void;
}

/** A source of time in milliseconds and of timers on that time. */
export interface Clock {
  /** Current time in milliseconds (monotonic; the origin is arbitrary). */
  now(): number;
  /** Run `fn` once, `delayMs` from now on this clock. */
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
}

/** `setImmediate` / `clearImmediate` where the host has them (Node), else `undefined` (browsers). */
const host = globalThis as {
  setImmediate?: (fn: () => void) => unknown;
  clearImmediate?: (id: unknown) => void;
};

/**
 * Timer of a {@link RealClock}. It never fires early: host timers may run up to a millisecond
 * before their delay by `performance.now()` (Node rounds to its loop's cached millisecond clock),
 * so a timer that wakes early waits out the rest. A delay of 0 uses `setImmediate` where the host
 * has it: it runs after the I/O callbacks of the current event-loop turn instead of a timer clamped
 * to 1 ms, so a `Peer` flush coalesces everything of that turn and adds no millisecond of latency.
 */
class RealTimer implements TimerHandle {
  #id: unknown;
  #immediate = false;
  #cancelled = false;

  constructor(fn: () => void, delayMs: number) {
    if (delayMs <= 0 && host.setImmediate !== undefined && host.clearImmediate !== undefined) {
      this.#immediate = true;
      this.#id = host.setImmediate(() => {
        if (!this.#cancelled) fn();
      });
      return;
    }
    const due = performance.now() + delayMs;
    const fire = (): void => {
      if (this.#cancelled) return;
      const left = due - performance.now();
      if (left > 0) {
        this.#id = globalThis.setTimeout(fire, left);
        return;
      }
      fn();
    };
    this.#id = globalThis.setTimeout(fire, delayMs);
  }

  cancel(): void {
    this.#cancelled = true;
    if (this.#immediate) host.clearImmediate!(this.#id);
    else globalThis.clearTimeout(this.#id as ReturnType<typeof globalThis.setTimeout>);
  }
}

/**
 * Wall-clock time: `performance.now()` and the global `setTimeout`. Works in Node and browsers.
 * Use the shared {@link realClock} instead of constructing one.
 */
export class RealClock implements Clock {
  /** Milliseconds since the time origin (`performance.now()`). */
  now(): number {
    return performance.now();
  }

  /**
   * Schedule `fn` after `delayMs` by `performance.now()`, never earlier (the host may fire later, e.g.
   * clamp small delays to 1 ms); a delay of 0 (or less) runs at the end of the current event-loop
   * turn (`setImmediate`) where the host has it.
   */
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    return new RealTimer(fn, delayMs);
  }
}

/** The shared {@link RealClock}. */
export const realClock: Clock = new RealClock();

/** Options of {@link VirtualClock}. */
export interface VirtualClockOptions {
  /** Initial time in milliseconds. Defaults to `0`. */
  start?: number;
  /**
   * Most timers that may fire at one and the same instant within one call of `advance`,
   * `advanceTo`, `runUntilIdle` or `runUntil` before a {@link LivelockError} is thrown (a timer
   * that keeps re-arming itself with delay 0 would otherwise hang the test). Defaults to `100_000`.
   */
  maxTimersPerInstant?: number;
  /** Default `maxSteps` of {@link VirtualClock.runUntilIdle} and {@link VirtualClock.runUntil}. Defaults to `100_000`. */
  maxSteps?: number;
}

/** Defaults of {@link VirtualClockOptions}. */
export const DEFAULT_VIRTUAL_CLOCK_OPTIONS = {
  start: 0,
  maxTimersPerInstant: 100_000,
  maxSteps: 100_000,
} as const satisfies Required<VirtualClockOptions>;

/** Timer of a {@link VirtualClock}: an entry of its queue. */
class VirtualTimer implements TimedEntry, TimerHandle {
  at: number;
  seq = 0;
  index = -1;
  fn: (() => void) | undefined;
  readonly #queue: TimedQueue<VirtualTimer>;
  constructor(queue: TimedQueue<VirtualTimer>, fn: () => void, at: number) {
    this.#queue = queue;
    this.fn = fn;
    this.at = at;
  }
  cancel(): void {
    this.#queue.remove(this);
    this.fn = undefined;
  }
}

/**
 * Time that moves only when a test moves it. Timers fire in order of due time, then of creation;
 * a timer created while another fires, due at or before the target time (including delay 0), fires
 * within the same `advance`. Timers are kept in a binary heap, so thousands of them stay cheap.
 *
 * Like quinn's test `Pair`: {@link step} jumps to the next wake-up, {@link runUntilIdle} drives
 * until nothing is pending, and both are bounded so a livelock fails the test instead of hanging it.
 *
 * An exception thrown by a timer propagates out of the call that fired it; the clock stays
 * consistent (that timer is gone, time is at its due time) and can keep being driven.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * clock.setTimeout(() => console.log('tick', clock.now()), 150);
 * clock.advance(200); // logs "tick 150"; clock.now() === 200
 * ```
 */
export class VirtualClock implements Clock {
  readonly #queue = new TimedQueue<VirtualTimer>();
  readonly #maxTimersPerInstant: number;
  readonly #maxSteps: number;
  #now: number;
  #instant = Number.NaN;
  #firedAtInstant = 0;

  constructor(options: VirtualClockOptions = {}) {
    const o = withDefaults(DEFAULT_VIRTUAL_CLOCK_OPTIONS, options);
    if (!Number.isFinite(o.start)) throw new InvalidOptionError('start', `must be a finite number, got ${o.start}`);
    checkCount('maxTimersPerInstant', o.maxTimersPerInstant);
    checkCount('maxSteps', o.maxSteps);
    this.#now = o.start;
    this.#maxTimersPerInstant = o.maxTimersPerInstant;
    this.#maxSteps = o.maxSteps;
  }

  /** Current virtual time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /**
   * Run `fn` once at `now() + delayMs`. Negative delays count as 0 (like the global `setTimeout`);
   * a non-finite delay throws {@link InvalidOptionError}.
   */
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    if (!Number.isFinite(delayMs)) throw new InvalidOptionError('delayMs', `must be a finite number, got ${delayMs}`);
    const timer = new VirtualTimer(this.#queue, fn, this.#now + Math.max(delayMs, 0));
    this.#queue.push(timer);
    return timer;
  }

  /** Number of timers that are scheduled and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.#queue.size;
  }

  /** Due time of the earliest pending timer, or `undefined` when none is pending. */
  nextTimerAt(): number | undefined {
    return this.#queue.peek()?.at;
  }

  /** Move time forward by `ms` (≥ 0), firing every timer due on the way. Returns how many fired. */
  advance(ms: number): number {
    if (!(ms >= 0) || !Number.isFinite(ms))
      throw new InvalidOptionError('ms', `must be a finite number ≥ 0, got ${ms}`);
    return this.advanceTo(this.#now + ms);
  }

  /**
   * Move time forward to `t`, firing every timer due at or before `t` in order, then set the time
   * to `t`. A `t` in the past is an error. Returns how many timers fired.
   * @throws {@link LivelockError} when more than `maxTimersPerInstant` timers fire at one instant.
   */
  advanceTo(t: number): number {
    if (!Number.isFinite(t) || t < this.#now) {
      throw new InvalidOptionError('t', `must be a finite time ≥ now (${this.#now}), got ${t}`);
    }
    this.#resetGuard();
    let fired = 0;
    for (;;) {
      const next = this.#queue.peek();
      if (next === undefined || next.at > t) break;
      this.#fire(next);
      fired++;
    }
    // A timer may have driven the clock itself (nested advance); time never goes backwards.
    if (t > this.#now) this.#now = t;
    return fired;
  }

  /**
   * Jump to the earliest pending timer and fire it (that one timer only). Returns `false` when no
   * timer is pending.
   */
  step(): boolean {
    const next = this.#queue.peek();
    if (next === undefined) return false;
    this.#resetGuard();
    this.#fire(next);
    return true;
  }

  /**
   * Fire timers in order, jumping time forward, until none is pending. Returns how many fired.
   * @param maxSteps Most timers to fire. Defaults to the clock's `maxSteps` option.
   * @throws {@link LivelockError} when timers are still pending after `maxSteps` (something keeps
   * re-arming, e.g. a heartbeat: use {@link advance} or {@link runUntil} for those).
   */
  runUntilIdle(maxSteps = this.#maxSteps): number {
    this.#resetGuard();
    let fired = 0;
    for (;;) {
      const next = this.#queue.peek();
      if (next === undefined) return fired;
      if (fired >= maxSteps) {
        throw new LivelockError(`still ${this.#queue.size} timer(s) pending after ${maxSteps} steps`, this.#now);
      }
      this.#fire(next);
      fired++;
    }
  }

  /**
   * Like {@link runUntil}, for code that awaits promises (a client's `joinOrCreate`, a room's async
   * hooks): before each check and each step it lets pending promise callbacks and I/O callbacks run
   * (one macrotask turn), so async work completes at the virtual time it was started. Resolves
   * `true` when the condition became true, `false` when no timer was left and the condition still
   * failed after the pending callbacks ran.
   *
   * ```ts
   * const joined = client.joinOrCreate('arena');
   * await clock.runUntilAsync(() => done);   // 10 s of handshakes and resends in milliseconds
   * ```
   * @param maxSteps Most timers to fire. Defaults to the clock's `maxSteps` option.
   * @throws {@link LivelockError} when the condition is still false after `maxSteps` timers.
   */
  async runUntilAsync(condition: () => boolean, maxSteps = this.#maxSteps): Promise<boolean> {
    let fired = 0;
    let idleTurns = 0;
    for (;;) {
      await nextTurn();
      if (condition()) return true;
      if (this.#queue.peek() === undefined) {
        // Nothing scheduled: give in-flight async work a few more turns before calling it idle.
        if (++idleTurns > IDLE_TURNS) return false;
        continue;
      }
      idleTurns = 0;
      if (fired >= maxSteps) throw new LivelockError(`condition still false after ${maxSteps} steps`, this.#now);
      this.#resetGuard();
      this.#fire(this.#queue.peek()!);
      fired++;
    }
  }

  /**
   * Fire timers in order until `condition()` is true (checked before each step). Returns `true`
   * when the condition became true, `false` when the clock went idle first.
   * @param maxSteps Most timers to fire. Defaults to the clock's `maxSteps` option.
   * @throws {@link LivelockError} when the condition is still false after `maxSteps` timers.
   */
  runUntil(condition: () => boolean, maxSteps = this.#maxSteps): boolean {
    this.#resetGuard();
    let fired = 0;
    for (;;) {
      if (condition()) return true;
      const next = this.#queue.peek();
      if (next === undefined) return false;
      if (fired >= maxSteps) throw new LivelockError(`condition still false after ${maxSteps} steps`, this.#now);
      this.#fire(next);
      fired++;
    }
  }

  #resetGuard(): void {
    this.#instant = Number.NaN;
    this.#firedAtInstant = 0;
  }

  #fire(timer: VirtualTimer): void {
    this.#queue.pop();
    if (timer.at > this.#now) this.#now = timer.at;
    if (timer.at === this.#instant) {
      if (++this.#firedAtInstant > this.#maxTimersPerInstant) {
        throw new LivelockError(`more than ${this.#maxTimersPerInstant} timers fired at one instant`, this.#now);
      }
    } else {
      this.#instant = timer.at;
      this.#firedAtInstant = 1;
    }
    const fn = timer.fn!;
    timer.fn = undefined;
    fn();
  }
}

function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidOptionError(name, `must be an integer ≥ 1, got ${value}`);
  }
}

/** Turns {@link VirtualClock.runUntilAsync} waits, with no timer pending, before it calls the clock idle. */
const IDLE_TURNS = 3;

/** Resolve after every pending promise callback (and ready I/O callback) has run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}
