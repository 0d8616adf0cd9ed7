/**
 * Heap per WebSocket connection on the server side, without sessions: N `ws` clients (a child
 * process) connect to one of
 *   - `raw`: an HTTP server whose `upgrade` handler answers 101 and keeps the socket (no framing);
 *   - `netplay`: a `WebSocketLinkServer` (the server's own RFC 6455 framing), handlers installed;
 *   - `ws`: a `ws` `WebSocketServer` (`noServer`, no deflate), a `message` listener installed;
 * then, after `gc()`, heap used and RSS per connection (minus a 50-connection warm-up), and with
 * `SNAP=1` a heap snapshot diff by constructor.
 * `node --expose-gc --import tsx bench/relay/link-memory.ts raw|netplay|ws [N=1000]`
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { WebSocketLinkServer } from '@netplay/transport/node';
import { WebSocket, WebSocketServer } from 'ws';

const mode = process.argv[2] ?? 'netplay';
const N = Number(process.argv[3] ?? 1000);
const WARM_UP = 50;
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Self size by constructor (closures and V8-internal types in parentheses). */
function snapshot(): Map<string, number> {
  const file = writeHeapSnapshot(`/tmp/link-memory-${process.pid}-${Date.now()}.heapsnapshot`);
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  unlinkSync(file);
  const fields: string[] = snap.snapshot.meta.node_fields;
  const types: string[] = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const sizes = new Map<string, number>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + iType]]!;
    const name = type === 'object' ? snap.strings[snap.nodes[i + iName]] : `(${type})`;
    sizes.set(name, (sizes.get(name) ?? 0) + snap.nodes[i + iSize]);
  }
  return sizes;
}

async function settle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

if (mode === 'client') {
  const [count, url] = [Number(process.argv[3]), process.argv[4]!];
  const sockets: WebSocket[] = [];
  let open = 0;
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('open', () => {
      if (++open === count) process.send?.('open');
    });
    ws.on('error', (error) => console.error('client:', error.message));
    sockets.push(ws);
  }
  process.on('message', () => process.exit(0));
} else {
  const kept: unknown[] = [];
  let port: number;
  let close: () => Promise<void>;
  if (mode === 'netplay') {
    const server = await WebSocketLinkServer.listen({
      port: 0,
      host: '127.0.0.1',
      maxLinks: 1_000_000,
      onLink: (link) => {
        link.setHandlers({ onDatagram() {} });
        kept.push(link);
      },
    });
    port = server.address().port;
    close = () => server.close();
  } else {
    const http = createServer();
    const wss = mode === 'ws' ? new WebSocketServer({ noServer: true, perMessageDeflate: false }) : undefined;
    http.on('upgrade', (request, socket: Duplex, head) => {
      if (wss !== undefined) {
        wss.handleUpgrade(request, socket, head, (ws) => {
          ws.on('message', () => {});
          kept.push(ws);
        });
        return;
      }
      const accept = createHash('sha1').update(`${request.headers['sec-websocket-key']}${GUID}`).digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      socket.on('data', () => {});
      socket.on('error', () => {});
      kept.push(socket);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    port = (http.address() as { port: number }).port;
    close = async () => {
      http.closeAllConnections();
      for (const item of kept) (item as { destroy?(): void; terminate?(): void }).terminate?.();
      for (const item of kept) (item as { destroy?(): void }).destroy?.();
      await new Promise((resolve) => http.close(resolve));
    };
  }
  const clients = async (count: number) => {
    const child = fork(fileURLToPath(import.meta.url), ['client', String(count), `ws://127.0.0.1:${port}`], {
      execArgv: ['--import', 'tsx'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`client process exited (${code})`)));
    });
    return child;
  };
  const warm = await clients(WARM_UP); // compiles the code paths before measuring
  await settle();
  const before = process.env.SNAP === '1' ? snapshot() : undefined;
  await settle();
  const m0 = process.memoryUsage();
  const child = await clients(N);
  await settle();
  const m1 = process.memoryUsage();
  const perConnection = (bytes: number) => `${(bytes / N).toFixed(0)} B`;
  console.log(
    `${mode}: ${N} connections; heap used/connection ${perConnection(m1.heapUsed - m0.heapUsed)}, RSS/connection ${perConnection(m1.rss - m0.rss)}`,
  );
  if (before !== undefined) {
    const after = snapshot();
    const rows = [...after].map(([name, size]) => [name, (size - (before.get(name) ?? 0)) / N] as const);
    console.log(`snapshot diff/connection ${rows.reduce((sum, [, size]) => sum + size, 0).toFixed(0)} B`);
    for (const [name, size] of rows.filter(([, s]) => s >= 8).sort((a, b) => b[1] - a[1])) {
      console.log(`${size.toFixed(0).padStart(6)}  ${name}`);
    }
  }
  child.send('exit');
  warm.send('exit');
  await close();
  process.exit(0);
}
