/**
 * URL → link: `ws://`/`wss://` open a WebSocket (`ws` in Node, the built-in one in browsers),
 * `udp://host:port` a UDP socket (Node only), or the user's `connect` factory; then, when the
 * client has `network` conditions, the link is wrapped in the transport's `SimulatedLink`.
 * @module
 */
import {
  type ConnectToken,
  connectBrowserWebSocket,
  type Link,
  type NetworkConditions,
  SimulatedLink,
} from '@netplay/transport';
import { ConnectTokenError, UnsupportedUrlError } from './errors.js';
import { loadNodeLinks, type NodeLinks, type SecureSession } from './node-links.js';
import type { ResolvedClientOptions } from './options.js';

/** A freshly opened link and how its handshake must run. */
export interface OpenedLink {
  /** The link (simulated when the client has `network` conditions). */
  readonly link: Link;
  /**
   * `true` for datagram links (UDP, or any link that may lose packets): handshake packets are padded
   * to `HANDSHAKE_PADDED_SIZE` and resent until answered.
   */
  readonly datagram: boolean;
  /** The connect token's keys and counters when the link is encrypted (reuse them to resume). */
  readonly secure: SecureSession | undefined;
}

/** Opens links for one client (counts them, for the simulator's per-link seed). */
export class LinkOpener {
  private readonly options: ResolvedClientOptions;
  private opened = 0;
  private warnedLossOverReliable = false;

  constructor(options: ResolvedClientOptions) {
    this.options = options;
  }

  /**
   * Open a link to `url`.
   * @throws {@link UnsupportedUrlError} for a scheme this runtime cannot open; {@link LinkError} when
   * the socket cannot be opened; {@link ConnectTokenError} when a `udp://` link needs a token and
   * the token source fails.
   * @param secure - the keys of the session being resumed (encrypted UDP): reused, not fetched again.
   */
  async open(url: string, secure?: SecureSession): Promise<OpenedLink> {
    const scheme = schemeOf(url);
    let session = secure;
    let node: NodeLinks | undefined;
    if (scheme === 'udp' && this.options.connectToken !== undefined) {
      node = await loadNodeLinks();
      if (node === undefined)
        throw new UnsupportedUrlError(url, 'udp:// needs Node (use ws:// or wss:// in a browser)');
      session ??= await this.secureSession(node, url);
    } else {
      session = undefined;
    }
    let inner: Link;
    if (this.options.connect !== undefined) {
      inner = await this.options.connect(url);
    } else if (scheme === 'ws' || scheme === 'wss') {
      const node = await loadNodeLinks();
      inner = node !== undefined ? await node.connectWebSocket(url) : await connectBrowserWebSocket(url);
    } else if (scheme === 'udp') {
      const node = await loadNodeLinks();
      if (node === undefined)
        throw new UnsupportedUrlError(url, 'udp:// needs Node (use ws:// or wss:// in a browser)');
      const { host, port } = parseUdpUrl(url);
      inner = await node.connectUdp({
        host,
        port,
        // Room for the encryption overhead on top of a full-size packet.
        ...(session === undefined ? {} : { maxDatagramSize: node.udpMaxDatagramSize + node.encryptionOverhead }),
      });
    } else {
      throw new UnsupportedUrlError(url, 'expected a ws://, wss:// or udp:// URL');
    }
    const simulated = this.simulate(inner);
    // Encryption sits above the (simulated) network: the simulator drops and delays sealed datagrams.
    const link = session !== undefined && node !== undefined ? node.encrypt(simulated, session) : simulated;
    return { link, datagram: scheme === 'udp' || !link.reliable, secure: session };
  }

  private async secureSession(node: NodeLinks, url: string): Promise<SecureSession> {
    let token: ConnectToken;
    try {
      token = await this.options.connectToken!(url);
    } catch (error) {
      throw new ConnectTokenError(`the token source failed for ${url}: ${(error as Error).message}`, { cause: error });
    }
    try {
      return node.secureSession(token);
    } catch (error) {
      throw new ConnectTokenError(`the token source answered an invalid token: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  private simulate(inner: Link): Link {
    const net = this.options.network;
    const index = this.opened++;
    if (net === undefined) return inner;
    const { seed = 0, ...conditions } = net;
    let inbound: NetworkConditions = conditions;
    if (inner.reliable && lossy(conditions)) {
      // The server's side of a reliable link never resends: dropping what it sends would lose it for good.
      inbound = {
        latency: conditions.latency,
        jitter: conditions.jitter,
        keepOrder: true,
        bandwidth: conditions.bandwidth,
      };
      if (!this.warnedLossOverReliable) {
        this.warnedLossOverReliable = true;
        this.options.logger.warn(
          'netplay client: simulated loss/duplication/reordering applies only to what the client sends over a reliable link (WebSocket); use udp:// to simulate it both ways',
        );
      }
    }
    return new SimulatedLink(inner, { clock: this.options.clock, seed: seed + index, outbound: conditions, inbound });
  }
}

function lossy(c: NetworkConditions): boolean {
  return (
    (c.loss ?? 0) > 0 ||
    c.burst !== undefined ||
    (c.duplicate ?? 0) > 0 ||
    (c.reorder ?? 0) > 0 ||
    ((c.jitter ?? 0) > 0 && c.keepOrder !== true) ||
    (c.dropIndices?.length ?? 0) > 0 ||
    (c.dropWindows?.length ?? 0) > 0 ||
    c.dropIf !== undefined ||
    c.mtu !== undefined ||
    c.queueLimit !== undefined
  );
}

/** The lower-case scheme of `url` without `:` (`'ws'`, `'udp'`, …), or `''`. */
export function schemeOf(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  return m === null ? '' : m[1]!.toLowerCase();
}

/**
 * Host and port of a `udp://host:port` URL (IPv6 hosts in brackets: `udp://[::1]:2568`).
 * @throws {@link UnsupportedUrlError} when the host or port is missing or invalid.
 */
export function parseUdpUrl(url: string): { host: string; port: number } {
  const m = /^udp:\/\/(\[[^\]]+\]|[^/:?#]+):(\d+)\/?$/i.exec(url);
  const port = m === null ? Number.NaN : Number(m[2]);
  if (m === null || !(port >= 1 && port <= 65535)) {
    throw new UnsupportedUrlError(url, 'expected udp://host:port');
  }
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port };
}
