/**
 * `@netplay/transport/node`: links that need Node (UDP via `node:dgram`, WebSocket via `ws`).
 * @packageDocumentation
 */
export {};
