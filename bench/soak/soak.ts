/**
 * `npm run soak`: a bounded soak test. One Netplay server (this process) and `SOAK_CLIENTS`
 * (default 500) real clients in a child process, over UDP on 127.0.0.1 with the client's
 * simulator adding latency, jitter and `SOAK_LOSS` (default 5 %) loss both ways, in rooms of 5,
 * each relaying a numbered reliable message to its room at `SOAK_HZ` (default 20) for
 * `SOAK_SECONDS` (default 60). Reports the server's memory before and after, lost / duplicated
 * reliable messages and unexpected disconnects; exits non-zero unless both are zero.
 *
 * Run with `--expose-gc` (the npm script does) so memory is measured after a full collection.
 * @module
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Room, Server } from '@netplay/server';
import type { SoakCommand, SoakReply } from './protocol.js';

const env = (name: string, fallback: number): number => {
  const v = process.env[name];
  return v === undefined ? fallback : Number(v);
};

const settings = {
  clients: env('SOAK_CLIENTS', 500),
  clientsPerRoom: 5,
  hz: env('SOAK_HZ', 20),
  seconds: env('SOAK_SECONDS', 60),
  latency: 20,
  jitter: 5,
  loss: env('SOAK_LOSS', 0.05),
};

class SoakRoom extends Room {}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function memory(): { heap: number; rss: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

async function main(): Promise<number> {
  const server = new Server({
    host: '127.0.0.1',
    port: 0,
    udpPort: 0,
    maxSessionsPerAddress: settings.clients + 10,
    logger: { info() {}, warn: console.warn, error: console.error },
  });
  server.define('soak', SoakRoom, { maxClients: settings.clientsPerRoom });
  await server.listen();
  const before = memory();
  console.log(
    `soak: ${settings.clients} clients in rooms of ${settings.clientsPerRoom}, ${settings.hz} Hz reliable relays, ` +
      `${settings.latency}±${settings.jitter} ms, ${settings.loss * 100} % loss both ways, ${settings.seconds} s`,
  );
  console.log(`server memory before: heap ${mb(before.heap)}, rss ${mb(before.rss)}`);

  const bots = fork(fileURLToPath(new URL('./bots.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const killTimer = setTimeout(() => bots.kill('SIGKILL'), (settings.seconds + 120) * 1000);
  let during: { heap: number; rss: number } | undefined;
  const done = await new Promise<Extract<SoakReply, { op: 'done' }> | undefined>((resolve) => {
    bots.on('message', (m: SoakReply) => {
      if (m.op === 'joined') {
        console.log(`joined: ${m.clients} clients in ${m.ms} ms; server sessions ${server.stats.sessions}`);
      } else if (m.op === 'progress') {
        during = memory();
        console.log(
          `  sent ${m.sent}, delivered ${m.received}, client resends ${m.resent}; server heap ${mb(during.heap)}, sessions ${server.stats.sessions}`,
        );
      } else if (m.op === 'done') resolve(m);
      else if (m.op === 'failed') {
        console.error(`bots failed: ${m.message}`);
        resolve(undefined);
      }
    });
    bots.on('exit', () => resolve(undefined));
    const start: SoakCommand = { op: 'start', url: `udp://127.0.0.1:${server.udpPort}`, ...settings };
    bots.send(start);
  });
  clearTimeout(killTimer);
  bots.kill();
  // Sessions end as the bots leave; give the server a moment to release them, bounded.
  for (let i = 0; i < 50 && server.stats.sessions > 0; i++) await new Promise((r) => setTimeout(r, 100));
  const after = memory();
  await server.shutdown();
  if (done === undefined) return 1;
  const ok = done.lost === 0 && done.duplicated === 0 && done.unexpectedLeaves === 0;
  console.log('\n| measure | value |\n| --- | --- |');
  for (const [k, v] of [
    ['reliable relays sent', done.sent],
    ['relay deliveries', done.received],
    ['lost reliable messages', done.lost],
    ['duplicated reliable messages', done.duplicated],
    ['unexpected disconnects', done.unexpectedLeaves],
    ['reconnects (resumed)', done.reconnects],
    ['client resends', done.resent],
    ['errors by code', JSON.stringify(done.errors)],
    ['server heap before / during / after', `${mb(before.heap)} / ${mb(during?.heap ?? 0)} / ${mb(after.heap)}`],
    ['server rss before / after', `${mb(before.rss)} / ${mb(after.rss)}`],
    ['server sessions left after', server.stats.sessions],
  ] as const) {
    console.log(`| ${k} | ${v} |`);
  }
  console.log(ok ? '\nsoak: PASS' : '\nsoak: FAIL');
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
