/**
 * Reassembles a large reliable message from its fragments as they are delivered in order. Each
 * fragment says how many follow it; the chain must count down by one to zero and stay under the
 * maximum message size, or the peer is violating the protocol.
 * @module
 */

/** Result of {@link FragmentAssembler.push}. */
export const AssembleResult = {
  /** More fragments are needed. */
  Incomplete: 0,
  /** The message is complete: read {@link FragmentAssembler.message}. */
  Complete: 1,
  /** The chain is corrupt or too large. */
  Invalid: 2,
} as const;

/** In-order fragment reassembly for one channel. */
export class FragmentAssembler {
  /** The completed message after {@link push} returned Complete. */
  message: Uint8Array = new Uint8Array(0);
  /** Why the last push returned Invalid. */
  error = '';
  private parts: Uint8Array[] = [];
  private bytes = 0;
  private expected = -1;
  private readonly maxMessageSize: number;

  constructor(maxMessageSize: number) {
    this.maxMessageSize = maxMessageSize;
  }

  /** `true` while a chain is open. */
  get assembling(): boolean {
    return this.expected >= 0;
  }

  /** Feed the next in-order fragment. */
  push(fragment: Uint8Array, fragmentsRemaining: number): number {
    if (this.expected >= 0 && fragmentsRemaining !== this.expected) {
      return this.fail(`fragment chain expected ${this.expected} remaining, got ${fragmentsRemaining}`);
    }
    if (fragmentsRemaining > 0 && fragment.length === 0) return this.fail('empty non-final fragment');
    this.bytes += fragment.length;
    if (this.bytes > this.maxMessageSize) {
      return this.fail(`reassembled message exceeds ${this.maxMessageSize} bytes`);
    }
    this.parts.push(fragment);
    if (fragmentsRemaining > 0) {
      this.expected = fragmentsRemaining - 1;
      return AssembleResult.Incomplete;
    }
    const out = new Uint8Array(this.bytes);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    this.message = out;
    this.reset();
    return AssembleResult.Complete;
  }

  private fail(reason: string): number {
    this.error = reason;
    this.reset();
    return AssembleResult.Invalid;
  }

  private reset(): void {
    this.parts = [];
    this.bytes = 0;
    this.expected = -1;
  }
}
