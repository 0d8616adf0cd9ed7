/**
 * Entry point of a cluster worker process (`child_process.fork` by the manager; not run by hand).
 * It waits for the manager's `init`, starts a {@link ClusterWorker}, answers the manager's requests,
 * and exits after a graceful `shutdown` or when the manager goes away.
 * @module
 */
import { SessionError, SessionErrorCode } from '@netplay/transport';
import {
  IpcEndpoint,
  type ManagerNotices,
  type ManagerRequests,
  type WorkerNotices,
  type WorkerRequests,
} from './ipc.js';
import { ClusterWorker } from './worker.js';

const send = process.send?.bind(process);
if (send === undefined) {
  console.error('netplay: worker-main is started by the cluster manager (netplay serve / ClusterServer), not by hand');
  process.exit(1);
}

let worker: ClusterWorker | undefined;
let exiting = false;

const need = (): ClusterWorker => {
  if (worker === undefined) throw new SessionError(SessionErrorCode.UNAVAILABLE, 'worker is starting');
  return worker;
};

function exit(reason: string): void {
  if (exiting) return;
  exiting = true;
  const done = worker === undefined ? Promise.resolve() : worker.shutdown(reason);
  void done.finally(() => setTimeout(() => process.exit(0), 20));
}

const ipc: IpcEndpoint<ManagerRequests, ManagerNotices, WorkerRequests, WorkerNotices> = new IpcEndpoint(
  (frame) => send(frame),
  {
    requests: {
      init: async (init) => {
        worker = await ClusterWorker.start(init, ipc);
        return { ...worker.ports, roomTypes: worker.roomTypes };
      },
      reserve: (request) => need().reserve(request),
      deliver: (message) => need().deliver(message),
      shutdown: async ({ reason }) => {
        exiting = true;
        await worker?.shutdown(reason);
        setTimeout(() => process.exit(0), 20);
        return null;
      },
    },
    notices: {
      presence: ({ topic, data }) => worker?.presence.deliver(topic, data),
    },
  },
  5000,
);

process.on('message', (message) => ipc.receive(message));
// The manager coordinates shutdown; Ctrl-C reaches the whole process group, so ignore SIGINT here.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => exit('server shutting down'));
process.on('disconnect', () => exit('manager went away'));
