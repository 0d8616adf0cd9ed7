/**
 * The public part of a connect token (browser-safe: no code, only the type). Issuing and opening
 * tokens needs `node:crypto` and lives in `@netplay/transport/node`.
 * @module
 */

/**
 * What a client needs to open an encrypted UDP session: JSON-safe (binary fields are base64url),
 * so it can travel in an HTTP response. Keep it secret like a password until it expires: whoever
 * holds it can open a session (once) and read that session's traffic.
 */
export interface ConnectToken {
  /** Format version (1). */
  readonly version: number;
  /** Where to connect (`udp://host:port`), when the issuer knows it. */
  readonly url?: string;
  /** Token id (16 bytes, base64url); also sealed inside. */
  readonly tokenId: string;
  /** Unix time in ms after which the server refuses the token for new sessions. */
  readonly expiresAt: number;
  /** Client → server key (32 bytes, base64url). */
  readonly clientKey: string;
  /** Server → client key (32 bytes, base64url). */
  readonly serverKey: string;
  /** The private part (base64url), sealed with the server's token key; opaque to the client. */
  readonly sealed: string;
}
