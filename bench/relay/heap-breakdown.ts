/**
 * Heap breakdown per idle session: a Netplay `Server` in this process, N clients from a child
 * process, then a heap snapshot aggregated by constructor name (self size), before vs after.
 * `npx tsx bench/relay/heap-breakdown.ts ws|udp [N]` (it runs itself bundled, see bundle.ts; WARM=n
 * sessions join and leave first, default 64: with WARM=N, code compiled on the joins is not counted;
 * STAY=1: they stay joined) (N defaults to 500; run with N of
 * 1,000 or more so that code compiled during the joins does not weigh on the figures).
 */
import { fork } from 'node:child_process';
import { readFileSync, unlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { Client } from '@netplay/client';
import { Room, Server } from '@netplay/server';

const mode = process.argv[2] ?? 'ws';
const N = Number(process.argv[3] ?? 500);
if (!import.meta.url.endsWith('.mjs')) {
  // Measure the bundled code (see bundle.ts: tsx's keepNames would add ~5 KiB per session).
  const { bundled } = await import('./bundle.js');
  const child = fork(await bundled('./heap-breakdown.ts'), process.argv.slice(2), {
    execArgv: ['--expose-gc'],
    stdio: 'inherit',
  });
  await new Promise((resolve) => child.once('exit', resolve));
} else if (mode === 'child') {
  const url = process.argv[4]!;
  const client = new Client(url, { reconnect: { enabled: false } });
  const joined = await Promise.all(
    Array.from({ length: Math.ceil(N / 8) }, async () => {
      const first = await client.create('relay');
      return [first, ...(await Promise.all(Array.from({ length: 7 }, () => client.joinById(first.roomId))))];
    }),
  );
  process.send?.('joined');
  process.on('message', async () => {
    await Promise.all(joined.flat().map((room) => room.leave()));
    process.exit(0);
  });
} else {
  class RelayRoom extends Room {}
  const server = new Server({
    port: 0,
    host: '127.0.0.1',
    ...(mode === 'udp' ? { udpPort: 0 } : {}),
    maxSessions: 100_000,
    maxSessionsPerAddress: 100_000,
    maxPendingHandshakes: 100_000,
    maxPendingHandshakesPerAddress: 100_000,
    logger: { info() {}, warn() {}, error: console.error },
    ...(process.env.MONITOR === '0' ? { monitor: false as const } : {}),
  });
  server.define('relay', RelayRoom, { maxClients: 8 });
  await server.listen();
  const url = mode === 'udp' ? `udp://127.0.0.1:${server.udpPort}` : `ws://127.0.0.1:${server.port}`;
  const gc = (globalThis as { gc?: () => void }).gc!;
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
  };
  type Agg = Map<string, { count: number; size: number }>;
  /** Written now, read later: parsing the first snapshot before the second would count the parse. */
  const writeSnapshot = (): string => writeHeapSnapshot(`/tmp/heap-${process.pid}-${Date.now()}.heapsnapshot`);
  const readSnapshot = (file: string): Agg => {
    const snap = JSON.parse(readFileSync(file, 'utf8'));
    if (process.env.KEEP_SNAPSHOT) console.log('snapshot kept:', file);
    else unlinkSync(file);
    const f: string[] = snap.snapshot.meta.node_fields;
    const types: string[] = snap.snapshot.meta.node_types[0];
    const width = f.length;
    const iType = f.indexOf('type');
    const iName = f.indexOf('name');
    const iSize = f.indexOf('self_size');
    const agg: Agg = new Map();
    const nodes: number[] = snap.nodes;
    const edgeFields: string[] = snap.snapshot.meta.edge_fields;
    const edgeTypes: string[] = snap.snapshot.meta.edge_types[0];
    const ew = edgeFields.length;
    const iEdgeCount = f.indexOf('edge_count');
    const owner = new Map<number, string>(); // node index -> "Owner.edge" of its first retainer
    if (process.env.BY_RETAINER) {
      const edges: number[] = snap.edges;
      let e = 0;
      for (let i = 0; i < nodes.length; i += width) {
        const ownerType = types[nodes[i + iType]!]!;
        const ownerName =
          ownerType === 'object' || ownerType === 'closure' ? snap.strings[nodes[i + iName]!] : `(${ownerType})`;
        for (let k = 0; k < nodes[i + iEdgeCount]!; k++, e += ew) {
          const et = edgeTypes[edges[e]!]!;
          const nameOrIndex = edges[e + 1]!;
          const to = edges[e + 2]!;
          if (et === 'weak') continue;
          const edgeName = et === 'element' || et === 'hidden' ? `[${et}]` : String(snap.strings[nameOrIndex]);
          if (!owner.has(to)) owner.set(to, `${ownerName}.${edgeName}`);
        }
      }
    }
    for (let i = 0; i < nodes.length; i += width) {
      const type = types[nodes[i + iType]!]!;
      const name = type === 'object' || type === 'closure' ? snap.strings[nodes[i + iName]!] : `(${type})`;
      let key = type === 'closure' ? `closure ${name}` : name;
      if (
        process.env.BY_RETAINER &&
        (['array', 'closure', 'string', 'concatenated string', 'number'].includes(type) ||
          ['Object', 'Array', 'Map', 'system / Context'].includes(name))
      )
        key = `${key} <- ${owner.get(i) ?? '?'}`;
      const a = agg.get(key) ?? { count: 0, size: 0 };
      a.count++;
      a.size += nodes[i + iSize]!;
      agg.set(key, a);
    }
    if (process.env.SHOW_CONS) {
      const cons: [number, string][] = [];
      for (let i = 0; i < nodes.length; i += width) {
        if (types[nodes[i + iType]!] === 'concatenated string') cons.push([i, String(snap.strings[nodes[i + iName]!])]);
      }
      cons.sort((a, b) => b[1].length - a[1].length);
      for (const [, v] of cons.slice(0, 3)) console.log('cons', v.length, JSON.stringify(v.slice(0, 300)));
    }
    return agg;
  };
  const joinFrom = async (clients: number) => {
    const child = fork(fileURLToPath(import.meta.url), ['child', String(clients), url]);
    await new Promise<void>((resolve) => child.once('message', () => resolve()));
    return child;
  };
  // Warm-up: sessions that join and leave first, so that code compiled and modules loaded on the
  // first joins are not counted as memory per session.
  // STAY=1: the warm-up sessions stay joined, as in the relay bench's idle phase.
  const warm = await joinFrom(Number(process.env.WARM ?? 64));
  if (process.env.STAY !== '1') {
    warm.send('exit');
    await new Promise((resolve) => warm.once('exit', resolve));
    while (server.stats.sessions > 0) await new Promise((r) => setTimeout(r, 20));
  }
  await settle();
  const m0 = process.memoryUsage();
  const beforeFile = writeSnapshot();
  const child = await joinFrom(N);
  await new Promise((r) => setTimeout(r, 1000));
  await settle();
  const m1 = process.memoryUsage();
  const afterFile = writeSnapshot();
  const before = readSnapshot(beforeFile);
  const after = readSnapshot(afterFile);
  const rows: [string, number, number][] = [];
  let total = 0;
  for (const [k, a] of after) {
    const b = before.get(k) ?? { count: 0, size: 0 };
    const d = a.size - b.size;
    total += d;
    rows.push([k, (a.count - b.count) / N, d / N]);
  }
  rows.sort((x, y) => y[2] - x[2]);
  console.log(
    `${mode}: ${N} sessions; heapUsed/session ${((m1.heapUsed - m0.heapUsed) / N).toFixed(0)} B, snapshot diff ${(total / N).toFixed(0)} B, rss/session ${((m1.rss - m0.rss) / N).toFixed(0)} B, heapTotal/session ${((m1.heapTotal - m0.heapTotal) / N).toFixed(0)} B, external/session ${((m1.external - m0.external) / N).toFixed(0)} B, arrayBuffers/session ${((m1.arrayBuffers - m0.arrayBuffers) / N).toFixed(0)} B`,
  );
  for (const [k, c, s] of rows.slice(0, Number(process.env.TOP ?? 60)))
    console.log(s.toFixed(0).padStart(6), c.toFixed(2).padStart(6), k);
  child.send('exit');
  if (process.env.STAY === '1') warm.send('exit');
  await server.shutdown();
  process.exit(0);
}
