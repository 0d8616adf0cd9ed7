/**
 * Join latency, direct vs. through a cluster manager: `joins` sequential joins from one `Client`
 * (in this process) against a fresh server child (`netplay-server.ts ws`, or `cluster-server.ts`:
 * a manager and 2 workers). Each round times `client.create('relay')` (start → resolved; through
 * the manager: session with the manager, placement, IPC reserve, redirect, session with the worker,
 * `Joined`) and then `client.joinById(roomId)` into that room, then leaves both (not timed). Every
 * join opens its own session (WebSocket + handshake), as a game's join does. The first `warmup`
 * rounds are not counted.
 * @module
 */
import { Client } from '@netplay/client';
import { percentile } from '../stats.js';
import { QUICK_RELAY_OPTIONS, withServer } from './harness.js';

export type JoinTarget = 'netplay-ws' | 'netplay-cluster';
export const JOIN_TARGETS: readonly JoinTarget[] = ['netplay-ws', 'netplay-cluster'];

export interface JoinLatencyOptions {
  /** Measured rounds (one `create` and one `joinById` each). */
  joins: number;
  /** Rounds before the measured ones. */
  warmup: number;
}

export const DEFAULT_JOIN_OPTIONS: JoinLatencyOptions = { joins: 200, warmup: 20 };
export const QUICK_JOIN_OPTIONS: JoinLatencyOptions = { joins: 50, warmup: 10 };

export interface JoinLatencyResult {
  target: JoinTarget;
  joins: number;
  /** `create` start → resolved, ms. */
  createP50: number;
  createP99: number;
  createMax: number;
  /** `joinById` start → resolved, ms. */
  joinByIdP50: number;
  joinByIdP99: number;
  joinByIdMax: number;
}

const silent = { warn: () => {}, error: () => {} };

export async function measureJoinLatency(
  target: JoinTarget,
  o: JoinLatencyOptions = DEFAULT_JOIN_OPTIONS,
): Promise<JoinLatencyResult> {
  return withServer(target, QUICK_RELAY_OPTIONS, async (url) => {
    const client = new Client(url, { reconnect: { enabled: false }, logger: silent });
    const creates: number[] = [];
    const joins: number[] = [];
    for (let i = 0; i < o.warmup + o.joins; i++) {
      const t0 = performance.now();
      const a = await client.create('relay');
      const t1 = performance.now();
      const b = await client.joinById(a.roomId);
      const t2 = performance.now();
      if (i >= o.warmup) {
        creates.push(t1 - t0);
        joins.push(t2 - t1);
      }
      await Promise.all([b.leave(), a.leave()]);
    }
    creates.sort((x, y) => x - y);
    joins.sort((x, y) => x - y);
    return {
      target,
      joins: o.joins,
      createP50: percentile(creates, 0.5),
      createP99: percentile(creates, 0.99),
      createMax: creates.at(-1) ?? Number.NaN,
      joinByIdP50: percentile(joins, 0.5),
      joinByIdP99: percentile(joins, 0.99),
      joinByIdMax: joins.at(-1) ?? Number.NaN,
    };
  });
}
