/**
 * The IPC side of a server child: answers the harness's memory and CPU requests and exits on
 * command (or when the harness goes away).
 * @module
 */
import type { ServerCommand, ServerReply } from './protocol.js';

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

/** Serve the harness's commands; `close` runs before exiting. */
export function serveControl(url: string, close: () => Promise<void>): void {
  let cpuStart: NodeJS.CpuUsage | undefined;
  let wallStart = 0;
  process.on('message', (m: ServerCommand) => {
    switch (m.cmd) {
      case 'mem':
        void settleHeap().then(() => {
          const u = process.memoryUsage();
          reply({ type: 'mem', heapUsed: u.heapUsed, rss: u.rss, external: u.external, arrayBuffers: u.arrayBuffers });
        });
        return;
      case 'cpu-start':
        frames.out = 0;
        frames.in = 0;
        cpuStart = process.cpuUsage();
        wallStart = performance.now();
        return;
      case 'cpu-stop': {
        const d = process.cpuUsage(cpuStart);
        reply({
          type: 'cpu',
          userUs: d.user,
          systemUs: d.system,
          wallMs: performance.now() - wallStart,
          framesOut: frames.out,
          framesIn: frames.in,
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
  reply({ type: 'ready', url });
}
