/**
 * Entry point of a cluster worker process (`child_process.fork` by the manager; not run by hand).
 * It waits for the manager's `init`, starts a {@link ClusterWorker}, answers the manager's requests,
 * and exits after a graceful `shutdown`.
 *
 * When the manager goes away (the IPC channel closes: it crashed or was killed) the worker keeps
 * its rooms and sessions running: in-room traffic never touches the manager. It listens on its
 * control socket (`control-socket.ts`) for a restarted manager to adopt it, and meanwhile sends no
 * heartbeats, delivers presence publishes to its own rooms only, and refuses direct messages to
 * other workers with `UNAVAILABLE`. A manager that stops pinging (hung) for `managerTimeout` is
 * treated the same way until it speaks again, except that heartbeats keep going to it (so it does
 * not take the worker for hung when it wakes up). With `orphanTimeout` set the worker shuts down
 * gracefully after that long without a (responsive) manager.
 * @module
 */
import { rmSync } from 'node:fs';
import type { Server as NetServer, Socket } from 'node:net';
import { SessionError, SessionErrorCode } from '@netplay/transport';
import { controlChannel, controlSocketPath, listenControl } from './control-socket.js';
import { ClusterErrorCode } from './errors.js';
import {
  IpcEndpoint,
  type IpcHandlers,
  type ManagerNotices,
  type ManagerRequests,
  type WorkerInit,
  type WorkerNotices,
  type WorkerRequests,
} from './ipc.js';
import { ClusterWorker, type WorkerIpc } from './worker.js';

const send = process.send?.bind(process);
if (send === undefined) {
  console.error('netplay: worker-main is started by the cluster manager (netplay serve / ClusterServer), not by hand');
  process.exit(1);
}
// The manager's stdout/stderr may be a pipe nobody reads any more once the manager is gone.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

let worker: ClusterWorker | undefined;
let settings: WorkerInit | undefined;
let exiting = false;
/** The manager this worker answers to now: the fork's IPC channel, then an adopting manager's socket. */
let manager: WorkerIpc | undefined;
let control: NetServer | undefined;
let orphanedAt: number | undefined;
let orphanTimer: ReturnType<typeof setTimeout> | undefined;
/** When the current manager last sent anything; `silent` once that is older than `managerTimeout`. */
let lastHeard = Date.now();
let silent = false;

/** Start counting toward `orphanTimeout` (no manager, or a silent one). */
function startOrphanClock(): void {
  const s = settings;
  orphanedAt ??= Date.now();
  if (s === undefined || s.orphanTimeout <= 0 || orphanTimer !== undefined) return;
  orphanTimer = setTimeout(() => exit(`no cluster manager for ${s.orphanTimeout} ms`), s.orphanTimeout);
}

function stopOrphanClock(): void {
  if (orphanTimer !== undefined) clearTimeout(orphanTimer);
  orphanTimer = undefined;
  orphanedAt = undefined;
}

/** Something arrived from `from`: if it is the current manager, it is alive. */
function heard(from: WorkerIpc): void {
  if (from !== manager) return;
  lastHeard = Date.now();
  if (!silent) return;
  silent = false;
  stopOrphanClock();
  console.error(`netplay worker ${settings?.index ?? '?'}: its manager answers again`);
}

/** Every heartbeat interval: has the manager gone silent? */
function watchManager(): void {
  const s = settings;
  if (s === undefined || manager === undefined || silent || exiting) return;
  const quiet = Date.now() - lastHeard;
  if (quiet <= s.managerTimeout) return;
  silent = true;
  manager.failPending(ClusterErrorCode.IPC_TIMEOUT, 'the manager is silent');
  console.error(
    `netplay worker ${s.index} (port ${s.port}): no word from its manager for ${quiet} ms; ` +
      'direct messages to other workers are refused until it answers',
  );
  startOrphanClock();
}

const need = (): ClusterWorker => {
  if (worker === undefined) throw new SessionError(SessionErrorCode.UNAVAILABLE, 'worker is starting');
  return worker;
};

function exit(reason: string): void {
  if (exiting) return;
  exiting = true;
  const done = worker === undefined ? Promise.resolve() : worker.shutdown(reason);
  void done.finally(() => {
    closeControl();
    setTimeout(() => process.exit(0), 20);
  });
}

/** Stop listening and remove the socket file (the manager removes the run directory when it is empty). */
function closeControl(): void {
  control?.close();
  control = undefined;
  if (settings !== undefined)
    rmSync(controlSocketPath(settings.runDir, settings.index, settings.port), { force: true });
}

