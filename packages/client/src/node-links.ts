/**
 * Node-only links, loaded on demand. This module is the only place the client refers to
 * `@netplay/transport/node`, and only through a dynamic `import()` when running in Node; the browser
 * build (`dist/browser.js`) replaces this file with `node-links.browser.ts`, which has no such import.
 * @module
 */
import type { ConnectToken, Link } from '@netplay/transport';

/** The keys and counters of one connect token on the client (opaque outside the Node links). */
export interface SecureSession {
  /** Id of the token. */
  readonly tokenId: string;
}

/** The Node link connectors the client uses. */
export interface NodeLinks {
  connectWebSocket(url: string): Promise<Link>;
  connectUdp(options: { host: string; port: number; maxDatagramSize?: number }): Promise<Link>;
  /** Keys and counters for `token`. Throws `INVALID_OPTION` for a malformed token. */
  secureSession(token: ConnectToken): SecureSession;
  /** `link` encrypted under `session` (an `EncryptedLink`). */
  encrypt(link: Link, session: SecureSession): Link;
  /** Bytes encryption adds to a datagram. */
  readonly encryptionOverhead: number;
  /** Default largest UDP datagram. */
  readonly udpMaxDatagramSize: number;
}

/** `true` when running in Node (or a runtime that says it is compatible, like Bun or Deno's node mode). */
export function isNodeRuntime(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** The Node connectors, or `undefined` outside Node. */
export async function loadNodeLinks(): Promise<NodeLinks | undefined> {
  if (!isNodeRuntime()) return undefined;
  const node = await import('@netplay/transport/node');
  return {
    connectWebSocket: (url) => node.connectWebSocket(url),
    connectUdp: (options) => node.connectUdp(options),
    secureSession: (token) => node.SecureChannel.forClient(token),
    encrypt: (link, session) => {
      if (!(session instanceof node.SecureChannel)) throw new TypeError('not a SecureChannel');
      return new node.EncryptedLink(link, { role: 'client', channel: session });
    },
    encryptionOverhead: node.ENCRYPTION_OVERHEAD,
    udpMaxDatagramSize: node.UDP_LINK_DEFAULTS.maxDatagramSize,
  };
}
