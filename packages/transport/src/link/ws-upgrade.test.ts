import { describe, expect, it } from 'vitest';
import { checkUpgradeRequest, type UpgradeRequestLike, webSocketAccept } from './ws-upgrade.js';

const valid: UpgradeRequestLike = {
  method: 'GET',
  httpVersionMajor: 1,
  httpVersionMinor: 1,
  headers: {
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'sec-websocket-version': '13',
  },
};

function check(change: Partial<UpgradeRequestLike>, headers: Record<string, string | undefined> = {}) {
  return checkUpgradeRequest({ ...valid, ...change, headers: { ...valid.headers, ...headers } });
}

describe('checkUpgradeRequest', () => {
  it('accepts the RFC 6455 sample handshake and computes its Sec-WebSocket-Accept', () => {
    expect(check({})).toEqual({ ok: true, key: 'dGhlIHNhbXBsZSBub25jZQ==', protocol: undefined });
    expect(webSocketAccept('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(check({}, { upgrade: 'WebSocket', connection: 'keep-alive, Upgrade' }).ok).toBe(true);
    expect(check({ httpVersionMinor: 0, httpVersionMajor: 2 }).ok).toBe(true);
  });

  it('selects the first offered subprotocol and ignores Sec-WebSocket-Extensions', () => {
    expect(check({}, { 'sec-websocket-protocol': 'game.v2, game.v1' })).toMatchObject({
      ok: true,
      protocol: 'game.v2',
    });
    expect(check({}, { 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' }).ok).toBe(true);
  });

  it('answers 400 to a request that is not a WebSocket handshake', () => {
    const bad: [Partial<UpgradeRequestLike>, Record<string, string | undefined>][] = [
      [{ method: 'POST' }, {}],
      [{ httpVersionMinor: 0 }, {}],
      [{}, { upgrade: undefined }],
      [{}, { upgrade: 'h2c' }],
      [{}, { connection: undefined }],
      [{}, { connection: 'keep-alive' }],
      [{}, { 'sec-websocket-key': undefined }],
      [{}, { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ' }],
      [{}, { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==x' }],
      [{}, { 'sec-websocket-key': 'dGhlIHNhbXBsZS!ub25jZQ==' }],
      [{}, { 'sec-websocket-protocol': '' }],
      [{}, { 'sec-websocket-protocol': 'a,,b' }],
      [{}, { 'sec-websocket-protocol': 'a, a' }],
      [{}, { 'sec-websocket-protocol': 'a b' }],
    ];
    for (const [change, headers] of bad) {
      expect(check(change, headers), JSON.stringify([change, headers])).toMatchObject({ ok: false, status: 400 });
    }
  });

  it('answers 426 to a missing or other Sec-WebSocket-Version', () => {
    for (const version of [undefined, '8', '12', '14', '13, 8']) {
      expect(check({}, { 'sec-websocket-version': version })).toMatchObject({ ok: false, status: 426 });
    }
  });
});
