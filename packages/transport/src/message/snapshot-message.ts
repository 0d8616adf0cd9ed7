/**
 * The snapshot message: the app-message payload `DeltaSnapshots` (server) sends and
 * `SnapshotDecoder` (client) reads — one contract, written once, so the two sides cannot drift.
 *
 * Payload (msgpack array): `[id, baselineId, serverTime, meta, body]` — `id` counts snapshots from
 * 1; `baselineId` is the id the body is relative to, or {@link FULL_SNAPSHOT} for a full snapshot;
 * `serverTime` is the server clock at capture (ms); `meta` is per-client data the room adds;
 * `body` is the msgpack-encoded state body of a `SnapshotSchema`.
 * @module
 */

/** Default message types of snapshots and of a client's request for a full one. */
export const SNAPSHOT_MESSAGE_TYPES = {
  /** Snapshots, server → client. */
  snapshot: 'snapshot',
  /** "Send me a full snapshot", client → server. */
  resync: 'snapshot-resync',
} as const;

/** `baselineId` of a full snapshot (relative to nothing). */
export const FULL_SNAPSHOT = -1;

/** A snapshot message, decoded. */
export interface SnapshotMessage {
  /** Snapshot id (counts from 1). */
  readonly id: number;
  /** Id of the snapshot the body is relative to, or {@link FULL_SNAPSHOT}. */
  readonly baselineId: number;
  /** Server clock at capture, in ms. */
  readonly serverTime: number;
  /** Per-client data the room added (anything msgpack carries). */
  readonly meta: unknown;
  /** The encoded state body. */
  readonly body: Uint8Array;
}

/** The payload of a snapshot message (what goes to `client.send`). */
export function snapshotPayload(
  id: number,
  baselineId: number,
  serverTime: number,
  meta: unknown,
  body: Uint8Array,
): unknown[] {
  return [id, baselineId, serverTime, meta, body];
}

const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;

/**
 * Read a snapshot message payload from the network; `undefined` when it is malformed (not an
 * array of five, an id that is not a positive integer, a baseline after its snapshot, a
 * non-finite time, a body that is not bytes). Never throws.
 */
export function readSnapshotPayload(payload: unknown): SnapshotMessage | undefined {
  if (!Array.isArray(payload) || payload.length < 5) return undefined;
  const [id, baselineId, serverTime, meta, body] = payload as unknown[];
  if (
    !isId(id) ||
    !(baselineId === FULL_SNAPSHOT || (isId(baselineId) && baselineId <= id)) ||
    typeof serverTime !== 'number' ||
    !Number.isFinite(serverTime) ||
    !(body instanceof Uint8Array)
  ) {
    return undefined;
  }
  return { id, baselineId: baselineId as number, serverTime, meta, body };
}
