/**
 * Options of a {@link Connection}, with every default in one place.
 * @module
 */
import { type ChannelConfig, DEFAULT_CHANNELS, maxQueuedUnits } from './channel/channel-config.js';
import { InvalidOptionError } from './errors.js';
import {
  FRAGMENT_RECORD_HEADER_SIZE,
  fragmentPayloadSize,
  MAX_CHANNEL_ID,
  MAX_RECORD_PAYLOAD,
  RECORD_HEADER_SIZE,
} from './packet/message-record.js';
import { PACKET_HEADER_SIZE } from './packet/packet-header.js';
import { withDefaults } from './with-defaults.js';

/** Options of a {@link Connection}. Both peers should use the same channels, windows and limits. */
export interface ConnectionOptions {
  /** Channels (ids 0–15, up to 16). Defaults to {@link DEFAULT_CHANNELS}: 0 reliable-ordered, 1 unreliable, 2 unreliable-sequenced. */
  channels?: readonly ChannelConfig[];
  /** Largest datagram sent, in bytes (64–2048). Defaults to 1200, safe on the internet without IP fragmentation. */
  mtu?: number;
  /**
   * Set when the link delivers every datagram once and in order (WebSocket, memory): no loss
   * detection, resends, redundancy or congestion control; unacked reliable messages are still kept
   * until acked so a session can resume over a new link ({@link Connection.resendUnacked}).
   * Defaults to `false`.
   */
  reliableLink?: boolean;
  /**
   * Largest reliable message in bytes; larger ones are refused with `MESSAGE_TOO_LARGE`. Defaults
   * to 262144 (256 KiB); at most 64 MiB, and at most what a reliable channel can queue as
   * fragments: `32768 − 2 × reliableWindow` of `mtu − 16` bytes (about 37 MB at the defaults).
   * A larger value is refused with `INVALID_OPTION`.
   */
  maxMessageSize?: number;
  /** Send and receive window of each reliable channel, in units (messages or fragments); a power of two, 16–8192. Defaults to 512. */
  reliableWindow?: number;
  /** Bytes (payload + framing) a reliable channel may hold unacked or unsent before `send` throws `SEND_QUEUE_FULL`. Defaults to 1048576 (1 MiB). */
  maxSendQueueBytes?: number;
  /** Unreliable messages that may wait for a flush per channel; past it the oldest is dropped and reported lost. Defaults to 1024. */
  maxUnreliableQueue?: number;
  /** Duplicate-detection window of unreliable channels, in messages (a power of two, 32–32768). Defaults to 1024. */
  unreliableWindow?: number;
  /** Extra copies of an unacked reliable message that may ride in spare packet space (0 disables). Defaults to 2. */
  redundantSends?: number;
  /** RTT assumed before the first sample, in ms. Defaults to 100. */
  initialRtt?: number;
  /** Floor of the resend timeout, in ms. Defaults to 5. */
  minRto?: number;
  /** Ceiling of the resend timeout (after backoff), in ms. Defaults to 1000. */
  maxRto?: number;
  /** Times the resend timeout may double on consecutive timeouts. Defaults to 5. */
  maxBackoff?: number;
  /**
   * On an unreliable link, resend timeouts in a row that only send a probe (RFC 9002's probe
   * timeout) before one declares the packets in flight lost; a timeout after a later packet was
   * acked always declares. A probe is a packet carrying copies of the timed-out packets' reliable
   * messages that have no copy in flight elsewhere (or a KeepAlive), so a lost message goes again
   * as early as a resend would; but nothing is declared lost, resent as lost or taken off the
   * congestion window until acks show a loss. A peer that stalled past the timeout (a busy host, a Wi-Fi
   * spike) then acks everything late and costs one probe per timeout, not a resend of every packet
   * in flight and a halved window. After this many unanswered probes (the timeout doubling each
   * time) the packets in flight are declared lost, so a dead path still frees the packet window and
   * reports unreliable messages lost. 0 declares them lost at the first timeout. At most
   * `maxBackoff`. Defaults to 3.
   */
  probeTimeouts?: number;
  /**
   * Longest an ack waits for outgoing data to ride on before an ack-only packet is sent, in ms (a
   * KeepAlive's ack never waits: it is an RTT probe). Defaults to 5.
   */
  ackDelay?: number;
  /**
   * On a reliable link, longest an ack of a Data packet waits for outgoing data to ride on before an
   * ack-only packet is sent, in ms. Acks there only release the resume buffer (and report delivery
   * to `onAcked`), so they may wait for the side's own traffic; RTT comes from KeepAlive probes
   * instead ({@link ConnectionOptions.rttProbeInterval}), which are acked at once.
   * Defaults to 50 (a 20 Hz sender's acks ride on its own packets).
   */
  reliableLinkAckDelay?: number;
  /**
   * On a reliable link, a KeepAlive is sent this often, in ms, idle or not: its ack (sent at once
   * by the peer) gives the RTT sample, which delayed Data acks would inflate, and it is the link's
   * keep-alive (keep it well below the peer's idle timeout; a server's is 10 s). Defaults to 1000.
   */
  rttProbeInterval?: number;
  /**
   * On a reliable link, the probe interval while the connection is idle, in ms: once no Data
   * packet was sent or received for this long, probes come this far apart instead of
   * `rttProbeInterval` (never closer). An idle session (a lobby, a turn-based game between turns)
   * then costs a probe and its ack every few seconds each way, not every second; the first Data
   * packet after a pause makes an overdue probe go at once, so RTT is fresh again as play resumes.
   * Keep it well below the peer's idle timeout (10 s on server and client; `Server` and `Client`
   * keep their own at most a third of theirs, see {@link probesWithin}). Defaults to 3000.
   */
  idleRttProbeInterval?: number;
  /**
   * On an unreliable link, idle time after which an (ack-eliciting) keep-alive is sent, in ms: it
   * keeps RTT samples, loss detection and NAT bindings going. Defaults to 250. (A reliable link
   * sends its RTT probe instead: `rttProbeInterval`.)
   */
  keepAliveInterval?: number;
  /**
   * On an unreliable link, the keep-alive interval while the connection is idle, in ms: once no
   * Data packet was sent or received for this long, a KeepAlive waits this long of silence instead
   * of `keepAliveInterval` (never less). A receiver inside a burst of loss is not idle yet, so it
   * keeps its short keep-alives; and ten exchanges per default idle timeout keep a lossy path from
   * looking dead, while an idle UDP session costs about a datagram a second each way instead of
   * five. Keep it at most a tenth of the peer's idle timeout (`Server` and `Client` keep their own
   * so, see {@link probesWithin}). Defaults to 1000.
   */
  idleKeepAliveInterval?: number;
  /** Packets tracked for acks and duplicate detection (a power of two, 64–4096); bounds packets in flight. Defaults to 256. */
  packetWindow?: number;
  /** Congestion control (slow start, AIMD, fast recovery) on unreliable links. Defaults to `true`. */
  congestionControl?: boolean;
  /** Initial congestion window, in packets. Defaults to 16. */
  initialCongestionWindow?: number;
  /**
   * Smallest congestion window, in packets (of `mtu` bytes). Defaults to 4: twice RFC 9002's floor,
   * because a game's flow is small and steady (a packet per tick, with redundant copies) and a
   * 2-packet window after a burst of losses throttles it to one packet per resend timeout
   * (docs/benchmarks.md, burst loss).
   */
  minCongestionWindow?: number;
}

