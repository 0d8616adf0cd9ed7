/**
 * The sender's book of packets sent: when, how big, what they carried, and whether each was acked or
 * lost. A ring indexed by sequence (reliable.io's sequence buffer), stored as flat typed arrays (no
 * object per slot). The ring starts small and doubles, up to its configured size, only when the slot
 * a new packet needs still holds a packet in flight or lost (whose late ack must still be
 * recognised): an idle or lightly loaded connection keeps a few hundred bytes, a busy lossy one grows
 * to the full window. The message references of a packet are kept in its slot when they are
 * consecutive (a run: what a packet of new messages on one channel carries), so that acking it reads
 * no other object. Others live in an array taken from a shared pool when the packet is recorded
 * and returned once it is acked or its slot is reused, so recording a packet allocates nothing in
 * steady state and an idle connection holds no reference arrays. A reference array is counted:
 * element 0 is the number of references, which follow it. Emptying one is a store, where setting
 * an array's length to 0 is a runtime call that also drops its backing store (so a pooled array
 * would allocate again on its next use).
 * @module
 */

import { newDoubles } from './doubles.js';

/** Lifecycle of a sent packet. */
export const SentState = {
  /** Slot never used, or an ack-only packet (nothing to track). */
  Empty: 0,
  /** Sent, neither acked nor declared lost. */
  InFlight: 1,
  /** Acked by the peer. */
  Acked: 2,
  /** Declared lost (its reliable messages become eligible for resend). */
  Lost: 3,
} as const;

/** Capacity a ring starts with (or its maximum, when smaller). */
const INITIAL_CAPACITY = 4;
/** Reference arrays kept for reuse, shared by every connection of the process. */
const POOL_LIMIT = 4096;
const refsPool: number[][] = [];
const NO_REFS: readonly number[] = Object.freeze([0]) as readonly number[];

/** A new empty counted reference array: `[count, ref…]`. */
export function newRefsArray(): number[] {
  return [0];
}

/** References in a counted reference array: they are its elements 1 to this count. */
export function refCount(refs: readonly number[]): number {
  return refs[0]!;
}

/** Empty a counted reference array (a store: it keeps its backing store for the next packet). */
export function clearRefs(refs: number[]): void {
  refs[0] = 0;
}

/** Append `ref` to a counted reference array. */
export function appendRef(refs: number[], ref: number): void {
  const count = refs[0]! + 1;
  refs[count] = ref;
  refs[0] = count;
}

/** Take an empty reference array from the shared pool (or a new one). */
export function takeRefsArray(): number[] {
  return refsPool.pop() ?? newRefsArray();
}

/** Give a reference array back to the shared pool (emptied: its count set to 0). */
export function releaseRefsArray(refs: number[]): void {
  clearRefs(refs);
  if (refsPool.length < POOL_LIMIT) refsPool.push(refs);
}

/** Bits of a slot's packed word: sequence (16), datagram size (12), state (2), refs in an array (1). */
const SIZE_SHIFT = 16;
const SIZE_MASK = 0xfff;
const STATE_SHIFT = 28;
/**
 * The slot's references are in `refsBySlot` (not a run). Kept in the packed word so that recording
 * and acking a packet whose references are a run never read `refsBySlot`, another object.
 */
const IN_ARRAY = 1 << 30;

/** Entries per slot: send time, packed word, run of references. */
const SLOT_WIDTH = 3;
/**
 * A run of references is `first + count × RUN_COUNT_UNIT` (0: none). References are below this
 * (a channel index of 4 bits above a 16-bit sequence, see `messageRef`).
 */
const RUN_COUNT_UNIT = 1 << 20;

/** First reference of a run (from {@link SentPackets.run}). */
export function runFirst(run: number): number {
  return run % RUN_COUNT_UNIT;
}

/** References in a run (from {@link SentPackets.run}); 0 for none. */
export function runLength(run: number): number {
  return Math.floor(run / RUN_COUNT_UNIT);
}

/** The run of a counted reference array's references, or 0 when they are not consecutive. */
function runOf(refs: readonly number[]): number {
  const count = refCount(refs);
  const first = refs[1]!;
  for (let k = 1; k < count; k++) {
    const ref = refs[k]!;
    // Consecutive: same channel, the next sequence (a wrap from 0xffff to 0 ends a run).
    if (refs[k + 1] !== ref + 1 || (ref & 0xffff) === 0xffff) return 0;
  }
  return first + count * RUN_COUNT_UNIT;
}

