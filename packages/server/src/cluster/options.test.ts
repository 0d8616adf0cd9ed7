import { describe, expect, it } from 'vitest';
import { DEFAULT_CLUSTER_OPTIONS, InvalidOptionError, resolveClusterOptions } from '../index.js';

describe('cluster options', () => {
  it('keeps a restart-backoff default for an option passed as undefined', () => {
    const o = resolveClusterOptions({
      rooms: './rooms.js',
      restartBackoff: { initialDelay: undefined, maxDelay: 1000 },
    });
    expect(o.restartBackoff).toEqual({ ...DEFAULT_CLUSTER_OPTIONS.restartBackoff, maxDelay: 1000 });
  });

  it('refuses a bad restart backoff and a missing rooms module', () => {
    expect(() => resolveClusterOptions({ rooms: './rooms.js', restartBackoff: { initialDelay: -1 } })).toThrow(
      /restartBackoff.initialDelay/,
    );
    expect(() => resolveClusterOptions({ rooms: '' })).toThrow(InvalidOptionError);
  });
});
