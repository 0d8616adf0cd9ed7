/**
 * The IPC side of a server child: answers the harness's memory and CPU requests and exits on
 * command (or when the harness goes away).
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { LoopDelayWindow } from './loop-delay.js';
import type { LossCounters, ServerCommand, ServerReply } from './protocol.js';
import { startWindowProfile, stopWindowProfile } from './window-profile.js';

function reply(message: ServerReply): void {
  process.send?.(message);
}

/** Collect garbage (when run with `--expose-gc`) until the heap stops shrinking. */
async function settleHeap(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Frames or datagrams a server sent and received; reset when the measured window starts. */
export const frames = { out: 0, in: 0 };

/** Options of {@link serveControl}: a server of several processes (a cluster), a server's own counters. */
export interface ControlOptions {
  /**
   * The server's other processes (cluster workers): their CPU (`/proc/<pid>/stat` utime + stime)
   * and RSS (`/proc/<pid>/statm`) are added to this process's, and frames are reported as NaN
   * (they are sent by the workers, where this process does not count them).
   */
  pids?: () => number[];
  /** The server's loss counters over each window (a Netplay server's; see `netplay-server.ts`). */
  loss?: { start(): void; stop(): LossCounters };
}

const getconf = (name: string, fallback: number): number => {
  try {
    const n = Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim());
    return n > 0 ? n : fallback;
  } catch {
    return fallback;
  }
};

/** user + system CPU of `pid` so far, µs; 0 when it is gone. */
function procCpuUs(pid: number, ticksPerSecond: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime: fields 14 and 15
    return (ticks / ticksPerSecond) * 1e6;
  } catch {
    return 0;
  }
}

/** Resident set of `pid`, bytes; 0 when it is gone. */
function procRss(pid: number, pageSize: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * pageSize;
  } catch {
    return 0;
  }
}

/** Serve the harness's commands; `close` runs before exiting. */
export function serveControl(url: string, close: () => Promise<void>, options: ControlOptions = {}): void {
  let cpuStart: NodeJS.CpuUsage | undefined;
  let wallStart = 0;
  const others = options.pids;
  const ticksPerSecond = others === undefined ? 100 : getconf('CLK_TCK', 100);
  const pageSize = others === undefined ? 4096 : getconf('PAGESIZE', 4096);
  /** CPU of the other processes at the window's start, per pid. */
  let othersStart = new Map<number, number>();
  const loopDelay = new LoopDelayWindow();
  process.on('message', (m: ServerCommand) => {
    switch (m.cmd) {
      case 'mem':
        void settleHeap().then(() => {
          const u = process.memoryUsage();
          const otherRss = (others?.() ?? []).reduce((sum, pid) => sum + procRss(pid, pageSize), 0);
          reply({
            type: 'mem',
            heapUsed: others === undefined ? u.heapUsed : Number.NaN,
            rss: u.rss + otherRss,
            external: u.external,
            arrayBuffers: u.arrayBuffers,
          });
        });
        return;
      case 'cpu-start':
        frames.out = 0;
        frames.in = 0;
        othersStart = new Map((others?.() ?? []).map((pid) => [pid, procCpuUs(pid, ticksPerSecond)]));
        cpuStart = process.cpuUsage();
        wallStart = performance.now();
        loopDelay.start();
        options.loss?.start();
        void startWindowProfile();
        return;
      case 'cpu-stop': {
        const d = process.cpuUsage(cpuStart);
        void stopWindowProfile('server');
        // /proc gives user + system together here: added to user. A worker replaced in the
        // window counts from 0 (it started in the window).
        let otherUs = 0;
        for (const pid of others?.() ?? []) otherUs += procCpuUs(pid, ticksPerSecond) - (othersStart.get(pid) ?? 0);
        reply({
          type: 'cpu',
          userUs: d.user + otherUs,
          systemUs: d.system,
          wallMs: performance.now() - wallStart,
          framesOut: others === undefined ? frames.out : Number.NaN,
          framesIn: others === undefined ? frames.in : Number.NaN,
          loopDelayMaxMs: loopDelay.stop(),
          ...(options.loss === undefined ? {} : { loss: options.loss.stop() }),
        });
        return;
      }
      case 'exit': {
        const timer = setTimeout(() => process.exit(0), 2000);
        timer.unref();
        void close()
          .catch(() => {})
          .finally(() => process.exit(0));
        return;
      }
    }
  });
  // The harness died or closed the channel: do not linger.
  process.on('disconnect', () => process.exit(0));
  reply({ type: 'ready', url, ...(others === undefined ? {} : { pids: others() }) });
}
