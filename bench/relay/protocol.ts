/**
 * What the relay benchmark's processes say to each other over IPC (`process.send`, advanced
 * serialization), and the payload every bot relays.
 * @module
 */
import type { ConnectionOptions } from '@netplay/transport';

/**
 * What is measured: the bare `ws` baseline, Netplay over one of its transports, or a Netplay
 * `ClusterServer` (manager + 2 workers, WebSocket; bots join through the manager). A Netplay
 * target may name a git revision, `netplay-ws@<rev>`: that revision's server, built from its own
 * sources (see `bundledAt`), against the same bots (`--compare=<rev>`).
 */
export type RelayTarget = BuiltinTarget | `${NetplayTransport}@${string}`;

/**
 * The servers of this tree (`bare-ws-batched`: the bare relay, coalescing each turn;
 * `bare-ws-batched-raw`: the same, writing its frames straight to the socket; see bare-server.ts).
 */
export type BuiltinTarget = BareTarget | NetplayTransport | 'netplay-cluster';

/** The bare `ws` relays: the baseline and its batched references. */
const BARE_TARGETS = ['bare-ws', 'bare-ws-batched', 'bare-ws-batched-raw'] as const;

/** One of {@link BARE_TARGETS}. */
export type BareTarget = (typeof BARE_TARGETS)[number];

/** A Netplay server over one transport. */
export type NetplayTransport = 'netplay-ws' | 'netplay-udp';

/** `true` for the bare `ws` relays (the baseline and its batched references): their bots speak plain `ws`. */
export function isBare(target: RelayTarget): target is BareTarget {
  return (BARE_TARGETS as readonly string[]).includes(target);
}

/** `true` for a Netplay server of this tree over one transport (what `--compare` pairs with a revision). */
export function isNetplayTransport(target: RelayTarget): target is NetplayTransport {
  return target === 'netplay-ws' || target === 'netplay-udp';
}

/** The server of `target` and the git revision it is built from (`undefined`: this tree). */
export function splitTarget(target: RelayTarget): { server: BuiltinTarget; revision: string | undefined } {
  const at = target.indexOf('@');
  if (at < 0) return { server: target as BuiltinTarget, revision: undefined };
  return { server: target.slice(0, at) as NetplayTransport, revision: target.slice(at + 1) };
}

/** Harness → server child. */
export type ServerCommand = { cmd: 'mem' } | { cmd: 'cpu-start' } | { cmd: 'cpu-stop' } | { cmd: 'exit' };

/** Server child → harness. */
export type ServerReply =
  | {
      type: 'ready';
      url: string;
      /** Other processes of this server (cluster workers): the harness kills them if it must kill the child. */
      pids?: number[];
    }
  | {
      type: 'mem';
      /** The server child's own heap (NaN for a cluster: the workers' heaps are not visible). */
      heapUsed: number;
      /** RSS of the child, plus its workers' for a cluster. */
      rss: number;
      external: number;
      arrayBuffers: number;
    }
  | {
      type: 'cpu';
      /** User and system CPU of the child, plus its workers' for a cluster, µs. */
      userUs: number;
      systemUs: number;
      wallMs: number;
      /** Frames (ws) or datagrams (Netplay) the server sent and received in the window (NaN: not counted). */
      framesOut: number;
      framesIn: number;
      /**
       * Longest event-loop delay of the server's own process in the window, ms. Absent from
       * servers built at a revision before it (`--compare`).
       */
      loopDelayMaxMs?: number;
      /**
       * Loss detection of the server's connections in the window, summed (see {@link LossCounters});
       * absent from a bare or cluster server, and from a Netplay server built before it was counted.
       */
      loss?: LossCounters;
    };

/** Counters of the server's connections' loss detection in a window (UDP: reliable links detect no loss). */
export interface LossCounters {
  /** Resend timeouts fired (probe timeouts included). */
  timeouts: number;
  /** Packets declared lost. */
  packetsLost: number;
  /** Packets declared lost and acked later. */
  spuriousLosses: number;
  /** Reliable records sent again (after a loss, or in a probe). */
  messagesResent: number;
}

/** Loss counters at zero. */
export function noLoss(): LossCounters {
  return { timeouts: 0, packetsLost: 0, spuriousLosses: 0, messagesResent: 0 };
}

/** `plus − minus`, counter by counter, added to `into` (`minus` omitted: `plus`). */
export function addLoss(into: LossCounters, plus: LossCounters, minus?: LossCounters): void {
  for (const k of Object.keys(into) as (keyof LossCounters)[]) into[k] += plus[k] - (minus?.[k] ?? 0);
}

/** Harness → bot child. */
export type BotCommand =
  | {
      cmd: 'connect';
      target: RelayTarget;
      url: string;
      /** Room indices this bot fills (a room's clients are all in one bot). */
      rooms: number[];
      clientsPerRoom: number;
      /** Relay on the reliable-ordered channel (Netplay's default) or the unreliable one. */
      reliable: boolean;
    }
  | {
      cmd: 'start';
      hz: number;
      /** All clients send in the same timer turn (tick-aligned) instead of at random phases. */
      aligned: boolean;
    }
  | { cmd: 'measure-start' }
  | { cmd: 'measure-stop' }
  | { cmd: 'stop' }
  /** Close every client (leave its room) and keep running (a warm-up before the measured connect). */
  | { cmd: 'disconnect' }
  | { cmd: 'close' };

/** Bot child → harness. */
export type BotReply =
  | { type: 'ready' }
  | {
      type: 'connected';
      clients: number;
      startedAt: number;
      doneAt: number;
      failures: number;
      /** CPU of the bot while connecting, µs. */
      cpuUs: number;
    }
  | { type: 'disconnected' }
  | { type: 'started' }
  | { type: 'measure-started' }
  | {
      type: 'measured';
      sent: number;
      deliveries: number;
      errors: number;
      /** CPU (user + system) of this bot over the window, µs. */
      cpuUs: number;
      /** One relay latency per delivery in the window, ms. */
      latencies: Float64Array;
      /** Longest event-loop delay of this bot in the window, ms. */
      loopDelayMaxMs: number;
    }
  | { type: 'stopped' }
  | { type: 'closed' };

/** The number in environment variable `name` (how the harness passes experiment flags to its children); `undefined` when unset or empty. */
export function envNumber(name: string): number | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : Number(v);
}

/**
 * The connection options that experiment flags set on both the Netplay server and its bots
 * (`--redundant-sends=N`, `--probe-timeouts=N`); none set by default.
 */
export function experimentConnection(): Pick<ConnectionOptions, 'redundantSends' | 'probeTimeouts'> {
  const redundantSends = envNumber('NETPLAY_BENCH_REDUNDANT_SENDS');
  const probeTimeouts = envNumber('NETPLAY_BENCH_PROBE_TIMEOUTS');
  return {
    ...(redundantSends === undefined ? {} : { redundantSends }),
    ...(probeTimeouts === undefined ? {} : { probeTimeouts }),
  };
}

/** Wall-clock time in ms that is comparable between processes on one machine. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The relayed payload: a small position update with the sender's timestamp, 51 bytes as msgpack
 * (a map of 5: three float64 coordinates, a uint32 sequence number and the float64 timestamp).
 */
export interface RelayPayload {
  t: number;
  s: number;
  x: number;
  y: number;
  a: number;
}

export function makePayload(seq: number): RelayPayload {
  return { t: epochNow(), s: seq, x: 12.5 + (seq % 7) * 0.37, y: -3.75 - (seq % 5) * 0.11, a: 0.785398 };
}
