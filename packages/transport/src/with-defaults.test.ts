import { describe, expect, it } from 'vitest';
import { withDefaults } from './with-defaults.js';

describe('withDefaults', () => {
  const defaults = { a: 1, b: 'x', c: true } as const;

  it('keeps a default for an option that is missing or undefined, takes every other value', () => {
    expect(withDefaults(defaults, { a: 5, b: undefined })).toEqual({ a: 5, b: 'x', c: true });
    expect(withDefaults(defaults, { c: false })).toEqual({ a: 1, b: 'x', c: false });
    expect(withDefaults(defaults, undefined)).toEqual(defaults);
  });

  it('passes null and falsy values through (only undefined means "default")', () => {
    expect(withDefaults({ a: 1 as number | null, b: 's' }, { a: null, b: '' })).toEqual({ a: null, b: '' });
  });

  it('returns a new object and leaves the defaults alone', () => {
    const d = { a: 1 };
    const out = withDefaults(d, { a: 2 });
    expect(out).not.toBe(d);
    expect(d).toEqual({ a: 1 });
  });
});
