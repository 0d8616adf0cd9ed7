/**
 * The cluster's public entry point (the manager) and its workers are hardened like a `Server`:
 * WebSocket origin checks apply on both, and the options reach the workers.
 */
import { Client } from '@netplay/client';
import type { ClusterServer } from '@netplay/server';
import { connectWebSocket } from '@netplay/transport/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './helpers/cluster.js';

const GAME = 'https://game.example';
const quiet = { info() {}, warn() {}, error() {} };

describe('cluster hardening (2 workers)', () => {
  let cluster: ClusterServer;

  beforeAll(async () => {
    cluster = await startCluster({ server: { allowedOrigins: [GAME], maxPayload: 4096 } });
  }, 60_000);

  afterAll(async () => {
    await cluster?.shutdown();
  }, 30_000);

  it('refuses a WebSocket from another origin at the manager and at every worker', async () => {
    const targets = [cluster.port, ...cluster.workers.map((w) => w.port)];
    for (const port of targets) {
      await expect(
        connectWebSocket(`ws://127.0.0.1:${port}`, { headers: { Origin: 'https://evil.example' } }),
      ).rejects.toMatchObject({ code: 'LINK_ERROR' });
    }
  });

  it('lets the allowed origin join through the manager redirect', async () => {
    const opened: string[] = [];
    const client = new Client(`ws://127.0.0.1:${cluster.port}`, {
      logger: quiet,
      connect: (url) => {
        opened.push(url);
        return connectWebSocket(url, { headers: { Origin: GAME } });
      },
    });
    const room = await client.create('arena');
    expect(opened).toHaveLength(2);
    expect(opened[1]).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    await room.leave();
  });
});
