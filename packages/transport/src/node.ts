/**
 * `@netplay/transport/node`: links that need Node (UDP via `node:dgram`; WebSocket over `node:net`
 * and `node:tls`, client and server with their own RFC 6455 framing). The universal
 * `WebSocketLink` over a standard `WebSocket` (browsers) is exported from `@netplay/transport`.
 * @packageDocumentation
 */

export {
  CONNECT_TOKEN_VERSION,
  type ConnectToken,
  DEFAULT_TOKEN_LIFETIME_MS,
  deriveTokenKey,
  type IssueConnectTokenOptions,
  issueConnectToken,
  type OpenedConnectToken,
  openConnectToken,
  SEALED_TOKEN_SIZE,
  TOKEN_KEY_SIZE,
} from './link/connect-token.js';
export {
  type ClientEncryptionOptions,
  ENCRYPTION_OVERHEAD,
  type EncryptedDropReason,
  EncryptedLink,
  type EncryptedLinkStats,
  type OpenFailure,
  PacketOpener,
  PacketSealer,
  REPLAY_WINDOW,
  SEALED_HEADER_SIZE,
  SEALED_TYPE,
  SecureChannel,
  type ServerEncryptionOptions,
  TOKEN_CONNECT_TYPE,
} from './link/encrypted.js';
export {
  connectUdp,
  UDP_LINK_DEFAULTS,
  type UdpConnectOptions,
  UdpLink,
  type UdpLinkOptions,
  type UdpLinkStats,
  type UdpRemote,
} from './link/udp.js';
export {
  UDP_LINK_SERVER_DEFAULTS,
  UdpLinkServer,
  type UdpLinkServerOptions,
  type UdpLinkServerStats,
} from './link/udp-server.js';
export { ClientWebSocketLink, type ClientWebSocketLinkStats } from './link/ws-client-link.js';
export { FramedWebSocketLink, type FramedWebSocketLinkStats } from './link/ws-framed-link.js';
export {
  type ConnectWebSocketOptions,
  connectWebSocket,
  type WebSocketLinkRequest,
  WebSocketLinkServer,
  type WebSocketLinkServerCommonOptions,
  type WebSocketLinkServerOptions,
  type WebSocketLinkServerStats,
  WS_NODE_DEFAULTS,
} from './link/ws-node.js';
export { ServerWebSocketLink, type ServerWebSocketLinkStats } from './link/ws-server-link.js';
