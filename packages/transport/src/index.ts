/**
 * `@netplay/transport`: everything on the wire.
 *
 * A sans-IO protocol core ({@link Connection}) with unreliable, unreliable-sequenced and
 * reliable-ordered channels over one packet-level ack layer; a driver ({@link Peer}) binding it to
 * a {@link Link} and a {@link Clock}; interchangeable links; and a network simulator for tests.
 * Node-only links (UDP, `ws`) live in `@netplay/transport/node`.
 * @packageDocumentation
 */

export { type ChannelConfig, type ChannelMode, DEFAULT_CHANNELS, DefaultChannel } from './channel/channel-config.js';
export type { ChannelStats } from './channel/channel-sink.js';
// Clocks: real time, and virtual time for deterministic tests (docs/simulator.md).
export {
  type Clock,
  DEFAULT_VIRTUAL_CLOCK_OPTIONS,
  RealClock,
  realClock,
  type TimerHandle,
  VirtualClock,
  type VirtualClockOptions,
} from './clock.js';

// Protocol core: app message → channel → packet.
export { Connection, type ConnectionHandlers, type ConnectionState } from './connection.js';
export {
  type ConnectionOptions,
  checkConnectionOptions,
  DEFAULT_CONNECTION_OPTIONS,
  probesWithin,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
} from './connection-options.js';
export type { ConnectionStats } from './connection-stats.js';
export * from './errors.js';
// The public part of a connect token for encrypted UDP (issuing and the EncryptedLink are Node-only:
// `@netplay/transport/node`).
export type { ConnectToken } from './link/connect-token-types.js';
export type { Link, LinkCloseInfo, LinkHandlers } from './link/link.js';
export { LinkDecorator } from './link/link-decorator.js';
export { InboxLink, MAX_QUEUED_BEFORE_HANDLERS } from './link/link-inbox.js';
export {
  createMemoryLinkPair,
  DEFAULT_MEMORY_LINK_OPTIONS,
  type MemoryLink,
  type MemoryLinkOptions,
} from './link/memory.js';
// Links (universal). Node-only links: `@netplay/transport/node`.
export {
  type ConnectBrowserWebSocketOptions,
  connectBrowserWebSocket,
  WEBSOCKET_LINK_DEFAULTS,
  type WebSocketConstructorLike,
  type WebSocketEventLike,
  type WebSocketLike,
  WebSocketLink,
  type WebSocketLinkOptions,
  type WebSocketLinkStats,
} from './link/websocket.js';
// Payload codec: msgpack for structured payloads, Uint8Array passes through as bin.
export {
  DEFAULT_PAYLOAD_LIMITS,
  PayloadCodec,
  type PayloadCodecOptions,
  type PayloadLimits,
} from './message/payload-codec.js';
export {
  FULL_SNAPSHOT,
  readSnapshotPayload,
  SNAPSHOT_MESSAGE_TYPES,
  type SnapshotMessage,
  snapshotPayload,
} from './message/snapshot-message.js';
// Entity snapshots as full or delta bodies (the delta-snapshot helpers of server and client).
export {
  type EntityId,
  type EntityState,
  type FieldSpec,
  type FieldValue,
  MAX_SNAPSHOT_FIELDS,
  SnapshotBodyKind,
  SnapshotSchema,
  type WireEntities,
} from './message/state-delta.js';
export {
  assertMessageType,
  isMessageType,
  type MessageType,
  type TypedMessage,
  toTypedMessage,
} from './message/typed-message.js';
export {
  FRAGMENT_RECORD_HEADER_SIZE,
  MAX_CHANNEL_ID,
  MAX_RECORD_PAYLOAD,
  RECORD_HEADER_SIZE,
  type RecordHeader,
  readRecordHeader,
  writeRecordHeader,
} from './packet/message-record.js';
// Wire format (docs/protocol.md), for tools and conformance tests.
export {
  PACKET_HEADER_SIZE,
  type PacketHeader,
  PacketType,
  PROTOCOL_ID,
  PROTOCOL_VERSION,
  readPacketHeader,
  writePacketHeader,
} from './packet/packet-header.js';
export { SEQUENCE_SPACE, seqAdd, seqDiff, seqGreaterThan } from './packet/sequence.js';
export { DEFAULT_SEND_DELAY, Peer, type PeerHandlers, type PeerOptions } from './peer.js';
export { PeerScheduler } from './peer-scheduler.js';
// Session layer wire contract (handshake, room protocol, error and close codes).
export * from './session/index.js';
// Network simulator: wrap any link with latency, jitter, loss, bursts, duplication, reordering,
// bandwidth and scripted drops, on a real or virtual clock (docs/simulator.md).
export * from './sim/index.js';
export { withDefaults } from './with-defaults.js';
