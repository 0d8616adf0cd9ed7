/**
 * The sender's book of packets sent: when, how big, what they carried, and whether each was acked or
 * lost. A ring indexed by sequence (reliable.io's sequence buffer), stored as flat typed arrays (no
 * object per slot). The ring starts small and doubles, up to its configured size, only when the slot
 * a new packet needs still holds a packet in flight or lost (whose late ack must still be
 * recognised): an idle or lightly loaded connection keeps a few hundred bytes, a busy lossy one grows
 * to the full window. The message references of a packet live in an array taken from a shared pool
 * when the packet is recorded and returned once it is acked or its slot is reused, so recording a
 * packet allocates nothing in steady state and an idle connection holds no reference arrays.
 * @module
 */

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
const INITIAL_CAPACITY = 16;
/** Reference arrays kept for reuse, shared by every connection of the process. */
const POOL_LIMIT = 4096;
const refsPool: number[][] = [];
const NO_REFS: readonly number[] = Object.freeze([]) as readonly number[];

/** Take an empty reference array from the shared pool (or a new one). */
export function takeRefsArray(): number[] {
  return refsPool.pop() ?? [];
}

/** Give a reference array back to the shared pool. */
export function releaseRefsArray(refs: number[]): void {
  refs.length = 0;
  if (refsPool.length < POOL_LIMIT) refsPool.push(refs);
}

/**
 * Ring of sent packets keyed by sequence. Slots are addressed by index ({@link SentPackets.find},
 * {@link SentPackets.slotFor}); read and write a slot's fields through the typed arrays.
 */
export class SentPackets {
  /** Sequence of the packet in each slot. */
  sequence: Uint16Array;
  /** Send time of the packet in each slot. */
  sentAt: Float64Array;
  /** Datagram size of the packet in each slot. */
  size: Uint16Array;
  /** {@link SentState} of each slot. */
  state: Uint8Array;
  /** Message references ({@link messageRef}) of each slot's records; `undefined` when none are kept. */
  private refsBySlot: (number[] | undefined)[];
  private mask: number;
  private readonly maxSize: number;

  /** @param size largest ring size, a power of two; bounds how many packets can be awaiting acks. */
  constructor(size: number) {
    this.maxSize = size;
    const capacity = Math.min(size, INITIAL_CAPACITY);
    this.mask = capacity - 1;
    this.sequence = new Uint16Array(capacity);
    this.sentAt = new Float64Array(capacity);
    this.size = new Uint16Array(capacity);
    this.state = new Uint8Array(capacity);
    this.refsBySlot = [];
  }

  /** Current ring capacity (grows up to the configured size). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** Slot index of `sequence`, or -1 when the slot holds another packet or nothing. */
  find(sequence: number): number {
    const i = sequence & this.mask;
    return this.state[i] !== SentState.Empty && this.sequence[i] === sequence ? i : -1;
  }

  /**
   * The slot `sequence` will occupy. The ring grows first if that slot holds a packet in flight or
   * lost and the ring is below its maximum size; at the maximum, its current occupant (a packet one
   * lap older) must be retired by the caller if still in flight before the slot is overwritten.
   */
  slotFor(sequence: number): number {
    let i = sequence & this.mask;
    const s = this.state[i]!;
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
    const i = sequence & this.mask;
    return this.mask + 1 >= this.maxSize && this.state[i] === SentState.InFlight;
  }

  /** The message references of slot `i` (empty when it carried none). */
  refs(i: number): readonly number[] {
    return this.refsBySlot[i] ?? NO_REFS;
  }

  /**
   * Record a packet in slot `i` (from {@link slotFor}); `refs` (from {@link takeRefsArray}, or empty)
   * passes to the ring. Returns the array to reuse for the next packet.
   */
  record(i: number, sequence: number, sentAt: number, size: number, state: number, refs: number[]): number[] {
    this.sequence[i] = sequence;
    this.sentAt[i] = sentAt;
    this.size[i] = size;
    this.state[i] = state;
    const old = this.refsBySlot[i];
    if (refs.length === 0 || state === SentState.Empty) {
      if (old !== undefined) {
        this.refsBySlot[i] = undefined;
        releaseRefsArray(old);
      }
      return refs;
    }
    this.refsBySlot[i] = refs;
    if (old !== undefined) {
      old.length = 0;
      return old;
    }
    return takeRefsArray();
  }

  /** Detach slot `i`'s references (give them back with {@link releaseRefsArray} once read). */
  takeRefs(i: number): number[] | undefined {
    const refs = this.refsBySlot[i];
    this.refsBySlot[i] = undefined;
    return refs;
  }

  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const mask = capacity - 1;
    const sequence = new Uint16Array(capacity);
    const sentAt = new Float64Array(capacity);
    const size = new Uint16Array(capacity);
    const state = new Uint8Array(capacity);
    const refs = new Array<number[] | undefined>(capacity);
    // Occupied slots hold distinct residues mod the old capacity, hence distinct ones mod the new.
    for (let i = 0; i <= this.mask; i++) {
      const st = this.state[i]!;
      const r = this.refsBySlot[i];
      if (st === SentState.Empty) {
        if (r !== undefined) releaseRefsArray(r);
        continue;
      }
      const j = this.sequence[i]! & mask;
      sequence[j] = this.sequence[i]!;
      sentAt[j] = this.sentAt[i]!;
      size[j] = this.size[i]!;
      state[j] = st;
      if (r !== undefined) refs[j] = r;
    }
    this.mask = mask;
    this.sequence = sequence;
    this.sentAt = sentAt;
    this.size = size;
    this.state = state;
    this.refsBySlot = refs;
  }
}
