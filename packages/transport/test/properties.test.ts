/**
 * Property tests of the delivery guarantees: two `Peer`s over `createSimulatedPair` on a
 * `VirtualClock`, random seeds, random hostile networks (loss up to 30 %, burst loss, duplication,
 * reordering, jitter; both directions) and random send schedules with message sizes from a few bytes
 * to 20 KB (fragmented). Every run is deterministic: fast-check's seed and the simulator's seed.
 *
 * - reliable-ordered: every message delivered exactly once, in order, byte for byte;
 * - unreliable: never a duplicate, never a corrupt message;
 * - unreliable-sequenced: never a message older than one already delivered.
 *
 * `PROPERTY_RUNS` / `PROPERTY_SEED` override the number of cases and the seed.
 */
import { DefaultChannel, Peer } from '@netplay/transport';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/clock.js';
import { createSimulatedPair, type NetworkConditions } from '../src/sim/index.js';

const R = DefaultChannel.Reliable;
const U = DefaultChannel.Unreliable;
const S = DefaultChannel.Sequenced;
const RUNS = Number(process.env.PROPERTY_RUNS ?? 50);
const SEED = Number(process.env.PROPERTY_SEED ?? 0x5eed);
/** Largest unreliable payload with the default MTU (1200 − 10 header − 4 record). */
const MAX_UNRELIABLE = 1186;
/** Virtual time allowed to go quiet after the last send. */
const QUIET_DEADLINE_MS = 180_000;

// ---------------------------------------------------------------------------------------------- payloads

/** A message: 1 byte channel, u32 index, then a pattern that depends on both (content check). */
function makePayload(channel: number, index: number, size: number): Uint8Array {
  const p = new Uint8Array(Math.max(5, size));
  p[0] = channel;
  new DataView(p.buffer).setUint32(1, index);
  for (let j = 5; j < p.length; j++) p[j] = (index * 31 + j * 7 + channel) & 0xff;
  return p;
}

/** The index of a well-formed message, or -1 when its content is not what was sent. */
function checkPayload(channel: number, p: Uint8Array, size: (index: number) => number | undefined): number {
  if (p.length < 5 || p[0] !== channel) return -1;
  const index = new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(1);
  const expected = size(index);
  if (expected === undefined || p.length !== Math.max(5, expected)) return -1;
  for (let j = 5; j < p.length; j++) if (p[j] !== ((index * 31 + j * 7 + channel) & 0xff)) return -1;
  return index;
}

// ---------------------------------------------------------------------------------------------- arbitraries

const arbConditions: fc.Arbitrary<NetworkConditions> = fc.record({
  latency: fc.integer({ min: 0, max: 120 }),
  jitter: fc.integer({ min: 0, max: 40 }),
  loss: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.3, noNaN: true })),
  duplicate: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.2, noNaN: true })),
  reorder: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.2, noNaN: true })),
  reorderDelay: fc.integer({ min: 0, max: 60 }),
  burst: fc.option(
    fc.record({
      pGoodToBad: fc.double({ min: 0, max: 0.05, noNaN: true }),
      pBadToGood: fc.double({ min: 0.25, max: 0.9, noNaN: true }),
    }),
    { nil: undefined },
  ),
});

/** Sizes: mostly small, some up to one packet, some fragmented up to 20 KB. */
const arbReliableSize = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 200 }) },
  { weight: 3, arbitrary: fc.integer({ min: 200, max: 1300 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1300, max: 20_000 }) },
);
const arbUnreliableSize = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 100 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: MAX_UNRELIABLE }) },
);

interface SendEvent {
  /** ms after the previous send (0: same turn, coalesced). */
  gap: number;
  fromA: boolean;
  channel: number;
  size: number;
}

const arbSend: fc.Arbitrary<SendEvent> = fc.oneof(
  fc.record({ gap: gapArb(), fromA: fc.boolean(), channel: fc.constant<number>(R), size: arbReliableSize }),
  fc.record({ gap: gapArb(), fromA: fc.boolean(), channel: fc.constantFrom<number>(U, S), size: arbUnreliableSize }),
);

function gapArb(): fc.Arbitrary<number> {
  return fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 40, max: 400 }));
}

const arbScenario = fc.record({
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  aToB: arbConditions,
  bToA: arbConditions,
  sendDelay: fc.constantFrom(0, 0, 5),
  sends: fc.array(arbSend, { minLength: 1, maxLength: 80, size: 'max' }),
});
type Scenario = typeof arbScenario extends fc.Arbitrary<infer T> ? T : never;

// ---------------------------------------------------------------------------------------------- the run

interface Side {
  peer: Peer;
  /** Sizes of the messages this side sent, per channel, by index. */
  sent: Map<number, number[]>;
  /** Indices received per channel, in delivery order (-1 = corrupt). */
  got: Map<number, number[]>;
  errors: Error[];
}

