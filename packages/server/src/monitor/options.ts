/**
 * Options of the live monitor (`/monitor`, `/monitor/data`) and the Prometheus endpoint
 * (`/metrics`), with their defaults.
 * @module
 */
import { InvalidOptionError } from '@netplay/transport';

/**
 * Options of the server's monitor page and metrics endpoint (`ServerOptions.monitor`; `false`
 * turns both off: they answer 404).
 *
 * Access: with a `token`, every request must carry it (`?token=…` or `Authorization: Bearer …`),
 * else 401. Without one, they answer only while the server is bound to a loopback address
 * (127.0.0.0/8, ::1); bound to any other address (including the default `0.0.0.0`) they answer 403
 * with a message saying to set a token.
 */
export interface MonitorOptions {
  /** Secret that `/monitor`, `/monitor/data` and `/metrics` require (8+ characters). Defaults to none. */
  token?: string;
  /** Milliseconds between samples (rates, RTT and tick histograms, chart points). Defaults to 1000. */
  sampleInterval?: number;
  /** Chart points kept (one per sample). Defaults to 120 (two minutes at the default interval). */
  historySize?: number;
  /** Most sessions and rooms listed in `/monitor/data` (the counts are always exact). Defaults to 500. */
  maxListed?: number;
}

/** Defaults of {@link MonitorOptions}. */
export const DEFAULT_MONITOR_OPTIONS = {
  token: undefined,
  sampleInterval: 1000,
  historySize: 120,
  maxListed: 500,
} as const satisfies MonitorOptions;

/** {@link MonitorOptions} with every default filled in. */
export interface ResolvedMonitorOptions {
  readonly token: string | undefined;
  readonly sampleInterval: number;
  readonly historySize: number;
  readonly maxListed: number;
}

/**
 * Fill in defaults and validate (`false` stays `false`: monitor and metrics off).
 * @throws {@link InvalidOptionError} for a bad option.
 */
export function resolveMonitorOptions(options: MonitorOptions | false | undefined): ResolvedMonitorOptions | false {
  if (options === false) return false;
  const o = options ?? {};
  if (o === null || typeof o !== 'object') throw new InvalidOptionError('monitor', 'must be an object or false');
  const d = DEFAULT_MONITOR_OPTIONS;
  if (o.token !== undefined && (typeof o.token !== 'string' || o.token.length < 8)) {
    throw new InvalidOptionError('monitor.token', 'must be a string of at least 8 characters');
  }
  const int = (name: string, value: number, min: number): number => {
    if (!(Number.isInteger(value) && value >= min)) throw new InvalidOptionError(name, `must be an integer ≥ ${min}`);
    return value;
  };
  return {
    token: o.token,
    sampleInterval: int('monitor.sampleInterval', o.sampleInterval ?? d.sampleInterval, 10),
    historySize: int('monitor.historySize', o.historySize ?? d.historySize, 2),
    maxListed: int('monitor.maxListed', o.maxListed ?? d.maxListed, 0),
  };
}
