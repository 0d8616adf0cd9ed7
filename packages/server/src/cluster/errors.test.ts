import { describe, expect, it } from 'vitest';
import { ClusterError, ClusterErrorCode } from './errors.js';

// docs/errors.md's table of these codes is checked in test/errors-doc.test.ts.
describe('ClusterError', () => {
  it('carries its code and name', () => {
    const error = new ClusterError(ClusterErrorCode.IPC_TIMEOUT, 'no answer');
    expect(error.code).toBe('IPC_TIMEOUT');
    expect(error.name).toBe('ClusterError');
  });
});
