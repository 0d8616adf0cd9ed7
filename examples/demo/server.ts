/**
 * The demo server's rooms on one {@link Server}: `chat` (relay, see `examples/chat`) and `arena`
 * (authoritative movement, see `examples/arena`). `main.ts` runs it; the tests start it on port 0.
 * @module
 */
import { Server, type ServerOptions } from '@netplay/server';
import { ArenaRoom, type ArenaRoomOptions } from '../arena/room.js';
import { mountArenaPage } from '../arena/web/serve.js';
import { ChatRoom } from '../chat/room.js';

/** Options of {@link createDemoServer}. */
export interface DemoServerOptions extends ServerOptions {
  /** Room options of `arena` rooms (size, speed, tick rate). Defaults to `DEFAULT_ARENA_CONFIG`. */
  arena?: ArenaRoomOptions;
  /** Lines of chat history kept for late joiners. Defaults to 20. */
  chatHistory?: number;
  /**
   * Serve the browser arena at `/arena/` (and redirect `/` there), bundled by esbuild on first
   * request (see `examples/arena/web`). Defaults to `true`.
   */
  web?: boolean;
}

/** A server (not listening yet) with `chat` and `arena` defined. */
export function createDemoServer(options: DemoServerOptions = {}): Server {
  const { arena, chatHistory, web, ...serverOptions } = options;
  const server = new Server(serverOptions);
  server.define('chat', ChatRoom, chatHistory === undefined ? {} : { defaultOptions: { historySize: chatHistory } });
  server.define('arena', ArenaRoom, { maxClients: 32, defaultOptions: { ...arena } });
  if (web !== false) mountArenaPage(server);
  return server;
}
