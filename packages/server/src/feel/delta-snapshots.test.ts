import { type EntityState, InvalidOptionError, PayloadCodec, SnapshotSchema } from '@netplay/transport';
import { describe, expect, it } from 'vitest';
import type { DeliveryCallback } from '../session/session-port.js';
import { DeltaSnapshots, type SnapshotRecipient } from './delta-snapshots.js';

type E = EntityState<'x' | 'hp'>;
const codec = new PayloadCodec();

/** A recipient that records what it was sent and lets the test ack or lose each message. */
class FakeClient implements SnapshotRecipient {
  readonly sent: { payload: unknown[]; reliable: boolean; deliver: DeliveryCallback }[] = [];
  connected = true;
  constructor(readonly sessionId: string) {}
  sendTracked(
    _type: string | number,
    payload: unknown,
    onDelivery: DeliveryCallback,
    options?: { reliable?: boolean },
  ) {
    if (!this.connected) return false;
    this.sent.push({ payload: payload as unknown[], reliable: options?.reliable === true, deliver: onDelivery });
    return true;
  }
  get last() {
    const m = this.sent.at(-1)!;
    return {
      id: m.payload[0],
      base: m.payload[1],
      time: m.payload[2],
      meta: m.payload[3],
      body: m.payload[4] as Uint8Array,
    };
  }
}

function world(n: number, moved: number, t: number): Map<number, E> {
  const m = new Map<number, E>();
  for (let i = 0; i < n; i++) m.set(i, { x: i < moved ? i + t * 0.5 : i, hp: 100 });
  return m;
}

describe('DeltaSnapshots', () => {
  it('sends full until a snapshot is acked, then deltas against the newest acked one', () => {
    const snaps = new DeltaSnapshots<'x' | 'hp'>([{ name: 'x', precision: 0.01 }, 'hp']);
    const c = new FakeClient('a');
    snaps.capture(world(64, 4, 1), 100);
    expect(snaps.send(c, 'm1')).toBeGreaterThan(0);
    expect(c.last).toMatchObject({ id: 1, base: -1, time: 100, meta: 'm1' });
    const fullSize = c.last.body.length;
    snaps.capture(world(64, 4, 2), 150);
    snaps.send(c);
    expect(c.last.base).toBe(-1); // nothing acked yet
    c.sent[0]!.deliver(true);
    c.sent[1]!.deliver(false);
    snaps.capture(world(64, 4, 3), 200);
    snaps.send(c);
    expect(c.last.base).toBe(1);
    expect(c.last.body.length).toBeLessThan(fullSize / 4);
    c.sent[2]!.deliver(true);
    snaps.capture(world(64, 4, 4), 250);
    snaps.send(c);
    expect(c.last.base).toBe(3);
    expect(snaps.ackedBy(c)).toBe(3);
    expect(snaps.stats).toMatchObject({ captured: 4, fullSent: 2, deltaSent: 2, acked: 2, lost: 1 });
  });

  it('a late ack of an older snapshot never moves the baseline back', () => {
    const snaps = new DeltaSnapshots<'x' | 'hp'>(['x', 'hp']);
    const c = new FakeClient('a');
    for (let t = 0; t < 3; t++) {
      snaps.capture(world(8, 1, t), t);
      snaps.send(c);
    }
    c.sent[2]!.deliver(true);
    c.sent[0]!.deliver(true);
    expect(snaps.ackedBy(c)).toBe(3);
  });

  it('encodes each distinct body once per snapshot, shared by clients with the same baseline', () => {
    const snaps = new DeltaSnapshots<'x' | 'hp'>(['x', 'hp']);
    const a = new FakeClient('a');
    const b = new FakeClient('b');
    snaps.capture(world(8, 1, 0), 0);
    snaps.send(a);
    snaps.send(b);
    expect(a.last.body).toBe(b.last.body);
    a.sent[0]!.deliver(true);
    b.sent[0]!.deliver(true);
    snaps.capture(world(8, 1, 1), 50);
    snaps.send(a);
    snaps.send(b);
    expect(a.last.base).toBe(1);
    expect(a.last.body).toBe(b.last.body);
  });

  it('falls back to full when the baseline is too old or the delta is not smaller', () => {
    const snaps = new DeltaSnapshots<'x' | 'hp'>(['x', 'hp'], { maxBaselineAge: 4 });
    const c = new FakeClient('a');
    snaps.capture(world(8, 8, 0), 0);
    snaps.send(c);
    c.sent[0]!.deliver(true);
    // Everything changes: a delta (ids + masks + values) is larger than the full body.
    snaps.capture(world(8, 8, 1), 50);
    snaps.send(c);
    expect(c.last.base).toBe(-1);
    for (let t = 2; t < 7; t++) snaps.capture(world(8, 1, t), t * 50);
    snaps.send(c);
    expect(c.last.base).toBe(-1); // acked baseline 1 is 6 snapshots old > 4
  });

  it('resync forgets the baseline and ignores acks of snapshots sent before it', () => {
    const snaps = new DeltaSnapshots<'x' | 'hp'>(['x', 'hp']);
    const c = new FakeClient('a');
    snaps.capture(world(8, 1, 0), 0);
    snaps.send(c);
    snaps.resync(c);
    c.sent[0]!.deliver(true);
    snaps.capture(world(8, 1, 1), 50);
    snaps.send(c);
    expect(c.last.base).toBe(-1);
    expect(snaps.stats.resyncs).toBe(1);
  });

  it('deltas: false always sends full; large snapshots go reliable; nothing is counted when not sent', () => {
    const snaps = new DeltaSnapshots<'x' | 'hp'>(['x', 'hp'], { deltas: false, maxUnreliableBytes: 100 });
    const c = new FakeClient('a');
    expect(snaps.send(c)).toBe(0); // no snapshot yet
    snaps.capture(world(64, 1, 0), 0);
    snaps.send(c);
    c.sent[0]!.deliver(true);
    snaps.capture(world(64, 1, 1), 50);
    snaps.send(c);
    expect(c.last.base).toBe(-1);
    expect(c.sent.every((m) => m.reliable)).toBe(true);
    c.connected = false;
    expect(snaps.send(c)).toBe(0);
    expect(snaps.stats.fullSent).toBe(2);
  });

  it('bodies decode with the schema', () => {
    const schema = new SnapshotSchema<'x' | 'hp'>([{ name: 'x', precision: 0.5 }, 'hp']);
    const snaps = new DeltaSnapshots(schema);
    const c = new FakeClient('a');
    snaps.capture(world(3, 1, 1), 0);
    snaps.send(c);
    const decoded = schema.applyBody(codec.decode(c.last.body));
    expect(decoded.get(0)).toEqual({ x: 0.5, hp: 100 });
  });

  it('checks its options', () => {
    expect(() => new DeltaSnapshots(['x'], { maxBaselineAge: 0 })).toThrow(InvalidOptionError);
    expect(() => new DeltaSnapshots(['x'], { maxUnreliableBytes: 10 })).toThrow(InvalidOptionError);
  });
});