/** The defaults of every {@link ConnectionOptions} field. */
export const DEFAULT_CONNECTION_OPTIONS = {
  channels: DEFAULT_CHANNELS,
  mtu: 1200,
  reliableLink: false,
  maxMessageSize: 256 * 1024,
  reliableWindow: 512,
  maxSendQueueBytes: 1024 * 1024,
  maxUnreliableQueue: 1024,
  unreliableWindow: 1024,
  redundantSends: 2,
  initialRtt: 100,
  minRto: 5,
  maxRto: 1000,
  maxBackoff: 5,
  probeTimeouts: 3,
  ackDelay: 5,
  reliableLinkAckDelay: 50,
  rttProbeInterval: 1000,
  idleRttProbeInterval: 3000,
  keepAliveInterval: 250,
  idleKeepAliveInterval: 1000,
  packetWindow: 256,
  congestionControl: true,
  initialCongestionWindow: 16,
  minCongestionWindow: 4,
} as const satisfies Required<ConnectionOptions>;

/** {@link ConnectionOptions} with every field filled in and validated. */
export type ResolvedConnectionOptions = {
  readonly [K in keyof ConnectionOptions]-?: NonNullable<ConnectionOptions[K]>;
};

const isPowerOfTwo = (n: number) => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

function check(ok: boolean, option: string, reason: string): void {
  if (!ok) throw new InvalidOptionError(option, reason);
}

