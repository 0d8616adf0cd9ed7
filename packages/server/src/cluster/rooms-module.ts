/**
 * The rooms module a cluster worker (or `netplay serve`) loads. It either exports a `define`
 * function (named or default) that registers room types on the server it is given:
 *
 * ```ts
 * export function define(server) {
 *   server.define('arena', Arena, { maxClients: 8 });
 * }
 * ```
 *
 * or exports `Room` subclasses, each registered under its export name with default options
 * (`export class Arena extends Room {}` → clients join `'Arena'`).
 * @module
 */
import { access } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { RoomDefinitionOptions } from '../options.js';
import { Room } from '../room/room.js';
import type { RoomClient } from '../room/room-client.js';
import { ClusterError, ClusterErrorCode } from './errors.js';

/** What a rooms module's `define` function gets: a server to register room types on. */
export interface RoomRegistrar {
  /** Register a room type (as `Server.define`). */
  define<TClient extends RoomClient>(
    name: string,
    roomClass: new () => Room<TClient>,
    options?: RoomDefinitionOptions,
  ): unknown;
}

/** The `define` function a rooms module may export. */
export type DefineRooms = (server: RoomRegistrar) => void | Promise<void>;

/**
 * Import the rooms module at `path` (absolute) and register its rooms on `server`. Returns the
 * room type names registered.
 * @throws {@link ClusterError} `ROOMS_MODULE_NOT_FOUND` when the file is missing or fails to
 *   import; `ROOMS_MODULE_EMPTY` when it registers no room.
 */
export async function loadRoomsModule(path: string, server: RoomRegistrar): Promise<string[]> {
  try {
    await access(path);
  } catch (cause) {
    throw new ClusterError(ClusterErrorCode.ROOMS_MODULE_NOT_FOUND, `rooms module not found: ${path}`, { cause });
  }
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ClusterError(ClusterErrorCode.ROOMS_MODULE_NOT_FOUND, `rooms module ${path} failed to load: ${why}`, {
      cause,
    });
  }
  const names: string[] = [];
  const recorder: RoomRegistrar = {
    define(name, roomClass, options) {
      server.define(name, roomClass, options);
      names.push(name);
      return recorder;
    },
  };
  const define = typeof exports.define === 'function' ? exports.define : exports.default;
  if (typeof define === 'function' && !isRoomClass(define)) {
    await (define as DefineRooms)(recorder);
  } else {
    for (const [exportName, value] of Object.entries(exports)) {
      if (!isRoomClass(value)) continue;
      recorder.define(exportName === 'default' ? value.name : exportName, value);
    }
  }
  if (names.length === 0) {
    throw new ClusterError(
      ClusterErrorCode.ROOMS_MODULE_EMPTY,
      `rooms module ${path} defines no room: export a define(server) function that calls server.define(name, RoomClass), or export Room subclasses`,
    );
  }
  return names;
}

function isRoomClass(value: unknown): value is new () => Room<RoomClient> {
  return typeof value === 'function' && value.prototype instanceof Room;
}
