/**
 * Encrypted UDP sessions as a {@link Link} decorator (Node only: `node:crypto`). The protocol core
 * and the session handshake run unchanged above it; every datagram below it is authenticated and
 * encrypted with ChaCha20-Poly1305 under the keys of a {@link ConnectToken}, one key per direction.
 *
 * ```
 * Sealed (type 14)        4e 2e ‖ counter u64 ‖ ciphertext ‖ tag (16)      26 bytes of overhead
 *                         nonce = 00 00 00 00 ‖ counter; aad = the first 10 bytes
 * TokenConnect (type 15)  4e 2f ‖ sealed token (117 bytes) ‖ a Sealed datagram
 * ```
 * The client sends its handshake packets (Connect, Response) as TokenConnect, since the server
 * keeps no state for an address before the challenge is answered; everything else as Sealed. A
 * server-side link starts unbound and binds to the token of the first valid TokenConnect; from then
 * on only datagrams sealed with that token's client key, with a counter not seen before (replay
 * window of {@link REPLAY_WINDOW} packets), are delivered. Anything else is dropped and counted.
 *
 * Counters (and the replay window) live in a {@link SecureChannel} per token, shared by every link
 * of that token (challenge, session, resumes), so a nonce is never used twice with one key.
 * @module
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { InvalidOptionError } from '../errors.js';
import { HandshakeType } from '../session/handshake.js';
import {
  CONNECT_TOKEN_VERSION,
  type ConnectToken,
  type OpenedConnectToken,
  SEALED_TOKEN_SIZE,
  tokenBytes,
} from './connect-token.js';
import type { Link, LinkHandlers } from './link.js';
import { LinkDecorator } from './link-decorator.js';

/** Datagram type of a sealed (encrypted) datagram. */
export const SEALED_TYPE = 14;
/** Datagram type of a token-carrying handshake datagram. */
export const TOKEN_CONNECT_TYPE = 15;
/** Header of a sealed datagram: protocol id, type byte, 64-bit counter. */
export const SEALED_HEADER_SIZE = 10;
/** Bytes a sealed datagram adds to its plaintext (header + Poly1305 tag). */
export const ENCRYPTION_OVERHEAD = SEALED_HEADER_SIZE + 16;
/** Packets behind the newest one that may still arrive (reordering) without counting as replays. */
export const REPLAY_WINDOW = 256;

const PROTOCOL_ID = 0x4e;
const VERSION_BITS = 0x20;
const TWO_32 = 2 ** 32;
/** Counters stay below 2^53 (JS numbers stay exact). */
const MAX_COUNTER_HIGH = 2 ** 21;

/** Seals datagrams with one key and a counter that only goes up. */
export class PacketSealer {
  readonly #key: Uint8Array;
  #counter: number;

  constructor(key: Uint8Array, initialCounter = 0) {
    this.#key = key;
    this.#counter = initialCounter;
  }

  /** The counter the next datagram will use. */
  get counter(): number {
    return this.#counter;
  }

  /** `plaintext` as a sealed datagram. */
  seal(plaintext: Uint8Array): Uint8Array {
    const counter = this.#counter++;
    const out = new Uint8Array(ENCRYPTION_OVERHEAD + plaintext.length);
    out[0] = PROTOCOL_ID;
    out[1] = VERSION_BITS | SEALED_TYPE;
    const view = new DataView(out.buffer);
    view.setUint32(2, Math.floor(counter / TWO_32));
    view.setUint32(6, counter >>> 0);
    const nonce = new Uint8Array(12);
    nonce.set(out.subarray(2, 10), 4);
    const cipher = createCipheriv('chacha20-poly1305', this.#key, nonce, { authTagLength: 16 });
    cipher.setAAD(out.subarray(0, SEALED_HEADER_SIZE), { plaintextLength: plaintext.length });
    const body = cipher.update(plaintext);
    cipher.final();
    out.set(body, SEALED_HEADER_SIZE);
    out.set(cipher.getAuthTag(), SEALED_HEADER_SIZE + plaintext.length);
    return out;
  }
}

/** Why {@link PacketOpener.open} refused a datagram. */
export type OpenFailure = 'malformed' | 'forged' | 'replayed';

/** Opens datagrams sealed with one key, refusing forgeries and replays. */
export class PacketOpener {
  readonly #key: Uint8Array;
  /** Newest counter accepted, or -1. */
  #newest = -1;
  /** Bit i: counter `newest - i` was accepted (i < REPLAY_WINDOW). */
  readonly #seen = new Uint32Array(REPLAY_WINDOW / 32);

