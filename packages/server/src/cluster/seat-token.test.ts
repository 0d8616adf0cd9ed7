import { describe, expect, it } from 'vitest';
import { SEAT_TOKEN_MAX_LENGTH, signSeatToken, verifySeatToken } from './seat-token.js';

const secret = new Uint8Array(32).fill(1);
const worker = { node: 'n1', worker: 0, incarnation: 2 };
const claims = { v: 1 as const, n: 'n1', w: 0, i: 2, r: 'room', s: 'seat', e: 10_000 };

describe('seat tokens', () => {
  it('verify what was signed, for the worker it names, before it expires', () => {
    const token = signSeatToken(secret, claims);
    expect(verifySeatToken(secret, token, worker, 9_999)).toEqual({ ok: true, claims });
    expect(verifySeatToken(secret, token, worker, 10_000)).toEqual({ ok: false, refusal: 'expired' });
  });

  it('refuse another secret, tampered claims or signature, and malformed tokens', () => {
    const token = signSeatToken(secret, claims);
    const [part, sig] = token.split('.') as [string, string];
    const other = Buffer.from(JSON.stringify({ ...claims, r: 'x' })).toString('base64url');
    expect(verifySeatToken(new Uint8Array(32).fill(2), token, worker, 0)).toMatchObject({ refusal: 'bad-signature' });
    expect(verifySeatToken(secret, `${other}.${sig}`, worker, 0)).toMatchObject({ refusal: 'bad-signature' });
    expect(verifySeatToken(secret, `${part}.${sig.slice(1)}`, worker, 0)).toMatchObject({ refusal: 'bad-signature' });
    for (const bad of ['', '.', 'abc', 'a.b.c', `${'a'.repeat(SEAT_TOKEN_MAX_LENGTH)}.b`]) {
      expect(verifySeatToken(secret, bad, worker, 0).ok).toBe(false);
    }
    const notJson = Buffer.from('not json').toString('base64url');
    const signed = signSeatToken(secret, claims).split('.')[1];
    expect(verifySeatToken(secret, `${notJson}.${signed}`, worker, 0).ok).toBe(false);
  });

  it('refuse a token of another node, worker or incarnation (a replaced worker refuses its predecessor’s seats)', () => {
    for (const over of [{ n: 'n2' }, { w: 1 }, { i: 1 }]) {
      const token = signSeatToken(secret, { ...claims, ...over });
      expect(verifySeatToken(secret, token, worker, 0)).toEqual({ ok: false, refusal: 'wrong-worker' });
    }
  });
});
