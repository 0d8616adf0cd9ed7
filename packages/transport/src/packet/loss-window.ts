/**
 * Packet loss over the last N packets whose fate is known (acked or declared lost).
 * @module
 */

/** Ring of the last `size` packet outcomes. */
export class LossWindow {
  /** 1 = lost, per slot; allocated with the first loss (until then every outcome is 0). */
  private outcomes: Uint8Array | undefined;
  private readonly size: number;
  private next = 0;
  private filled = 0;
  private lost = 0;

  constructor(size: number) {
    this.size = size;
  }

  /** Record one packet's fate. */
  record(lost: boolean): void {
    let outcomes = this.outcomes;
    if (outcomes === undefined) {
      if (!lost) {
        if (this.filled < this.size) this.filled++;
        this.next = (this.next + 1) % this.size;
        return;
      }
      outcomes = new Uint8Array(this.size);
      this.outcomes = outcomes;
    }
    const v = lost ? 1 : 0;
    if (this.filled === this.size) this.lost -= outcomes[this.next]!;
    else this.filled++;
    outcomes[this.next] = v;
    this.lost += v;
    this.next = (this.next + 1) % this.size;
  }

  /** Record `n` packets acked (not lost) at once. */
  recordAcked(n: number): void {
    if (this.outcomes !== undefined) {
      for (let i = 0; i < n; i++) this.record(false);
      return;
    }
    this.filled = Math.min(this.size, this.filled + n);
    this.next = (this.next + n) % this.size;
  }

  /** Fraction lost, 0 when nothing recorded. */
  fraction(): number {
    return this.filled === 0 ? 0 : this.lost / this.filled;
  }
}
