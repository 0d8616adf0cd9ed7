/**
 * Keep-alives of idle sessions, on one virtual clock: over a reliable link an idle session probes at
 * `idleRttProbeInterval` (3 s), not every second, over a lossy datagram link it keeps alive at
 * `idleKeepAliveInterval` (1 s), not every 250 ms, and each side's probes come at most a third of
 * its own `idleTimeout` apart, so a short client timeout never mistakes a quiet server for a dead one.
 */
import { Client, type Room as ClientRoom } from '@netplay/client';
import { Room, Server, type ServerOptions, simulatedConnector } from '@netplay/server';
import { probesWithin, VirtualClock } from '@netplay/transport';
import { describe, expect, it } from 'vitest';

const quiet = { info() {}, warn() {}, error() {} };

class Lobby extends Room {}

async function joinIdle(serverOptions: ServerOptions, clientIdleTimeout?: number, loss = 0) {
  const clock = new VirtualClock();
  const server = new Server({ clock, logger: quiet, ...serverOptions });
  server.define('lobby', Lobby);
  // Latency alone keeps the simulated link reliable (WebSocket-like): probes are its keep-alives.
  // With loss it is a datagram link (UDP-like): KeepAlives after silence.
  const connect = simulatedConnector(server, { clock, conditions: { latency: 20, loss }, seed: 3 });
  const client = new Client('sim://server', {
    clock,
    logger: quiet,
    connect,
    ...(clientIdleTimeout === undefined ? {} : { idleTimeout: clientIdleTimeout }),
  });
  let room: ClientRoom | undefined;
  void client.joinOrCreate('lobby').then((r) => {
    room = r;
  });
  await clock.runUntilAsync(() => room !== undefined);
  const joined = room!;
  const events: string[] = [];
  /** Let `ms` of virtual time pass (to the first timer at or after it). */
  const idle = async (ms: number): Promise<void> => {
    const end = clock.now() + ms;
    await clock.runUntilAsync(() => clock.now() >= end);
  };
  joined.on('reconnecting', () => events.push('reconnecting'));
  joined.on('leave', () => events.push('leave'));
  return { clock, server, room: joined, events, idle };
}

describe('keep-alives of idle sessions', () => {
  it('an idle session probes every 3 s each way, and stays up', async () => {
    const { idle, server, room, events } = await joinIdle({});
    expect(room.stats.rtt).toBeGreaterThan(0);
    await idle(5_000); // past the first probes after the join
    const sent = room.stats.packetsSent;
    const received = room.stats.packetsReceived;
    await idle(30_000);
    // Its own probes (10 in 30 s) and its acks of the server's (10): 1 s probes would be 60.
    const out = room.stats.packetsSent - sent;
    const heard = room.stats.packetsReceived - received;
    expect(out).toBeGreaterThanOrEqual(16);
    expect(out).toBeLessThanOrEqual(24);
    expect(heard).toBeGreaterThanOrEqual(16);
    expect(heard).toBeLessThanOrEqual(24);
    expect(events).toEqual([]);
    expect(server.stats.sessions).toBe(1);
    // RTT is the path's (2 × 20 ms): probes are acked at once.
    expect(room.stats.rtt).toBeGreaterThanOrEqual(40);
    expect(room.stats.rtt).toBeLessThan(45);
  });

  it('play resumes with a probe at once, so RTT is fresh', async () => {
    const { clock, room, idle } = await joinIdle({});
    await idle(10_000);
    const sent = room.stats.packetsSent;
    room.send('hello', 1);
    clock.advance(0); // the end-of-turn flush
    // The message, and the probe that was overdue at the active 1 s interval.
    expect(room.stats.packetsSent - sent).toBe(2);
  });

  it('a client with a short idleTimeout keeps hearing from a server that probes rarely', async () => {
    const rare = { rttProbeInterval: 20_000, idleRttProbeInterval: 20_000 };
    const { events, idle } = await joinIdle({ idleTimeout: 60_000, connection: rare }, 2_000);
    await idle(30_000);
    expect(events).toEqual([]);
  });

  it('over a lossy datagram link an idle session sends a keep-alive a second, not four, and stays up', async () => {
    const { idle, server, room, events } = await joinIdle({}, undefined, 0.1);
    await idle(5_000);
    const sent = room.stats.packetsSent;
    await idle(60_000);
    // Its KeepAlives after a second of silence and its acks of the server's: 116 in 60 s with this
    // seed; with the 250 ms keep-alives of an active connection it is 429.
    const out = room.stats.packetsSent - sent;
    expect(out).toBeGreaterThanOrEqual(50);
    expect(out).toBeLessThanOrEqual(160);
    expect(events).toEqual([]); // 10 % loss never starves the 10 s idle timeout
    expect(server.stats.sessions).toBe(1);
  });

  it('probesWithin caps the idle intervals at a third (probes) and a tenth (keep-alives) of the idle timeout, unless set', () => {
    expect(probesWithin(undefined, 10_000)).toBeUndefined(); // 3333 and 1000: the defaults already
    expect(probesWithin(undefined, 3_000)).toEqual({ idleRttProbeInterval: 1000, idleKeepAliveInterval: 300 });
    expect(probesWithin({ idleRttProbeInterval: 5000 }, 3_000)).toEqual({
      idleRttProbeInterval: 5000,
      idleKeepAliveInterval: 300,
    });
    const own = { idleRttProbeInterval: 5000, idleKeepAliveInterval: 5000 };
    expect(probesWithin(own, 3_000)).toBe(own);
    expect(probesWithin({ mtu: 1000 }, 6_000)).toEqual({
      mtu: 1000,
      idleRttProbeInterval: 2000,
      idleKeepAliveInterval: 600,
    });
  });
});
