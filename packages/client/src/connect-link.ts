/**
 * URL → link: `ws://`/`wss://` open a WebSocket (`ws` in Node, the built-in one in browsers),
 * `udp://host:port` a UDP socket (Node only), or the user's `connect` factory; then, when the
 * client has `network` conditions, the link is wrapped in the transport's `SimulatedLink`.
 * @module
 */
import { connectBrowserWebSocket, type Link, type NetworkConditions, SimulatedLink } from '@netplay/transport';
import { UnsupportedUrlError } from './errors.js';
import { loadNodeLinks } from './node-links.js';
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
   * the socket cannot be opened.
   */
  async open(url: string): Promise<OpenedLink> {
    const scheme = schemeOf(url);
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
      inner = await node.connectUdp({ host, port });
    } else {
      throw new UnsupportedUrlError(url, 'expected a ws://, wss:// or udp:// URL');
    }
    const link = this.simulate(inner);
    return { link, datagram: scheme === 'udp' || !link.reliable };
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