function runScenario(sc: Scenario): { a: Side; b: Side; clock: VirtualClock } {
  const clock = new VirtualClock({ maxTimersPerInstant: 20_000 });
  const [la, lb] = createSimulatedPair({ clock, seed: sc.seed, aToB: sc.aToB, bToA: sc.bToA });
  const make = (link: typeof la): Side => {
    const side: Side = {
      peer: undefined as unknown as Peer,
      sent: new Map([R, U, S].map((c) => [c, []])),
      got: new Map([R, U, S].map((c) => [c, []])),
      errors: [],
    };
    side.peer = new Peer(
      { link, clock, sendDelay: sc.sendDelay },
      {
        onMessage: (channel, payload) => {
          const other = side === a ? b : a;
          const sizes = other.sent.get(channel)!;
          side.got.get(channel)!.push(checkPayload(channel, payload, (i) => sizes[i]));
        },
        onError: (e) => side.errors.push(e),
      },
    );
    return side;
  };
  const a = make(la);
  const b = make(lb);

  // Schedule the sends on the virtual clock.
  let at = 0;
  let fired = 0;
  for (const ev of sc.sends) {
    at += ev.gap;
    clock.setTimeout(() => {
      fired++;
      const side = ev.fromA ? a : b;
      const sizes = side.sent.get(ev.channel)!;
      side.peer.send(ev.channel, makePayload(ev.channel, sizes.length, ev.size));
      sizes.push(ev.size);
    }, at);
  }
  const lastSend = at;

  const quiet = () =>
    fired === sc.sends.length &&
    !a.peer.connection.hasPendingData &&
    !b.peer.connection.hasPendingData &&
    a.got.get(R)!.length >= b.sent.get(R)!.length &&
    b.got.get(R)!.length >= a.sent.get(R)!.length;
  // Bounded drive: a livelock throws LivelockError, a stall trips the virtual deadline.
  const deadline = lastSend + QUIET_DEADLINE_MS;
  clock.runUntil(() => quiet() || clock.now() > deadline, 2_000_000);
  expect(quiet(), `not quiet by t=${clock.now()} ms`).toBe(true);
  // Let stragglers (duplicates, reordered copies) land, then check nothing more is delivered wrongly.
  clock.advance(2_000);
  a.peer.close();
  b.peer.close();
  return { a, b, clock };
}

function checkSide(receiver: Side, sender: Side): void {
  expect(receiver.errors).toEqual([]);
  // Reliable-ordered: exactly once, in order, content intact.
  const sentR = sender.sent.get(R)!.length;
  expect(receiver.got.get(R)).toEqual(Array.from({ length: sentR }, (_, i) => i));
  // Unreliable: no duplicate, no corruption.
  const u = receiver.got.get(U)!;
  expect(u).not.toContain(-1);
  expect(new Set(u).size).toBe(u.length);
  // Sequenced: strictly increasing (never older than one delivered, never a duplicate).
  const s = receiver.got.get(S)!;
  expect(s).not.toContain(-1);
  for (let i = 1; i < s.length; i++) expect(s[i]!).toBeGreaterThan(s[i - 1]!);
}

describe('delivery guarantees under hostile networks (property)', () => {
  it('reliable exactly-once in order, unreliable without duplicates, sequenced never older', () => {
    const seen = { reliable: 0, fragmented: 0, lossy: 0, resent: 0 };
    fc.assert(
      fc.property(arbScenario, (sc) => {
        const { a, b } = runScenario(sc);
        checkSide(b, a);
        checkSide(a, b);
        seen.reliable += b.got.get(R)!.length + a.got.get(R)!.length;
        seen.fragmented += sc.sends.filter((s) => s.channel === R && s.size > MAX_UNRELIABLE).length;
        if (!a.peer.currentLink.reliable) seen.lossy++;
        seen.resent += a.peer.connection.stats.messagesResent + b.peer.connection.stats.messagesResent;
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    // The generator really covers what the property is about.
    expect(seen.reliable).toBeGreaterThan(RUNS * 5);
    expect(seen.fragmented).toBeGreaterThan(0);
    expect(seen.lossy).toBeGreaterThan(RUNS / 2);
    expect(seen.resent).toBeGreaterThan(0);
  });

  it('a hard fixed case: 30 % loss plus bursts, duplicates and reordering both ways, 20 KB messages', () => {
    const hostile: NetworkConditions = {
      latency: 40,
      jitter: 25,
      loss: 0.3,
      duplicate: 0.1,
      reorder: 0.1,
      reorderDelay: 30,
      burst: { pGoodToBad: 0.03, pBadToGood: 0.4 },
    };
    const sends: SendEvent[] = [];
    for (let i = 0; i < 200; i++) {
      sends.push({ gap: i % 7 === 0 ? 16 : 0, fromA: i % 2 === 0, channel: [R, U, S][i % 3]!, size: 0 });
      const last = sends[sends.length - 1]!;
      last.size = last.channel === R ? (i % 20 === 0 ? 20_000 : (i * 97) % 1500) : (i * 53) % MAX_UNRELIABLE;
    }
    const { a, b } = runScenario({ seed: 7, aToB: hostile, bToA: hostile, sendDelay: 0, sends });
    checkSide(b, a);
    checkSide(a, b);
    // The network really was hostile: the reliable channel had to resend.
    expect(a.peer.connection.stats.packetsLost).toBeGreaterThan(0);
    expect(a.peer.connection.stats.messagesResent + b.peer.connection.stats.messagesResent).toBeGreaterThan(0);
  });

  it('packet and message sequences wrap around (70,000 messages, 10 % loss, duplicates, reordering)', () => {
    const net: NetworkConditions = {
      latency: 10,
      jitter: 3,
      loss: 0.1,
      duplicate: 0.05,
      reorder: 0.05,
      reorderDelay: 5,
    };
    const sends: SendEvent[] = [];
    for (let i = 0; i < 35_000; i++) {
      sends.push({ gap: 1, fromA: true, channel: R, size: i % 50 });
      sends.push({ gap: 0, fromA: true, channel: S, size: 8 });
    }
    const { a, b } = runScenario({ seed: 3, aToB: net, bToA: net, sendDelay: 0, sends: sends.concat(sends) });
    checkSide(b, a);
    expect(b.got.get(R)!.length).toBe(70_000);
    expect(a.peer.connection.stats.packetsSent).toBeGreaterThan(65_536);
  });
});
