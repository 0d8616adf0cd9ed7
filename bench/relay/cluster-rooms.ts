/**
 * Rooms module of the `netplay-cluster` relay target (loaded by every cluster worker): the same
 * relay room as `netplay-server.ts`, one room type without an `onRelay` hook. The room size comes
 * from `NETPLAY_BENCH_CLIENTS_PER_ROOM` (the workers inherit the server child's environment).
 * @module
 */
import { Room, type RoomRegistrar } from '@netplay/server';

class RelayRoom extends Room {}

export function define(server: RoomRegistrar): void {
  server.define('relay', RelayRoom, { maxClients: Number(process.env.NETPLAY_BENCH_CLIENTS_PER_ROOM ?? 8) });
}