function range(o: ResolvedConnectionOptions, key: keyof ConnectionOptions, min: number, max: number): void {
  const v = o[key] as number;
  check(typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max, key, `must be between ${min} and ${max}`);
}

/**
 * Resolved options by the options object they came from, with a shallow copy of that object to
 * notice a caller that changed it since: a server creates a connection per session from the same
 * options object, and they all share one frozen resolved object instead of each holding its own.
 */
const resolvedCache = new WeakMap<
  ConnectionOptions,
  { readonly seen: ConnectionOptions; readonly resolved: ResolvedConnectionOptions }
>();
/** `options` with `reliableLink` filled in, per options object (see {@link withReliableLink}). */
const withLinkCache = new WeakMap<
  ConnectionOptions,
  { reliable?: ConnectionOptions; unreliable?: ConnectionOptions }
>();
/** What an omitted options argument stands for (one object, so its resolution is cached too). */
const NO_OPTIONS: ConnectionOptions = Object.freeze({});
const defaultsFor = { reliable: { reliableLink: true }, unreliable: { reliableLink: false } } as const;

/**
 * `options` with `reliableLink` defaulting to `reliable` (a `Peer` takes it from its link). Returns
 * the same object for the same arguments, so connections built from it share their resolved options.
 * @internal
 */
export function withReliableLink(options: ConnectionOptions | undefined, reliable: boolean): ConnectionOptions {
  const key = reliable ? 'reliable' : 'unreliable';
  if (options === undefined) return defaultsFor[key];
  if (options.reliableLink !== undefined) return options;
  let entry = withLinkCache.get(options);
  if (entry === undefined) {
    entry = {};
    withLinkCache.set(options, entry);
  }
  let filled = entry[key];
  if (filled === undefined || !sameOptions(filled, options, 'reliableLink')) {
    filled = { ...options, reliableLink: reliable };
    entry[key] = filled;
  }
  return filled;
}

/** `true` when `a` has the same own option values as `b` (ignoring `except`). */
function sameOptions(a: ConnectionOptions, b: ConnectionOptions, except?: keyof ConnectionOptions): boolean {
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const key in rb) if (key !== except && ra[key] !== rb[key]) return false;
  for (const key in ra) if (key !== except && !(key in rb) && ra[key] !== undefined) return false;
  return true;
}

/**
 * Check connection options that will be used for links of either kind (`reliableLink` is set per
 * link, so both values are checked), so that a bad combination (say `maxSendQueueBytes` below
 * `maxMessageSize`) throws `INVALID_OPTION` where the options are given (a `Server` or `Client`
 * constructor), not in the first session. Returns `options`.
 * @throws {@link InvalidOptionError} for a bad value or combination.
 */
export function checkConnectionOptions(options: ConnectionOptions | undefined): ConnectionOptions | undefined {
  if (options === undefined) return undefined;
  resolveConnectionOptions({ ...options, reliableLink: false });
  resolveConnectionOptions({ ...options, reliableLink: true });
  return options;
}

/**
 * Connection options for a side that drops a peer it has not heard from for `idleTimeout` ms:
 * unless `options` sets them, `idleRttProbeInterval` becomes at most a third of that timeout and
 * `idleKeepAliveInterval` at most a tenth. This side's own keep-alives, which the peer acks at
 * once, then keep it hearing from a live peer, whatever the peer's own intervals. `Server` and
 * `Client` apply it with their `idleTimeout`. An idle interval below the active one
 * (`rttProbeInterval`, `keepAliveInterval`) counts as the active one, so with an `idleTimeout`
 * under 3000 / 2500 ms the active intervals set the pace. Returns `options` itself when nothing
 * changes.
 */
export function probesWithin(
  options: ConnectionOptions | undefined,
  idleTimeout: number,
): ConnectionOptions | undefined {
  const d = DEFAULT_CONNECTION_OPTIONS;
  const probe = Math.max(1, Math.floor(idleTimeout / 3));
  const keepAlive = Math.max(1, Math.floor(idleTimeout / 10));
  const capProbe = options?.idleRttProbeInterval === undefined && probe < d.idleRttProbeInterval;
  const capKeepAlive = options?.idleKeepAliveInterval === undefined && keepAlive < d.idleKeepAliveInterval;
  if (!capProbe && !capKeepAlive) return options;
  return {
    ...options,
    ...(capProbe ? { idleRttProbeInterval: probe } : {}),
    ...(capKeepAlive ? { idleKeepAliveInterval: keepAlive } : {}),
  };
}

