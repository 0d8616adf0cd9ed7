/**
 * A cluster manager in its own process (test/fixtures/cluster-manager-main.ts), for the tests that
 * kill it. Every pid it reports (manager and workers) is recorded in `pids`, so a test can kill
 * them all at the end — workers outlive a killed manager by design.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Run directories (control sockets) of the managers started here, removed by {@link killAll}. */
const runDirs = new Set<string>();

/** A manager process and what it printed once listening. */
export interface ManagerProcess {
  readonly port: number;
  readonly nodeId: string;
  /** Worker pids, by index. */
  readonly pids: number[];
  /** Whether each worker was adopted (true) or started (false). */
  readonly adopted: boolean[];
  readonly child: ChildProcess;
  /** Milliseconds from spawn to listening. */
  readonly startMs: number;
  /** Milliseconds `listen()` took in the manager (adoption or worker start-up included). */
  readonly listenMs: number;
}

/** Start a manager: `redis` ('-' for none), first worker port, manager port (0 = any), worker count. */
export async function startManagerProcess(
  pids: Set<number>,
  args: { redis?: string; workerPort: number; port?: number; workers?: number; orphanTimeout?: number },
): Promise<ManagerProcess> {
  const main = fileURLToPath(new URL('../fixtures/cluster-manager-main.ts', import.meta.url));
  // The cluster's default run directory (see ClusterServerOptions.runDir).
  runDirs.add(join(tmpdir(), `netplay-${process.getuid?.() ?? 'u'}-${args.workerPort}`));
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      main,
      args.redis ?? '-',
      String(args.workerPort),
      String(args.port ?? 0),
      String(args.workers ?? 1),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env:
        args.orphanTimeout === undefined
          ? process.env
          : { ...process.env, NETPLAY_TEST_ORPHAN_TIMEOUT: String(args.orphanTimeout) },
    },
  );
  if (child.pid !== undefined) pids.add(child.pid);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('manager did not start within 30 s')), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`manager exited with ${code}`));
    });
  });
  const startMs = performance.now() - started;
  const info = JSON.parse(line) as Omit<ManagerProcess, 'child' | 'startMs'>;
  for (const pid of info.pids) pids.add(pid);
  return { ...info, child, startMs };
}

/** SIGKILL a manager process and wait until it is gone. */
export async function killManager(manager: ManagerProcess): Promise<void> {
  if (manager.child.exitCode !== null || manager.child.signalCode !== null) return;
  const exited = new Promise((resolve) => manager.child.once('exit', resolve));
  manager.child.kill('SIGKILL');
  await exited;
}

/** SIGKILL every pid still alive (the end of a test, pass or fail) and remove the run directories. */
export function killAll(pids: Set<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pids.clear();
  for (const dir of runDirs) rmSync(dir, { recursive: true, force: true });
  runDirs.clear();
}

/** `true` while process `pid` exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
