/**
 * A UDP server socket that demultiplexes peers by `address:port` into one {@link UdpLink} each.
 * @module
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { InvalidOptionError, LinkError } from '../errors.js';
import {
  bindSocket,
  closeSocket,
  resolveHost,
  UDP_LINK_DEFAULTS,
  UdpLink,
  type UdpLinkOptions,
  type UdpLinkOwner,
  type UdpRemote,
  validatePort,
  validateUdpMaxDatagramSize,
} from './udp.js';

/** Defaults of {@link UdpLinkServerOptions}. */
export const UDP_LINK_SERVER_DEFAULTS = {
  maxPeers: 1024,
  maxDatagramSize: UDP_LINK_DEFAULTS.maxDatagramSize,
  socketBufferSize: 4 * 1024 * 1024,
} as const;

/** Options of {@link UdpLinkServer.listen}. */
export interface UdpLinkServerOptions extends UdpLinkOptions {
  /** Port to bind; `0` for an ephemeral port. */
  port: number;
  /** Address to bind, e.g. `127.0.0.1` or `::`. Defaults to all IPv4 interfaces (`0.0.0.0`). */
  host?: string;
  /**
   * Called once per new peer address, before its first datagram is delivered (the datagram is
   * queued until handlers are set). Close the link to refuse the peer: its datagram is discarded
   * and a later one from the same address calls `onLink` again. Exceptions propagate like those of
   * any event listener.
   */
  onLink(link: UdpLink, remote: UdpRemote): void;
  /**
   * Most peers at once. A datagram from a new address beyond it is dropped and counted in
   * {@link UdpLinkServerStats.droppedMaxPeers}, with nothing allocated for it. Defaults to `1024`.
   */
  maxPeers?: number;
  /**
   * Optional listener for a failure of the server socket itself. The server is then closed and every
   * link reports the {@link LinkError} in `onClose`. Defaults to none.
   */
  onError?(error: LinkError): void;
  /**
   * Receive and send buffer of the socket, in bytes (`SO_RCVBUF` / `SO_SNDBUF`; the operating system
   * caps it, Linux at `net.core.rmem_max` / `wmem_max`). All peers share the one socket: with the
   * OS default of ~200 KiB, a few hundred datagrams arriving while the event loop is busy overflow
   * it and are dropped before the server sees them (counted as `UdpRcvbufErrors` by the kernel),
   * which the reliable channel then resends late. Defaults to 4 MiB.
   */
  socketBufferSize?: number;
}

/** Counters of a {@link UdpLinkServer}. Per-peer counters are on each link's `stats`. */
export interface UdpLinkServerStats {
  /** Links handed to `onLink`. */
  readonly linksAccepted: number;
  /** Datagrams from new addresses dropped because `maxPeers` peers were present. */
  readonly droppedMaxPeers: number;
  /** Datagrams over `maxDatagramSize` from new addresses dropped (no link is created for them). */
  readonly droppedOversize: number;
  /** Sends the operating system reported as failed, over every link (the datagram is lost, as UDP may lose it anyway). */
  readonly sendErrors: number;
}

/**
 * One UDP socket serving many peers, one {@link UdpLink} per `address:port`. Closing a peer's link
 * removes it from the table (its next datagram counts as a new peer). Create with
 * {@link UdpLinkServer.listen}.
 */
export class UdpLinkServer {
  /** Live counters. */
  readonly stats: UdpLinkServerStats;

  readonly #socket: Socket;
  /** Open links by remote address, then port (no key string built per datagram). */
  readonly #peers = new Map<string, Map<number, UdpLink>>();
  #peerCount = 0;
  readonly #options: UdpLinkServerOptions;
  readonly #maxPeers: number;
  readonly #maxDatagramSize: number;
  readonly #stats = { linksAccepted: 0, droppedMaxPeers: 0, droppedOversize: 0, sendErrors: 0 };
  /** What every link of this socket shares (no object or closure per link). */
  readonly #owner: UdpLinkOwner;
  #closing: Promise<void> | undefined;

