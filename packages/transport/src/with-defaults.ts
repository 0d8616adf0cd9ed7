/**
 * {@link withDefaults}: how every options object of the SDK meets its `DEFAULT_…` constant.
 * @module
 */

/**
 * `defaults` overridden by every option in `options` that is not `undefined` (an option passed
 * as `undefined` keeps its default, unlike a plain spread). Returns a new object.
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O | undefined): D & O {
  const out = { ...defaults } as Record<string, unknown>;
  if (options !== undefined) {
    for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  }
  return out as D & O;
}
