/**
 * Delta snapshots: send each client the world's entities as a diff against the last snapshot that
 * client *acknowledged*, learned from the unreliable channel's per-message acked / lost reports
 * ({@link RoomClient.sendTracked}). Falls back to a full snapshot when the client has no acked
 * baseline yet, its baseline is older than `maxBaselineAge` snapshots, or the diff would not be
 * smaller. The client side is `SnapshotDecoder` in `@netplay/client`.
 *
 * Snapshot message payload (msgpack, an app message of type `options.type`):
 * `[id, baselineId, serverTime, meta, body]` — `id` counts snapshots from 1, `baselineId` is the id
 * the body is relative to (`-1`: a full snapshot), `serverTime` is the server clock at capture (ms),
 * `meta` is per-client data the room adds (e.g. the last input it processed for that client), and
 * `body` is the msgpack-encoded state body of {@link SnapshotSchema} (bytes, shared by every client
 * with the same baseline: each distinct body is encoded once per snapshot).
 * @module
 */
import {
  type EntityId,
  type EntityState,
  type FieldSpec,
  FULL_SNAPSHOT,
  InvalidOptionError,
  type MessageType,
  PayloadCodec,
  SNAPSHOT_MESSAGE_TYPES,
  SnapshotSchema,
  snapshotPayload,
  type WireEntities,
  withDefaults,
} from '@netplay/transport';
import type { Room } from '../room/room.js';
import type { RoomClient } from '../room/room-client.js';
import type { DeliveryCallback } from '../session/session-port.js';

/** Options of {@link DeltaSnapshots}. Defaults: {@link DEFAULT_DELTA_SNAPSHOT_OPTIONS}. */
export interface DeltaSnapshotOptions {
  /** Message type of snapshots. Defaults to `'snapshot'`. */
  type?: MessageType;
  /** Message type a client sends to ask for a full snapshot (see {@link DeltaSnapshots.listen}). Defaults to `'snapshot-resync'`. */
  resyncType?: MessageType;
  /** `false` sends every snapshot full (to compare, or to debug). Defaults to `true`. */
  deltas?: boolean;
  /**
   * Oldest acked snapshot a delta may be relative to, in snapshots behind the current one; older
   * baselines get a full snapshot. The client must keep at least this many baselines (its
   * `maxBaselines`, 64 by default). Defaults to 32 (1.6 s at 20 Hz).
   */
  maxBaselineAge?: number;
  /**
   * Snapshot messages larger than this many payload bytes go on the reliable channel (still
   * tracked) instead of the unreliable one, which refuses messages larger than one packet. Defaults
   * to 1100 (fits a 1200-byte MTU with room for headers).
   */
  maxUnreliableBytes?: number;
}

/** Defaults of {@link DeltaSnapshotOptions}. */
export const DEFAULT_DELTA_SNAPSHOT_OPTIONS = {
  type: SNAPSHOT_MESSAGE_TYPES.snapshot,
  resyncType: SNAPSHOT_MESSAGE_TYPES.resync,
  deltas: true,
  maxBaselineAge: 32,
  maxUnreliableBytes: 1100,
} as const satisfies Required<DeltaSnapshotOptions>;

/** {@link DeltaSnapshotOptions} with every default filled in. */
export type ResolvedDeltaSnapshotOptions = { readonly [P in keyof DeltaSnapshotOptions]-?: DeltaSnapshotOptions[P] };

/** What {@link DeltaSnapshots.send} needs of a recipient: {@link RoomClient} has it. */
export interface SnapshotRecipient {
  /** Identifies the recipient (its baseline is kept under it). */
  readonly sessionId: string;
  /** Send `payload` and report once whether it was acked or lost (see {@link RoomClient.sendTracked}). */
  sendTracked(
    type: MessageType,
    payload: unknown,
    onDelivery: DeliveryCallback,
    options?: { reliable?: boolean },
  ): boolean;
}