/**
 * Ring of sent packets keyed by sequence. Slots are addressed by index ({@link SentPackets.find},
 * {@link SentPackets.slotFor}); read and write a slot's fields through the accessors. All slots
 * live in one plain array of doubles, three entries per slot (send time; sequence, size and state
 * packed into one integer; the run of message references): one small array instead of a typed
 * array per field, each of which costs an `ArrayBuffer` and a view object per connection. It is
 * allocated with the first packet.
 */
export class SentPackets {
  /** `[sentAt, packed, run]` per slot; empty until the first {@link record}. */
  private slots: number[] = EMPTY_SLOTS;
  /** Message references (`messageRef`) of each slot whose records are not a run; created with the first kept. */
  private refsBySlot: (number[] | undefined)[] | undefined;
  private mask: number;
  private readonly maxSize: number;

  /** @param size largest ring size, a power of two; bounds how many packets can be awaiting acks. */
  constructor(size: number) {
    this.maxSize = size;
    this.mask = Math.min(size, INITIAL_CAPACITY) - 1;
  }

  /** Current ring capacity (grows up to the configured size). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** {@link SentState} of slot `i`. */
  stateOf(i: number): number {
    const slots = this.slots;
    return slots.length === 0 ? SentState.Empty : (slots[SLOT_WIDTH * i + 1]! >>> STATE_SHIFT) & 3;
  }

  /** Set the {@link SentState} of slot `i` (a recorded slot). */
  setState(i: number, state: number): void {
    const at = SLOT_WIDTH * i + 1;
    this.slots[at] = (this.slots[at]! & ~(3 << STATE_SHIFT)) | (state << STATE_SHIFT);
  }

  /** Send time of the packet in slot `i`. */
  sentAtOf(i: number): number {
    return this.slots[SLOT_WIDTH * i]!;
  }

  /** Datagram size of the packet in slot `i`. */
  sizeOf(i: number): number {
    return (this.slots[SLOT_WIDTH * i + 1]! >>> SIZE_SHIFT) & SIZE_MASK;
  }

  /** Slot index of `sequence`, or -1 when the slot holds another packet or nothing. */
  find(sequence: number): number {
    const slots = this.slots;
    if (slots.length === 0) return -1;
    const i = sequence & this.mask;
    const packed = slots[SLOT_WIDTH * i + 1]!;
    return (packed >>> STATE_SHIFT) & 3 && (packed & 0xffff) === sequence ? i : -1;
  }

  /**
   * The slot `sequence` will occupy. The ring grows first if that slot holds a packet in flight or
   * lost and the ring is below its maximum size; at the maximum, its current occupant (a packet one
   * lap older) must be retired by the caller if still in flight before the slot is overwritten.
   */
  slotFor(sequence: number): number {
    let i = sequence & this.mask;
    const s = this.stateOf(i);
    if ((s === SentState.InFlight || s === SentState.Lost) && this.mask + 1 < this.maxSize) {
      this.grow();
      i = sequence & this.mask;
    }
    return i;
  }

  /**
   * `true` when the ring is at its maximum size and the slot `sequence` would take still holds a
   * packet in flight: no ack-eliciting packet may be sent until an ack (or, on a lossy link, a loss
   * declaration) frees it. This bounds packets in flight by the ring size.
   */
  isFull(sequence: number): boolean {
    return this.mask + 1 >= this.maxSize && this.stateOf(sequence & this.mask) === SentState.InFlight;
  }

  /**
   * The run of slot `i`'s message references (read it with {@link runFirst} and {@link runLength}),
   * or 0 when they are not a run: then {@link refs} holds them.
   */
  run(i: number): number {
    return this.slots[SLOT_WIDTH * i + 2]!;
  }

  /** The counted message references of slot `i` that are not a {@link run} (`[count, ref…]`; count 0 when none). */
  refs(i: number): readonly number[] {
    return this.refsBySlot?.[i] ?? NO_REFS;
  }

