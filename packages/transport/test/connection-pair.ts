/**
 * Test harness in the style of quinn-proto's `Pair`: two sans-IO connections, a virtual "now", a wire
 * with fixed one-way latency and a scripted drop rule per direction, and `run()` that steps from one
 * event to the next (delivery, game tick, connection timeout) with a livelock guard.
 */
import { Connection, type ConnectionOptions } from '@netplay/transport';

export type Side = 'a' | 'b';

export interface PairOptions {
  /** One-way latency in ms. */
  latency?: number;
  /** Game tick: each side flushes every `tick` ms (after `onTick`). */
  tick?: number;
  connection?: ConnectionOptions;
  /** Return true to drop the `index`-th datagram sent from `from` (0-based per direction). */
  drop?: (from: Side, index: number, datagram: Uint8Array, now: number) => boolean;
  /**
   * `side` stalls during [from, to), as a process whose event loop is blocked: it neither reads
   * nor sends, and what reaches it waits (as in a socket buffer) to be read at `to`.
   */
  stall?: { side: Side; from: number; to: number };
}

interface InFlight {
  at: number;
  to: Side;
  datagram: Uint8Array;
}

export class ConnectionPair {
  now = 0;
  readonly a: Connection;
  readonly b: Connection;
  readonly got: Record<Side, { channel: number; payload: Uint8Array; at: number }[]> = { a: [], b: [] };
  readonly acked: Record<Side, [number, number][]> = { a: [], b: [] };
  readonly lost: Record<Side, [number, number][]> = { a: [], b: [] };
  readonly errors: Error[] = [];
  /** Every datagram put on the wire, per sender, in order. */
  readonly wire: Record<Side, Uint8Array[]> = { a: [], b: [] };
  private readonly inFlight: InFlight[] = [];
  private readonly latency: number;
  private readonly tick: number;
  private nextTick = 0;
  private readonly drop: NonNullable<PairOptions['drop']>;
  private readonly stall: PairOptions['stall'];

  constructor(options: PairOptions = {}) {
    this.latency = options.latency ?? 50;
    this.tick = options.tick ?? 1000 / 60;
    this.drop = options.drop ?? (() => false);
    this.stall = options.stall;
    const make = (side: Side) =>
      new Connection(options.connection, {
        onMessage: (channel, payload) => this.got[side].push({ channel, payload: payload.slice(), at: this.now }),
        onAcked: (channel, id) => this.acked[side].push([channel, id]),
        onLost: (channel, id) => this.lost[side].push([channel, id]),
        onError: (e) => this.errors.push(e),
      });
    this.a = make('a');
    this.b = make('b');
  }

  conn(side: Side): Connection {
    return side === 'a' ? this.a : this.b;
  }

  /** Flush one side now and put its datagrams on the wire. */
  flush(side: Side): void {
    for (const d of this.conn(side).flush(this.now)) {
      const index = this.wire[side].length;
      this.wire[side].push(d);
      if (this.drop(side, index, d, this.now)) continue;
      this.inFlight.push({ at: this.now + this.latency, to: side === 'a' ? 'b' : 'a', datagram: d });
    }
  }

  /**
   * Run until `until` ms: deliveries, ticks (`onTick(now)` then both sides flush) and connection
   * timeouts, in time order. Throws if the same instant repeats too often (livelock).
   */
  run(until: number, onTick?: (now: number) => void): void {
    let lastNow = -1;
    let sameInstant = 0;
    for (;;) {
      const tNext = Math.min(
        this.nextTick,
        this.awake('a', this.a.nextTimeout(this.now)),
        this.awake('b', this.b.nextTimeout(this.now)),
        ...this.inFlight.map((f) => this.awake(f.to, f.at)),
      );
      if (tNext > until) {
        this.now = until;
        return;
      }
      this.now = Math.max(this.now, tNext);
      sameInstant = this.now === lastNow ? sameInstant + 1 : 0;
      if (sameInstant > 10_000) throw new Error(`livelock at t=${this.now}`);
      lastNow = this.now;
      for (let i = 0; i < this.inFlight.length; ) {
        const f = this.inFlight[i]!;
        if (this.awake(f.to, f.at) <= this.now) {
          this.inFlight.splice(i, 1);
          this.conn(f.to).receive(f.datagram, this.now);
        } else i++;
      }
      if (this.nextTick <= this.now) {
        onTick?.(this.now);
        this.nextTick += this.tick;
      }
      if (this.awake('a', this.now) === this.now) this.flush('a');
      if (this.awake('b', this.now) === this.now) this.flush('b');
    }
  }

  /** When `side` can act on something due at `t`: `t`, or the end of a stall `t` falls in. */
  private awake(side: Side, t: number): number {
    const s = this.stall;
    return s !== undefined && s.side === side && t >= s.from && t < s.to ? s.to : t;
  }
}

export const bytes = (...values: number[]) => new Uint8Array(values);
export const text = (s: string) => new TextEncoder().encode(s);
export const untext = (b: Uint8Array) => new TextDecoder().decode(b);