  constructor(key: Uint8Array) {
    this.#key = key;
  }

  /** The plaintext of a sealed datagram, or why it was refused. Never throws. */
  open(datagram: Uint8Array): Uint8Array | OpenFailure {
    if (
      datagram.length < ENCRYPTION_OVERHEAD ||
      datagram[0] !== PROTOCOL_ID ||
      datagram[1] !== (VERSION_BITS | SEALED_TYPE)
    ) {
      return 'malformed';
    }
    const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
    const high = view.getUint32(2);
    if (high >= MAX_COUNTER_HIGH) return 'malformed';
    const counter = high * TWO_32 + view.getUint32(6);
    if (this.#isReplay(counter)) return 'replayed';
    const end = datagram.length - 16;
    let plaintext: Uint8Array;
    try {
      const nonce = new Uint8Array(12);
      nonce.set(datagram.subarray(2, 10), 4);
      const decipher = createDecipheriv('chacha20-poly1305', this.#key, nonce, { authTagLength: 16 });
      decipher.setAAD(datagram.subarray(0, SEALED_HEADER_SIZE), { plaintextLength: end - SEALED_HEADER_SIZE });
      decipher.setAuthTag(datagram.subarray(end));
      const body = decipher.update(datagram.subarray(SEALED_HEADER_SIZE, end));
      decipher.final();
      plaintext = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    } catch {
      return 'forged';
    }
    this.#accept(counter); // only once authentic: a forgery must not move the window
    return plaintext;
  }

  #isReplay(counter: number): boolean {
    if (counter > this.#newest) return false;
    const age = this.#newest - counter;
    if (age >= REPLAY_WINDOW) return true; // too old to tell: refuse
    return (this.#seen[age >>> 5]! & (1 << (age & 31))) !== 0;
  }

  #accept(counter: number): void {
    if (counter > this.#newest) {
      const shift = this.#newest < 0 ? REPLAY_WINDOW : counter - this.#newest;
      this.#shift(shift);
      this.#newest = counter;
    }
    const age = this.#newest - counter;
    this.#seen[age >>> 5]! |= 1 << (age & 31);
  }

  /** Age every bit by `n` (bits older than the window fall off). */
  #shift(n: number): void {
    const seen = this.#seen;
    if (n >= REPLAY_WINDOW) {
      seen.fill(0);
      return;
    }
    const words = n >>> 5;
    const bits = n & 31;
    for (let i = seen.length - 1; i >= 0; i--) {
      const from = i - words;
      let v = from >= 0 ? seen[from]! << bits : 0;
      if (bits !== 0 && from - 1 >= 0) v |= seen[from - 1]! >>> (32 - bits);
      seen[i] = v >>> 0;
    }
  }
}

/**
 * The keys and counters of one token, for one side: shared by every link of that token (the
 * challenge, the session, each resume), so counters never repeat under a key.
 */
export class SecureChannel {
  /** The token's id (base64url). */
  readonly tokenId: string;
  /** The sealed token to present (client side only). */
  readonly sealedToken: Uint8Array | undefined;
  /** Seals what this side sends. */
  readonly sealer: PacketSealer;
  /** Opens what this side receives. */
  readonly opener: PacketOpener;

  private constructor(
    tokenId: string,
    sealedToken: Uint8Array | undefined,
    sealer: PacketSealer,
    opener: PacketOpener,
  ) {
    this.tokenId = tokenId;
    this.sealedToken = sealedToken;
    this.sealer = sealer;
    this.opener = opener;
  }

