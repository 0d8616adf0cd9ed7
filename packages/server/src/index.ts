/**
 * `@netplay/server`: the server a studio hosts. Sessions (handshake over WebSocket and UDP,
 * heartbeats, idle timeout, resume without loss), rooms (lifecycle hooks, typed handlers, a
 * fixed-rate tick, broadcast), matchmaking with atomic seat reservations, relay of client messages
 * through the server, per-session rate limits.
 *
 * ```ts
 * import { Room, Server } from '@netplay/server';
 * class Arena extends Room {
 *   onCreate() { this.onMessage('move', (client, payload) => { ... }); }
 * }
 * const server = new Server({ port: 2567 });
 * server.define('arena', Arena, { maxClients: 8 });
 * await server.listen();
 * ```
 * @packageDocumentation
 */

export {
  CloseCode,
  CodecError,
  type EntityId,
  type EntityState,
  type FieldSpec,
  type FieldValue,
  InvalidOptionError,
  NetplayError,
  type RoomListing,
  SessionError,
  SessionErrorCode,
  SnapshotSchema,
} from '@netplay/transport';
// Connect tokens for encrypted UDP, for a backend that issues them itself (same secret or key).
export {
  type ConnectToken,
  deriveTokenKey,
  type IssueConnectTokenOptions,
  issueConnectToken,
} from '@netplay/transport/node';
export { ClusterError, ClusterErrorCode } from './cluster/errors.js';
export {
  type ClusterEvents,
  ClusterServer,
  type ClusterState,
  type WorkerInfo,
} from './cluster/manager.js';
export {
  type ClusterServerOptions,
  DEFAULT_CLUSTER_OPTIONS,
  type PlacementOption,
  type PortRange,
  type ResolvedClusterOptions,
  type RestartBackoffOptions,
  resolveClusterOptions,
  type WorkerServerOptions,
} from './cluster/options.js';
export {
  LeastConnectionsPlacement,
  PLACEMENT_NAMES,
  type PlacementRequest,
  type PlacementStrategy,
  RoundRobinPlacement,
  SourceHashPlacement,
  type WorkerLoad,
} from './cluster/placement.js';
export type { DefineRooms, RoomRegistrar } from './cluster/rooms-module.js';
export type { WorkerSlotState } from './cluster/worker-slot.js';
// Game feel (optional helpers, docs/game-feel.md): delta snapshots against acked state, lag compensation.
export {
  DEFAULT_DELTA_SNAPSHOT_OPTIONS,
  type DeltaSnapshotOptions,
  type DeltaSnapshotStats,
  DeltaSnapshots,
  type ResolvedDeltaSnapshotOptions,
  type SnapshotRecipient,
} from './feel/delta-snapshots.js';
export {
  DEFAULT_LAG_COMPENSATION_OPTIONS,
  type EntityLerp,
  type LagCompensationOptions,
  LagCompensator,
} from './feel/lag-compensation.js';
export type { HttpHandler, HttpMethod, HttpRouteContext } from './http/routes.js';
export { DEFAULT_STATIC_FILES_OPTIONS, type StaticFilesOptions, staticFiles } from './http/static-files.js';
export { createLogger, DEFAULT_LOG_LEVEL, isLogLevel, LOG_LEVELS, type LogLevel } from './logging.js';
export type { MatchmakerStats } from './matchmaker/matchmaker.js';
export { DEFAULT_MONITOR_OPTIONS, type MonitorOptions, type ResolvedMonitorOptions } from './monitor/options.js';
export type { MonitorHistoryPoint, MonitorTotals } from './monitor/sampler.js';
export type { MonitorData, MonitorRoom, MonitorSession, MonitorWorker } from './monitor/snapshot.js';
export {
  type ConnectTokenOptions,
  DEFAULT_CONNECT_TOKEN_OPTIONS,
  DEFAULT_RATE_LIMIT,
  DEFAULT_ROOM_OPTIONS,
  DEFAULT_SERVER_OPTIONS,
  type Logger,
  type RateLimitOptions,
  type ResolvedConnectTokenOptions,
  type ResolvedServerOptions,
  type RoomDefinitionOptions,
  resolveServerOptions,
  type SecureUdpMode,
  type ServerOptions,
} from './options.js';
export { LocalRegistry } from './presence/local-registry.js';
export { LocalPresence, type Presence, type PresenceListener } from './presence/presence.js';
export type { BusHandler, ClusterRegistry, NodeEntry, RoomEntry, WorkerEntry } from './presence/registry.js';
export {
  type MessageHandler,
  type PayloadValidator,
  type RelayRequest,
  Room,
  type WildcardMessageHandler,
} from './room/room.js';
export { RoomClient, type SendOptions } from './room/room-client.js';
export type { BroadcastOptions } from './room/room-control.js';
export type { TickStats } from './room/tick-loop.js';
export { type AcceptLinkInfo, Server, type ServerState, type ServerStats } from './server.js';
export type { ConnectTokenStats } from './session/connect-tokens.js';
export type { LinkKind, SessionLayerStats } from './session/session-layer.js';
export type { DeliveryCallback } from './session/session-port.js';
export { type SimulatedConnectorOptions, simulatedConnector } from './testing/simulated-connector.js';

/** The version of this package. */
export const VERSION = '0.1.0';
