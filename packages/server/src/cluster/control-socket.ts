/**
 * The workers' control endpoint: the rendezvous of a restarted manager with the workers of the
 * manager that died. A forked child's IPC channel cannot be attached to a new parent, so every
 * worker also listens on a Unix domain socket, `<runDir>/worker-<index>-<port>.sock` (the run directory is
 * created with mode 0700: only the cluster's user can connect, which is the authentication). A
 * starting manager connects to each one and, when a worker answers, adopts it instead of starting a
 * new process. The socket carries the same `op` / `nonce` frames as the IPC channel, each one
 * `v8.serialize`d (structured clone, like `serialization: 'advanced'`) behind a 4-byte length.
 * @module
 */
import { mkdirSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';

/** Largest control frame accepted (a heartbeat with a long room list stays far below). */
const MAX_FRAME = 64 * 1024 * 1024;

/** Path of the control socket of worker `index` on `port` in `runDir`. */
export function controlSocketPath(runDir: string, index: number, port: number): string {
  return join(runDir, `worker-${index}-${port}.sock`);
}

/** Create the run directory (mode 0700) if it is missing. */
export function ensureRunDir(runDir: string): void {
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
}

/** A framed message channel over one socket. */
export interface ControlChannel {
  /** Send one frame (dropped once the socket is closed). */
  send(frame: unknown): void;
  /** Close the socket. */
  close(): void;
  /** Resolves when the socket has closed (either side). */
  readonly closed: Promise<void>;
}

/** Frame the messages of `socket`: every decoded frame goes to `onFrame`; a malformed stream closes it. */
export function controlChannel(socket: Socket, onFrame: (frame: unknown) => void): ControlChannel {
  let buffered: Buffer = Buffer.alloc(0);
  let open = true;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void closed.then(() => {
    open = false;
  });
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const size = buffered.readUInt32BE(0);
      if (size > MAX_FRAME) {
        socket.destroy();
        return;
      }
      if (buffered.length < 4 + size) return;
      const body = buffered.subarray(4, 4 + size);
      buffered = buffered.subarray(4 + size);
      let frame: unknown;
      try {
        frame = deserialize(body);
      } catch {
        socket.destroy();
        return;
      }
      onFrame(frame);
    }
  });
  return {
    send(frame) {
      if (!open || socket.destroyed) return;
      const body = serialize(frame);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(body.length, 0);
      socket.write(Buffer.concat([head, body]));
    },
    close() {
      socket.end();
      socket.destroySoon();
    },
    closed,
  };
}

/**
 * Listen on `path` (a stale socket file left by a dead worker is removed first). Each accepted
 * connection goes to `onConnection`.
 */
export async function listenControl(path: string, onConnection: (socket: Socket) => void): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** Connect to a control socket; `undefined` when nothing listens there (no file, or a stale one). */
export function dialControl(path: string, timeoutMs: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(undefined);
    });
  });
}
