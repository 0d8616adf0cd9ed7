/**
 * Connect tokens for encrypted UDP sessions (Node only: `node:crypto`).
 *
 * A token is issued over a channel that is already secure (HTTPS / `wss`, or a studio's own
 * backend) and carries two fresh 256-bit keys, one per direction. The client keeps the public part
 * ({@link ConnectToken}: the keys, the expiry, the token id) and hands the server the `sealed` part:
 * the same keys, id and expiry encrypted and authenticated with the server's token key
 * (ChaCha20-Poly1305), so a client can neither read nor forge what the server will trust.
 *
 * ```
 * sealed = nonce (12 random bytes) ‖ ChaCha20-Poly1305(tokenKey, nonce, aad = "netplay-token-v1",
 *            version u8 ‖ expiresAt u64 ms ‖ tokenId 16 ‖ clientToServerKey 32 ‖ serverToClientKey 32)
 *          ‖ tag (16)                                                           = 117 bytes
 * ```
 * @module
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { InvalidOptionError } from '../errors.js';
import type { ConnectToken } from './connect-token-types.js';

export type { ConnectToken } from './connect-token-types.js';

/** Version byte inside a sealed token. */
export const CONNECT_TOKEN_VERSION = 1;
/** Length of a sealed token, in bytes. */
export const SEALED_TOKEN_SIZE = 12 + 1 + 8 + 16 + 32 + 32 + 16;
/** Length of a token key, in bytes. */
export const TOKEN_KEY_SIZE = 32;
/** Default lifetime of a token (for connecting; a session outlives its token), in ms. */
export const DEFAULT_TOKEN_LIFETIME_MS = 30_000;

const AAD = Buffer.from('netplay-token-v1');
const PLAIN_SIZE = 1 + 8 + 16 + 32 + 32;

/** Options of {@link issueConnectToken}. */
export interface IssueConnectTokenOptions {
  /** Milliseconds the token may be used to connect. Defaults to 30 000. */
  lifetimeMs?: number;
  /** Current Unix time in ms. Defaults to `Date.now()`. */
  now?: number;
  /** URL to put in the token (`udp://host:port`). */
  url?: string;
}

/** A sealed token the server opened. */
export interface OpenedConnectToken {
  readonly tokenId: string;
  readonly expiresAt: number;
  readonly clientToServerKey: Uint8Array;
  readonly serverToClientKey: Uint8Array;
}

/**
 * The token key a server derives from its `secret` (HMAC-SHA-256 with a fixed label), so a backend
 * that shares the secret can issue tokens the server accepts.
 */
export function deriveTokenKey(secret: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', secret).update('netplay connect token key v1').digest());
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== TOKEN_KEY_SIZE) {
    throw new InvalidOptionError('tokenKey', `must be ${TOKEN_KEY_SIZE} bytes`);
  }
}

/**
 * Issue a connect token sealed with `tokenKey` (32 bytes; see {@link deriveTokenKey}).
 * @throws `InvalidOptionError` (`INVALID_OPTION`) for a bad key or lifetime.
 */
export function issueConnectToken(tokenKey: Uint8Array, options: IssueConnectTokenOptions = {}): ConnectToken {
  checkKey(tokenKey);
  const lifetime = options.lifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS;
  if (!(lifetime > 0 && Number.isFinite(lifetime))) throw new InvalidOptionError('lifetimeMs', 'must be positive');
  const expiresAt = Math.floor((options.now ?? Date.now()) + lifetime);
  const tokenId = randomBytes(16);
  const c2s = randomBytes(32);
  const s2c = randomBytes(32);
  const plain = Buffer.alloc(PLAIN_SIZE);
  plain[0] = CONNECT_TOKEN_VERSION;
  plain.writeBigUInt64BE(BigInt(expiresAt), 1);
  tokenId.copy(plain, 9);
  c2s.copy(plain, 25);
  s2c.copy(plain, 57);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('chacha20-poly1305', tokenKey, nonce, { authTagLength: 16 });
  cipher.setAAD(AAD, { plaintextLength: PLAIN_SIZE });
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  const sealed = Buffer.concat([nonce, body, cipher.getAuthTag()]);
  return {
    version: CONNECT_TOKEN_VERSION,
    ...(options.url === undefined ? {} : { url: options.url }),
    tokenId: tokenId.toString('base64url'),
    expiresAt,
    clientKey: c2s.toString('base64url'),
    serverKey: s2c.toString('base64url'),
    sealed: sealed.toString('base64url'),
  };
}

/**
 * Open a sealed token with `tokenKey`. `undefined` when it was not sealed with this key, was
 * tampered with, or has the wrong size or version (expiry is the caller's check). Never throws.
 */
export function openConnectToken(tokenKey: Uint8Array, sealed: Uint8Array): OpenedConnectToken | undefined {
  if (sealed.length !== SEALED_TOKEN_SIZE) return undefined;
  try {
    const decipher = createDecipheriv('chacha20-poly1305', tokenKey, sealed.subarray(0, 12), { authTagLength: 16 });
    decipher.setAAD(AAD, { plaintextLength: PLAIN_SIZE });
    decipher.setAuthTag(sealed.subarray(SEALED_TOKEN_SIZE - 16));
    const plain = Buffer.concat([decipher.update(sealed.subarray(12, SEALED_TOKEN_SIZE - 16)), decipher.final()]);
    if (plain[0] !== CONNECT_TOKEN_VERSION) return undefined;
    return {
      expiresAt: Number(plain.readBigUInt64BE(1)),
      tokenId: plain.subarray(9, 25).toString('base64url'),
      clientToServerKey: new Uint8Array(plain.subarray(25, 57)),
      serverToClientKey: new Uint8Array(plain.subarray(57, 89)),
    };
  } catch {
    return undefined;
  }
}

/** Decode a base64url field of a {@link ConnectToken}; `undefined` when it is not `size` bytes. */
export function tokenBytes(value: unknown, size: number): Uint8Array | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]*$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64url');
  return bytes.length === size ? new Uint8Array(bytes) : undefined;
}
