/**
 * A real `redis-server` on a free port for the Redis tests. When the binary is missing the tests
 * fail loudly (CI installs it: see .ci/run) unless NETPLAY_SKIP_REDIS_TESTS=1 opts out explicitly.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { freePorts } from './cluster.js';

/** `true` when the Redis tests are explicitly opted out. */
export const SKIP_REDIS = process.env.NETPLAY_SKIP_REDIS_TESTS === '1';

/** A running redis-server. */
export interface RedisProcess {
  readonly url: string;
  stop(): Promise<void>;
}

/** Start `redis-server` on a free 127.0.0.1 port (no persistence) and wait until it accepts connections. */
export async function startRedis(): Promise<RedisProcess> {
  const probe = spawnSync('redis-server', ['--version']);
  if (probe.error !== undefined) {
    throw new Error(
      'redis-server is not installed: the Redis cluster tests need it (apt-get install -y redis-server); ' +
        'set NETPLAY_SKIP_REDIS_TESTS=1 to skip them explicitly',
    );
  }
  const [port] = await freePorts(1);
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${out}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
