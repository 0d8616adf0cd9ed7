/**
 * A {@link Link} to one UDP peer over `node:dgram`, and {@link connectUdp} to open one as a client.
 * The server side ({@link UdpLinkServer}) hands out the same {@link UdpLink} class per peer.
 *
 * `maxDatagramSize` defaults to 1200 bytes: with the 40-byte IPv6 and 8-byte UDP headers it fits
 * the IPv6 minimum MTU of 1280, so datagrams are not fragmented on any path (the choice QUIC makes).
 * @module
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import type { AddressInfo } from 'node:net';
import { InvalidOptionError, LinkError, MessageTooLargeError } from '../errors.js';
import type { Link, LinkCloseInfo } from './link.js';
import { INBOX_STAT_KEYS, InboxLink, statNamesOf } from './link-inbox.js';

/** Defaults of {@link UdpLinkOptions} and {@link UdpConnectOptions}. */
export const UDP_LINK_DEFAULTS = {
  maxDatagramSize: 1200,
  localPort: 0,
} as const;

/** Largest UDP payload over IPv4 (65535 − 20 IP − 8 UDP). */
const MAX_UDP_PAYLOAD = 65_507;

/** Options of a {@link UdpLink}. */
export interface UdpLinkOptions {
  /**
   * Largest datagram in bytes, at most 65507. Larger incoming datagrams are dropped and counted;
   * sending a larger one throws {@link MessageTooLargeError}. Defaults to `1200`.
   */
  maxDatagramSize?: number;
}

/** Options of {@link connectUdp}. */
export interface UdpConnectOptions extends UdpLinkOptions {
  /** Server host name or IP address. */
  host: string;
  /** Server port. */
  port: number;
  /** Local port to bind. Defaults to `0` (an ephemeral port). */
  localPort?: number;
}

/** A UDP peer address. */
export interface UdpRemote {
  /** IP address, e.g. `127.0.0.1` or `::1`. */
  readonly address: string;
  /** UDP port. */
  readonly port: number;
}

/** Counters of one {@link UdpLink}. Read-only view of live values. */
export interface UdpLinkStats {
  /** Datagrams handed to the socket. */
  readonly datagramsSent: number;
  /** Bytes handed to the socket (payload only). */
  readonly bytesSent: number;
  /**
   * Sends the operating system reported as failed (the datagram is lost, as UDP may lose it anyway).
   * Client links only: the links of a `UdpLinkServer` share its socket and count in its stats.
   */
  readonly sendErrors: number;
  /** Datagrams accepted for delivery (not counting drops). */
  readonly datagramsReceived: number;
  /** Bytes accepted for delivery. */
  readonly bytesReceived: number;
  /** Datagrams over `maxDatagramSize` dropped. */
  readonly droppedOversize: number;
  /** Datagrams from an address other than the peer's dropped (client links only). */
  readonly droppedForeign: number;
  /** Datagrams dropped because more than 256 arrived before handlers were set. */
  readonly droppedQueueFull: number;
}

/**
 * How a {@link UdpLink} reaches its socket: one object per server socket (shared by all its links)
 * or per client link. Built by {@link connectUdp} and `UdpLinkServer`. @internal
 */
export interface UdpLinkOwner {
  readonly socket: Socket;
  readonly maxDatagramSize: number;
  /**
   * `true` when the socket is connected to the link's remote (a client link): datagrams are sent
   * without an address, only the remote's reach it, and an ICMP "port unreachable" fails the link at once.
   */
  readonly connected: boolean;
  /**
   * Completion callback of every send on a shared socket (a server's: it counts failures for all
   * its links, which then count none of their own). `undefined` for a client link, which tracks its
   * own sends so that closing it never cuts off a last datagram (its `Disconnect`).
   */
  readonly onSent: ((error: Error | null) => void) | undefined;
  /** The link closed (called once, after its last send left): a client closes its socket, a server forgets the peer. */
  released(link: UdpLink): void;
}

/** The counters of {@link UdpLinkStats}, by name (for toJSON). */
const UDP_LINK_STAT_NAMES = statNamesOf<UdpLinkStats>({
  ...INBOX_STAT_KEYS,
  datagramsSent: true,
  bytesSent: true,
  sendErrors: true,
  droppedOversize: true,
  droppedForeign: true,
});