/** Counters of a {@link DeltaSnapshots} (updated in place). */
export interface DeltaSnapshotStats {
  /** Snapshots captured. */
  captured: number;
  /** Full snapshot messages sent. */
  fullSent: number;
  /** Delta snapshot messages sent. */
  deltaSent: number;
  /** Snapshot messages sent on the reliable channel because they were larger than `maxUnreliableBytes`. */
  sentReliable: number;
  /** Body bytes sent, all clients (the state part of the payloads; the payload adds ~10–20 bytes plus `meta`). */
  bodyBytesSent: number;
  /** Snapshot messages acked. */
  acked: number;
  /** Snapshot messages lost. */
  lost: number;
  /** Full snapshots forced by {@link DeltaSnapshots.resync}. */
  resyncs: number;
}

/** Per-client delivery state. */
class Baseline {
  /** Newest snapshot id this client acked (usable as a baseline), or -1. */
  acked = -1;
  /** Acks of snapshots older than this are ignored (set by a resync). */
  minId = 0;
}

/** Room for the payload array, ids, time and a small meta around the body, in bytes. */
const PAYLOAD_OVERHEAD = 48;

/**
 * Sends each client the entities as a delta against its last acknowledged snapshot.
 *
 * ```ts
 * const snapshots = new DeltaSnapshots([{ name: 'x', precision: 0.01 }, { name: 'y', precision: 0.01 }, 'hp']);
 * snapshots.listen(this); // in onCreate: answer clients' resync requests
 * this.setTick(20, () => {
 *   snapshots.capture(this.entities, this.clock.now()); // Map<id, { x, y, hp }>
 *   for (const c of this.clients) snapshots.send(c, { ack: c.userData.lastInput });
 * });
 * // onLeave: snapshots.forget(client)
 * ```
 *
 * @typeParam K - the entity field names.
 */
export class DeltaSnapshots<K extends string = string> {
  /** The entity fields (the client's decoder must use the same). */
  readonly schema: SnapshotSchema<K>;
  /** The options, with every default filled in. */
  readonly options: ResolvedDeltaSnapshotOptions;
  /** Counters, updated in place. */
  readonly stats: DeltaSnapshotStats = {
    captured: 0,
    fullSent: 0,
    deltaSent: 0,
    sentReliable: 0,
    bodyBytesSent: 0,
    acked: 0,
    lost: 0,
    resyncs: 0,
  };
  private readonly codec = new PayloadCodec();
  private readonly clients = new Map<string, Baseline>();
  /** Wire entities of the last `maxBaselineAge + 1` snapshots, by `id % length`. */
  private readonly history: (WireEntities | undefined)[];
  private readonly historyIds: Float64Array;
  private id = 0;
  private serverTime = 0;
  /** Encoded bodies of the current snapshot by baseline id (FULL_SNAPSHOT for the full one). */
  private readonly bodies = new Map<number, Uint8Array>();

  /**
   * @param schema - the entity fields (a {@link SnapshotSchema} or its field list); the client's
   *   decoder must use the same.
   * @throws {@link InvalidOptionError} for a bad option or schema.
   */
  constructor(schema: SnapshotSchema<K> | readonly (K | FieldSpec<K>)[], options: DeltaSnapshotOptions = {}) {
    this.schema = schema instanceof SnapshotSchema ? schema : new SnapshotSchema(schema);
    const o = withDefaults(DEFAULT_DELTA_SNAPSHOT_OPTIONS, options);
    if (!Number.isSafeInteger(o.maxBaselineAge) || o.maxBaselineAge < 1 || o.maxBaselineAge > 1024) {
      throw new InvalidOptionError('maxBaselineAge', `expected an integer 1–1024, got ${o.maxBaselineAge}`);
    }
    if (!Number.isFinite(o.maxUnreliableBytes) || o.maxUnreliableBytes < 64) {
      throw new InvalidOptionError('maxUnreliableBytes', `expected a number ≥ 64, got ${o.maxUnreliableBytes}`);
    }
    this.options = Object.freeze(o);
    this.history = new Array(o.maxBaselineAge + 1).fill(undefined);
    this.historyIds = new Float64Array(o.maxBaselineAge + 1).fill(-1);
  }

  /** Id of the last captured snapshot (0 before the first). */
  get currentId(): number {
    return this.id;
  }