/** The current manager is gone: keep the rooms running and wait for another one. */
function orphan(from: WorkerIpc, why: string): void {
  if (manager !== from || exiting) return;
  manager = undefined;
  if (worker === undefined || settings === undefined) {
    exit(`manager went away before the worker started (${why})`);
    return;
  }
  silent = false;
  startOrphanClock();
  const s = settings;
  console.error(
    `netplay worker ${s.index} (port ${s.port}, pid ${process.pid}): lost its manager (${why}); its rooms keep running; ` +
      `a restarted manager adopts it through ${controlSocketPath(s.runDir, s.index, s.port)}`,
  );
}

/** Requests and notices of the manager, over `self` (the fork's channel or a control socket). */
function handlers(kind: 'fork' | 'socket', self: () => WorkerIpc): IpcHandlers<WorkerRequests, WorkerNotices> {
  const current = (): void => {
    if (manager !== self()) throw new SessionError(SessionErrorCode.UNAVAILABLE, 'not this worker’s manager');
  };
  return {
    requests: {
      init: async (init) => {
        if (kind !== 'fork' || worker !== undefined) throw new SessionError('INVALID_REQUEST', 'already started');
        settings = init;
        worker = await ClusterWorker.start(init, { current: () => manager, responsive: () => !silent });
        setInterval(watchManager, init.heartbeatInterval).unref();
        control = await listenControl(controlSocketPath(init.runDir, init.index, init.port), onControl);
        return { ...worker.ports, roomTypes: worker.roomTypes };
      },
      adopt: ({ managerPid }) => {
        const w = need();
        const s = settings!;
        if (kind !== 'socket') throw new SessionError('INVALID_REQUEST', 'adopt comes over the control socket');
        if (exiting) throw new SessionError(SessionErrorCode.SHUTTING_DOWN, 'worker is shutting down');
        if (manager !== undefined && manager !== self()) {
          throw new SessionError(SessionErrorCode.UNAVAILABLE, 'this worker already has a live manager');
        }
        manager = self();
        const orphanedFor = orphanedAt === undefined ? 0 : Date.now() - orphanedAt;
        stopOrphanClock();
        silent = false;
        lastHeard = Date.now();
        console.error(`netplay worker ${s.index} (port ${s.port}): adopted by manager pid ${managerPid}`);
        return {
          nodeId: s.nodeId,
          index: s.index,
          incarnation: s.incarnation,
          pid: process.pid,
          ...w.ports,
          roomTypes: w.roomTypes,
          report: w.report(),
          orphanedFor,
        };
      },
      reserve: (request) => {
        current();
        return need().reserve(request);
      },
      deliver: (message) => {
        current();
        return need().deliver(message);
      },
      shutdown: async ({ reason }) => {
        current();
        exiting = true;
        await worker?.shutdown(reason);
        closeControl();
        setTimeout(() => process.exit(0), 20);
        return null;
      },
    },
    notices: {
      presence: ({ topic, data }) => {
        if (manager === self()) worker?.presence.deliver(topic, data);
      },
      ping: () => {},
    },
  };
}

/** A manager connects to the control socket: it may adopt this worker if it has no manager. */
function onControl(socket: Socket): void {
  if (exiting || manager !== undefined) {
    // One manager at a time: a second one (or a probe) is refused.
    socket.destroy();
    return;
  }
  const channel = controlChannel(socket, (frame) => {
    heard(endpoint);
    endpoint.receive(frame);
  });
  const endpoint: WorkerIpc = new IpcEndpoint(
    (frame) => channel.send(frame),
    handlers('socket', () => endpoint),
    5000,
  );
  void channel.closed.then(() => {
    endpoint.close('control connection closed');
    orphan(endpoint, 'its control connection closed');
  });
}

const ipc: WorkerIpc = new IpcEndpoint<ManagerRequests, ManagerNotices, WorkerRequests, WorkerNotices>(
  (frame) => send(frame),
  handlers('fork', () => ipc),
  5000,
);
manager = ipc;

process.on('message', (message) => {
  heard(ipc);
  ipc.receive(message);
});
// The manager coordinates shutdown; Ctrl-C reaches the whole process group, so ignore SIGINT here.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => exit('server shutting down'));
process.on('disconnect', () => {
  ipc.close('manager went away');
  orphan(ipc, 'the IPC channel closed');
});
