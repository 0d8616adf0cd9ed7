/**
 * The live monitor and Prometheus metrics of a real server on 127.0.0.1 with real clients:
 * `/monitor/data` lists the room and its sessions with RTT, `/metrics` counts CCU, rooms and
 * messages on a per-server registry, and access follows the token / loopback rule.
 */
import type { IncomingMessage } from 'node:http';
import { Client, type Room as ClientRoom } from '@netplay/client';
import { type MonitorData, type MonitorOptions, Room, Server } from '@netplay/server';
import { afterEach, describe, expect, it } from 'vitest';
import { checkMonitorAccess, isLoopbackHost } from '../packages/server/src/monitor/access.js';

const quiet = { info() {}, warn() {}, error() {} };

class Echo extends Room {
  override onCreate() {
    this.onMessage('ping', (_client, payload) => this.broadcast('pong', payload));
    this.setTick(20, () => {});
  }
}

const servers: Server[] = [];
const rooms: ClientRoom[] = [];

afterEach(async () => {
  await Promise.all(rooms.splice(0).map((r) => r.leave().catch(() => {})));
  await Promise.all(servers.splice(0).map((s) => s.shutdown()));
});

async function start(monitor?: MonitorOptions | false): Promise<Server> {
  const server = new Server({ host: '127.0.0.1', port: 0, logger: quiet, monitor: monitor ?? { sampleInterval: 50 } });
  server.define('echo', Echo);
  servers.push(server);
  await server.listen();
  return server;
}

async function join(server: Server): Promise<ClientRoom> {
  const room = await new Client(`ws://127.0.0.1:${server.port}`, { logger: quiet }).joinOrCreate('echo');
  rooms.push(room);
  return room;
}

/** Ping until a pong comes back `count` times (so messages flowed and RTT samples exist). */
async function pingPong(room: ClientRoom, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const pong = new Promise<void>((resolve) => {
      const off = room.onMessage('pong', () => {
        off();
        resolve();
      });
    });
    room.send('ping', i);
    await pong;
  }
}

/** Poll `read` (an HTTP read, so no sleeping) until `accept` holds, for at most `ms`. */
async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('monitor and metrics', () => {
  it('lists the live room and its sessions with RTT in /monitor/data, and serves the page', async () => {
    const server = await start();
    const a = await join(server);
    const b = await join(server);
    await pingPong(a, 5);
    await pingPong(b, 5);
    const base = `http://127.0.0.1:${server.port}`;
    const data = await until(
      async () => (await (await fetch(`${base}/monitor/data`)).json()) as MonitorData,
      (d) => d.history.length >= 2 && (d.rooms[0]?.ticks ?? 0) > 0 && d.sessions.every((s) => s.rttMs > 0),
    );
    expect(data.workers).toHaveLength(1);
    expect(data.workers[0]).toMatchObject({ pid: process.pid, ccu: 2, rooms: 1, sessions: 2, state: 'listening' });
    expect(data.rooms).toEqual([expect.objectContaining({ id: a.roomId, type: 'echo', clients: 2, messagesIn: 10 })]);
    expect(data.rooms[0]?.ticks).toBeGreaterThan(0);
    expect(data.sessions.map((s) => s.id).sort()).toEqual([a.sessionId, b.sessionId].sort());
    for (const s of data.sessions) {
      expect(s).toMatchObject({ room: a.roomId, state: 'connected', address: '127.0.0.1' });
      expect(s.rttMs).toBeGreaterThan(0);
      expect(s.loss).toBe(0);
    }
    expect(data.totals.messagesIn).toBe(10);
    expect(data.totals.bytesIn).toBeGreaterThan(0);
    const page = await fetch(`${base}/monitor`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('/monitor/data');
  });

  it('exports Prometheus metrics on a registry per server', async () => {
    const one = await start();
    const two = await start();
    const room = await join(one);
    await pingPong(room, 3);
    const text = await (await fetch(`http://127.0.0.1:${one.port}/metrics`)).text();
    expect(text).toMatch(/^netplay_ccu 1$/m);
    expect(text).toMatch(/^netplay_rooms\{type="echo"\} 1$/m);
    expect(text).toMatch(/^netplay_messages_received_total 3$/m);
    expect(text).toMatch(/^netplay_messages_sent_total 3$/m);
    expect(text).toMatch(/^netplay_bytes_received_total [1-9]\d*$/m);
    for (const name of [
      'netplay_resends_total',
      'netplay_rtt_seconds_bucket',
      'netplay_tick_duration_seconds',
      'netplay_event_loop_lag_seconds',
    ]) {
      expect(text).toContain(name);
    }
    const other = await (await fetch(`http://127.0.0.1:${two.port}/metrics`)).text();
    expect(other).toMatch(/^netplay_ccu 0$/m);
    // Traffic of a room that is gone before the next scrape still counts (from its final figures).
    const gone = await join(two);
    await pingPong(gone, 1);
    expect(await (await fetch(`http://127.0.0.1:${two.port}/metrics`)).text()).toMatch(
      /^netplay_messages_received_total 1$/m,
    );
    await pingPong(gone, 1);
    await gone.leave();
    const after = await until(
      async () => (await fetch(`http://127.0.0.1:${two.port}/metrics`)).text(),
      (t) => !/^netplay_rooms\{/m.test(t),
    );
    expect(after).toMatch(/^netplay_messages_received_total 2$/m);
    expect(one.metricsRegistry).not.toBe(two.metricsRegistry);
  });

  it('requires the token when one is set (query or Bearer), and can be turned off', async () => {
    const server = await start({ token: 'let-me-in-please' });
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/monitor/data?token=wrong-token`)).status).toBe(401);
    expect((await fetch(`${base}/monitor?token=let-me-in-please`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: 'Bearer let-me-in-please' } })).status).toBe(
      200,
    );
    const off = await start(false);
    expect((await fetch(`http://127.0.0.1:${off.port}/metrics`)).status).toBe(404);
    expect(off.metricsRegistry).toBeUndefined();
  });

  it('answers 403 with how to set a token when bound to a non-loopback address without one', () => {
    const req = { headers: {} } as IncomingMessage;
    const url = new URL('http://x/monitor');
    const denied = checkMonitorAccess(req, url, undefined, '0.0.0.0');
    expect(denied).toMatchObject({ ok: false, status: 403 });
    expect(denied.ok ? '' : denied.message).toMatch(/token/);
    expect(checkMonitorAccess(req, url, undefined, '127.0.0.1').ok).toBe(true);
    expect(checkMonitorAccess(req, url, undefined, '::1').ok).toBe(true);
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', 'localhost'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com'])
      expect(isLoopbackHost(host)).toBe(false);
  });
});
