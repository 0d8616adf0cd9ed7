/**
 * Helpers of the cluster tests: free ports on 127.0.0.1, a cluster of real worker processes on
 * them, clients that record every URL they open, and event waits with deadlines.
 */
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client, type Room as ClientRoom } from '@netplay/client';
import { ClusterServer, type ClusterServerOptions } from '@netplay/server';
import { connectUdp, connectWebSocket } from '@netplay/transport/node';

export const quiet = { info() {}, warn() {}, error() {} };
export const ROOMS = fileURLToPath(new URL('../fixtures/cluster-rooms.ts', import.meta.url));

/**
 * Ports below the kernel's ephemeral range (Linux: 32768–60999), which the tests pick from: a port
 * there is never handed to a socket bound to port 0 or to an outgoing connection. A test that kills
 * a server and starts it again on the same port relies on that: while the port was free, a client
 * of any test (an outgoing TCP connection, a UDP socket) could otherwise have been given it, and the
 * restart would fail with EADDRINUSE.
 */
const PICKED_PORTS = { from: 20_000, below: 32_768 } as const;

/** `count` consecutive TCP ports that are free on 127.0.0.1 now (and their UDP twins, usually). */
export async function freePorts(count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = PICKED_PORTS.from + Math.floor(Math.random() * (PICKED_PORTS.below - PICKED_PORTS.from - count));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return ports;
  }
  throw new Error('no free port range');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A two-worker cluster on 127.0.0.1 with the test rooms. */
export async function startCluster(options: Partial<ClusterServerOptions> = {}): Promise<ClusterServer> {
  const ports = await freePorts(2);
  const cluster = new ClusterServer({
    rooms: ROOMS,
    host: '127.0.0.1',
    port: 0,
    workers: 2,
    workerPorts: { from: ports[0]! },
    // A test that dies before its shutdown leaves no orphaned worker for long.
    orphanTimeout: 20_000,
    logger: quiet,
    ...options,
  });
  await cluster.listen();
  return cluster;
}

/** A client that records every URL it connects to (the manager's, then the worker's). */
export function recordingClient(url: string, opened: string[] = []): { client: Client; opened: string[] } {
  const client = new Client(url, {
    logger: quiet,
    reconnect: { initialDelay: 100, maxDelay: 400 },
    connect: async (target) => {
      opened.push(target);
      if (!target.startsWith('udp://')) return connectWebSocket(target);
      const { hostname, port } = new URL(target.replace('udp://', 'http://'));
      return connectUdp({ host: hostname, port: Number(port) });
    },
  });
  return { client, opened };
}

/** Resolves with the arguments of the next `event` of `room`, or rejects after `ms`. */
export function next<T extends unknown[]>(room: ClientRoom, event: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    (room as unknown as { once(e: string, f: (...a: unknown[]) => void): void }).once(event, (...args) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

/** Resolves with the next message of `type` on `room`. */
export function nextMessage<T = unknown>(room: ClientRoom, type: string, ms = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} message within ${ms} ms`)), ms);
    const off = room.onMessage(type, (payload) => {
      clearTimeout(timer);
      off();
      resolve(payload as T);
    });
  });
}

/** Polls `predicate` every 20 ms until it holds (or rejects after `ms`). For state with no event. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
