/**
 * CPU profiles of a measured window only (not start-up, warm-up or shutdown): with
 * `NETPLAY_BENCH_WINDOW_PROF=dir` in a child's environment, the server child profiles from
 * `cpu-start` to `cpu-stop`, and a bot from `connect` to its reply and from `measure-start` to
 * `measure-stop` (the load window), through `node:inspector`, and
 * write `dir/<name>-<pid>-<n>.cpuprofile`, n counting the windows of the process (sampled every
 * 200 µs). Without it, nothing runs.
 * `--cpu-prof` profiles a child's whole life instead.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

const dir = process.env.NETPLAY_BENCH_WINDOW_PROF;
const SAMPLING_INTERVAL_US = 200;
let session: Session | undefined;
let windows = 0;

/** Start profiling (a no-op without `NETPLAY_BENCH_WINDOW_PROF`). */
export async function startWindowProfile(): Promise<void> {
  if (dir === undefined || dir === '' || session !== undefined) return;
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  await session.post('Profiler.start');
}

/** Stop profiling and write the profile as `name-<pid>-<n>.cpuprofile`. */
export async function stopWindowProfile(name: string): Promise<void> {
  const s = session;
  if (s === undefined || dir === undefined) return;
  session = undefined;
  const { profile } = await s.post('Profiler.stop');
  s.disconnect();
  mkdirSync(dir, { recursive: true });
  windows++;
  writeFileSync(join(dir, `${name}-${process.pid}-${windows}.cpuprofile`), JSON.stringify(profile));
}
