/**
 * Where the time of a burst of joins goes: the bundled Netplay (or bare) server child and bot
 * children of the relay bench, the bots' `connect` (every room's `create`, then its `joinById`s,
 * all at once) after warm-up batches as in the relay bench (`WARM=n` of them, default 3; `WARM=0`:
 * a cold server and cold bots), and the CPU each process spent meanwhile, for every batch. With
 * `IDLE=s`, then s seconds with every session idle: the server's CPU per idle session.
 * `npx tsx bench/relay/join-profile.ts [netplay-ws|netplay-udp|bare-ws] [clients]`.
 * @module
 */
import { fork } from 'node:child_process';
import { bundled } from './bundle.js';
import type { BotReply, ServerReply } from './protocol.js';

const target = (process.argv[2] ?? 'netplay-ws') as 'netplay-ws' | 'netplay-udp' | 'bare-ws';
const clients = Number(process.argv[3] ?? 1000);
/** `WARM=n`: warm-up batches of `clients` joins before the timed one (default 3, as the relay bench). */
const warmupBatches = Number(process.env.WARM ?? 3);
const perRoom = 8;

/** `PROF_DIR=dir`: V8 CPU profiles of the server (dir/server) and the bots (dir/bot). */
const prof = (name: string): string[] =>
  process.env.PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROF_DIR}/${name}`] : [];
const serverFile = await bundled(target === 'bare-ws' ? './bare-server.ts' : './netplay-server.ts');
const server = fork(
  serverFile,
  target === 'bare-ws' ? [] : [target === 'netplay-udp' ? 'udp' : 'ws', String(perRoom)],
  {
    execArgv: prof('server'),
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  },
);
const next = <T>(child: ReturnType<typeof fork>, type: string): Promise<T> =>
  new Promise((resolve) => {
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
  });
const { url } = await next<Extract<ServerReply, { type: 'ready' }>>(server, 'ready');
const botFile = await bundled('./bot.ts');
const bots = [0, 1].map(() =>
  fork(botFile, [], {
    execArgv: prof('bot'),
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  }),
);
await Promise.all(bots.map((b) => next(b, 'ready')));
const rooms = Math.ceil(clients / perRoom);
const connectAll = (firstRoom: number) =>
  Promise.all(
    bots.map((b, i) => {
      const reply = next<Extract<BotReply, { type: 'connected' }>>(b, 'connected');
      b.send({
        cmd: 'connect',
        target,
        url,
        rooms: Array.from({ length: rooms }, (_, r) => firstRoom + r).filter((r) => r % 2 === i),
        clientsPerRoom: perRoom,
        reliable: true,
      });
      return reply;
    }),
  );
/** The server's CPU (and datagrams) from `cpu-start` to `cpu-stop` around `during`. */
async function serverCpu<T>(
  during: () => Promise<T>,
): Promise<{ result: T; cpu: Extract<ServerReply, { type: 'cpu' }> }> {
  server.send({ cmd: 'cpu-start' });
  const result = await during();
  const stopped = next<Extract<ServerReply, { type: 'cpu' }>>(server, 'cpu');
  server.send({ cmd: 'cpu-stop' });
  return { result, cpu: await stopped };
}
async function timedBatch(firstRoom: number): Promise<string> {
  const t0 = performance.now();
  const { result: replies, cpu } = await serverCpu(() => connectAll(firstRoom));
  const wall = performance.now() - t0;
  const join = Math.max(...replies.map((r) => r.doneAt)) - Math.min(...replies.map((r) => r.startedAt));
  const bots = replies.map((r) => (r.cpuUs / 1000).toFixed(0)).join(' + ');
  const datagrams =
    target === 'bare-ws' || Number.isNaN(cpu.framesOut)
      ? ''
      : `; server datagrams out ${cpu.framesOut}, in ${cpu.framesIn}`;
  return (
    `${target}: ${replies.reduce((s, r) => s + r.clients, 0)} clients joined in ${join.toFixed(0)} ms ` +
    `(harness wall ${wall.toFixed(0)} ms); server CPU ${((cpu.userUs + cpu.systemUs) / 1000).toFixed(0)} ms ` +
    `(user ${(cpu.userUs / 1000).toFixed(0)}, system ${(cpu.systemUs / 1000).toFixed(0)}); bots CPU ${bots} ms${datagrams}`
  );
}
// As the relay bench's idle phase: warm-up batches join first (and stay), then the timed one. Each
// batch is reported: the warm-up ones show how long V8 takes to compile and optimize the join path.
for (let batch = 0; batch < warmupBatches; batch++) {
  console.log(`warm-up ${batch + 1}/${warmupBatches}: ${await timedBatch((2 + batch) * rooms)}`);
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
console.log(await timedBatch(0));
// `IDLE=s`: then s seconds with every session idle (warm-up ones too): the server's CPU and
// datagrams per idle session and second (keep-alives: RTT probes and their acks).
const idleSeconds = Number(process.env.IDLE ?? 0);
if (idleSeconds > 0) {
  const sessions = (warmupBatches + 1) * rooms * perRoom;
  await new Promise((resolve) => setTimeout(resolve, 2000)); // past the probes of the last joins
  const { cpu } = await serverCpu(() => new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000)));
  const perSessionSecond = (n: number) => (n / sessions / (cpu.wallMs / 1000)).toFixed(2);
  console.log(
    `${target}: ${sessions} idle sessions for ${(cpu.wallMs / 1000).toFixed(1)} s: server CPU ` +
      `${(((cpu.userUs + cpu.systemUs) / 1000 / cpu.wallMs) * 100).toFixed(1)} % of a core, ` +
      `${((cpu.userUs + cpu.systemUs) / sessions / (cpu.wallMs / 1000)).toFixed(2)} µs per session-second` +
      (Number.isNaN(cpu.framesOut)
        ? ''
        : `; datagrams per session-second out ${perSessionSecond(cpu.framesOut)}, in ${perSessionSecond(cpu.framesIn)}`),
  );
}
// Ask the children to exit (a profiled child writes its profile then); SIGKILL after a grace period.
server.send({ cmd: 'exit' });
for (const b of bots) b.send({ cmd: 'close' });
await Promise.all(
  [server, ...bots].map(
    (c) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          c.kill('SIGKILL');
          resolve();
        }, 3000);
        c.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
      }),
  ),
);
process.exit(0);
