/**
 * What this side has received, for the ack fields of every packet it sends: the latest sequence and
 * a 32-bit bitfield of the 32 before it. Also tells duplicates and stale packets apart.
 * @module
 */
import { seqDiff } from './sequence.js';

/** Outcome of {@link ReceivedPackets.check}. */
export const ReceiveVerdict = {
  /** Not seen before and inside the tracking window. */
  New: 0,
  /** Already received. */
  Duplicate: 1,
  /** Older than the tracking window: cannot tell if it is a duplicate. */
  Stale: 2,
} as const;
/** One of the {@link ReceiveVerdict} values. */
export type ReceiveVerdict = (typeof ReceiveVerdict)[keyof typeof ReceiveVerdict];

/** Sliding window of received packet sequence numbers. */
export class ReceivedPackets {
  /** `true` once any packet was recorded. */
  hasAny = false;
  /** Latest (newest) sequence recorded. */
  latest = 0;
  /** The ack bitfield, kept up to date on every record: bit i = (latest - 1 - i) received. */
  private bits = 0;
  private readonly size: number;
  private readonly mask: number;
  /**
   * Bit `s & mask` set when sequence s was received. Slots are cleared as {@link latest} moves past
   * them, so inside the window [latest − size + 1, latest] each bit stands for exactly one sequence
   * (older ones are classified Stale before the bits are read). `size / 32` int32 words in a plain
   * array (small integers, stored unboxed; a typed array would cost an `ArrayBuffer` and a view
   * object per connection), allocated on the first record.
   */
  private seen: number[] | undefined;

  /** In-order mode: only sequences past {@link latest} are new (no window is kept). */
  private readonly inOrder: boolean;

  /**
   * @param size window size, a power of two ≥ 64.
   * @param inOrder the link delivers packets once and in order (WebSocket): a sequence not past
   *   the latest is a duplicate, so no window of bits is needed.
   */
  constructor(size: number, inOrder = false) {
    this.size = size;
    this.mask = size - 1;
    this.inOrder = inOrder;
  }

  /** Classify `sequence` without recording it. */
  check(sequence: number): ReceiveVerdict {
    if (!this.hasAny) return ReceiveVerdict.New;
    const d = seqDiff(sequence, this.latest);
    if (d > 0) return ReceiveVerdict.New;
    if (this.inOrder) return ReceiveVerdict.Duplicate;
    if (-d >= this.size) return ReceiveVerdict.Stale;
    return this.has(sequence) ? ReceiveVerdict.Duplicate : ReceiveVerdict.New;
  }

  /** Record `sequence` as received (call only after {@link check} returned New). */
  record(sequence: number): void {
    if (this.inOrder) {
      this.recordInOrder(sequence);
      return;
    }
    let seen = this.seen;
    if (seen === undefined) {
      seen = new Array<number>(this.size >>> 5).fill(0);
      this.seen = seen;
    }
    if (!this.hasAny) {
      this.hasAny = true;
      this.latest = sequence;
    } else {
      const d = seqDiff(sequence, this.latest);
      if (d > 0) {
        // Clear slots skipped over so stale entries from a lap ago don't read as received.
        const n = Math.min(d, this.size);
        for (let i = 1; i < n; i++) {
          const slot = (sequence - i) & this.mask;
          seen[slot >>> 5] = seen[slot >>> 5]! & ~(1 << (slot & 31));
        }
        this.latest = sequence;
        // The old latest becomes bit d - 1, bit i becomes bit i + d.
        this.bits = (d < 32 ? this.bits << d : 0) | (d <= 32 ? 1 << (d - 1) : 0);
      } else if (d < 0 && d >= -32) {
        this.bits |= 1 << (-d - 1);
      }
    }
    const slot = sequence & this.mask;
    seen[slot >>> 5] = seen[slot >>> 5]! | (1 << (slot & 31));
  }

  private recordInOrder(sequence: number): void {
    if (!this.hasAny) {
      this.hasAny = true;
      this.latest = sequence;
      return;
    }
    const d = seqDiff(sequence, this.latest);
    this.latest = sequence;
    this.bits = (d < 32 ? this.bits << d : 0) | (d <= 32 ? 1 << (d - 1) : 0);
  }

  /** The 32-bit ack bitfield relative to {@link latest}: bit i = (latest - 1 - i) received. */
  ackBits(): number {
    return this.bits >>> 0;
  }

  /** Bit of `sequence` (meaningful only inside the window). */
  private has(sequence: number): boolean {
    const seen = this.seen;
    if (seen === undefined) return false;
    const slot = sequence & this.mask;
    return (seen[slot >>> 5]! & (1 << (slot & 31))) !== 0;
  }
}
