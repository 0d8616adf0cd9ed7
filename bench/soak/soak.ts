/**
 * `npm run soak`: a bounded soak test. One Netplay server (this process) and `SOAK_CLIENTS`
 * (default 500) real clients in a child process, over UDP on 127.0.0.1 with the client's
 * simulator adding latency, jitter and `SOAK_LOSS` (default 5 %) loss both ways, in rooms of 5,
 * each relaying a numbered reliable message to its room at `SOAK_HZ` (default 20), split over
 * `SOAK_BOTS` bot processes (default 2), for
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
  /** Bot processes the clients are split over (whole rooms each). */
  botProcesses: env('SOAK_BOTS', 2),
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

  type Done = Extract<SoakReply, { op: 'done' }>;
  const rooms = Math.ceil(settings.clients / settings.clientsPerRoom);
  const perProcess = Math.ceil(rooms / settings.botProcesses) * settings.clientsPerRoom;
  const shares: { firstIndex: number; clients: number }[] = [];
  for (let first = 0; first < settings.clients; first += perProcess) {
    shares.push({ firstIndex: first, clients: Math.min(perProcess, settings.clients - first) });
  }
  const progress = shares.map(() => ({ sent: 0, received: 0, resent: 0 }));
  let joinedClients = 0;
  let during: { heap: number; rss: number } | undefined;
  const started = performance.now();
  const children = shares.map((share, i) => {
    const child = fork(fileURLToPath(new URL('./bots.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const result = new Promise<Done | undefined>((resolve) => {
      child.on('message', (m: SoakReply) => {
        if (m.op === 'joined') {
          joinedClients += m.clients;
          if (joinedClients === settings.clients) {
            console.log(`joined: ${joinedClients} clients in ${m.ms} ms; server sessions ${server.stats.sessions}`);
          }
        } else if (m.op === 'progress') {
          progress[i] = m;
          if (i === 0) {
            during = memory();
            const sum = (k: 'sent' | 'received' | 'resent') => progress.reduce((t, p) => t + p[k], 0);
            console.log(
              `  sent ${sum('sent')}, delivered ${sum('received')}, client resends ${sum('resent')}; server heap ${mb(during.heap)}, sessions ${server.stats.sessions}`,
            );
          }
        } else if (m.op === 'done') resolve(m);
        else if (m.op === 'failed') {
          console.error(`bots failed: ${m.message}`);
          resolve(undefined);
        }
      });
      child.on('exit', () => resolve(undefined));
    });
    const start: SoakCommand = { op: 'start', url: `udp://127.0.0.1:${server.udpPort}`, ...settings, ...share };
    child.send(start);
    return { child, result };
  });
  const killTimer = setTimeout(
    () => {
      for (const { child } of children) child.kill('SIGKILL');
    },
    (settings.seconds + 120) * 1000,
  );
  const results = await Promise.all(children.map((c) => c.result));
  const elapsed = (performance.now() - started) / 1000;
  clearTimeout(killTimer);
  for (const { child } of children) child.kill();
  const done: Done | undefined = results.some((r) => r === undefined)
    ? undefined
    : results.reduce<Done>(
        (t, r) => {
          const x = r!;
          const errors = { ...t.errors };
          for (const [code, n] of Object.entries(x.errors)) errors[code] = (errors[code] ?? 0) + n;
          return {
            op: 'done',
            sent: t.sent + x.sent,
            received: t.received + x.received,
            lost: t.lost + x.lost,
            duplicated: t.duplicated + x.duplicated,
            unexpectedLeaves: t.unexpectedLeaves + x.unexpectedLeaves,
            errors,
            reconnects: t.reconnects + x.reconnects,
            resent: t.resent + x.resent,
          };
        },
        {
          op: 'done',
          sent: 0,
          received: 0,
          lost: 0,
          duplicated: 0,
          unexpectedLeaves: 0,
          errors: {},
          reconnects: 0,
          resent: 0,
        },
      );
  // Sessions end as the bots leave; give the server a moment to release them, bounded.
  for (let i = 0; i < 50 && server.stats.sessions > 0; i++) await new Promise((r) => setTimeout(r, 100));
  const after = memory();
  await server.shutdown();
  if (done === undefined) return 1;
  const ok = done.lost === 0 && done.duplicated === 0 && done.unexpectedLeaves === 0;
  console.log('\n| measure | value |\n| --- | --- |');
  for (const [k, v] of [
    ['reliable relays sent', done.sent],
    [
      'relay rate achieved per client',
      `${(done.sent / settings.clients / settings.seconds).toFixed(1)} Hz of ${settings.hz} asked (${settings.botProcesses} bot processes, ${elapsed.toFixed(0)} s in all)`,
    ],
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
