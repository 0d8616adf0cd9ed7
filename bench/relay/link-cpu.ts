/**
 * Server CPU per message of the WebSocket links alone, without sessions: C `ws` clients (one child
 * process) each send a 51-byte datagram every 1000/HZ ms at spread phases; the server (another
 * child) echoes every datagram on its `WebSocketLinkServer` link. After a 1.5 s warm-up it reports
 * the server process's CPU (user + system) over S seconds per message received (each also sent
 * back once). Compare trees by running it from each.
 * `npx tsx bench/relay/link-cpu.ts [C=200] [HZ=50] [S=5]`
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocketLinkServer } from '@netplay/transport/node';
import { WebSocket } from 'ws';

const role = process.env.LINK_CPU_ROLE;
const [clients, hz, seconds] = [2, 3, 4].map((i, k) => Number(process.argv[i] ?? [200, 50, 5][k])) as [
  number,
  number,
  number,
];
const WARM_UP_MS = 1500;
const PAYLOAD_SIZE = 51;

function nextMessage<T>(child: { once(event: 'message', listener: (message: T) => void): unknown }): Promise<T> {
  return new Promise((resolve) => child.once('message', resolve));
}

if (role === 'server') {
  let received = 0;
  const server = await WebSocketLinkServer.listen({
    port: 0,
    host: '127.0.0.1',
    onLink: (link) =>
      link.setHandlers({
        onDatagram(datagram) {
          received++;
          link.send(datagram);
        },
      }),
  });
  process.send?.({ port: server.address().port });
  let start: NodeJS.CpuUsage | undefined;
  let startCount = 0;
  process.on('message', async (command: string) => {
    if (command === 'start') {
      start = process.cpuUsage();
      startCount = received;
      return;
    }
    const cpu = process.cpuUsage(start);
    process.send?.({ cpu: cpu.user + cpu.system, messages: received - startCount });
    await server.close();
    process.exit(0);
  });
} else if (role === 'client') {
  const payload = new Uint8Array(PAYLOAD_SIZE).fill(7);
  const sockets: WebSocket[] = [];
  let open = 0;
  for (let i = 0; i < clients; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${process.env.LINK_CPU_PORT}`, { perMessageDeflate: false });
    ws.on('open', () => {
      if (++open === clients) process.send?.('open');
    });
    ws.on('error', (error) => console.error('client:', error.message));
    sockets.push(ws);
  }
  process.on('message', (command: string) => {
    if (command !== 'go') process.exit(0);
    sockets.forEach((ws, i) => {
      setTimeout(() => setInterval(() => ws.send(payload), 1000 / hz), (i * 1000) / hz / clients);
    });
  });
} else {
  const self = fileURLToPath(import.meta.url);
  const child = (env: Record<string, string>) =>
    fork(self, process.argv.slice(2), { env: { ...process.env, ...env }, execArgv: ['--import', 'tsx'] });
  const server = child({ LINK_CPU_ROLE: 'server' });
  const { port } = await nextMessage<{ port: number }>(server);
  const load = child({ LINK_CPU_ROLE: 'client', LINK_CPU_PORT: String(port) });
  await nextMessage(load);
  load.send('go');
  await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
  server.send('start');
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  server.send('stop');
  const { cpu, messages } = await nextMessage<{ cpu: number; messages: number }>(server);
  load.send('exit');
  console.log(
    `${clients} clients × ${hz} Hz: ${messages} messages in ${seconds} s, server CPU ${(cpu / 1000).toFixed(0)} ms = ${(cpu / messages).toFixed(2)} µs per message (echoed)`,
  );
}
