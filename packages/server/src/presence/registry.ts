/**
 * The cluster registry: where managers publish their workers and rooms, and the bus they use to
 * reach each other (reservations in another node's rooms, direct messages to its sessions, presence).
 * Two implementations: {@link LocalRegistry} (in-process, the default: one machine, or several
 * managers in one process) and `RedisRegistry` (managers on many machines sharing one Redis).
 * @module
 */
import type { RoomListing } from '@netplay/transport';

/** A room as the registry lists it. */
export interface RoomEntry extends RoomListing {
  /** Node (manager) that hosts it. */
  readonly nodeId: string;
  /** Worker index on that node. */
  readonly worker: number;
  /** `true` when it takes new members by `join` / `joinOrCreate` (public, unlocked, a free seat). */
  readonly available: boolean;
}

/** A worker as the registry lists it. */
export interface WorkerEntry {
  /** Worker index on its node. */
  readonly index: number;
  /** Where clients reach it over WebSocket (`ws://publicHost:port`). */
  readonly url: string;
  /** Where clients reach it over UDP, when UDP is on. */
  readonly udpUrl: string | undefined;
  /** Incarnation of the process on that port. */
  readonly incarnation: number;
  /** Sessions, from its last heartbeat. */
  readonly sessions: number;
  /** Rooms, from its last heartbeat. */
  readonly rooms: number;
}

/** What one node (manager) publishes about itself. */
export interface NodeEntry {
  /** Node id (random per manager start). */
  readonly nodeId: string;
  /** Its live workers. */
  readonly workers: readonly WorkerEntry[];
  /** Every room of the node's live workers. */
  readonly rooms: readonly RoomEntry[];
  /** When it was published (ms since the epoch). */
  readonly updatedAt: number;
}

/** Receives bus messages of one channel. */
export type BusHandler = (message: Uint8Array) => void;

/**
 * The registry and bus. Entries expire unless refreshed (a node that stops publishing vanishes
 * from listings after `ttlMs`); bus delivery is at most once.
 */
export interface ClusterRegistry {
  /** Publish (or refresh) `entry`; it expires after `ttlMs` unless published again. */
  publishNode(entry: NodeEntry, ttlMs: number): Promise<void>;
  /** Remove a node's entry now (graceful shutdown). */
  removeNode(nodeId: string): Promise<void>;
  /** Every node entry that has not expired. */
  nodes(): Promise<NodeEntry[]>;
  /** Receive messages published on `channel`. Resolves once subscribed, with the unsubscribe function. */
  subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>>;
  /** Publish `message` to every subscriber of `channel` (any node). */
  publish(channel: string, message: Uint8Array): Promise<void>;
  /** Release connections. The registry is not used afterwards. */
  close(): Promise<void>;
}