  /**
   * Capture this tick's entities as the next snapshot (ids count from 1) taken at `serverTime` (ms,
   * the room's clock). Values are quantized by the schema now; unchanged entities share storage
   * with the previous snapshot. Returns the snapshot id.
   */
  capture(entities: Iterable<readonly [EntityId, EntityState<K>]>, serverTime: number): number {
    const previous = this.id > 0 ? this.lookup(this.id) : undefined;
    const wire = this.schema.toWire(entities, previous);
    this.id++;
    this.serverTime = serverTime;
    const slot = this.id % this.history.length;
    this.history[slot] = wire;
    this.historyIds[slot] = this.id;
    this.bodies.clear();
    this.stats.captured++;
    return this.id;
  }

  /**
   * Send the current snapshot to `client`, as a delta against its newest acked snapshot when that
   * is possible and smaller, else full. `meta` travels beside the state, per client (e.g. the last
   * input sequence the room processed for it, for client-side prediction). Returns the payload's
   * body size in bytes, or 0 when nothing was sent (no snapshot yet, or the client's link is down).
   */
  send(client: SnapshotRecipient, meta: unknown = null): number {
    const current = this.lookup(this.id);
    if (current === undefined) return 0;
    let state = this.clients.get(client.sessionId);
    if (state === undefined) {
      state = new Baseline();
      this.clients.set(client.sessionId, state);
    }
    let baseId = FULL_SNAPSHOT;
    let body = this.body(FULL_SNAPSHOT, current);
    if (this.options.deltas && state.acked > 0 && this.id - state.acked <= this.options.maxBaselineAge) {
      const base = this.lookup(state.acked);
      if (base !== undefined) {
        const delta = this.body(state.acked, current, base);
        if (delta.length < body.length) {
          baseId = state.acked;
          body = delta;
        }
      }
    }
    const id = this.id;
    const payload = snapshotPayload(id, baseId, this.serverTime, meta, body);
    const reliable = body.length + PAYLOAD_OVERHEAD > this.options.maxUnreliableBytes;
    const tracked = state;
    const sent = client.sendTracked(
      this.options.type,
      payload,
      (acked) => {
        if (acked) {
          this.stats.acked++;
          if (id >= tracked.minId && id > tracked.acked) tracked.acked = id;
        } else {
          this.stats.lost++;
        }
      },
      { reliable },
    );
    if (!sent) return 0;
    if (baseId === FULL_SNAPSHOT) this.stats.fullSent++;
    else this.stats.deltaSent++;
    if (reliable) this.stats.sentReliable++;
    this.stats.bodyBytesSent += body.length;
    return body.length;
  }

  /**
   * Forget `client`'s baseline: its next snapshot is full, and acks of snapshots sent before now no
   * longer count. Call it when the client asks (its decoder met a delta whose baseline it does not
   * hold, e.g. a snapshot that arrived before its room handle existed) — {@link DeltaSnapshots.listen}
   * does that for you.
   */
  resync(client: { readonly sessionId: string }): void {
    const state = this.clients.get(client.sessionId);
    if (state === undefined) return;
    state.acked = -1;
    state.minId = this.id + 1;
    this.stats.resyncs++;
  }

  /** Drop what is kept for `client` (call from the room's `onLeave`). */
  forget(client: { readonly sessionId: string }): void {
    this.clients.delete(client.sessionId);
  }

  /**
   * Handle clients' resync requests (messages of `options.resyncType`) in `room`: each one makes
   * that client's next snapshot full. Returns the function that removes the handler.
   */
  listen<C extends RoomClient>(room: Room<C>): () => void {
    return room.onMessage(this.options.resyncType, (client) => this.resync(client));
  }

  /** Newest snapshot id `client` acked (-1: none yet). */
  ackedBy(client: { readonly sessionId: string }): number {
    return this.clients.get(client.sessionId)?.acked ?? -1;
  }

  private lookup(id: number): WireEntities | undefined {
    const slot = id % this.history.length;
    return this.historyIds[slot] === id ? this.history[slot] : undefined;
  }

  private body(baseId: number, current: WireEntities, base?: WireEntities): Uint8Array {
    let bytes = this.bodies.get(baseId);
    if (bytes === undefined) {
      const body = base === undefined ? this.schema.fullBody(current) : this.schema.deltaBody(base, current);
      bytes = this.codec.encode(body);
      this.bodies.set(baseId, bytes);
    }
    return bytes;
  }
}