/**
 * Fill in defaults and validate; throws `INVALID_OPTION` on a bad value. The result is frozen and
 * may be shared: resolving the same (unchanged) options object again returns the same result.
 */
export function resolveConnectionOptions(options: ConnectionOptions = NO_OPTIONS): ResolvedConnectionOptions {
  const cached = resolvedCache.get(options);
  if (cached !== undefined && sameOptions(cached.seen, options)) return cached.resolved;
  const resolved = Object.freeze(validate(withDefaults(DEFAULT_CONNECTION_OPTIONS, options)));
  resolvedCache.set(options, { seen: { ...options }, resolved });
  return resolved;
}

function validate(o: ResolvedConnectionOptions): ResolvedConnectionOptions {
  range(o, 'mtu', 64, PACKET_HEADER_SIZE + RECORD_HEADER_SIZE + MAX_RECORD_PAYLOAD);
  check(Number.isInteger(o.mtu), 'mtu', 'must be an integer');
  range(o, 'maxMessageSize', 1, 64 * 1024 * 1024);
  check(
    isPowerOfTwo(o.reliableWindow) && o.reliableWindow >= 16 && o.reliableWindow <= 8192,
    'reliableWindow',
    'must be a power of two between 16 and 8192',
  );
  check(
    isPowerOfTwo(o.unreliableWindow) && o.unreliableWindow >= 32 && o.unreliableWindow <= 32768,
    'unreliableWindow',
    'must be a power of two between 32 and 32768',
  );
  check(
    isPowerOfTwo(o.packetWindow) && o.packetWindow >= 64 && o.packetWindow <= 4096,
    'packetWindow',
    'must be a power of two between 64 and 4096',
  );
  const fragmentPayload = fragmentPayloadSize(o.mtu);
  const fragments = Math.ceil(o.maxMessageSize / fragmentPayload);
  check(
    fragments <= maxQueuedUnits(o.reliableWindow),
    'maxMessageSize',
    `must fit in the ${maxQueuedUnits(o.reliableWindow)} fragments of ${fragmentPayload} bytes that a reliable ` +
      `channel can queue with this mtu and reliableWindow (it needs ${fragments}): lower it, or raise mtu`,
  );
  check(
    o.maxSendQueueBytes >= o.maxMessageSize + FRAGMENT_RECORD_HEADER_SIZE * fragments,
    'maxSendQueueBytes',
    'must hold at least one message of maxMessageSize',
  );
  range(o, 'maxUnreliableQueue', 1, 1 << 20);
  range(o, 'redundantSends', 0, 16);
  range(o, 'initialRtt', 0, 60_000);
  range(o, 'minRto', 0, 60_000);
  range(o, 'maxRto', o.minRto, 600_000);
  range(o, 'maxBackoff', 0, 16);
  range(o, 'probeTimeouts', 0, o.maxBackoff);
  check(Number.isInteger(o.probeTimeouts), 'probeTimeouts', 'must be an integer');
  range(o, 'ackDelay', 0, 1000);
  range(o, 'reliableLinkAckDelay', 0, 10_000);
  range(o, 'rttProbeInterval', 1, 600_000);
  range(o, 'idleRttProbeInterval', 1, 600_000);
  range(o, 'keepAliveInterval', 1, 600_000);
  range(o, 'idleKeepAliveInterval', 1, 600_000);
  range(o, 'initialCongestionWindow', 1, 100_000);
  range(o, 'minCongestionWindow', 1, o.initialCongestionWindow);
  check(
    Array.isArray(o.channels) && o.channels.length >= 1 && o.channels.length <= 16,
    'channels',
    'must list 1 to 16 channels',
  );
  const ids = new Set<number>();
  for (const c of o.channels) {
    check(
      Number.isInteger(c.id) && c.id >= 0 && c.id <= MAX_CHANNEL_ID,
      'channels',
      `id ${c.id} must be an integer 0–15`,
    );
    check(!ids.has(c.id), 'channels', `id ${c.id} appears twice`);
    check(
      ['unreliable', 'unreliable-sequenced', 'reliable-ordered'].includes(c.mode),
      'channels',
      `unknown mode ${c.mode}`,
    );
    ids.add(c.id);
  }
  return o;
}
