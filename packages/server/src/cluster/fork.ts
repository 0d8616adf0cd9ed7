/**
 * How the manager starts a worker process: `child_process.fork` of `worker-main`, from the built
 * `dist` (plain JS) or, when the manager itself runs from the TypeScript sources (dev, tests), of
 * `worker-main.ts` with `--import tsx`.
 * @module
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The worker entry next to this module, and whether it is TypeScript. */
export function workerEntry(): { path: string; typescript: boolean } {
  const here = import.meta.url;
  const typescript = /\.[cm]?ts$/.test(new URL(here).pathname);
  return { path: fileURLToPath(new URL(`./worker-main.${typescript ? 'ts' : 'js'}`, here)), typescript };
}

/** Fork a worker process with an IPC channel using structured-clone serialization. */
export function forkWorker(execArgv: readonly string[]): ChildProcess {
  const entry = workerEntry();
  // The secret reaches the worker over IPC (init); keep it out of the worker's environment.
  const env = { ...process.env };
  delete env.NETPLAY_CLUSTER_SECRET;
  return fork(entry.path, [], {
    env,
    execArgv: [...(entry.typescript ? ['--import', 'tsx'] : []), ...execArgv],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