/**
 * An unreliable {@link Link} to one UDP peer. Datagrams may be lost, duplicated or reordered.
 * Closing it sends nothing: UDP has no connection, so only this side knows.
 *
 * A socket error closes the link with a {@link LinkError}. If the `onDatagram` handler throws,
 * the link closes with a {@link LinkError} whose `cause` is the thrown value.
 */
export class UdpLink extends InboxLink implements Link {
  /** Always `false`: UDP may lose, duplicate and reorder. */
  readonly reliable = false;
  readonly maxDatagramSize: number;
  /** The peer's address. */
  readonly remote: UdpRemote;
  // Counters, read through `stats` (fields of the link: no object per link for them; the receive
  // counters and `droppedOversize`, a rare event, are InboxLink's).
  protected datagramsSent = 0;
  protected bytesSent = 0;
  protected sendErrors = 0;
  protected droppedForeign = 0;

  readonly #owner: UdpLinkOwner;
  /** The send callback: the owner's shared one, or this link's own (client links). */
  readonly #onSent: (error: Error | null) => void;
  /** Sends handed to the socket whose callback has not run yet (client links). */
  #sending = 0;
  /** The owner is told once; a client link waits for its in-flight sends (a last `Disconnect` must not be cut off). */
  #released = false;

  /** @internal Use {@link connectUdp} or `UdpLinkServer`. */
  constructor(owner: UdpLinkOwner, remote: UdpRemote) {
    super();
    this.#owner = owner;
    this.maxDatagramSize = owner.maxDatagramSize;
    this.remote = remote;
    this.#onSent =
      owner.onSent ??
      ((error) => {
        if (error) this.sendErrors++;
        this.#sending--;
        if (this.#sending === 0 && this.closed) this.release();
      });
  }

  /** Live counters (a view of the link; `JSON.stringify` writes a snapshot, see {@link InboxLink.toJSON}). */
  get stats(): UdpLinkStats {
    return this as unknown as UdpLinkStats;
  }

  /** @internal */
  protected override get statNames(): readonly string[] {
    return UDP_LINK_STAT_NAMES;
  }

  /** The local address of the socket, or `undefined` once the socket is closed. */
  localAddress(): AddressInfo | undefined {
    try {
      return this.#owner.socket.address();
    } catch {
      return undefined;
    }
  }

  /**
   * Send one datagram; the socket owns it until the send completes (it is never copied or reused).
   * @throws A {@link MessageTooLargeError} if `datagram` is larger than {@link UdpLink.maxDatagramSize}.
   */
  send(datagram: Uint8Array): void {
    if (this.closed) return;
    if (datagram.byteLength > this.maxDatagramSize) {
      throw new MessageTooLargeError(datagram.byteLength, this.maxDatagramSize, 'datagram');
    }
    const owner = this.#owner;
    try {
      if (owner.connected) owner.socket.send(datagram, this.#onSent);
      else owner.socket.send(datagram, this.remote.port, this.remote.address, this.#onSent);
      if (owner.onSent === undefined) this.#sending++;
    } catch (error) {
      this._fail(new LinkError('udp send failed', { cause: error }));
      return;
    }
    this.datagramsSent++;
    this.bytesSent += datagram.byteLength;
  }

  close(reason = 'closed'): void {
    this.finish({ local: true, reason });
  }

  /** A datagram from the peer arrived (a Node `Buffer`, passed on as a plain `Uint8Array` view). @internal */
  _receive(buffer: Buffer): void {
    if (this.closed) return;
    if (buffer.byteLength > this.maxDatagramSize) {
      this.trouble.droppedOversize++;
      return;
    }
    this.receiveDatagram(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
  }

  /** A datagram from another address reached this client link's socket. @internal */
  _dropForeign(): void {
    this.droppedForeign++;
  }

  /** @internal {@link InboxLink.onHandlerError}: close with a LinkError. */
  onHandlerError(error: unknown): void {
    this._fail(new LinkError('datagram handler threw', { cause: error }));
  }

  /** The socket failed: close with `error`. @internal */
  _fail(error: LinkError): void {
    this.finish({ local: false, reason: error.message, error });
  }

  /** Give the socket (client) or the peer-table slot (server) back, once. */
  private release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#owner.released(this);
  }

  private finish(info: LinkCloseInfo): void {
    if (!this.markClosed(info)) return;
    // A local close waits for datagrams already handed to the socket (e.g. a goodbye) to leave.
    if (!info.local || this.#sending === 0) this.release();
    this.reportClose();
  }
}

/**
 * Open a UDP link to a server: bind a local socket (ephemeral port by default), connect it to
 * `host:port` and send every datagram there. When nothing listens there, the ICMP "port
 * unreachable" that comes back closes the link with a {@link LinkError} (`ECONNREFUSED`) at once.
 * Datagrams from any other address are dropped and counted in {@link UdpLinkStats.droppedForeign}.
 * Nothing is sent on connect: UDP has no handshake.
 * Closing the link closes the socket.
 *
 * @returns A promise resolving once the socket is bound; rejects with {@link LinkError} if the host
 * cannot be resolved or the local port cannot be bound, or {@link InvalidOptionError} for a bad option.
 */
export async function connectUdp(options: UdpConnectOptions): Promise<UdpLink> {
  const maxDatagramSize = validateUdpMaxDatagramSize(options.maxDatagramSize);
  validatePort('port', options.port, 1);
  const localPort = options.localPort ?? UDP_LINK_DEFAULTS.localPort;
  validatePort('localPort', localPort, 0);
  const resolved = await resolveHost(options.host);
  const socket = createSocket(resolved.family === 6 ? 'udp6' : 'udp4');
  await bindSocket(socket, localPort, undefined);
  const remote: UdpRemote = { address: resolved.address, port: options.port };
  // A connected socket hears ICMP "port unreachable": nobody listening there fails the link at
  // once (an `ECONNREFUSED` socket error) instead of leaving the caller to time out.
  await connectSocket(socket, remote);
  const link = new UdpLink(
    { socket, maxDatagramSize, connected: true, onSent: undefined, released: () => closeSocket(socket) },
    remote,
  );
  socket.on('message', (buffer, info) => {
    if (info.port === remote.port && info.address === remote.address) link._receive(buffer);
    else link._dropForeign();
  });
  socket.on('error', (error) => link._fail(new LinkError(`udp socket error: ${error.message}`, { cause: error })));
  return link;
}

/** Connect `socket` to `remote`, rejecting with {@link LinkError} (and closing it) on failure. */
function connectSocket(socket: Socket, remote: UdpRemote): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      closeSocket(socket);
      reject(
        new LinkError(`cannot connect udp to ${remote.address}:${remote.port}: ${error.message}`, { cause: error }),
      );
    };
    socket.once('error', onError);
    socket.connect(remote.port, remote.address, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

/** Validate a UDP `maxDatagramSize` option. @internal */
export function validateUdpMaxDatagramSize(value: number | undefined): number {
  const size = value ?? UDP_LINK_DEFAULTS.maxDatagramSize;
  if (!Number.isInteger(size) || size < 1 || size > MAX_UDP_PAYLOAD) {
    throw new InvalidOptionError('maxDatagramSize', `must be an integer in 1..${MAX_UDP_PAYLOAD}`);
  }
  return size;
}

/** Check a port option. @internal */
export function validatePort(name: string, port: number, min: number): void {
  if (!Number.isInteger(port) || port < min || port > 65_535) {
    throw new InvalidOptionError(name, `must be an integer in ${min}..65535`);
  }
}

/** Resolve a host name (or IP literal) to one address. @internal */
export async function resolveHost(host: string): Promise<{ address: string; family: number }> {
  try {
    return await lookup(host);
  } catch (error) {
    throw new LinkError(`cannot resolve ${host}`, { cause: error });
  }
}

/** Bind `socket`, rejecting with {@link LinkError} (and closing the socket) on failure. @internal */
export function bindSocket(socket: Socket, port: number, host: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.off('listening', onListening);
      closeSocket(socket);
      reject(new LinkError(`cannot bind udp ${host ?? '*'}:${port}: ${error.message}`, { cause: error }));
    };
    const onListening = (): void => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind(port, host);
  });
}

/** Close `socket`, ignoring an already closed one. @internal */
export function closeSocket(socket: Socket, callback?: () => void): void {
  try {
    socket.close(callback);
  } catch {
    callback?.();
  }
}
