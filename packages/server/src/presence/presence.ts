/**
 * Presence: publish / subscribe on named topics between rooms. In one process (`Server`) a
 * {@link LocalPresence} delivers to every subscriber of the process; in cluster mode the worker's
 * presence also forwards each publish to the manager, which hands it to every other worker (and,
 * with Redis, to every other machine), so `this.presence` in a room reaches rooms anywhere.
 * @module
 */
import { InvalidOptionError } from '@netplay/transport';

/** A subscriber of a topic: `(data, topic)`. */
export type PresenceListener = (data: unknown, topic: string) => void;

/**
 * Publish / subscribe between rooms, wherever they are hosted. Data must be structured-clonable and
 * msgpack-encodable (plain objects, arrays, strings, numbers, booleans, null, `Uint8Array`).
 * Delivery is asynchronous (never inside `publish`), at most once, in publish order per publisher;
 * a publisher's own subscribers get its publishes too.
 */
export interface Presence {
  /** Send `data` to every subscriber of `topic`. */
  publish(topic: string, data: unknown): void;
  /** Call `listener` for every publish on `topic`. Returns a function that unsubscribes. */
  subscribe(topic: string, listener: PresenceListener): () => void;
}

/**
 * The in-process presence: subscribers of this process. `forward`, when given, also receives every
 * local publish (cluster mode: the worker sends it on to the manager); {@link LocalPresence.deliver}
 * is how publishes from elsewhere come in.
 */
export class LocalPresence implements Presence {
  readonly #topics = new Map<string, Set<PresenceListener>>();
  readonly #forward: ((topic: string, data: unknown) => void) | undefined;
  readonly #onError: (error: unknown) => void;

  /**
   * @param forward - called with every local publish (cluster mode). Defaults to none.
   * @param onError - where a listener's exception goes. Defaults to `console.error`.
   */
  constructor(forward?: (topic: string, data: unknown) => void, onError?: (error: unknown) => void) {
    this.#forward = forward;
    this.#onError = onError ?? ((error) => console.error('netplay presence: a listener threw', error));
  }

  publish(topic: string, data: unknown): void {
    assertTopic(topic);
    this.deliver(topic, data);
    this.#forward?.(topic, data);
  }

  subscribe(topic: string, listener: PresenceListener): () => void {
    assertTopic(topic);
    // Each subscription gets its own wrapper so subscribing the same function twice is two subscriptions.
    const entry: PresenceListener = (data, t) => listener(data, t);
    let set = this.#topics.get(topic);
    if (set === undefined) {
      set = new Set();
      this.#topics.set(topic, set);
    }
    set.add(entry);
    return () => {
      const s = this.#topics.get(topic);
      s?.delete(entry);
      if (s?.size === 0) this.#topics.delete(topic);
    };
  }

  /** Hand a publish (from this process or another) to this process's subscribers, on a later microtask. */
  deliver(topic: string, data: unknown): void {
    const set = this.#topics.get(topic);
    if (set === undefined) return;
    const listeners = [...set];
    queueMicrotask(() => {
      for (const listener of listeners) {
        if (!set.has(listener)) continue;
        try {
          listener(data, topic);
        } catch (error) {
          this.#onError(error);
        }
      }
    });
  }

  /** Topics with at least one subscriber. */
  get topics(): number {
    return this.#topics.size;
  }
}

/**
 * A room's view of the presence: every subscription made through it is removed when the room is
 * disposed ({@link ScopedPresence.close}), and a listener that throws is reported to the room.
 */
export class ScopedPresence implements Presence {
  readonly #inner: Presence;
  readonly #report: (error: unknown) => void;
  /** Created with the first subscription (most rooms make none). */
  #subscriptions: Set<() => void> | undefined;
  #closed = false;

  /** @param inner - the process's presence. @param report - where a listener's exception goes. */
  constructor(inner: Presence, report: (error: unknown) => void) {
    this.#inner = inner;
    this.#report = report;
  }

  publish(topic: string, data: unknown): void {
    if (!this.#closed) this.#inner.publish(topic, data);
  }

  subscribe(topic: string, listener: PresenceListener): () => void {
    if (this.#closed) return () => {};
    const off = this.#inner.subscribe(topic, (data, t) => {
      if (this.#closed) return;
      try {
        listener(data, t);
      } catch (error) {
        this.#report(error);
      }
    });
    this.#subscriptions ??= new Set();
    const subscriptions = this.#subscriptions;
    const unsubscribe = (): void => {
      if (subscriptions.delete(unsubscribe)) off();
    };
    subscriptions.add(unsubscribe);
    return unsubscribe;
  }

  /** Remove every subscription (the room is gone); later calls do nothing. */
  close(): void {
    this.#closed = true;
    for (const unsubscribe of [...(this.#subscriptions ?? [])]) unsubscribe();
  }
}

function assertTopic(topic: string): void {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > 256) {
    throw new InvalidOptionError('topic', 'a presence topic is a string of 1 to 256 characters');
  }
}
