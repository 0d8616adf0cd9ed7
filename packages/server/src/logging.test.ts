import { describe, expect, it } from 'vitest';
import { createLogger, InvalidOptionError } from './index.js';

describe('createLogger', () => {
  const sink = () => {
    const lines: string[] = [];
    return {
      lines,
      logger: {
        info: (m: string) => lines.push(`info ${m}`),
        warn: (m: string) => lines.push(`warn ${m}`),
        error: (m: string) => lines.push(`error ${m}`),
      },
    };
  };

  it.each([
    ['info', ['info a', 'warn b', 'error c']],
    ['warn', ['warn b', 'error c']],
    ['error', ['error c']],
    ['silent', []],
  ] as const)('at %s passes only that level and above', (level, expected) => {
    const { lines, logger } = sink();
    const log = createLogger(level, logger);
    log.info('a');
    log.warn('b');
    log.error('c');
    expect(lines).toEqual(expected);
  });

  it('refuses an unknown level', () => {
    expect(() => createLogger('loud' as never)).toThrow(InvalidOptionError);
  });
});
