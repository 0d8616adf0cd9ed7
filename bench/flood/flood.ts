/**
 * `npm run bench flood` (or `tsx bench/flood/flood.ts`): does one abusive client hurt the others?
 * Eight well-behaved clients in a room ping the server at 20 Hz (a room message echoed back) for a
 * quiet window, then for a window in which a ninth client in the SAME room (in its own process)
 * relays at 100× the rate limit and rejoins whenever it is disconnected. Reports the others' RTT
 * p50/p99/max in both windows, how often the flooder was disconnected, and what reached the
 * others. Target: p99 in the flood window within 2× of the quiet window.
 * @module
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client, type Room as ClientRoom } from '@netplay/client';
import { DEFAULT_RATE_LIMIT, Room, Server } from '@netplay/server';
import { percentile } from '../stats.js';

export interface FloodResult {
  quiet: { p50: number; p99: number; max: number; samples: number };
  flood: { p50: number; p99: number; max: number; samples: number };
  flooderRate: number;
  flooderKicks: number;
  spamDelivered: number;
  ratio: number;
}

class EchoRoom extends Room {
  override onCreate() {
    this.onMessage('ping', (client, payload) => client.send('pong', payload));
  }
}

export async function runFlood(windowMs = 5000): Promise<FloodResult> {
  const server = new Server({ host: '127.0.0.1', port: 0, logger: { info() {}, warn() {}, error() {} } });
  server.define('echo', EchoRoom);
  await server.listen();
  const url = `ws://127.0.0.1:${server.port}`;
  const quietLog = { info() {}, warn() {}, error() {} };
  const first = await new Client(url, { logger: quietLog }).create('echo');
  const rooms: ClientRoom[] = [first];
  for (let i = 0; i < 7; i++) rooms.push(await new Client(url, { logger: quietLog }).joinById(first.roomId));
  let spamDelivered = 0;
  const samples: number[] = [];
  for (const room of rooms) {
    room.onMessage('pong', (sentAt) => samples.push(performance.now() - (sentAt as number)));
    room.on('relay', () => spamDelivered++);
  }
  const pinger = setInterval(() => {
    for (const room of rooms) room.send('ping', performance.now());
  }, 50);
  const window = async () => {
    samples.length = 0;
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const sorted = [...samples].sort((a, b) => a - b);
    return {
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      max: sorted.at(-1) ?? Number.NaN,
      samples: sorted.length,
    };
  };
  try {
    await new Promise((resolve) => setTimeout(resolve, 500)); // warm-up
    const quiet = await window();
    const flooderRate = DEFAULT_RATE_LIMIT.messagesPerSecond * 100;
    const flooder = fork(
      fileURLToPath(new URL('./flooder.ts', import.meta.url)),
      [url, first.roomId, String(flooderRate)],
      {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    let flooderKicks = 0;
    flooder.on('message', (m: { kicks: number }) => {
      flooderKicks = m.kicks;
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1000)); // let it start and get going
      spamDelivered = 0;
      const flood = await window();
      return { quiet, flood, flooderRate, flooderKicks, spamDelivered, ratio: flood.p99 / quiet.p99 };
    } finally {
      flooder.kill('SIGKILL');
    }
  } finally {
    clearInterval(pinger);
    await Promise.all(rooms.map((r) => r.leave()));
    await server.shutdown();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runFlood(Number(process.env.FLOOD_WINDOW_MS ?? 5000));
  const f = (x: number) => x.toFixed(2);
  console.log('| window | pings | p50 ms | p99 ms | max ms |\n| --- | --- | --- | --- | --- |');
  console.log(`| quiet | ${r.quiet.samples} | ${f(r.quiet.p50)} | ${f(r.quiet.p99)} | ${f(r.quiet.max)} |`);
  console.log(`| flood | ${r.flood.samples} | ${f(r.flood.p50)} | ${f(r.flood.p99)} | ${f(r.flood.max)} |`);
  console.log(
    `\nflooder at ${r.flooderRate} msg/s (100× the limit): disconnected ${r.flooderKicks} times; ` +
      `${r.spamDelivered} of its relays reached the 8 others during the window; p99 ratio ${f(r.ratio)} (target ≤ 2)`,
  );
  process.exit(0);
}
