/**
 * The same game code runs on a plain `Server`: the cluster's rooms module loads into one, presence
 * reaches rooms of the same server and direct messages reach sessions in other rooms. Rooms-module
 * errors are clear.
 */
import { fileURLToPath } from 'node:url';
import { Client } from '@netplay/client';
import { ClusterErrorCode, Server, SessionErrorCode } from '@netplay/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRoomsModule } from '../packages/server/src/cluster/rooms-module.js';
import { next, nextMessage, quiet, ROOMS } from './helpers/cluster.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('the cluster rooms module on a single Server', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = new Server({ host: '127.0.0.1', port: 0, logger: quiet });
    expect(await loadRoomsModule(ROOMS, server)).toEqual(['arena', 'crowd', 'news']);
    await server.listen();
    url = `ws://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await server.shutdown();
  });

  it('presence and direct messages work without a cluster', async () => {
    const client = new Client(url, { logger: quiet });
    const a = await client.create('news');
    const b = await client.create('news');
    const news = nextMessage(b, 'news');
    a.send('publish', 'one server');
    expect(await news).toBe('one server');
    const direct = next<[unknown, string]>(b, 'direct');
    a.message(b.sessionId, { hi: 1 });
    expect(await direct).toEqual([{ hi: 1 }, a.sessionId]);
    const error = next<[Error & { code: string }]>(a, 'error');
    a.message('nobody', 1);
    expect((await error)[0].code).toBe(SessionErrorCode.INVALID_REQUEST);
    await Promise.all([a.leave(), b.leave()]);
  });

  it('a module of Room subclasses defines each under its export name', async () => {
    const names: string[] = [];
    await loadRoomsModule(fixture('cluster-crashy-rooms.ts'), { define: (name) => names.push(name) });
    expect(names).toEqual(['Arena']);
  });

  it('refuses a missing module and a module that defines no room, with stable codes', async () => {
    const registrar = { define: () => {} };
    await expect(loadRoomsModule(fixture('missing.ts'), registrar)).rejects.toMatchObject({
      code: ClusterErrorCode.ROOMS_MODULE_NOT_FOUND,
    });
    await expect(loadRoomsModule(fixture('no-rooms.ts'), registrar)).rejects.toMatchObject({
      code: ClusterErrorCode.ROOMS_MODULE_EMPTY,
      message: expect.stringMatching(/export a define\(server\) function/),
    });
  });
});