  /**
   * The client's channel for `token`.
   * @throws `InvalidOptionError` (`INVALID_OPTION`) (`connectToken`) for a malformed token.
   */
  static forClient(token: ConnectToken): SecureChannel {
    const bad = (why: string): never => {
      throw new InvalidOptionError('connectToken', why);
    };
    if (token === null || typeof token !== 'object') bad('must be an object');
    if (token.version !== CONNECT_TOKEN_VERSION) bad(`unsupported version ${String(token.version)}`);
    const c2s = tokenBytes(token.clientKey, 32) ?? bad('clientKey must be 32 bytes of base64url');
    const s2c = tokenBytes(token.serverKey, 32) ?? bad('serverKey must be 32 bytes of base64url');
    const sealed = tokenBytes(token.sealed, SEALED_TOKEN_SIZE) ?? bad('sealed has the wrong size');
    if (typeof token.tokenId !== 'string') bad('tokenId must be a string');
    return new SecureChannel(token.tokenId, sealed, new PacketSealer(c2s), new PacketOpener(s2c));
  }

  /**
   * The server's channel for an opened token. Its send counter starts from the wall clock
   * (`Date.now() × 1024`), so a restarted server that sees the same token again never reuses a
   * counter it used before (unless it sent more than 1024 datagrams per ms on average).
   */
  static forServer(token: OpenedConnectToken, initialCounter = Date.now() * 1024): SecureChannel {
    return new SecureChannel(
      token.tokenId,
      undefined,
      new PacketSealer(token.serverToClientKey, initialCounter),
      new PacketOpener(token.clientToServerKey),
    );
  }
}

/** Counters of an {@link EncryptedLink}. */
export interface EncryptedLinkStats {
  /** Datagrams sealed and sent. */
  readonly sent: number;
  /** Datagrams opened and delivered. */
  readonly delivered: number;
  /** Dropped: not a sealed datagram, or a bad TokenConnect (unknown, tampered or expired token). */
  readonly malformed: number;
  /** Dropped: failed authentication (wrong key, altered, or forged). */
  readonly forged: number;
  /** Dropped: a counter already seen, or too old to tell. */
  readonly replayed: number;
  /** Dropped: a TokenConnect for another token than the one this link is bound to. */
  readonly otherToken: number;
}

/** Options of a client-side {@link EncryptedLink}. */
export interface ClientEncryptionOptions {
  readonly role: 'client';
  /** The token's channel ({@link SecureChannel.forClient}); reuse it for every link of the session. */
  readonly channel: SecureChannel;
}

/** Options of a server-side {@link EncryptedLink}. */
export interface ServerEncryptionOptions {
  readonly role: 'server';
  /**
   * The channel of a sealed token (open it, check its expiry, share channels per token id), or
   * `undefined` to refuse it. Must not throw.
   */
  resolve(sealedToken: Uint8Array): SecureChannel | undefined;
  /**
   * Let a peer whose first datagram is not a TokenConnect speak plaintext (the server accepts both
   * secure and plain UDP). Otherwise such a link is closed at its first datagram. Defaults to `false`.
   */
  readonly plainFallback?: boolean;
  /** Told of every dropped datagram (for counters across links). Must not throw. */
  onDrop?(reason: EncryptedDropReason): void;
}

/** Why an {@link EncryptedLink} dropped a datagram (the names of its counters). */
export type EncryptedDropReason = 'malformed' | 'forged' | 'replayed' | 'otherToken';

/** See the module description. */
export class EncryptedLink extends LinkDecorator {
  readonly #stats = { sent: 0, delivered: 0, malformed: 0, forged: 0, replayed: 0, otherToken: 0 };
  readonly #options: ClientEncryptionOptions | ServerEncryptionOptions;
  #channel: SecureChannel | undefined;
  #plain = false;

  constructor(inner: Link, options: ClientEncryptionOptions | ServerEncryptionOptions) {
    super(inner);
    this.#options = options;
    if (options.role === 'client') this.#channel = options.channel;
  }

  /** Live counters. */
  get stats(): Readonly<EncryptedLinkStats> {
    return this.#stats;
  }

