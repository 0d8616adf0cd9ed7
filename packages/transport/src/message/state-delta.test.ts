import { describe, expect, it } from 'vitest';
import { CodecError, InvalidOptionError } from '../errors.js';
import { PayloadCodec } from './payload-codec.js';
import { type EntityId, type EntityState, SnapshotBodyKind, SnapshotSchema } from './state-delta.js';

type E = EntityState<'x' | 'y' | 'name'>;
const schema = new SnapshotSchema<'x' | 'y' | 'name'>([
  { name: 'x', precision: 0.01 },
  { name: 'y', precision: 0.01 },
  'name',
]);
const world = (entries: [EntityId, E][]) => new Map(entries);

describe('SnapshotSchema', () => {
  it('quantizes numeric fields with a precision and reads them back', () => {
    const wire = schema.entityToWire({ x: 1.234, y: -0.07, name: 'a' });
    expect(wire).toEqual([123, -7, 'a']);
    expect(schema.entityFromWire(wire)).toEqual({ x: 1.23, y: -0.07, name: 'a' });
  });

  it('keeps the previous wire array of an unchanged entity', () => {
    const a = schema.entityToWire({ x: 1, y: 2, name: 'a' });
    expect(schema.entityToWire({ x: 1.001, y: 2, name: 'a' }, a)).toBe(a);
    expect(schema.entityToWire({ x: 1.01, y: 2, name: 'a' }, a)).not.toBe(a);
  });

  it('round-trips a full body and a delta body (added, removed, changed) through msgpack', () => {
    const codec = new PayloadCodec();
    const s1 = schema.toWire(
      world([
        [1, { x: 0, y: 0, name: 'a' }],
        [2, { x: 5, y: 5, name: 'b' }],
        ['boss', { x: 9, y: 9, name: 'c' }],
      ]),
    );
    const s2 = schema.toWire(
      world([
        [1, { x: 0.5, y: 0, name: 'a' }],
        ['boss', { x: 9, y: 9, name: 'C' }],
        [3, { x: 1, y: 1, name: 'new' }],
      ]),
      s1,
    );
    const base = schema.applyBody(codec.decode(codec.encode(schema.fullBody(s1))));
    expect(base.get('boss')).toEqual({ x: 9, y: 9, name: 'c' });
    const delta = schema.deltaBody(s1, s2);
    expect(delta[0]).toBe(SnapshotBodyKind.Delta);
    const next = schema.applyBody(codec.decode(codec.encode(delta)), base);
    expect([...next.keys()].sort()).toEqual([1, 3, 'boss'].sort());
    expect(next.get(1)).toEqual({ x: 0.5, y: 0, name: 'a' });
    expect(next.get('boss')).toEqual({ x: 9, y: 9, name: 'C' });
    expect(next.get(3)).toEqual({ x: 1, y: 1, name: 'new' });
    // Only the changed field of entity 1 travels: [id, mask 0b001, value].
    expect(delta).toContain(50);
    expect(delta).not.toContain('a');
  });

  it('an unchanged world gives an empty delta, and the entities are shared with the baseline', () => {
    const s1 = schema.toWire(world([[1, { x: 1, y: 2, name: 'a' }]]));
    const s2 = schema.toWire(world([[1, { x: 1, y: 2, name: 'a' }]]), s1);
    expect(schema.deltaBody(s1, s2)).toEqual([SnapshotBodyKind.Delta, 0, 0]);
    const base = schema.applyBody(schema.fullBody(s1));
    expect(schema.applyBody(schema.deltaBody(s1, s2), base).get(1)).toBe(base.get(1));
  });

  it('refuses malformed bodies with a CodecError', () => {
    const base = schema.applyBody(schema.fullBody(schema.toWire(world([[1, { x: 1, y: 2, name: 'a' }]]))));
    const bad: unknown[] = [
      null,
      [],
      [7],
      [0, 1, 2],
      [0, 1.5, 1, 2, 'a'],
      [0, 1, {}, 2, 'a'],
      [1, 0, 0, 9, 1, 5],
      [1, 0, 0, 1, 0],
      [1, 0, 0, 1, 8, 5],
      [1, 5],
      [1, -1, 0],
    ];
    for (const body of bad) expect(() => schema.applyBody(body, base), JSON.stringify(body)).toThrow(CodecError);
    expect(() => schema.applyBody([1, 0, 0])).toThrow(CodecError); // delta without baseline
  });

  it('checks its fields', () => {
    expect(() => new SnapshotSchema([])).toThrow(InvalidOptionError);
    expect(() => new SnapshotSchema(['a', 'a'])).toThrow(InvalidOptionError);
    expect(() => new SnapshotSchema([{ name: 'a', precision: 0 }])).toThrow(InvalidOptionError);
    expect(() => new SnapshotSchema(Array.from({ length: 31 }, (_, i) => `f${i}`))).toThrow(InvalidOptionError);
  });
});
