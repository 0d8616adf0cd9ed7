import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import {
  DEFAULT_NETWORK_CONDITIONS,
  type NetworkConditions,
  preservesDelivery,
  resolveNetworkConditions,
} from './network-conditions.js';

describe('resolveNetworkConditions', () => {
  it('fills every missing field from DEFAULT_NETWORK_CONDITIONS', () => {
    expect(resolveNetworkConditions(undefined)).toEqual(DEFAULT_NETWORK_CONDITIONS);
    const r = resolveNetworkConditions({ latency: 150, loss: 0.05, burst: { pGoodToBad: 0.1, pBadToGood: 0.5 } });
    expect(r.latency).toBe(150);
    expect(r.loss).toBe(0.05);
    expect(r.jitter).toBe(0);
    expect(r.burst).toEqual({ pGoodToBad: 0.1, pBadToGood: 0.5, lossInBad: 1, lossInGood: 0 });
    expect(Object.isFrozen(r)).toBe(true);
  });

  it('copies arrays so later mutation by the caller has no effect', () => {
    const dropIndices = [1, 2];
    const r = resolveNetworkConditions({ dropIndices });
    dropIndices.push(3);
    expect(r.dropIndices).toEqual([1, 2]);
  });

  const bad: [string, NetworkConditions][] = [
    ['loss', { loss: 1.5 }],
    ['loss', { loss: -0.1 }],
    ['loss', { loss: Number.NaN }],
    ['latency', { latency: -1 }],
    ['latency', { latency: Number.POSITIVE_INFINITY }],
    ['jitter', { jitter: -5 }],
    ['duplicate', { duplicate: 2 }],
    ['reorder', { reorder: -1 }],
    ['reorderDelay', { reorderDelay: -1 }],
    ['bandwidth', { bandwidth: 0 }],
    ['queueLimit', { queueLimit: -10 }],
    ['mtu', { mtu: 0 }],
    ['burst.pGoodToBad', { burst: { pGoodToBad: 2, pBadToGood: 0.5 } }],
    ['burst.lossInBad', { burst: { pGoodToBad: 0.1, pBadToGood: 0.5, lossInBad: -1 } }],
    ['dropIndices', { dropIndices: [-1] }],
    ['dropIndices', { dropIndices: [1.5] }],
    ['dropWindows[0]', { dropWindows: [{ from: 10, to: 5 }] }],
    ['keepOrder', { keepOrder: 'yes' as unknown as boolean }],
    ['dropIf', { dropIf: 42 as unknown as () => boolean }],
  ];
  it.each(bad)('rejects a bad %s with InvalidOptionError naming it', (name, conditions) => {
    expect(() => resolveNetworkConditions(conditions, 'outbound')).toThrow(InvalidOptionError);
    expect(() => resolveNetworkConditions(conditions, 'outbound')).toThrow(`outbound.${name}`);
  });
});

describe('preservesDelivery', () => {
  const p = (c: NetworkConditions) => preservesDelivery(resolveNetworkConditions(c));
  it('holds for delay-only conditions', () => {
    expect(p({})).toBe(true);
    expect(p({ latency: 150 })).toBe(true);
    expect(p({ latency: 150, jitter: 30, keepOrder: true })).toBe(true);
    expect(p({ bandwidth: 50_000 })).toBe(true);
    expect(p({ reorder: 0.5, reorderDelay: 0 })).toBe(true);
    expect(p({ burst: { pGoodToBad: 0, pBadToGood: 1 } })).toBe(true);
  });
  it('fails for anything that can lose, duplicate or reorder', () => {
    expect(p({ loss: 0.01 })).toBe(false);
    expect(p({ jitter: 10 })).toBe(false);
    expect(p({ duplicate: 0.01 })).toBe(false);
    expect(p({ reorder: 0.01 })).toBe(false);
    expect(p({ burst: { pGoodToBad: 0.01, pBadToGood: 0.5 } })).toBe(false);
    expect(p({ mtu: 1200 })).toBe(false);
    expect(p({ bandwidth: 50_000, queueLimit: 10_000 })).toBe(false);
    expect(p({ dropIndices: [3] })).toBe(false);
    expect(p({ dropWindows: [{ from: 0, to: 10 }] })).toBe(false);
    expect(p({ dropIf: () => false })).toBe(false);
  });
});
