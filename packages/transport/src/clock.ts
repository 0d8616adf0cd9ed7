/**
 * Time sources. The protocol core never reads time itself: drivers read a {@link Clock} and pass
 * `now` in. Tests use {@link VirtualClock} so seconds of game time run in milliseconds.
 * @module
 */

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
