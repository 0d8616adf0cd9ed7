/**
 * State deltas: the entity-snapshot encoding shared by the server's delta-snapshot sender and the
 * client's decoder. A {@link SnapshotSchema} names an entity's fields (and optional quantization);
 * a snapshot body is either the full entity list or the diff against a baseline snapshot both sides
 * hold. Bodies are plain msgpack-ready arrays (flat, no field names on the wire).
 *
 * Wire bodies (`id` is an entity id, `v…` its field values in schema order, quantized):
 * - full: `[0, id, v0 … vk-1, id, v0 … vk-1, …]`
 * - delta: `[1, removedCount, id…, addedCount, (id, v0 … vk-1)…, (id, mask, changed v…)…]` where
 *   `mask` has bit `i` set when field `i` changed, and the changed values follow in field order.
 * @module
 */
import { CodecError, InvalidOptionError } from '../errors.js';

/** A field value of a snapshot entity. */
export type FieldValue = number | string | boolean | null;

/** Id of an entity in a snapshot (unique within it). */
export type EntityId = number | string;

/** An entity as game code sees it: one value per schema field. */
export type EntityState<K extends string = string> = { readonly [P in K]: FieldValue };

/** One field of a {@link SnapshotSchema}. */
export interface FieldSpec<K extends string = string> {
  /** Property name on the entity. */
  readonly name: K;
  /**
   * Quantize this numeric field to multiples of `precision` on the wire (e.g. `0.01` for
   * centimetres): the value travels as the integer `round(value / precision)`, which msgpack stores
   * in 1–5 bytes instead of 9. Both sides then see the quantized value. Omit to send it exactly.
   */
  readonly precision?: number;
}

/** Most fields a {@link SnapshotSchema} may have (one bit each in a delta's change mask). */
export const MAX_SNAPSHOT_FIELDS = 30;

/** Body kind tags (first element of a body). */
export const SnapshotBodyKind = { Full: 0, Delta: 1 } as const;

/** Entities in wire form: quantized values in schema order, by id. */
export type WireEntities = ReadonlyMap<EntityId, readonly FieldValue[]>;

/**
 * The fields of a snapshot entity, and the full / delta encodings built on them.
 *
 * ```ts
 * const schema = new SnapshotSchema([{ name: 'x', precision: 0.01 }, { name: 'y', precision: 0.01 }, 'hp']);
 * const wire = schema.toWire(entities);               // server: capture a tick's entities
 * const body = schema.deltaBody(baselineWire, wire);  // or schema.fullBody(wire)
 * const state = schema.applyBody(body, baselineState); // client: rebuild the entities
 * ```
 *
 * @typeParam K - the field names.
 */
export class SnapshotSchema<K extends string = string> {
  /** The fields, in wire order. */
  readonly fields: readonly FieldSpec<K>[];
  private readonly names: readonly K[];
  private readonly precision: Float64Array;

  /**
   * @param fields - field names or {@link FieldSpec}s, in wire order (both sides must agree).
   * @throws {@link InvalidOptionError} for no fields, more than {@link MAX_SNAPSHOT_FIELDS}, a
   *   duplicate name or a precision that is not a positive finite number.
   */
  constructor(fields: readonly (K | FieldSpec<K>)[]) {
    if (fields.length === 0 || fields.length > MAX_SNAPSHOT_FIELDS) {
      throw new InvalidOptionError('fields', `expected 1–${MAX_SNAPSHOT_FIELDS} fields, got ${fields.length}`);
    }
    this.fields = fields.map((f) => (typeof f === 'string' ? { name: f } : { ...f }));
    this.names = this.fields.map((f) => f.name);
    if (new Set(this.names).size !== this.names.length) throw new InvalidOptionError('fields', 'duplicate field name');
    this.precision = new Float64Array(this.fields.length);
    this.fields.forEach((f, i) => {
      const p = f.precision;
      if (p !== undefined && !(Number.isFinite(p) && p > 0)) {
        throw new InvalidOptionError('fields', `precision of ${f.name} must be a positive number, got ${p}`);
      }
      this.precision[i] = p ?? 0;
    });
  }

  /** Number of fields. */
  get size(): number {
    return this.names.length;
  }

  /**
   * Quantize one entity into wire values. Reuses `previous` (returns it) when every value is
   * unchanged, so unchanged entities share their array between snapshots and diff in O(1).
   */
  entityToWire(entity: EntityState<K>, previous?: readonly FieldValue[]): readonly FieldValue[] {
    const n = this.names.length;
    if (previous !== undefined && previous.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (this.quantize(i, entity[this.names[i]!]) !== previous[i]) {
          same = false;
          break;
        }
      }
      if (same) return previous;
    }
    const out: FieldValue[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.quantize(i, entity[this.names[i]!]);
    return out;
  }

  /**
   * Quantize a tick's entities. With `previous` (the last captured wire entities), unchanged
   * entities keep their previous arrays.
   */
  toWire(
    entities: Iterable<readonly [EntityId, EntityState<K>]>,
    previous?: WireEntities,
  ): Map<EntityId, readonly FieldValue[]> {
    const out = new Map<EntityId, readonly FieldValue[]>();
    for (const [id, entity] of entities) out.set(id, this.entityToWire(entity, previous?.get(id)));
    return out;
  }

