/**
 * `@netplay/transport/node`: links that need Node (UDP via `node:dgram`, WebSocket via `ws`).
 * The universal `WebSocketLink` they produce is exported from `@netplay/transport`.
 * @packageDocumentation
 */

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
