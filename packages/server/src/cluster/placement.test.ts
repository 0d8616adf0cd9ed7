import { describe, expect, it } from 'vitest';
import {
  fnv1a,
  LeastConnectionsPlacement,
  placementStrategy,
  RoundRobinPlacement,
  SourceHashPlacement,
  type WorkerLoad,
} from './placement.js';

const w = (index: number, connections: number, rooms = 0): WorkerLoad => ({
  index,
  connections,
  rooms,
  eventLoopLag: 0,
});
const req = (remoteAddress = '10.0.0.1') => ({ roomName: 'arena', remoteAddress });

describe('placement', () => {
  it('least connections picks the fewest connections, then fewer rooms, then the lower index', () => {
    const p = new LeastConnectionsPlacement();
    expect(p.choose([w(0, 5), w(1, 2), w(2, 3)]).index).toBe(1);
    expect(p.choose([w(0, 2, 3), w(1, 2, 1)]).index).toBe(1);
    expect(p.choose([w(1, 2, 1), w(0, 2, 1)]).index).toBe(0);
  });

  it('round robin takes each live worker in turn, skipping missing ones', () => {
    const p = new RoundRobinPlacement();
    const all = [w(0, 0), w(1, 0), w(2, 0)];
    expect([0, 1, 2, 3].map(() => p.choose(all).index)).toEqual([0, 1, 2, 0]);
    expect(p.choose([w(0, 0), w(2, 0)]).index).toBe(2);
  });

  it('source hash sends one address to the same worker every time', () => {
    const p = new SourceHashPlacement();
    const all = [w(0, 0), w(1, 0), w(2, 0)];
    const first = p.choose(all, req('192.168.1.7')).index;
    for (let i = 0; i < 5; i++) expect(p.choose(all, req('192.168.1.7')).index).toBe(first);
    const spread = new Set(Array.from({ length: 50 }, (_, i) => p.choose(all, req(`10.0.0.${i}`)).index));
    expect(spread.size).toBe(3);
    expect(fnv1a('')).toBe(0x811c9dc5);
  });

  it('maps options to strategies and keeps a custom one', () => {
    expect(placementStrategy('least-connections').name).toBe('least-connections');
    expect(placementStrategy('round-robin').name).toBe('round-robin');
    expect(placementStrategy('source-hash').name).toBe('source-hash');
    const mine = { name: 'mine', choose: (ws: readonly WorkerLoad[]) => ws[0]! };
    expect(placementStrategy(mine)).toBe(mine);
  });
});
