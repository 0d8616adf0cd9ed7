import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClusterError, ClusterErrorCode } from './errors.js';

describe('ClusterError', () => {
  it('is a NetplayError with its code, and docs/errors.md tables exactly the codes of ClusterErrorCode', () => {
    const error = new ClusterError(ClusterErrorCode.IPC_TIMEOUT, 'no answer');
    expect(error.code).toBe('IPC_TIMEOUT');
    expect(error.name).toBe('ClusterError');
    const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
    const start = doc.indexOf('## Cluster codes');
    const section = doc.slice(start, doc.indexOf('\n## ', start + 3));
    const tabled = [...section.matchAll(/^\| `([A-Z_]+)` /gm)].map((m) => m[1]);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(tabled.sort()).toEqual(Object.values(ClusterErrorCode).sort());
  });
});