  /** The token this link is bound to (server: once a valid TokenConnect arrived), else `undefined`. */
  get tokenId(): string | undefined {
    return this.#channel?.tokenId;
  }

  /** `true` once a server-side link fell back to plaintext (`plainFallback`). */
  get plaintext(): boolean {
    return this.#plain;
  }

  /** 0: a sealed datagram is a new buffer (the inner link's framing room is not passed on). */
  override get sendHeadroom(): number {
    return 0;
  }

  override get maxDatagramSize(): number {
    return this.#plain ? this.inner.maxDatagramSize : this.inner.maxDatagramSize - ENCRYPTION_OVERHEAD;
  }

  override send(datagram: Uint8Array): void {
    if (this.#plain) {
      this.inner.send(datagram);
      return;
    }
    const channel = this.#channel;
    if (channel === undefined) return; // server side, not bound: nobody to talk to
    const sealed = channel.sealer.seal(datagram);
    this.#stats.sent++;
    if (channel.sealedToken !== undefined && carriesToken(datagram)) {
      const out = new Uint8Array(2 + SEALED_TOKEN_SIZE + sealed.length);
      out[0] = PROTOCOL_ID;
      out[1] = VERSION_BITS | TOKEN_CONNECT_TYPE;
      out.set(channel.sealedToken, 2);
      out.set(sealed, 2 + SEALED_TOKEN_SIZE);
      this.inner.send(out);
    } else {
      this.inner.send(sealed);
    }
  }

  override setHandlers(handlers: LinkHandlers): void {
    this.inner.setHandlers({
      onDatagram: (datagram) => {
        const plaintext = this.#receive(datagram);
        if (plaintext !== undefined) handlers.onDatagram(plaintext);
      },
      onClose: (info) => handlers.onClose?.(info),
    });
  }

  #receive(datagram: Uint8Array): Uint8Array | undefined {
    if (this.#plain) return datagram;
    const type = datagram.length >= 2 && datagram[0] === PROTOCOL_ID ? datagram[1]! : -1;
    let sealed = datagram;
    if (type === (VERSION_BITS | TOKEN_CONNECT_TYPE) && this.#options.role === 'server') {
      if (datagram.length < 2 + SEALED_TOKEN_SIZE + ENCRYPTION_OVERHEAD) return this.#refuse('malformed');
      const channel = this.#options.resolve(datagram.subarray(2, 2 + SEALED_TOKEN_SIZE));
      if (channel === undefined) return this.#refuse('malformed');
      if (this.#channel === undefined) this.#channel = channel;
      else if (this.#channel !== channel) {
        this.#drop('otherToken');
        return undefined;
      }
      sealed = datagram.subarray(2 + SEALED_TOKEN_SIZE);
    } else if (this.#channel === undefined) {
      // Server side, first datagram of a peer that presented no token.
      if (this.#options.role === 'server' && this.#options.plainFallback === true) {
        this.#plain = true;
        return datagram;
      }
      return this.#refuse('malformed');
    }
    const opened = this.#channel.opener.open(sealed);
    if (typeof opened === 'string') {
      this.#drop(opened);
      return undefined;
    }
    this.#stats.delivered++;
    return opened;
  }

  #drop(reason: EncryptedDropReason): void {
    this.#stats[reason]++;
    if (this.#options.role === 'server') this.#options.onDrop?.(reason);
  }

  /** Count a refused datagram; an unbound server link has nothing to keep, so it closes. */
  #refuse(reason: 'malformed'): undefined {
    this.#drop(reason);
    if (this.#channel === undefined) this.inner.close('no valid connect token');
    return undefined;
  }
}

/** `true` for the handshake packets a client sends before the server knows its token (Connect, Response). */
function carriesToken(datagram: Uint8Array): boolean {
  if (datagram.length < 2 || datagram[0] !== PROTOCOL_ID) return false;
  const type = datagram[1]! & 0x0f;
  return (datagram[1]! & 0xf0) === VERSION_BITS && (type === HandshakeType.Connect || type === HandshakeType.Response);
}
