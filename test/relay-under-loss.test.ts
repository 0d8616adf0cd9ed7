/**
 * Server and clients on one virtual clock, joined through the network simulator: two clients at
 * 150 ms RTT and 10 % loss (with duplication and reordering) relay through the server.
 */
import { Client, type Room as ClientRoom } from '@netplay/client';
import { Room, Server, simulatedConnector } from '@netplay/server';
import { type NetworkConditions, VirtualClock } from '@netplay/transport';
import { describe, expect, it } from 'vitest';

const quiet = { info() {}, warn() {}, error() {} };

class RelayRoom extends Room {}

function world(conditions: NetworkConditions, seed = 1) {
  const clock = new VirtualClock();
  const server = new Server({ clock, logger: quiet, rateLimit: { messagesPerSecond: 1000 } });
  server.define('relay', RelayRoom);
  const connect = simulatedConnector(server, { clock, conditions, seed: seed * 1000 });
  const client = () => new Client('sim://server', { clock, logger: quiet, connect });
  return { clock, server, client };
}

async function settle<T>(clock: VirtualClock, promise: Promise<T>): Promise<T> {
  let value: { v: T } | undefined;
  let failure: { e: unknown } | undefined;
  promise.then(
    (v) => {
      value = { v };
    },
    (e) => {
      failure = { e };
    },
  );
  await clock.runUntilAsync(() => value !== undefined || failure !== undefined);
  if (failure) throw failure.e;
  if (!value) throw new Error('promise never settled');
  return value.v;
}

describe('relay through the server under loss (virtual clock)', () => {
  it('1,000 reliable relays each way at 150 ms RTT and 10 % loss arrive once, in order', async () => {
    const lossy: NetworkConditions = { latency: 37.5, jitter: 5, loss: 0.1, duplicate: 0.02, reorder: 0.02 };
    const { clock, server, client } = world(lossy, 7);
    const a = await settle(clock, client().joinOrCreate('relay'));
    const b = await settle(clock, client().joinOrCreate('relay'));
    expect(b.roomId).toBe(a.roomId);
    const got = { a: [] as number[], b: [] as number[] };
    a.on('relay', (payload, from) => {
      expect(from).toBe(b.sessionId);
      got.a.push(payload as number);
    });
    b.on('relay', (payload, from) => {
      expect(from).toBe(a.sessionId);
      got.b.push(payload as number);
    });
    // 1,000 each, 10 per 50 ms tick (200/s), both ways at once.
    const N = 1000;
    let sent = 0;
    const tick = () => {
      for (let i = 0; i < 10 && sent < N; i++, sent++) {
        a.relay(sent);
        b.relay(sent);
      }
      if (sent < N) clock.setTimeout(tick, 50);
    };
    tick();
    await clock.runUntilAsync(() => got.a.length >= N && got.b.length >= N);
    const expected = Array.from({ length: N }, (_, i) => i);
    expect(got.a).toEqual(expected);
    expect(got.b).toEqual(expected);
    // The loss was real: the server's sessions resent messages.
    expect(a.stats.messagesResent + b.stats.messagesResent).toBeGreaterThan(0);
    expect(clock.now()).toBeLessThan(60_000);
    await settle(clock, a.leave());
    await settle(clock, b.leave());
    await clock.runUntilAsync(() => server.stats.sessions === 0);
  });

  it('unreliable relays are never duplicated, even when the network duplicates packets', async () => {
    const dupes: NetworkConditions = { latency: 37.5, loss: 0.1, duplicate: 0.2, reorder: 0.05, jitter: 10 };
    const { clock, client } = world(dupes, 11);
    const a = await settle(clock, client().joinOrCreate('relay'));
    const b = await settle(clock, client().joinOrCreate('relay'));
    const seen: number[] = [];
    b.on('relay', (payload) => seen.push(payload as number));
    let sent = 0;
    const tick = () => {
      a.relay(sent++, { reliable: false });
      if (sent < 500) clock.setTimeout(tick, 16);
    };
    tick();
    await clock.runUntilAsync(() => clock.now() > 500 * 16 + 2000);
    expect(new Set(seen).size).toBe(seen.length);
    // Loss means some are missing, but most arrive.
    expect(seen.length).toBeGreaterThan(350);
    expect(seen.length).toBeLessThan(500);
  });

  it('ends both rooms cleanly when the server shuts down', async () => {
    const { clock, server, client } = world({ latency: 20 });
    const a: ClientRoom = await settle(clock, client().joinOrCreate('relay'));
    const left: number[] = [];
    a.on('leave', (code) => left.push(code));
    const done = server.shutdown();
    await clock.runUntilAsync(() => left.length > 0);
    await settle(clock, done);
    expect(left).toEqual([4000]);
  });
});
