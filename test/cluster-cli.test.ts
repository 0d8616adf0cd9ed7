/**
 * `netplay serve` as a process (from the TypeScript sources, as in development): it starts a
 * cluster, serves joins, and on SIGINT shuts down gracefully (members leave with SHUTDOWN, workers
 * exit, exit code 0); a missing rooms module or a module that defines no room is a clear error.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CloseCode } from '@netplay/server';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts, next, nextMessage, ROOMS, recordingClient } from './helpers/cluster.js';

const CLI = fileURLToPath(new URL('../packages/server/src/cluster/cli-main.ts', import.meta.url));
const children: ChildProcess[] = [];

function run(args: string[]): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exit };
}

describe('netplay serve (process)', () => {
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('prints help and exits 0', async () => {
    const r = run(['--help']);
    expect(await r.exit).toBe(0);
    expect(r.out()).toMatch(/^Usage: netplay serve <rooms module> \[options\]/);
  }, 30_000);

  it('says clearly when the rooms module is missing or defines no room', async () => {
    const missing = run(['serve', 'no/such/rooms.js', '--port', '0']);
    expect(await missing.exit).toBe(1);
    expect(missing.out()).toMatch(/rooms module not found: .*no\/such\/rooms\.js \(ROOMS_MODULE_NOT_FOUND\)/);
    const [port] = await freePorts(1);
    const empty = fileURLToPath(new URL('./fixtures/no-rooms.ts', import.meta.url));
    const none = run(['serve', empty, '--host', '127.0.0.1', '--port', '0', '--workers', '1', '--ports', String(port)]);
    expect(await none.exit).toBe(1);
    expect(none.out()).toMatch(/defines no room: export a define\(server\) function .*\(ROOMS_MODULE_EMPTY\)/);
  }, 60_000);

  it('says clearly when the manager port is in use, and exits 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const [port] = await freePorts(1);
      const r = run([
        'serve',
        ROOMS,
        '--host',
        '127.0.0.1',
        '--port',
        String(taken),
        '--workers',
        '1',
        '--ports',
        String(port),
      ]);
      expect(await r.exit).toBe(1);
      expect(r.out()).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE.*\\(LINK_ERROR\\)`));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  }, 60_000);

  it('serves joins, then shuts down gracefully on SIGINT', async () => {
    const [port] = await freePorts(1);
    const r = run(['serve', ROOMS, '--host', '127.0.0.1', '--port', '0', '--workers', '1', '--ports', String(port)]);
    const listening = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening: ${r.out()}`)), 30_000);
      r.child.stdout?.on('data', () => {
        const m = /manager listening on 127\.0\.0\.1:(\d+)/.exec(r.out());
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    const { client, opened } = recordingClient(`ws://127.0.0.1:${listening}`);
    const room = await client.joinOrCreate('arena');
    expect(opened[1]).toBe(`ws://127.0.0.1:${port}`);
    const where = nextMessage<{ pid: number }>(room, 'where');
    room.send('where');
    const workerPid = (await where).pid;
    const left = next<[number, string]>(room, 'leave');
    r.child.kill('SIGINT');
    expect((await left)[0]).toBe(CloseCode.SHUTDOWN);
    expect(await r.exit).toBe(0);
    expect(() => process.kill(workerPid, 0)).toThrow();
    expect(r.out()).toMatch(/SIGINT: shutting down/);
  }, 60_000);

  it('a SIGKILLed manager restarted with the same command adopts its workers; the room lives on', async () => {
    const [port, workerPort] = await freePorts(2);
    const args = ['serve', ROOMS, '--host', '127.0.0.1', '--port', String(port), '--workers', '1'];
    args.push('--ports', String(workerPort), '--orphan-timeout', '20000');
    const listening = async (r: ReturnType<typeof run>) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not listening: ${r.out()}`)), 30_000);
        r.child.stdout?.on('data', () => {
          const line = /netplay: manager listening[^\n]*\n/.exec(r.out());
          if (line) {
            clearTimeout(timer);
            resolve(line[0]);
          }
        });
      });
    const first = run(args);
    expect(await listening(first)).not.toMatch(/adopted/);
    const room = await recordingClient(`ws://127.0.0.1:${port}`).client.create('arena');
    const where = nextMessage<{ pid: number }>(room, 'where');
    room.send('where');
    const workerPid = (await where).pid;
    try {
      const left: string[] = [];
      room.on('leave', (code) => left.push(String(code)));
      first.child.kill('SIGKILL');
      await first.exit;
      const second = run(args);
      expect(await listening(second)).toMatch(/1 worker\(s\) on ports \d+-\d+ \(1 adopted from a manager that died\)/);
      const echo = nextMessage(room, 'echo');
      room.send('echo', 'still here');
      expect(await echo).toBe('still here');
      const joined = await recordingClient(`ws://127.0.0.1:${port}`).client.joinById(room.roomId);
      expect(joined.peers).toContain(room.sessionId);
      expect(left).toEqual([]);
      const leave = next<[number, string]>(room, 'leave');
      second.child.kill('SIGINT');
      expect((await leave)[0]).toBe(CloseCode.SHUTDOWN);
      expect(await second.exit).toBe(0);
      expect(() => process.kill(workerPid, 0)).toThrow();
    } finally {
      try {
        process.kill(workerPid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  }, 60_000);
});
