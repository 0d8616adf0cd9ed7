/**
 * A client that keeps sending reliable messages through a network outage long enough for both
 * sides to drop the link: after the resume, everything it sent arrives once and in order, and
 * the server's rate limit does not drop the backlog that arrives at once (server and client on
 * one virtual clock, joined through the network simulator).
 */
import { Client, type SessionError } from '@netplay/client';
import { Room, Server, simulatedConnector } from '@netplay/server';
import { VirtualClock } from '@netplay/transport';
import { describe, expect, it } from 'vitest';

const quiet = { info() {}, warn() {}, error() {} };
const OUTAGE = { from: 1000, to: 4000 };
const SENDS = 600; // 100 per second for 6 s, under the default 120/s
const INTERVAL = 10;

describe('resume after an outage', () => {
  // 1 s: the server sees the link drop too; 10 s: the client resumes before the server noticed.
  it.each([1000, 10_000])(
    'delivers every reliable message sent through a 3 s outage once, in order, within the rate limit (server idleTimeout %i ms)',
    async (serverIdleTimeout) => {
      const clock = new VirtualClock();
      const got: number[] = [];
      class Counter extends Room {
        override onCreate() {
          this.onMessage('n', (_client, n: number) => {
            got.push(n);
          });
        }
      }
      const server = new Server({ clock, logger: quiet, idleTimeout: serverIdleTimeout });
      server.define('counter', Counter);
      const conditions = { latency: 10, dropWindows: [OUTAGE] };
      const connect = simulatedConnector(server, { clock, conditions, seed: 5 });
      const client = new Client('sim://server', { clock, logger: quiet, connect, idleTimeout: 1000 });
      let joined: Awaited<ReturnType<Client['joinOrCreate']>> | undefined;
      void client.joinOrCreate('counter').then((r) => {
        joined = r;
      });
      await clock.runUntilAsync(() => joined !== undefined);
      const room = joined!;
      const events: string[] = [];
      const errors: string[] = [];
      room.on('reconnecting', () => events.push('reconnecting'));
      room.on('reconnected', () => events.push('reconnected'));
      room.on('error', (e) => errors.push((e as SessionError).code));
      let sent = 0;
      const tick = () => {
        room.send('n', sent++);
        if (sent < SENDS) clock.setTimeout(tick, INTERVAL);
      };
      tick();
      await clock.runUntilAsync(() => got.length >= SENDS || clock.now() > 30_000);
      expect(events).toEqual(['reconnecting', 'reconnected']);
      expect(errors).toEqual([]);
      expect(got).toEqual(Array.from({ length: SENDS }, (_, i) => i));
      expect(server.stats.matchmaker.messagesRateLimited).toBe(0);
      let left = false;
      void room.leave().then(() => {
        left = true;
      });
      await clock.runUntilAsync(() => left && server.stats.sessions === 0);
    },
  );
});
