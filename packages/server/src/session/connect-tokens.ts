/**
 * The server's side of connect tokens: opens sealed tokens presented over UDP (checking their
 * expiry) and keeps one {@link SecureChannel} per token id, so every link of a token (challenge,
 * session, resumes) shares its counters and replay window. Bounded: at most `maxEntries` tokens
 * are remembered; expired ones no session uses are forgotten first, and a new token is refused
 * while the table is full of live ones.
 * @module
 */
import {
  type EncryptedDropReason,
  type OpenedConnectToken,
  openConnectToken,
  SecureChannel,
} from '@netplay/transport/node';

/** Counters of the server's connect tokens (`server.stats.tokens`): accepted, invalid, expired, refused when full, and datagrams dropped. */
export interface ConnectTokenStats {
  /** Tokens opened and remembered (first use of each). */
  accepted: number;
  /** Sealed tokens that did not open (forged, tampered, another server's key). */
  invalid: number;
  /** Tokens presented after their expiry (for a new session). */
  expired: number;
  /** Tokens refused because the table was full of live tokens. */
  full: number;
  /** UDP datagrams dropped by encrypted links, by reason (see `EncryptedLinkStats`). */
  dropped: Record<EncryptedDropReason, number>;
}

interface Entry {
  readonly channel: SecureChannel;
  readonly expiresAt: number;
}

/** See the module description. */
export class ConnectTokenRegistry {
  readonly stats: ConnectTokenStats = {
    accepted: 0,
    invalid: 0,
    expired: 0,
    full: 0,
    dropped: { malformed: 0, forged: 0, replayed: 0, otherToken: 0 },
  };
  readonly #key: Uint8Array;
  readonly #maxEntries: number;
  readonly #wallClock: () => number;
  readonly #inUse: (tokenId: string) => boolean;
  readonly #entries = new Map<string, Entry>();

  /**
   * @param key - the server's token key.
   * @param inUse - whether a session still uses a token (its channel must then be kept).
   * @param wallClock - Unix time in ms (token expiry is wall-clock time).
   */
  constructor(key: Uint8Array, maxEntries: number, inUse: (tokenId: string) => boolean, wallClock = Date.now) {
    this.#key = key;
    this.#maxEntries = maxEntries;
    this.#inUse = inUse;
    this.#wallClock = wallClock;
  }

  /** Tokens remembered. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The channel of a sealed token, or `undefined` to refuse it. A token a session still uses keeps
   * working after its expiry (resumes); otherwise an expired token is refused.
   */
  resolve(sealed: Uint8Array): SecureChannel | undefined {
    const opened = openConnectToken(this.#key, sealed);
    if (opened === undefined) {
      this.stats.invalid++;
      return undefined;
    }
    const now = this.#wallClock();
    const known = this.#entries.get(opened.tokenId);
    if (known !== undefined && (known.expiresAt > now || this.#inUse(opened.tokenId))) return known.channel;
    if (opened.expiresAt <= now) {
      this.stats.expired++;
      return undefined;
    }
    if (this.#entries.size >= this.#maxEntries && !this.#prune(now)) {
      this.stats.full++;
      return undefined;
    }
    return this.#remember(opened);
  }

  #remember(opened: OpenedConnectToken): SecureChannel {
    const channel = SecureChannel.forServer(opened);
    this.#entries.set(opened.tokenId, { channel, expiresAt: opened.expiresAt });
    this.stats.accepted++;
    return channel;
  }

  /** Forget expired tokens no session uses; `true` when there is room now. */
  #prune(now: number): boolean {
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt <= now && !this.#inUse(id)) this.#entries.delete(id);
    }
    return this.#entries.size < this.#maxEntries;
  }
}
