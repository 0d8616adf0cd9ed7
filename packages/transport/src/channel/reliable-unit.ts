/**
 * One unit of the reliable send buffer: a whole message, or one fragment of a large one. Units are
 * pooled and reused by their channel.
 * @module
 */

/** A reliable message (or fragment) awaiting its ack. */
export class ReliableUnit {
  /** Message sequence on the wire. */
  sequence = 0;
  /** Payload: the caller's bytes or a view into them (never copied). */
  payload: Uint8Array = EMPTY;
  /** Fragments after this one, or -1 for a whole message. */
  fragmentsRemaining = -1;
  /**
   * Bytes of the unit's record in a packet, framing included (what it adds to the send buffer):
   * kept here so that sizing and retiring a unit do not read its payload, a separate object.
   */
  recordSize = 0;
  /** Copies of this unit in packets that are in flight. */
  copies = 0;
  /** Times sent, first send included. */
  sendCount = 0;
  /** Sequence of the last packet this unit was written into (to avoid two copies in one packet). */
  lastPacket = -1;
  acked = false;
  /** All copies were lost: the unit must go again. */
  needsResend = false;

  reset(sequence: number, payload: Uint8Array, fragmentsRemaining: number, recordSize: number): void {
    this.sequence = sequence;
    this.payload = payload;
    this.fragmentsRemaining = fragmentsRemaining;
    this.recordSize = recordSize;
    this.copies = 0;
    this.sendCount = 0;
    this.lastPacket = -1;
    this.acked = false;
    this.needsResend = false;
  }
}

const EMPTY = new Uint8Array(0);
