/**
 * Seat tokens: what the manager's redirect hands a client so that a worker seats it in a reserved
 * room. A token is `base64url(claims JSON) "." base64url(HMAC-SHA256(secret, "netplay-seat.v1." + claims part))`.
 * The claims name the worker (node, index, incarnation), the room, a random seat id (single use) and
 * an expiry; see docs/cluster.md for the threat model.
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { randomId } from '../session/random-id.js';

/** What a seat token says. */
export interface SeatClaims {
  /** Format version (1). */
  readonly v: 1;
  /** Node (manager) id. */
  readonly n: string;
  /** Worker index on that node. */
  readonly w: number;
  /** Worker incarnation (a restarted worker refuses its predecessor's tokens). */
  readonly i: number;
  /** Room id. */
  readonly r: string;
  /** Seat id: random, single use. */
  readonly s: string;
  /** Expiry, ms since the epoch. */
  readonly e: number;
}

/** Why a token was refused. */
export type SeatTokenRefusal = 'malformed' | 'bad-signature' | 'expired' | 'wrong-worker';

/** Longest token accepted (the handshake allows 2048 characters). */
export const SEAT_TOKEN_MAX_LENGTH = 1024;
const CONTEXT = 'netplay-seat.v1.';

function mac(secret: Uint8Array, claimsPart: string): Buffer {
  return createHmac('sha256', secret).update(CONTEXT).update(claimsPart).digest();
}

/** A new random seat id. */
export function newSeatId(): string {
  return randomId(12);
}

/** Sign `claims` with `secret`. */
export function signSeatToken(secret: Uint8Array, claims: SeatClaims): string {
  const part = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${part}.${mac(secret, part).toString('base64url')}`;
}

/**
 * Verify `token` for the worker `expect` at time `now` (ms since the epoch): the claims when the
 * signature is valid, the token unexpired and meant for this worker; the refusal otherwise. Never
 * throws: the token comes from the network.
 */
export function verifySeatToken(
  secret: Uint8Array,
  token: string,
  expect: { readonly node: string; readonly worker: number; readonly incarnation: number },
  now: number,
): { ok: true; claims: SeatClaims } | { ok: false; refusal: SeatTokenRefusal } {
  if (typeof token !== 'string' || token.length > SEAT_TOKEN_MAX_LENGTH) return { ok: false, refusal: 'malformed' };
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return { ok: false, refusal: 'malformed' };
  const part = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const wanted = mac(secret, part);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return { ok: false, refusal: 'bad-signature' };
  let claims: SeatClaims;
  try {
    claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as SeatClaims;
  } catch {
    return { ok: false, refusal: 'malformed' };
  }
  if (
    claims === null ||
    typeof claims !== 'object' ||
    claims.v !== 1 ||
    typeof claims.n !== 'string' ||
    typeof claims.r !== 'string' ||
    typeof claims.s !== 'string' ||
    !Number.isInteger(claims.w) ||
    !Number.isInteger(claims.i) ||
    typeof claims.e !== 'number'
  ) {
    return { ok: false, refusal: 'malformed' };
  }
  if (claims.n !== expect.node || claims.w !== expect.worker || claims.i !== expect.incarnation) {
    return { ok: false, refusal: 'wrong-worker' };
  }
  if (now >= claims.e) return { ok: false, refusal: 'expired' };
  return { ok: true, claims };
}
