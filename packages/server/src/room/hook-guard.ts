/**
 * Calling game code safely: a room hook or handler that throws, or returns a promise that rejects,
 * is reported and never escapes into the session layer, the process or other rooms.
 * @module
 */

/** Receives an error thrown (or rejected) by game code. */
export type ErrorSink = (error: unknown) => void;

/** Whether `value` looks like a promise (has a callable `then`). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Run `fn` (game code) and return its result. A synchronous throw goes to `onError` and yields
 * `undefined`; a returned promise that rejects goes to `onError` later. Never throws.
 */
export function guard<T>(fn: () => T, onError: ErrorSink): T | undefined {
  let result: T;
  try {
    result = fn();
  } catch (error) {
    onError(error);
    return undefined;
  }
  if (isThenable(result)) result.then(undefined, onError);
  return result;
}

/** The settled outcome of {@link settle}. */
export type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** Run `fn` (game code, sync or async) and wait for its outcome. Never rejects. */
export async function settle<T>(fn: () => T | PromiseLike<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}