  private constructor(socket: Socket, options: UdpLinkServerOptions, maxPeers: number, maxDatagramSize: number) {
    this.#socket = socket;
    this.#options = options;
    this.#maxPeers = maxPeers;
    this.#maxDatagramSize = maxDatagramSize;
    this.stats = this.#stats;
    const stats = this.#stats;
    this.#owner = {
      socket,
      maxDatagramSize,
      connected: false,
      onSent: (error) => {
        if (error) stats.sendErrors++;
      },
      released: (link) => this.#release(link),
    };
    socket.on('message', (buffer, info) => this.#onMessage(buffer, info));
    socket.on('error', (error) => this.#onSocketError(error));
  }

  /**
   * Bind a UDP socket and start serving.
   * @returns A promise resolving once bound; rejects with {@link LinkError} if the address cannot be
   * bound, or {@link InvalidOptionError} for a bad option.
   */
  static async listen(options: UdpLinkServerOptions): Promise<UdpLinkServer> {
    validatePort('port', options.port, 0);
    const maxDatagramSize = validateUdpMaxDatagramSize(options.maxDatagramSize);
    const maxPeers = options.maxPeers ?? UDP_LINK_SERVER_DEFAULTS.maxPeers;
    if (!Number.isInteger(maxPeers) || maxPeers < 1)
      throw new InvalidOptionError('maxPeers', 'must be a positive integer');
    const bufferSize = options.socketBufferSize ?? UDP_LINK_SERVER_DEFAULTS.socketBufferSize;
    if (!Number.isInteger(bufferSize) || bufferSize < 1)
      throw new InvalidOptionError('socketBufferSize', 'must be a positive integer');
    const family = options.host === undefined ? 4 : (await resolveHost(options.host)).family;
    const socket = createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      recvBufferSize: bufferSize,
      sendBufferSize: bufferSize,
    });
    await bindSocket(socket, options.port, options.host);
    return new UdpLinkServer(socket, options, maxPeers, maxDatagramSize);
  }

  /** Number of peers with an open link. */
  get peerCount(): number {
    return this.#peerCount;
  }

  /** `true` once closed. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * The bound address.
   * @throws A {@link LinkError} once the server is closed.
   */
  address(): AddressInfo {
    try {
      return this.#socket.address();
    } catch (error) {
      throw new LinkError('udp server is closed', { cause: error });
    }
  }

  /** Close every link (each reports `onClose` with `local: true`) and the socket. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown(undefined);
    return this.#closing;
  }

  #shutdown(error: LinkError | undefined): Promise<void> {
    const links: UdpLink[] = [];
    for (const byPort of this.#peers.values()) links.push(...byPort.values());
    for (const link of links) {
      if (error === undefined) link.close('server closed');
      else link._fail(error);
    }
    this.#peers.clear();
    this.#peerCount = 0;
    return new Promise<void>((resolve) => closeSocket(this.#socket, resolve));
  }

  #onMessage(buffer: Buffer, info: RemoteInfo): void {
    if (this.#closing !== undefined) return;
    let byPort = this.#peers.get(info.address);
    let link = byPort?.get(info.port);
    if (link === undefined) {
      if (buffer.byteLength > this.#maxDatagramSize) {
        this.#stats.droppedOversize++;
        return;
      }
      if (this.#peerCount >= this.#maxPeers) {
        this.#stats.droppedMaxPeers++;
        return;
      }
      if (byPort === undefined) {
        byPort = new Map();
        this.#peers.set(info.address, byPort);
      }
      link = new UdpLink(this.#owner, { address: info.address, port: info.port });
      byPort.set(info.port, link);
      this.#peerCount++;
      this.#stats.linksAccepted++;
      this.#options.onLink(link, link.remote);
      if (link.closed) return;
    }
    link._receive(buffer);
  }

  /** Remove a closed link from the table (if it is still the one there). */
  #release(link: UdpLink): void {
    const { address, port } = link.remote;
    const byPort = this.#peers.get(address);
    if (byPort?.get(port) !== link) return;
    byPort.delete(port);
    this.#peerCount--;
    if (byPort.size === 0) this.#peers.delete(address);
  }

  #onSocketError(cause: Error): void {
    if (this.#closing !== undefined) return;
    const error = new LinkError(`udp server socket error: ${cause.message}`, { cause });
    this.#closing = this.#shutdown(error);
    this.#options.onError?.(error);
  }
}