  /** Turn wire values back into an entity (dequantized). */
  entityFromWire(values: readonly FieldValue[]): EntityState<K> {
    const e: Record<string, FieldValue> = {};
    for (let i = 0; i < this.names.length; i++) e[this.names[i]!] = this.dequantize(i, values[i]!);
    return e as EntityState<K>;
  }

  /** The full body of `entities`. */
  fullBody(entities: WireEntities): FieldValue[] {
    const body: FieldValue[] = [SnapshotBodyKind.Full];
    for (const [id, values] of entities) {
      body.push(id);
      for (let i = 0; i < values.length; i++) body.push(values[i]!);
    }
    return body;
  }

  /** The delta body that turns `base` into `next`. */
  deltaBody(base: WireEntities, next: WireEntities): FieldValue[] {
    const removed: EntityId[] = [];
    for (const id of base.keys()) if (!next.has(id)) removed.push(id);
    const body: FieldValue[] = [SnapshotBodyKind.Delta, removed.length];
    for (const id of removed) body.push(id);
    const countAt = body.length;
    body.push(0);
    let added = 0;
    for (const [id, values] of next) {
      if (base.has(id)) continue;
      added++;
      body.push(id);
      for (let i = 0; i < values.length; i++) body.push(values[i]!);
    }
    body[countAt] = added;
    for (const [id, values] of next) {
      const old = base.get(id);
      if (old === undefined || old === values) continue;
      let mask = 0;
      for (let i = 0; i < values.length; i++) if (values[i] !== old[i]) mask |= 1 << i;
      if (mask === 0) continue;
      body.push(id, mask);
      for (let i = 0; i < values.length; i++) if ((mask & (1 << i)) !== 0) body.push(values[i]!);
    }
    return body;
  }

  /**
   * Rebuild the entities a body describes. A delta body needs the `baseline` it was made against;
   * unchanged entities are shared with it (same objects). Input is untrusted: anything malformed
   * throws {@link CodecError}.
   * @throws {@link CodecError}
   */
  applyBody(body: unknown, baseline?: ReadonlyMap<EntityId, EntityState<K>>): Map<EntityId, EntityState<K>> {
    if (!Array.isArray(body) || body.length === 0) throw bad('body must be a non-empty array');
    const r = new BodyReader(body as unknown[]);
    const kind = r.next();
    const k = this.names.length;
    if (kind === SnapshotBodyKind.Full) {
      const out = new Map<EntityId, EntityState<K>>();
      if ((body.length - 1) % (k + 1) !== 0) throw bad('full body length does not match the schema');
      while (!r.done) {
        const id = r.id();
        out.set(id, this.readEntity(r));
      }
      return out;
    }
    if (kind !== SnapshotBodyKind.Delta) throw bad('unknown body kind');
    if (baseline === undefined) throw bad('a delta body needs its baseline');
    const out = new Map(baseline);
    const removed = r.count();
    for (let j = 0; j < removed; j++) out.delete(r.id());
    const added = r.count();
    for (let j = 0; j < added; j++) {
      const id = r.id();
      out.set(id, this.readEntity(r));
    }
    while (!r.done) {
      const id = r.id();
      const old = out.get(id);
      if (old === undefined) throw bad(`change to unknown entity ${String(id)}`);
      const mask = r.count();
      if (mask === 0 || mask >= 2 ** k) throw bad('bad change mask');
      const e: Record<string, FieldValue> = { ...old };
      for (let i = 0; i < k; i++) if ((mask & (1 << i)) !== 0) e[this.names[i]!] = this.dequantize(i, r.value());
      out.set(id, e as EntityState<K>);
    }
    return out;
  }

  /** Read one entity's values (every field, in order) and dequantize them. */
  private readEntity(r: BodyReader): EntityState<K> {
    const e: Record<string, FieldValue> = {};
    for (let i = 0; i < this.names.length; i++) e[this.names[i]!] = this.dequantize(i, r.value());
    return e as EntityState<K>;
  }

  private quantize(i: number, v: FieldValue | undefined): FieldValue {
    if (v === undefined) return null;
    const p = this.precision[i]!;
    return p !== 0 && typeof v === 'number' ? Math.round(v / p) : v;
  }

  private dequantize(i: number, v: FieldValue): FieldValue {
    const p = this.precision[i]!;
    // x * p can show float noise (0.07 * 100 …); dividing by the exact inverse reads back cleanly.
    return p !== 0 && typeof v === 'number' ? v / (1 / p) : v;
  }
}

function bad(what: string): CodecError {
  return new CodecError(`malformed snapshot body: ${what}`);
}

/** Bounds-checked reads from an untrusted body array. */
class BodyReader {
  private i = 0;
  constructor(private readonly a: readonly unknown[]) {}

  get done(): boolean {
    return this.i >= this.a.length;
  }

  next(): unknown {
    if (this.i >= this.a.length) throw bad('truncated');
    return this.a[this.i++];
  }

  id(): EntityId {
    const v = this.next();
    if (typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v))) return v;
    throw bad('entity id must be an integer or a string');
  }

  count(): number {
    const v = this.next();
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 0x7fffffff) return v;
    throw bad('bad count');
  }

  value(): FieldValue {
    const v = this.next();
    if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
    throw bad('field values must be numbers, strings, booleans or null');
  }
}
