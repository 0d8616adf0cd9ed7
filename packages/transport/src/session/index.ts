/**
 * The session layer's wire contract, shared by `@netplay/server` and `@netplay/client`: handshake
 * packets, room-protocol messages, error codes and close codes.
 * @module
 */
export {
  type ConnectBody,
  decodeHandshake,
  encodeHandshake,
  HANDSHAKE_PADDED_SIZE,
  type HandshakePacket,
  HandshakeType,
  isHandshakePacket,
} from './handshake.js';
export {
  type ClientMessage,
  channelFor,
  decodeClientMessage,
  decodeServerMessage,
  encodeClientMessage,
  encodeRelayedPrefix,
  encodeRelayedRaw,
  encodeServerMessage,
  type JoinedInfo,
  type JoinMethod,
  Op,
  type RelayTarget,
  type RoomListing,
  type ServerMessage,
  scanRelay,
} from './room-protocol.js';
export { CloseCode, isSessionErrorCode, SessionError, SessionErrorCode } from './session-errors.js';
