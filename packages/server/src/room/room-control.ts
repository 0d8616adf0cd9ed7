/**
 * What a {@link Room} instance delegates to: the runtime that owns its members, seats, tick and
 * fan-out. Internal to the server package (not exported from its index).
 * @module
 */
import type { Clock, MessageType } from '@netplay/transport';
import type { Logger } from '../options.js';
import type { Presence } from '../presence/presence.js';
import type { RoomClient, SendOptions } from './room-client.js';

/** Options of {@link Room.broadcast}. */
export interface BroadcastOptions extends SendOptions {
  /** A member (or members) not to send to. */
  except?: RoomClient | readonly RoomClient[];
}

/** The operations a room's public API performs, implemented by the room runtime. */
export interface RoomControl {
  readonly roomId: string;
  readonly roomName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly clients: readonly RoomClient[];
  readonly locked: boolean;
  readonly isPrivate: boolean;
  readonly maxClients: number;
  readonly metadata: Readonly<Record<string, unknown>>;
  autoDispose: boolean;
  /** Publish / subscribe across rooms (and, in cluster mode, across workers and machines). */
  readonly presence: Presence;
  broadcast(type: MessageType, payload: unknown, options: BroadcastOptions | undefined): void;
  setTick(hz: number, onTick: (dt: number, tick: number) => void): void;
  clearTick(): void;
  setLocked(locked: boolean): void;
  setPrivate(isPrivate: boolean): void;
  setMaxClients(maxClients: number): void;
  setMetadata(metadata: Record<string, unknown>): void;
  dispose(code: number, reason: string): Promise<void>;
  getClient(sessionId: string): RoomClient | undefined;
}

/** Key under which a room instance holds its {@link RoomControl}. */
export const ROOM_CONTROL: unique symbol = Symbol('netplay.roomControl');
