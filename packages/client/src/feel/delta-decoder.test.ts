import { type EntityId, type EntityState, InvalidOptionError, PayloadCodec, SnapshotSchema } from '@netplay/transport';
import { describe, expect, it } from 'vitest';
import { SnapshotDecoder } from './delta-decoder.js';

type E = EntityState<'x' | 'hp'>;
const schema = new SnapshotSchema<'x' | 'hp'>([{ name: 'x', precision: 0.01 }, 'hp']);
const codec = new PayloadCodec();
const world = (t: number) =>
  schema.toWire(
    new Map<EntityId, E>([
      [1, { x: t, hp: 100 }],
      [2, { x: 5, hp: 100 }],
    ]),
  );
/** A snapshot message payload as the server's DeltaSnapshots makes it. */
const full = (id: number, t: number) => [id, -1, t * 50, { ack: id }, codec.encode(schema.fullBody(world(t)))];
const delta = (id: number, base: number, t: number, bt: number) => [
  id,
  base,
  t * 50,
  null,
  codec.encode(schema.deltaBody(world(bt), world(t))),
];

describe('SnapshotDecoder', () => {
  it('decodes full and delta snapshots against held baselines, in any order', () => {
    const d = new SnapshotDecoder(schema);
    const s1 = d.receive(full(1, 1))!;
    expect(s1.entities.get(1)).toEqual({ x: 1, hp: 100 });
    expect(s1.meta).toEqual({ ack: 1 });
    const s3 = d.receive(delta(3, 1, 3, 1))!;
    expect(s3.entities.get(1)).toEqual({ x: 3, hp: 100 });
    expect(s3.entities.get(2)).toBe(s1.entities.get(2)); // unchanged entity shared
    const s2 = d.receive(delta(2, 1, 2, 1))!; // late
    expect(s2.stale).toBe(true);
    expect(d.latest?.id).toBe(3);
    // s2 is held: the server may use it as a baseline.
    expect(d.receive(delta(4, 2, 4, 2))!.entities.get(1)).toEqual({ x: 4, hp: 100 });
    expect(d.stats).toMatchObject({ decodedFull: 1, decodedDelta: 3 });
  });

  it('drops duplicates, counts malformed payloads, never throws', () => {
    const d = new SnapshotDecoder(schema);
    d.receive(full(1, 1));
    expect(d.receive(full(1, 1))).toBeUndefined();
    for (const bad of [
      null,
      5,
      [],
      [1, -1, 0, null],
      [0, -1, 0, null, new Uint8Array()],
      [2, 3, 0, null, codec.encode([1])],
      [2, -1, 0, null, new Uint8Array([0xc1])],
      [2, -1, 'x', null, codec.encode([0])],
    ]) {
      expect(d.receive(bad)).toBeUndefined();
    }
    expect(d.stats.duplicates).toBe(1);
    expect(d.stats.malformed).toBe(8);
  });

  it('asks for a resync on a missing baseline, again only after resyncEvery more, and stops after a full one', () => {
    const d = new SnapshotDecoder(schema, { resyncEvery: 3 });
    expect(d.resyncDue()).toBe(false);
    expect(d.receive(delta(5, 4, 5, 4))).toBeUndefined();
    expect(d.resyncDue()).toBe(true);
    expect(d.resyncDue()).toBe(false);
    d.receive(delta(6, 4, 6, 4));
    d.receive(delta(7, 4, 7, 4));
    expect(d.resyncDue()).toBe(false);
    d.receive(delta(8, 4, 8, 4));
    expect(d.resyncDue()).toBe(true);
    d.receive(full(9, 9));
    d.receive(delta(10, 4, 10, 4));
    expect(d.resyncDue()).toBe(true);
    expect(d.stats).toMatchObject({ missingBaseline: 5, resyncRequests: 3 });
  });

  it('keeps maxBaselines snapshots and ignores one older than all of them', () => {
    const d = new SnapshotDecoder(schema, { maxBaselines: 4 });
    for (let id = 1; id <= 6; id++) d.receive(full(id, id));
    expect(d.get(2)).toBeUndefined();
    expect(d.get(3)?.id).toBe(3);
    expect(d.receive(full(2, 2))).toBeUndefined();
    expect(d.get(6)?.id).toBe(6);
    expect(d.stats.tooOld).toBe(1);
    d.reset();
    expect(d.latest).toBeUndefined();
  });

  it('refuses bad options and schemas with InvalidOptionError', () => {
    for (const maxBaselines of [1, 4097, 2.5]) {
      expect(() => new SnapshotDecoder(['x'], { maxBaselines })).toThrow(InvalidOptionError);
    }
    for (const resyncEvery of [0, 1.5]) {
      expect(() => new SnapshotDecoder(['x'], { resyncEvery })).toThrow(InvalidOptionError);
    }
    expect(() => new SnapshotDecoder([])).toThrow(InvalidOptionError);
  });
});
