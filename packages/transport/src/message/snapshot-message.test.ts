import { describe, expect, it } from 'vitest';
import { FULL_SNAPSHOT, readSnapshotPayload, snapshotPayload } from './snapshot-message.js';

describe('snapshot message', () => {
  const body = new Uint8Array([1, 2, 3]);

  it('reads back what it writes, full and relative', () => {
    expect(readSnapshotPayload(snapshotPayload(7, FULL_SNAPSHOT, 1234.5, { input: 3 }, body))).toEqual({
      id: 7,
      baselineId: FULL_SNAPSHOT,
      serverTime: 1234.5,
      meta: { input: 3 },
      body,
    });
    expect(readSnapshotPayload(snapshotPayload(7, 7, 0, null, body))?.baselineId).toBe(7);
  });

  it.each([
    ['not an array', { id: 1 }],
    ['too short', [1, -1, 0, null]],
    ['id 0', [0, -1, 0, null, body]],
    ['fractional id', [1.5, -1, 0, null, body]],
    ['baseline after the snapshot', [3, 4, 0, null, body]],
    ['baseline -2', [3, -2, 0, null, body]],
    ['time not finite', [3, -1, Number.POSITIVE_INFINITY, null, body]],
    ['time not a number', [3, -1, '0', null, body]],
    ['body not bytes', [3, -1, 0, null, [1, 2, 3]]],
  ])('refuses a payload whose %s', (_what, payload) => {
    expect(readSnapshotPayload(payload)).toBeUndefined();
  });
});
