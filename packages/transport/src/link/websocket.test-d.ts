import { expectTypeOf, test } from 'vitest';
import type { WebSocket as WsWebSocket } from 'ws';
import type { WebSocketConstructorLike, WebSocketLike } from './websocket.js';

test('the browser WebSocket and the ws WebSocket both fit WebSocketLike', () => {
  expectTypeOf<globalThis.WebSocket>().toExtend<WebSocketLike>();
  expectTypeOf<typeof globalThis.WebSocket>().toExtend<WebSocketConstructorLike>();
  expectTypeOf<WsWebSocket>().toExtend<WebSocketLike>();
  expectTypeOf<typeof WsWebSocket>().toExtend<WebSocketConstructorLike>();
});

test('a plain object without addEventListener does not', () => {
  expectTypeOf<{ send(data: Uint8Array): void }>().not.toExtend<WebSocketLike>();
});
