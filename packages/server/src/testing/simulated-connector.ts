/**
 * {@link simulatedConnector}: join real clients to a {@link Server} through the network simulator,
 * all on one clock — the way to test a room under latency and loss in milliseconds of real time.
 * @module
 */
import { type Clock, createSimulatedPair, type Link, type NetworkConditions } from '@netplay/transport';
import type { Server } from '../server.js';

/** Options of {@link simulatedConnector}. */
export interface SimulatedConnectorOptions {
  /** The clock the server runs on (a `VirtualClock` in tests); the simulator's delays run on it. */
  clock: Clock;
  /** Conditions of both directions, unless overridden below. Defaults to a perfect network. */
  conditions?: NetworkConditions;
  /** Conditions of what clients send. Defaults to `conditions`. */
  clientToServer?: NetworkConditions;
  /** Conditions of what the server sends. Defaults to `conditions`. */
  serverToClient?: NetworkConditions;
  /** Seed of the first link; link `n` uses `seed + n`, so runs repeat exactly. Defaults to 0. */
  seed?: number;
}

/**
 * A link factory for the client's `connect` option: every link the client opens is one side of a
 * fresh `createSimulatedPair`, whose other side the server accepts (`server.acceptLink`) with a
 * distinct remote address per link.
 *
 * ```ts
 * const clock = new VirtualClock();
 * const server = new Server({ clock });
 * server.define('arena', Arena);
 * const connect = simulatedConnector(server, { clock, conditions: { latency: 75, loss: 0.1 }, seed: 1 });
 * const joining = new Client('sim://arena', { clock, connect }).joinOrCreate('arena');
 * await clock.runUntilAsync(() => …); // seconds of lossy play, deterministic
 * ```
 */
export function simulatedConnector(server: Server, options: SimulatedConnectorOptions): () => Promise<Link> {
  const seed = options.seed ?? 0;
  let opened = 0;
  return async () => {
    const n = opened++;
    const [clientSide, serverSide] = createSimulatedPair({
      clock: options.clock,
      seed: seed + n,
      aToB: options.clientToServer ?? options.conditions,
      bToA: options.serverToClient ?? options.conditions,
    });
    server.acceptLink(serverSide, { remoteAddress: `simulated-${n}` });
    return clientSide;
  };
}
