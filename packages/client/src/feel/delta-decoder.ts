/**
 * The client side of delta snapshots (`DeltaSnapshots` in `@netplay/server`): decodes snapshot
 * messages, full or relative to a baseline, and keeps the baselines the server may diff against.
 *
 * Why every snapshot is kept for a while: the server diffs against the newest snapshot whose packet
 * the client *acked*, and every acked snapshot was delivered here (snapshots travel on the plain
 * unreliable channel, which delivers every message that arrives). So holding the last
 * `maxBaselines` decoded snapshots (more than the server's `maxBaselineAge`) means every delta finds
 * its baseline. The exception — a snapshot acked by the transport but not decoded, e.g. one that
 * arrived before this decoder was listening — shows up as a missing baseline, and the decoder asks
 * for a full snapshot ({@link SnapshotDecoder.resyncDue}).
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
  readSnapshotPayload,
  SNAPSHOT_MESSAGE_TYPES,
  SnapshotSchema,
} from '@netplay/transport';
import type { Room } from '../room.js';

/** Options of {@link SnapshotDecoder}. Defaults: {@link DEFAULT_SNAPSHOT_DECODER_OPTIONS}. */
export interface SnapshotDecoderOptions {
  /** Decoded snapshots kept as possible baselines. Must exceed the server's `maxBaselineAge`. Defaults to 64. */
  maxBaselines?: number;
  /**
   * After a resync request, undecodable snapshots to wait for before asking again (the request or
   * the full answer may be lost). Defaults to 10.
   */
  resyncEvery?: number;
  /** Message type of snapshots (the server's `type`). Defaults to `'snapshot'`. */
  type?: MessageType;
  /** Message type of resync requests (the server's `resyncType`). Defaults to `'snapshot-resync'`. */
  resyncType?: MessageType;
}

/** Defaults of {@link SnapshotDecoderOptions}. */
export const DEFAULT_SNAPSHOT_DECODER_OPTIONS = {
  maxBaselines: 64,
  resyncEvery: 10,
  type: SNAPSHOT_MESSAGE_TYPES.snapshot,
  resyncType: SNAPSHOT_MESSAGE_TYPES.resync,
} as const satisfies Required<SnapshotDecoderOptions>;

/** A decoded snapshot. */
export interface DecodedSnapshot<K extends string = string> {
  /** Snapshot id (counts from 1 on the server). */
  readonly id: number;
  /** Id of the snapshot it was relative to, or -1 for a full one. */
  readonly baselineId: number;
  /** Server clock at capture, in ms. */
  readonly serverTime: number;
  /** What the server's room attached for this client (validate it: it came from the network). */
  readonly meta: unknown;
  /** The entities. Entities unchanged since the baseline are the same objects as in it. */
  readonly entities: ReadonlyMap<EntityId, EntityState<K>>;
  /** `true` when a newer snapshot was already decoded (it arrived out of order). */
  readonly stale: boolean;
}

/** Counters of a {@link SnapshotDecoder}. */
export interface SnapshotDecoderStats {
  /** Snapshot messages received (every call of {@link SnapshotDecoder.receive}). */
  received: number;
  /** Full snapshots decoded. */
  decodedFull: number;
  /** Delta snapshots decoded. */
  decodedDelta: number;
  /** Snapshots already decoded (a duplicate delivery). */
  duplicates: number;
  /** Deltas whose baseline was not held. */
  missingBaseline: number;
  /** Snapshots older than every held baseline (arrived extremely late). */
  tooOld: number;
  /** Payloads that were not valid snapshots. */
  malformed: number;
  /** Resync requests made. */
  resyncRequests: number;
}

/**
 * Decodes snapshot messages and keeps their baselines.
 *
 * ```ts
 * const decoder = new SnapshotDecoder(['x', 'y', 'hp']); // the server's schema
 * room.onMessage('snapshot', (payload) => {
 *   const snap = decoder.receive(payload);
 *   if (decoder.resyncDue()) room.send('snapshot-resync');
 *   if (snap) interpolator.push(snap.serverTime, snap.entities, now, room.stats.rtt);
 * });
 * ```
 * or {@link receiveSnapshots}, which does exactly that.
 *
 * @typeParam K - the entity field names.
 */
export class SnapshotDecoder<K extends string = string> {
  /** The entity fields (the server's schema). */
  readonly schema: SnapshotSchema<K>;
  /** The options, with every default filled in. */
  readonly options: { readonly [P in keyof SnapshotDecoderOptions]-?: NonNullable<SnapshotDecoderOptions[P]> };
  /** Counters, updated in place. */
  readonly stats: SnapshotDecoderStats = {
    received: 0,
    decodedFull: 0,
    decodedDelta: 0,
    duplicates: 0,
    missingBaseline: 0,
    tooOld: 0,
    malformed: 0,
    resyncRequests: 0,
  };
  private readonly codec = new PayloadCodec();
  private readonly ring: (DecodedSnapshot<K> | undefined)[];
  private _latest: DecodedSnapshot<K> | undefined;
  private missing = false;
  private requested = false;
  private missingSinceRequest = 0;

