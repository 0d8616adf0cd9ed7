/**
 * The built-in connectors over real sockets on 127.0.0.1 (real clock): `ws://` through `ws` and
 * `udp://` through `node:dgram` (loaded by the client with a dynamic import), against the scripted
 * server on the transport's own link servers. The UDP server challenges and checks the padding.
 */
import { Op, realClock } from '@netplay/transport';
import { UdpLinkServer, WebSocketLinkServer } from '@netplay/transport/node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client, type Room } from '../src/index.js';
import { PADDED, ScriptedServer } from './scripted-server.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function echo(server: ScriptedServer): void {
  server.onSession = (session) => {
    const base = session.handle;
    session.handle = (m, ch) => {
      if (m.op === Op.Message) session.send({ op: Op.Message, type: m.type, payload: m.payload });
      else base(m, ch);
    };
  };
}

async function roundTrip(room: Room): Promise<unknown> {
  const got = new Promise((resolve) => room.onMessage('echo', resolve));
  room.send('echo', { hello: 'world', bytes: new Uint8Array([1, 2]) });
  return got;
}

describe('real sockets', () => {
  it('ws:// joins, exchanges a message and leaves', async () => {
    const server = new ScriptedServer(realClock);
    echo(server);
    const wss = await WebSocketLinkServer.listen({
      port: 0,
      host: '127.0.0.1',
      onLink: (link) => server.acceptLink(link, 'ws'),
    });
    closers.push(() => wss.close());
    const client = new Client(`ws://127.0.0.1:${wss.address().port}`, { logger: { warn: vi.fn(), error: vi.fn() } });
    const room = await client.joinOrCreate('arena', { name: 'ana' });
    expect(room.sessionId).toBe('s1');
    expect(await roundTrip(room)).toEqual({ hello: 'world', bytes: new Uint8Array([1, 2]) });
    await room.leave();
    expect(room.state).toBe('left');
  });

  it('udp:// handshakes with padded packets, exchanges a message and leaves', async () => {
    const server = new ScriptedServer(realClock, { udp: true });
    echo(server);
    const udp = await UdpLinkServer.listen({
      port: 0,
      host: '127.0.0.1',
      onLink: (link) => server.acceptLink(link, 'udp'),
    });
    closers.push(() => udp.close());
    const client = new Client(`udp://127.0.0.1:${udp.address().port}`, { logger: { warn: vi.fn(), error: vi.fn() } });
    const room = await client.joinOrCreate('arena');
    const sizes = server.links[0]!.handshakes.map((h) => h.size);
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    for (const size of sizes) expect(size).toBeGreaterThanOrEqual(PADDED);
    expect(await roundTrip(room)).toEqual({ hello: 'world', bytes: new Uint8Array([1, 2]) });
    await room.leave();
    expect(room.state).toBe('left');
  });
});
