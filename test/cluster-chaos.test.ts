/**
 * Bounded chaos in CI: two workers, three SIGKILLs of random workers about 1.5 s apart while pairs
 * of clients relay numbered reliable messages at 20 Hz (`test/chaos/chaos.ts`; `npm run chaos` runs
 * it longer). Clients whose worker never died lose nothing, see no duplicate and never reconnect;
 * those whose worker died are told with `leave` `ROOM_LOST`.
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from './chaos/chaos.js';

describe('chaos: worker kills under load (2 workers)', () => {
  it('unaffected clients lose nothing; affected ones are told ROOM_LOST', async () => {
    const result = await runChaos({ workers: 2, initialPairs: 4, killEvery: 1500, kills: 3, hz: 20, seed: 7 });
    expect(result.unaffected.pairs).toBeGreaterThan(0);
    expect(result.unaffected.sent).toBeGreaterThan(0);
    expect(result.unaffected.lost).toBe(0);
    expect(result.unaffected.duplicated).toBe(0);
    expect(result.unaffected.reconnects).toBe(0);
    expect(result.affected.pairs).toBeGreaterThan(0);
    expect(result.affected.toldRoomLost).toBe(result.affected.pairs);
    expect(result.affected.duplicated).toBe(0);
  }, 60_000);
});
