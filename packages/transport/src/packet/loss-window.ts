/**
 * Packet loss over the last N packets whose fate is known (acked or declared lost).
 * @module
 */

/** Ring of the last `size` packet outcomes. */
export class LossWindow {
  private readonly outcomes: Uint8Array;
  private next = 0;
  private filled = 0;
  private lost = 0;

  constructor(size: number) {
    this.outcomes = new Uint8Array(size);
  }

  /** Record one packet's fate. */
  record(lost: boolean): void {
    const v = lost ? 1 : 0;
    if (this.filled === this.outcomes.length) this.lost -= this.outcomes[this.next]!;
    else this.filled++;
    this.outcomes[this.next] = v;
    this.lost += v;
    this.next = (this.next + 1) % this.outcomes.length;
  }

  /** Fraction lost, 0 when nothing recorded. */
  fraction(): number {
    return this.filled === 0 ? 0 : this.lost / this.filled;
  }
}
