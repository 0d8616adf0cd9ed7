/**
 * Errors of the cluster mode, each with a stable code. Join refusals that reach clients stay
 * `SessionError`s with a `SessionErrorCode` (`UNAVAILABLE`, `INVALID_TOKEN`, `ROOM_LOST`, …).
 * @module
 */
import { NetplayError } from '@netplay/transport';

/** Stable codes of {@link ClusterError}. */
export const ClusterErrorCode = {
  /** The rooms module could not be found or failed to load. */
  ROOMS_MODULE_NOT_FOUND: 'ROOMS_MODULE_NOT_FOUND',
  /** The rooms module exports no `define(server)` function and no `Room` subclass. */
  ROOMS_MODULE_EMPTY: 'ROOMS_MODULE_EMPTY',
  /** A worker did not start (its port is taken, the rooms module threw, it exited during start-up). */
  WORKER_START_FAILED: 'WORKER_START_FAILED',
  /** A manager ↔ worker (or manager ↔ manager) request got no answer in time. */
  IPC_TIMEOUT: 'IPC_TIMEOUT',
  /** The other end of an IPC channel went away with requests pending. */
  IPC_CLOSED: 'IPC_CLOSED',
  /** The registry (Redis) could not be reached or answered with an error. */
  REGISTRY_ERROR: 'REGISTRY_ERROR',
} as const;

/** One of the {@link ClusterErrorCode} values. */
export type ClusterErrorCode = (typeof ClusterErrorCode)[keyof typeof ClusterErrorCode];

/** An error of the cluster machinery (not of a client's request). */
export class ClusterError extends NetplayError {
  /** @param code - a {@link ClusterErrorCode}. */
  constructor(code: ClusterErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