  /**
   * Record a packet in slot `i` (from {@link slotFor}) that carried the references `refs`
   * (counted, from {@link takeRefsArray}, or empty): kept as a run in the slot when consecutive,
   * else the array passes to the ring. Returns the (empty) array to reuse for the next packet.
   */
  record(i: number, sequence: number, sentAt: number, size: number, state: number, refs: number[]): number[] {
    if (this.slots.length === 0) this.slots = newSlots(this.mask + 1);
    const slots = this.slots;
    const at = SLOT_WIDTH * i;
    // The slot's last occupant may have left its references in an array (none if never used: 0).
    const old = slots[at + 1]! & IN_ARRAY ? this.refsBySlot![i] : undefined;
    const kept = refCount(refs) > 0 && state !== SentState.Empty;
    const run = kept ? runOf(refs) : 0;
    const inArray = kept && run === 0;
    slots[at] = sentAt;
    slots[at + 1] = sequence | (size << SIZE_SHIFT) | (state << STATE_SHIFT) | (inArray ? IN_ARRAY : 0);
    slots[at + 2] = run;
    if (!inArray) {
      if (old !== undefined) {
        this.refsBySlot![i] = undefined;
        releaseRefsArray(old);
      }
      clearRefs(refs);
      return refs;
    }
    this.refsBySlot ??= [];
    this.refsBySlot[i] = refs;
    if (old !== undefined) {
      clearRefs(old);
      return old;
    }
    return takeRefsArray();
  }

  /**
   * Forget every slot and free the ring (it is allocated again, at its initial size, with the next
   * packet): for a connection with nothing in flight and nothing whose late ack still matters, so
   * that an idle connection holds no ring. Reference arrays still held go back to the pool.
   */
  clear(): void {
    if (this.slots.length === 0) return;
    const refs = this.refsBySlot;
    if (refs !== undefined) for (const r of refs) if (r !== undefined) releaseRefsArray(r);
    this.slots = EMPTY_SLOTS;
    this.refsBySlot = undefined;
    this.mask = Math.min(this.maxSize, INITIAL_CAPACITY) - 1;
  }

  /**
   * Detach slot `i`'s references: returns their {@link run} (0 when none), and clears it. References
   * that are not a run are then taken with {@link takeRefs}.
   */
  takeRun(i: number): number {
    const at = SLOT_WIDTH * i + 2;
    const run = this.slots[at]!;
    this.slots[at] = 0;
    return run;
  }

  /** Detach slot `i`'s references that are not a {@link run} (give them back with {@link releaseRefsArray} once read). */
  takeRefs(i: number): number[] | undefined {
    const at = SLOT_WIDTH * i + 1;
    const packed = this.slots[at]!;
    if (!(packed & IN_ARRAY)) return undefined;
    this.slots[at] = packed & ~IN_ARRAY;
    const all = this.refsBySlot!;
    const refs = all[i];
    all[i] = undefined;
    return refs;
  }

  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const mask = capacity - 1;
    const old = this.slots;
    const slots = newSlots(capacity);
    const oldRefs = this.refsBySlot;
    const refs = oldRefs === undefined ? undefined : new Array<number[] | undefined>(capacity);
    // Occupied slots hold distinct residues mod the old capacity, hence distinct ones mod the new.
    for (let i = 0; i <= this.mask; i++) {
      const packed = old[SLOT_WIDTH * i + 1]!;
      const r = oldRefs?.[i];
      if (((packed >>> STATE_SHIFT) & 3) === SentState.Empty) {
        if (r !== undefined) releaseRefsArray(r);
        continue;
      }
      const j = packed & 0xffff & mask;
      slots[SLOT_WIDTH * j] = old[SLOT_WIDTH * i]!;
      slots[SLOT_WIDTH * j + 1] = packed;
      slots[SLOT_WIDTH * j + 2] = old[SLOT_WIDTH * i + 2]!;
      if (r !== undefined) refs![j] = r;
    }
    this.mask = mask;
    this.slots = slots;
    this.refsBySlot = refs;
  }
}

const EMPTY_SLOTS: number[] = [];

/** `capacity` empty slots, as an array of doubles (send times are fractional milliseconds). */
function newSlots(capacity: number): number[] {
  return newDoubles(SLOT_WIDTH * capacity);
}
