import { describe, expect, it, vi } from 'vitest';
import { RealClock, realClock, VirtualClock } from './clock.js';
import { InvalidOptionError, LivelockError } from './errors.js';

describe('VirtualClock', () => {
  it('starts at the given time and moves only when advanced', () => {
    const clock = new VirtualClock({ start: 1000 });
    expect(clock.now()).toBe(1000);
    clock.advance(250);
    expect(clock.now()).toBe(1250);
    clock.advanceTo(2000);
    expect(clock.now()).toBe(2000);
  });

  it('fires timers in (time, insertion) order, at their due time', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const at = (name: string) => () => log.push(`${name}@${clock.now()}`);
    clock.setTimeout(at('c'), 30);
    clock.setTimeout(at('a1'), 10);
    clock.setTimeout(at('b'), 20);
    clock.setTimeout(at('a2'), 10);
    clock.setTimeout(at('z'), 0);
    expect(clock.advance(25)).toBe(4);
    expect(log).toEqual(['z@0', 'a1@10', 'a2@10', 'b@20']);
    expect(clock.now()).toBe(25);
    clock.advance(5);
    expect(log.at(-1)).toBe('c@30');
  });

  it('keeps insertion order among many equal-time timers (heap stability)', () => {
    const clock = new VirtualClock();
    const order: number[] = [];
    for (let i = 0; i < 500; i++) clock.setTimeout(() => order.push(i), (i * 7) % 3);
    clock.advance(3);
    const expected = [...Array(500).keys()].sort((x, y) => ((x * 7) % 3) - ((y * 7) % 3) || x - y);
    expect(order).toEqual(expected);
  });

  it('fires a zero-delay timer scheduled from a firing timer within the same advance', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.setTimeout(() => {
      log.push(`outer@${clock.now()}`);
      clock.setTimeout(() => {
        log.push(`inner@${clock.now()}`);
        clock.setTimeout(() => log.push(`innermost@${clock.now()}`), 0);
      }, 0);
      clock.setTimeout(() => log.push(`later@${clock.now()}`), 5);
    }, 10);
    clock.advance(10);
    expect(log).toEqual(['outer@10', 'inner@10', 'innermost@10']);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(5);
    expect(log.at(-1)).toBe('later@15');
  });

  it('cancels timers (twice is a no-op, after firing is a no-op)', () => {
    const clock = new VirtualClock();
    let fired = 0;
    const a = clock.setTimeout(() => fired++, 10);
    const b = clock.setTimeout(() => fired++, 20);
    const c = clock.setTimeout(() => fired++, 30);
    b.cancel();
    b.cancel();
    expect(clock.pendingTimers).toBe(2);
    clock.advance(10);
    a.cancel();
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextTimerAt()).toBe(30);
    c.cancel();
    expect(clock.nextTimerAt()).toBeUndefined();
    clock.advance(100);
    expect(fired).toBe(1);
  });

  it('a timer can cancel another one due at the same instant', () => {
    const clock = new VirtualClock();
    let secondFired = false;
    const handles: { cancel(): void }[] = [];
    handles.push(clock.setTimeout(() => handles[1]!.cancel(), 5));
    handles.push(clock.setTimeout(() => (secondFired = true), 5));
    clock.advance(5);
    expect(secondFired).toBe(false);
  });

  it('step() jumps to the next timer and fires exactly one', () => {
    const clock = new VirtualClock();
    const log: number[] = [];
    clock.setTimeout(() => log.push(1), 40);
    clock.setTimeout(() => log.push(2), 40);
    expect(clock.step()).toBe(true);
    expect(log).toEqual([1]);
    expect(clock.now()).toBe(40);
    expect(clock.step()).toBe(true);
    expect(clock.step()).toBe(false);
  });

  it('runUntilIdle drives chains of timers to quiescence', () => {
    const clock = new VirtualClock();
    let n = 0;
    const tick = () => {
      if (++n < 10) clock.setTimeout(tick, 100);
    };
    clock.setTimeout(tick, 100);
    expect(clock.runUntilIdle()).toBe(10);
    expect(clock.now()).toBe(1000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('runUntilIdle throws LivelockError when a timer keeps re-arming', () => {
    const clock = new VirtualClock();
    const heartbeat = () => {
      clock.setTimeout(heartbeat, 16);
    };
    clock.setTimeout(heartbeat, 16);
    const error = (() => {
      try {
        clock.runUntilIdle(50);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(LivelockError);
    expect((error as LivelockError).code).toBe('LIVELOCK');
    expect(clock.now()).toBe(50 * 16);
  });

  it('advance throws LivelockError on a zero-delay loop instead of hanging', () => {
    const clock = new VirtualClock({ maxTimersPerInstant: 1000 });
    const spin = () => {
      clock.setTimeout(spin, 0);
    };
    clock.setTimeout(spin, 5);
    expect(() => clock.advance(10)).toThrow(LivelockError);
    expect(clock.now()).toBe(5);
  });

  it('many timers at different times are not a livelock', () => {
    const clock = new VirtualClock({ maxTimersPerInstant: 10 });
    let n = 0;
    const tick = () => {
      n++;
      clock.setTimeout(tick, 1);
    };
    clock.setTimeout(tick, 1);
    clock.advance(10_000);
    expect(n).toBe(10_000);
  });

  it('runUntil stops when the condition holds, returns false when idle', () => {
    const clock = new VirtualClock();
    let count = 0;
    for (let i = 1; i <= 5; i++) clock.setTimeout(() => count++, i * 10);
    expect(clock.runUntil(() => count === 3)).toBe(true);
    expect(clock.now()).toBe(30);
    expect(clock.runUntil(() => count === 99)).toBe(false);
    expect(count).toBe(5);
  });

  it('stays consistent when a timer throws', () => {
    const clock = new VirtualClock();
    let after = false;
    clock.setTimeout(() => {
      throw new Error('boom');
    }, 10);
    clock.setTimeout(() => (after = true), 20);
    expect(() => clock.advance(30)).toThrow('boom');
    expect(clock.now()).toBe(10);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(20);
    expect(after).toBe(true);
  });

  it('never moves time backwards, even when a timer advances the clock itself', () => {
    const clock = new VirtualClock();
    clock.setTimeout(() => clock.advance(100), 10);
    clock.advance(20);
    expect(clock.now()).toBe(110);
    expect(() => clock.advanceTo(50)).toThrow(InvalidOptionError);
  });

  it('validates its inputs', () => {
    const clock = new VirtualClock();
    expect(() => clock.advance(-1)).toThrow(InvalidOptionError);
    expect(() => clock.advance(Number.NaN)).toThrow(InvalidOptionError);
    expect(() => clock.setTimeout(() => {}, Number.POSITIVE_INFINITY)).toThrow(InvalidOptionError);
    expect(() => new VirtualClock({ maxSteps: 0 })).toThrow(InvalidOptionError);
    // Negative delays behave like 0, as with the global setTimeout.
    let fired = false;
    clock.setTimeout(() => (fired = true), -5);
    clock.advance(0);
    expect(fired).toBe(true);
  });
});

describe('RealClock', () => {
  it('reads performance.now() and is shared as realClock', () => {
    const before = performance.now();
    const t = realClock.now();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(realClock).toBeInstanceOf(RealClock);
  });

  it('schedules and cancels through the global timers', () => {
    const calls: number[] = [];
    const original = globalThis.setTimeout;
    const originalClear = globalThis.clearTimeout;
    const fake = ((_fn: () => void, ms: number) => {
      calls.push(ms);
      return 42;
    }) as unknown as typeof globalThis.setTimeout;
    let cleared: unknown;
    globalThis.setTimeout = fake;
    globalThis.clearTimeout = ((id: unknown) => {
      cleared = id;
    }) as typeof globalThis.clearTimeout;
    try {
      const handle = new RealClock().setTimeout(() => {}, 25);
      handle.cancel();
    } finally {
      globalThis.setTimeout = original;
      globalThis.clearTimeout = originalClear;
    }
    expect(calls).toEqual([25]);
    expect(cleared).toBe(42);
  });

  it('never fires before its delay by performance.now(), even when the host timer wakes early', () => {
    // The host timer and the time are both under the test's control: the host wakes the timer 3 ms
    // early, then on time (Node may wake a timer up to 1 ms early on its own).
    let now = 1000;
    const pending: { fn: () => void; ms: number }[] = [];
    const nowSpy = vi.spyOn(performance, 'now').mockImplementation(() => now);
    const timeoutSpy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms: number) => {
      pending.push({ fn, ms });
      return 0 as unknown as ReturnType<typeof setTimeout>;
    }) as typeof setTimeout);
    try {
      let firedAt = -1;
      new RealClock().setTimeout(() => {
        firedAt = now;
      }, 20);
      expect(pending).toEqual([{ fn: expect.any(Function), ms: 20 }]);
      now = 1017; // the host wakes 3 ms early
      pending.shift()!.fn();
      expect(firedAt).toBe(-1);
      expect(pending.map((p) => p.ms)).toEqual([3]); // it waits out the rest
      now = 1020;
      pending.shift()!.fn();
      expect(firedAt).toBe(1020);
    } finally {
      nowSpy.mockRestore();
      timeoutSpy.mockRestore();
    }
  });

  it('runs a zero delay at the end of the turn (setImmediate), after promise callbacks, and cancels it', async () => {
    const order: string[] = [];
    const clock = new RealClock();
    clock.setTimeout(() => order.push('timer'), 0);
    const cancelled = clock.setTimeout(() => order.push('cancelled'), 0);
    cancelled.cancel();
    void Promise.resolve().then(() => order.push('microtask'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['microtask', 'timer']);
  });
});
