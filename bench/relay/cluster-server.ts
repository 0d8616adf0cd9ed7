/**
 * Server child for the `netplay-cluster` rows: a `ClusterServer` (manager on a free port, 2
 * workers on free ports, WebSocket) with the relay room of `cluster-rooms.ts`. Bots join through
 * the manager's URL and follow the redirect. CPU and RSS are summed over the manager and its
 * workers (`/proc/<pid>/stat`, `/proc/<pid>/statm`); frames are not counted (they are in the
 * workers). `node cluster-server.ts clientsPerRoom [workers]`.
 *
 * Every worker is killed when this process exits, however it exits (the harness also kills the
 * worker pids it was told about, and the workers shut down 2 s after losing their manager).
 * @module
 */
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ClusterServer } from '@netplay/server';
import { serveControl } from './server-control.js';

const clientsPerRoom = Number(process.argv[2] ?? 8);
const workers = Number(process.argv[3] ?? 2);
process.env.NETPLAY_BENCH_CLIENTS_PER_ROOM = String(clientsPerRoom);

/** `count` consecutive free TCP ports on 127.0.0.1 (the cluster takes a range). */
async function freePorts(count: number): Promise<number> {
  const isFree = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return base;
  }
  throw new Error('cluster bench: no free port range');
}

const quiet = {
  info: () => {},
  warn: (message: string, ...details: unknown[]) => console.warn(`[netplay cluster] ${message}`, ...details),
  error: (message: string, ...details: unknown[]) => console.error(`[netplay cluster] ${message}`, ...details),
};

/** As in `netplay-server.ts`: every bot comes from 127.0.0.1, so lift the per-address limits. */
const limits = {
  maxSessions: 100_000,
  maxSessionsPerAddress: 100_000,
  maxPendingHandshakes: 100_000,
  maxPendingHandshakesPerAddress: 100_000,
};
const from = await freePorts(workers);
const cluster = new ClusterServer({
  rooms: fileURLToPath(new URL('./cluster-rooms.ts', import.meta.url)),
  host: '127.0.0.1',
  port: 0,
  workers,
  workerPorts: { from },
  server: limits,
  // Workers left behind by a killed manager do not linger (the manager's own exit kills them too).
  orphanTimeout: 2000,
  adoptWorkers: false,
  logger: quiet,
});

const workerPids = (): number[] => cluster.workers.map((w) => w.pid).filter((p): p is number => p !== undefined);
/** Every worker pid seen, killed on the way out unless the cluster shut down cleanly. */
const seen = new Set<number>();
let shutDown = false;
process.once('exit', () => {
  if (shutDown) return;
  for (const pid of new Set([...seen, ...workerPids()])) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

await cluster.listen();
for (const pid of workerPids()) seen.add(pid);
cluster.on('worker-ready', () => {
  for (const pid of workerPids()) seen.add(pid);
});
serveControl(
  `ws://127.0.0.1:${cluster.port}`,
  async () => {
    await cluster.shutdown('bench over');
    shutDown = true;
  },
  { pids: workerPids },
);
