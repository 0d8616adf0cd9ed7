/**
 * Hand-built WebSocket frames as a client sends them (masked) or a server does (unmasked), and a
 * sink that records what a `FrameParser` reports: shared by the framing unit tests, the raw-socket
 * tests of the links and the hostile-input properties.
 */

import type { FrameViolation } from '../src/link/ws-frame.js';
import type { DroppedMessage, FrameSink } from '../src/link/ws-frame-parser.js';

/** How to build one client frame. */
export interface ClientFrameOptions {
  /** FIN bit. Defaults to `true`. */
  fin?: boolean;
  /** RSV1–3 as the bits 0x40 / 0x20 / 0x10. Defaults to `0`. */
  rsv?: number;
  /** The 4-byte mask key; `null` sends the frame unmasked (a violation). Defaults to `[0x37, 0xfa, 0x21, 0x3d]`. */
  mask?: readonly [number, number, number, number] | null;
  /** Force the length encoding: 7-bit, 16-bit or 64-bit. Defaults to the shortest. */
  lengthBits?: 7 | 16 | 64;
  /** Override the declared payload length (to declare more than is sent). */
  declaredLength?: number;
}

const DEFAULT_MASK = [0x37, 0xfa, 0x21, 0x3d] as const;

/** One frame as a client would send it: header, mask key, masked payload. */
export function clientFrame(
  opcode: number,
  payload: Uint8Array | readonly number[],
  options: ClientFrameOptions = {},
): Uint8Array {
  const body = Uint8Array.from(payload);
  const length = options.declaredLength ?? body.length;
  const mask = options.mask === undefined ? DEFAULT_MASK : options.mask;
  const bits = options.lengthBits ?? (length <= 125 ? 7 : length <= 0xffff ? 16 : 64);
  const header: number[] = [((options.fin ?? true) ? 0x80 : 0) | (options.rsv ?? 0) | opcode];
  const maskBit = mask === null ? 0 : 0x80;
  if (bits === 7) {
    header.push(maskBit | length);
  } else if (bits === 16) {
    header.push(maskBit | 126, length >>> 8, length & 0xff);
  } else {
    const high = Math.floor(length / 2 ** 32);
    header.push(maskBit | 127, high >>> 24, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff);
    header.push(length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
  }
  if (mask !== null) header.push(...mask);
  const frame = new Uint8Array(header.length + body.length);
  frame.set(header);
  for (let i = 0; i < body.length; i++) frame[header.length + i] = body[i]! ^ (mask === null ? 0 : mask[i & 3]!);
  return frame;
}

/** One frame as a server would send it: as {@link clientFrame}, unmasked unless `options.mask` says otherwise. */
export function serverFrame(
  opcode: number,
  payload: Uint8Array | readonly number[],
  options: ClientFrameOptions = {},
): Uint8Array {
  return clientFrame(opcode, payload, { mask: null, ...options });
}

/** A client close frame: code (2 bytes, big-endian) and UTF-8 reason, or an empty payload. */
export function clientClose(code?: number, reason: string | Uint8Array = ''): Uint8Array {
  if (code === undefined) return clientFrame(0x8, []);
  const text = typeof reason === 'string' ? new TextEncoder().encode(reason) : reason;
  return clientFrame(0x8, [code >>> 8, code & 0xff, ...text]);
}

/** Concatenate byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** What a parser reported, in order. */
export type FrameEvent =
  | { type: 'binary'; data: number[] }
  | { type: 'dropped'; reason: DroppedMessage }
  | { type: 'ping'; data: number[] }
  | { type: 'close'; code: number; reason: string }
  | { type: 'violation'; kind: string; closeCode: number };

/** A {@link FrameSink} that records events (and the delivered arrays themselves, to check views vs copies). */
export class RecordingSink implements FrameSink {
  readonly events: FrameEvent[] = [];
  readonly messages: Uint8Array[] = [];

  onBinary(message: Uint8Array): void {
    this.messages.push(message);
    this.events.push({ type: 'binary', data: [...message] });
  }
  onDropped(reason: DroppedMessage): void {
    this.events.push({ type: 'dropped', reason });
  }
  onPing(payload: Uint8Array): void {
    this.events.push({ type: 'ping', data: [...payload] });
  }
  onClose(code: number, reason: string): void {
    this.events.push({ type: 'close', code, reason });
  }
  onViolation(violation: FrameViolation): void {
    this.events.push({ type: 'violation', kind: violation.kind, closeCode: violation.closeCode });
  }
}
