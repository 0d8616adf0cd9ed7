/**
 * The client's opening handshake, sans sockets: the request bytes, the option checks, and the
 * answer read at every split, with every way it can fail.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import {
  checkHeaders,
  checkProtocols,
  newWebSocketKey,
  type UpgradeResponse,
  UpgradeResponseReader,
  upgradeRequest,
} from './ws-client-upgrade.js';
import { checkUpgradeRequest } from './ws-upgrade.js';

/** The RFC 6455 §1.3 sample key and its accept value. */
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
const MAX_HEAD = 16_384;
const latin1 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));

function answer(lines: readonly string[], status = 'HTTP/1.1 101 Switching Protocols'): string {
  return `${[status, ...lines].join('\r\n')}\r\n\r\n`;
}
const GOOD = ['Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${ACCEPT}`];

/** Feed chunks until an outcome; a success's `rest` is followed by the chunks after it (what the link reads). */
function read(chunks: readonly Uint8Array[], protocols: readonly string[] = [], max = MAX_HEAD): UpgradeResponse[] {
  const reader = new UpgradeResponseReader(KEY, protocols, max);
  for (let i = 0; i < chunks.length; i++) {
    const outcome = reader.push(chunks[i]!);
    if (outcome === undefined) continue;
    if (!outcome.ok) return [outcome];
    return [{ ...outcome, rest: Buffer.concat([outcome.rest, ...chunks.slice(i + 1)]) }];
  }
  return [];
}

/** The outcome of `wire` cut at every byte into two chunks: all the same, returned once. */
function readSplitEverywhere(wire: Uint8Array, protocols: readonly string[] = [], max = MAX_HEAD) {
  const whole = read([wire], protocols, max);
  for (let at = 0; at <= wire.length; at++) {
    const split = read([wire.subarray(0, at), wire.subarray(at)], protocols, max);
    expect(split.map(plain), `split at ${at}`).toEqual(whole.map(plain));
  }
  expect(
    read(
      Array.from(wire, (b) => Uint8Array.of(b)),
      protocols,
      max,
    ).map(plain),
  ).toEqual(whole.map(plain));
  return whole.map(plain);
}

const plain = (o: UpgradeResponse) => (o.ok ? { ok: true, protocol: o.protocol, rest: [...o.rest] } : o);
const failure = (reason: string) => [{ ok: false, reason }];

describe('upgradeRequest', () => {
  it('writes the GET request with the handshake headers, the subprotocols and extra headers', () => {
    const request = upgradeRequest({
      host: '127.0.0.1:9000',
      path: '/play?room=7',
      key: KEY,
      protocols: ['game.v2', 'game.v1'],
      headers: { Authorization: 'Bearer t0k3n' },
    });
    expect(request).toBe(
      'GET /play?room=7 HTTP/1.1\r\n' +
        'Host: 127.0.0.1:9000\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${KEY}\r\n` +
        'Sec-WebSocket-Version: 13\r\n' +
        'Sec-WebSocket-Protocol: game.v2, game.v1\r\n' +
        'Authorization: Bearer t0k3n\r\n' +
        '\r\n',
    );
    const own = upgradeRequest({ host: 'a', path: '/', key: KEY, protocols: [], headers: { host: 'b.example' } });
    expect(own).toBe(
      `GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\n` +
        'Sec-WebSocket-Version: 13\r\nhost: b.example\r\n\r\n',
    );
  });

  it('is a request our server accepts, with a fresh 16-byte key each time', () => {
    const keys = new Set(Array.from({ length: 50 }, () => newWebSocketKey()));
    expect(keys.size).toBe(50);
    for (const key of keys) {
      expect(Buffer.from(key, 'base64').length).toBe(16);
      const check = checkUpgradeRequest({
        method: 'GET',
        httpVersionMajor: 1,
        httpVersionMinor: 1,
        headers: {
          upgrade: 'websocket',
          connection: 'Upgrade',
          'sec-websocket-key': key,
          'sec-websocket-version': '13',
        },
      });
      expect(check).toEqual({ ok: true, key, protocol: undefined });
    }
  });

  it('refuses subprotocols that are not distinct tokens, and headers that inject or collide', () => {
    expect(checkProtocols(undefined)).toEqual([]);
    expect(checkProtocols('game')).toEqual(['game']);
    expect(checkProtocols(['a', 'b'])).toEqual(['a', 'b']);
    for (const bad of [['a', 'a'], ['a b'], [''], ['x,y']]) {
      expect(() => checkProtocols(bad)).toThrow(InvalidOptionError);
    }
    expect(checkHeaders({ 'X-Token': 'abc é\t' })).toEqual({ 'X-Token': 'abc é\t' });
    const invalid: Record<string, string>[] = [
      { 'X-Token': 'a\r\nX-Evil: 1' },
      { 'X-Token': 'a\nb' },
      { 'X-Token': 'a\u0000' },
      { 'X Token': 'a' },
      { 'bad:name': 'a' },
      { 'Sec-WebSocket-Key': KEY },
      { upgrade: 'h2c' },
      { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
      { 'X-Wide': 'snow☃' },
    ];
    for (const bad of invalid) {
      expect(() => checkHeaders(bad), JSON.stringify(bad)).toThrow(InvalidOptionError);
    }
  });
});

describe('UpgradeResponseReader', () => {
  it('accepts a valid 101 split at any byte and hands over the bytes after the head', () => {
    const frame = [0x82, 0x02, 0xaa, 0xbb];
    const wire = new Uint8Array([...latin1(answer(GOOD)), ...frame]);
    expect(readSplitEverywhere(wire)).toEqual([{ ok: true, protocol: '', rest: frame }]);
    // Header names and tokens in any case, extra headers, a Connection list, no reason phrase.
    const loose = answer(
      ['upgrade: WebSocket', 'CONNECTION: keep-alive, upgrade', `sec-websocket-accept:${ACCEPT}`, 'Server: x'],
      'HTTP/1.1 101',
    );
    expect(read([latin1(loose)]).map(plain)).toEqual([{ ok: true, protocol: '', rest: [] }]);
  });

  it('reports the subprotocol selected among those offered', () => {
    const wire = latin1(answer([...GOOD, 'Sec-WebSocket-Protocol: game.v1']));
    expect(readSplitEverywhere(wire, ['game.v2', 'game.v1'])).toEqual([{ ok: true, protocol: 'game.v1', rest: [] }]);
  });

  it.each([
    [
      'a non-101 status',
      answer(['Content-Length: 0'], 'HTTP/1.1 400 Bad Request'),
      [],
      'unexpected server response 400',
    ],
    ['a 200', answer(['Content-Length: 2'], 'HTTP/1.1 200 OK'), [], 'unexpected server response 200'],
    ['a 503', answer([], 'HTTP/1.1 503 Service Unavailable'), [], 'unexpected server response 503'],
    ['not HTTP', 'SSH-2.0-OpenSSH_9.6\r\n\r\n', [], 'invalid HTTP status line'],
    ['HTTP/2 status', answer(GOOD, 'HTTP/2 101'), [], 'invalid HTTP status line'],
    ['no Upgrade', answer(GOOD.slice(1)), [], 'missing or invalid Upgrade header'],
    ['Upgrade: h2c', answer(['Upgrade: h2c', ...GOOD.slice(1)]), [], 'missing or invalid Upgrade header'],
    ['no Connection', answer([GOOD[0]!, GOOD[2]!]), [], 'missing or invalid Connection header'],
    [
      'Connection: close',
      answer([GOOD[0]!, 'Connection: close', GOOD[2]!]),
      [],
      'missing or invalid Connection header',
    ],
    ['no Accept', answer(GOOD.slice(0, 2)), [], 'missing or invalid Sec-WebSocket-Accept'],
    [
      'a wrong Accept',
      answer([...GOOD.slice(0, 2), 'Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=']),
      [],
      'missing or invalid Sec-WebSocket-Accept',
    ],
    [
      'two Accept headers',
      answer([...GOOD, `Sec-WebSocket-Accept: ${ACCEPT}`]),
      [],
      'missing or invalid Sec-WebSocket-Accept',
    ],
    [
      'an extension',
      answer([...GOOD, 'Sec-WebSocket-Extensions: permessage-deflate']),
      [],
      'server selected an extension none was offered',
    ],
    [
      'a subprotocol not offered',
      answer([...GOOD, 'Sec-WebSocket-Protocol: game.v3']),
      ['game.v1'],
      'server selected a subprotocol that was not offered',
    ],
    [
      'a subprotocol when none was offered',
      answer([...GOOD, 'Sec-WebSocket-Protocol: game.v1']),
      [],
      'server selected a subprotocol that was not offered',
    ],
    ['no subprotocol when some were offered', answer(GOOD), ['game.v1'], 'server selected no subprotocol'],
    ['a header line without a colon', answer([...GOOD, 'garbage']), [], 'invalid HTTP header line'],
    ['a folded header line', answer([...GOOD, ' folded']), [], 'invalid HTTP header line'],
  ])('fails on %s, wherever the head is split', (_name, text, protocols, reason) => {
    expect(readSplitEverywhere(latin1(text), protocols)).toEqual(failure(reason));
  });

  it('fails on a head over the limit as soon as it is over, complete or not', () => {
    const big = answer([...GOOD, `X-Pad: ${'p'.repeat(200)}`]);
    expect(big.length).toBeGreaterThan(200);
    expect(read([latin1(big)], [], big.length).map(plain)).toEqual([{ ok: true, protocol: '', rest: [] }]);
    expect(read([latin1(big)], [], big.length - 1)).toEqual(failure(`response head over ${big.length - 1} bytes`));
    // An endless head: fails once past the limit, without waiting for its end.
    const endless = read(
      Array.from({ length: 100 }, () => latin1('X-Pad: pppppppppp\r\n')),
      [],
      1000,
    );
    expect(endless).toEqual(failure('response head over 1000 bytes'));
    expect(readSplitEverywhere(latin1(big), [], 100)).toEqual(failure('response head over 100 bytes'));
  });
});