  /**
   * @param schema - the server's schema (or its field list).
   * @throws {@link InvalidOptionError} for a bad option or schema.
   */
  constructor(schema: SnapshotSchema<K> | readonly (K | FieldSpec<K>)[], options: SnapshotDecoderOptions = {}) {
    this.schema = schema instanceof SnapshotSchema ? schema : new SnapshotSchema(schema);
    const d = DEFAULT_SNAPSHOT_DECODER_OPTIONS;
    const o = {
      maxBaselines: options.maxBaselines ?? d.maxBaselines,
      resyncEvery: options.resyncEvery ?? d.resyncEvery,
      type: options.type ?? d.type,
      resyncType: options.resyncType ?? d.resyncType,
    };
    if (!Number.isSafeInteger(o.maxBaselines) || o.maxBaselines < 2 || o.maxBaselines > 4096) {
      throw new InvalidOptionError('maxBaselines', `expected an integer 2–4096, got ${o.maxBaselines}`);
    }
    if (!Number.isSafeInteger(o.resyncEvery) || o.resyncEvery < 1) {
      throw new InvalidOptionError('resyncEvery', `expected a positive integer, got ${o.resyncEvery}`);
    }
    this.options = Object.freeze(o);
    this.ring = new Array(o.maxBaselines).fill(undefined);
  }

  /** The newest snapshot decoded so far. */
  get latest(): DecodedSnapshot<K> | undefined {
    return this._latest;
  }

  /** The decoded snapshot `id`, while it is still held. */
  get(id: number): DecodedSnapshot<K> | undefined {
    const s = this.ring[id % this.ring.length];
    return s?.id === id ? s : undefined;
  }

  /**
   * Decode one snapshot message payload. Returns the snapshot, or `undefined` for a duplicate, a
   * delta whose baseline is not held (see {@link SnapshotDecoder.resyncDue}) or a malformed payload
   * (counted; never throws).
   */
  receive(payload: unknown): DecodedSnapshot<K> | undefined {
    this.stats.received++;
    const message = readSnapshotPayload(payload);
    if (message === undefined) {
      this.stats.malformed++;
      return undefined;
    }
    const { id, baselineId, serverTime, meta, body: bytes } = message;
    if (this.get(id) !== undefined) {
      this.stats.duplicates++;
      return undefined;
    }
    if (this._latest !== undefined && id <= this._latest.id - this.ring.length) {
      this.stats.tooOld++; // its slot holds a newer snapshot: never evict that for an old one
      return undefined;
    }
    let baseline: DecodedSnapshot<K> | undefined;
    if (baselineId !== FULL_SNAPSHOT) {
      baseline = this.get(baselineId);
      if (baseline === undefined) {
        this.stats.missingBaseline++;
        this.missing = true;
        this.missingSinceRequest++;
        return undefined;
      }
    }
    let entities: Map<EntityId, EntityState<K>>;
    try {
      entities = this.schema.applyBody(this.codec.decode(bytes), baseline?.entities);
    } catch {
      this.stats.malformed++;
      return undefined;
    }
    const stale = this._latest !== undefined && this._latest.id > (id as number);
    const snapshot: DecodedSnapshot<K> = {
      id: id as number,
      baselineId: baselineId as number,
      serverTime,
      meta,
      entities,
      stale,
    };
    this.ring[(id as number) % this.ring.length] = snapshot;
    if (!stale) this._latest = snapshot;
    if (baseline === undefined) {
      this.stats.decodedFull++;
      // A full snapshot answers any resync request.
      this.missing = false;
      this.requested = false;
      this.missingSinceRequest = 0;
    } else {
      this.stats.decodedDelta++;
    }
    return snapshot;
  }

  /**
   * `true` when the game should ask the server for a full snapshot now (send a message of
   * `options.resyncType`): a delta arrived whose baseline is not held and no request is pending (or
   * `resyncEvery` more such deltas arrived since the last one). Counts the request.
   */
  resyncDue(): boolean {
    if (!this.missing) return false;
    if (this.requested && this.missingSinceRequest < this.options.resyncEvery) return false;
    this.requested = true;
    this.missingSinceRequest = 0;
    this.stats.resyncRequests++;
    return true;
  }

  /** Forget every snapshot (e.g. after joining another room). */
  reset(): void {
    this.ring.fill(undefined);
    this._latest = undefined;
    this.missing = false;
    this.requested = false;
    this.missingSinceRequest = 0;
  }
}

/**
 * Wire a {@link SnapshotDecoder} to a room: decode every snapshot message, ask for a full snapshot
 * when one is due, and pass each decoded snapshot to `onSnapshot`. Returns the function that stops.
 */
export function receiveSnapshots<K extends string>(
  room: Room,
  decoder: SnapshotDecoder<K>,
  onSnapshot: (snapshot: DecodedSnapshot<K>) => void,
): () => void {
  return room.onMessage(decoder.options.type, (payload) => {
    const snapshot = decoder.receive(payload);
    if (decoder.resyncDue() && room.state === 'joined') room.send(decoder.options.resyncType);
    if (snapshot !== undefined) onSnapshot(snapshot);
  });
}
