/**
 * Options of the load tester (`netplay loadtest`), with their defaults, and the parsing of its
 * command line.
 * @module
 */
import type { ClientNetworkOptions } from '@netplay/client';
import { InvalidOptionError } from '@netplay/transport';

/** Network conditions put on every bot's link (the client's `network` option). */
export type LoadtestNetwork = ClientNetworkOptions;

/** Options of a load test. */
export interface LoadtestOptions {
  /** Server URL (`ws://…` or `udp://…`). Defaults to `'ws://127.0.0.1:2567'`. */
  url?: string;
  /** Room type the bots `joinOrCreate`. Defaults to `'arena'`. */
  room?: string;
  /** Number of bots (real `@netplay/client` clients, one session each). Defaults to 100. */
  clients?: number;
  /** Relays each bot sends per second (to the others in its room). Defaults to 20. */
  hz?: number;
  /** Milliseconds of sending, once every bot has joined. Defaults to 10000. */
  duration?: number;
  /** Bytes of padding in each relay (beside a timestamp and a sequence number). Defaults to 16. */
  payloadBytes?: number;
  /** Send relays on the reliable-ordered channel (`false`: unreliable-sequenced). Defaults to `true`. */
  reliable?: boolean;
  /** Joins in flight at once while ramping up. Defaults to 50. */
  joinConcurrency?: number;
  /** Milliseconds to wait after sending stops for relays still in flight. Defaults to 1000. */
  drain?: number;
  /** Network simulator on every bot's link. Defaults to none. */
  network?: LoadtestNetwork;
}

/** Defaults of {@link LoadtestOptions}. */
export const DEFAULT_LOADTEST_OPTIONS = {
  url: 'ws://127.0.0.1:2567',
  room: 'arena',
  clients: 100,
  hz: 20,
  duration: 10_000,
  payloadBytes: 16,
  reliable: true,
  joinConcurrency: 50,
  drain: 1000,
  network: undefined,
} as const satisfies LoadtestOptions;

/** {@link LoadtestOptions} with every default filled in. */
export interface ResolvedLoadtestOptions {
  readonly url: string;
  readonly room: string;
  readonly clients: number;
  readonly hz: number;
  readonly duration: number;
  readonly payloadBytes: number;
  readonly reliable: boolean;
  readonly joinConcurrency: number;
  readonly drain: number;
  readonly network: LoadtestNetwork | undefined;
}

/**
 * Fill in defaults and validate.
 * @throws {@link InvalidOptionError} naming the first bad option.
 */
export function resolveLoadtestOptions(options: LoadtestOptions = {}): ResolvedLoadtestOptions {
  const d = DEFAULT_LOADTEST_OPTIONS;
  const int = (name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    if (!(Number.isInteger(value) && value >= min && value <= max)) {
      throw new InvalidOptionError(name, `must be an integer in [${min}, ${max}]`);
    }
    return value;
  };
  const url = options.url ?? d.url;
  if (!/^(wss?|udp):\/\//.test(url)) throw new InvalidOptionError('url', 'must start with ws://, wss:// or udp://');
  const room = options.room ?? d.room;
  if (room.length === 0) throw new InvalidOptionError('room', 'must not be empty');
  const hz = options.hz ?? d.hz;
  if (!(hz > 0 && hz <= 1000)) throw new InvalidOptionError('hz', 'must be a number in (0, 1000]');
  return {
    url,
    room,
    clients: int('clients', options.clients ?? d.clients, 1, 100_000),
    hz,
    duration: int('duration', options.duration ?? d.duration, 1),
    payloadBytes: int('payloadBytes', options.payloadBytes ?? d.payloadBytes, 0, 60_000),
    reliable: options.reliable ?? d.reliable,
    joinConcurrency: int('joinConcurrency', options.joinConcurrency ?? d.joinConcurrency, 1),
    drain: int('drain', options.drain ?? d.drain, 0),
    network: options.network,
  };
}

/**
 * `60s`, `2.5s`, `500ms`, `1m` or a bare number of seconds, in ms.
 * @throws {@link InvalidOptionError} for anything else.
 */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (match === null)
    throw new InvalidOptionError('duration', `cannot read ${JSON.stringify(text)} (e.g. 60s, 500ms, 2m)`);
  const n = Number(match[1]);
  const unit = match[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 'm' ? n * 60_000 : n * 1000);
}

export { parseNetworkSpec } from '@netplay/client';
