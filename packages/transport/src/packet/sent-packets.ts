/**
 * The sender's book of packets sent: when, how big, what they carried, and whether each was acked or
 * lost. A fixed ring indexed by sequence (reliable.io's sequence buffer); slot objects and their
 * message-reference arrays are reused, so recording a packet allocates nothing in steady state.
 * @module
 */

/** Lifecycle of a sent packet. */
export const SentState = {
  /** Slot never used. */
  Empty: 0,
  /** Sent, neither acked nor declared lost. */
  InFlight: 1,
  /** Acked by the peer. */
  Acked: 2,
  /** Declared lost (its reliable messages become eligible for resend). */
  Lost: 3,
} as const;

/** One sent packet. */
export class SentPacket {
  sequence = 0;
  sentAt = 0;
  size = 0;
  state: number = SentState.Empty;
  ackEliciting = false;
  /** Message references ({@link messageRef}) of the records it carried. */
  refs: number[] = [];
}

/** Ring of {@link SentPacket}s keyed by sequence. */
export class SentPackets {
  private readonly slots: SentPacket[];
  private readonly mask: number;

  /** @param size ring size, a power of two; bounds how many packets can be awaiting acks. */
  constructor(size: number) {
    this.mask = size - 1;
    this.slots = [];
    for (let i = 0; i < size; i++) this.slots.push(new SentPacket());
  }

  /** The record of `sequence`, or `undefined` when the slot holds another packet or nothing. */
  find(sequence: number): SentPacket | undefined {
    const slot = this.slots[sequence & this.mask]!;
    return slot.state !== SentState.Empty && slot.sequence === sequence ? slot : undefined;
  }

  /**
   * The slot `sequence` will occupy. Its current occupant (a packet one lap older) must be retired by
   * the caller if still in flight before the slot is overwritten.
   */
  slotFor(sequence: number): SentPacket {
    return this.slots[sequence & this.mask]!;
  }
}
