/**
 * `netplay serve <rooms module> [options]`: run a cluster from the command line (the server
 * package's `bin`). Parsing and help are pure functions ({@link parseServeArgs}, {@link USAGE}) so
 * they are tested without processes; `cli-main.ts` wires them to the process (signals, exit codes).
 * @module
 */

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NetplayError, TransportErrorCode } from '@netplay/transport';
import { createLogger, isLogLevel, LOG_LEVELS } from '../logging.js';
import type { ClusterServerOptions, PortRange } from './options.js';
import { PLACEMENT_NAMES } from './placement.js';

/** The help text. */
export const USAGE = `Usage: netplay serve <rooms module> [options]

Run a Netplay cluster: a manager on --port that places rooms on worker processes, one per port
of --ports, and redirects each joining client to its room's worker.

The rooms module exports a define(server) function that calls server.define(name, RoomClass,
options), or exports Room subclasses (each defined under its export name).

Options:
  --port <n>           manager port, HTTP + WebSocket               (default 2567)
  --host <address>     interface to bind                            (default 0.0.0.0)
  --workers <n>        worker processes                             (default: CPU count)
  --ports <from-to>    worker WebSocket ports, one per worker       (default 7001-…)
  --udp-port <n>       manager UDP port; turns UDP on for workers   (default: off)
  --udp-ports <from-to>
                       worker UDP ports                             (default: same as --ports)
  --public-host <name> host name put in redirect URLs               (default: --host, or
                                                                     127.0.0.1 for 0.0.0.0)
  --placement <name>   least-connections | round-robin | source-hash
                                                                    (default least-connections)
  --redis <url>        redis://host:port: shared registry and relay, so managers on several
                       machines act as one cluster                  (default: in-process)
  --run-dir <path>     where workers' control sockets live; a restarted manager adopts
                       the workers it finds there             (default: <tmp>/netplay-<uid>-<first port>)
  --orphan-timeout <ms>
                       workers without a manager this long shut down (default 0: never)
  --log-level <level>  info | warn | error | silent, for the manager and the workers
                                                                    (default info)
  --config <file>      a JSON file of these options by their long names, e.g.
                       {"rooms": "./rooms.js", "port": 2567, "workers": 4, "ports": "7001-7004"};
                       options given on the command line override it
  -h, --help           show this help
  -v, --version        show the version

Environment:
  NETPLAY_CLUSTER_SECRET  hex seat-token secret (32+ bytes); random per manager when unset

SIGTERM or SIGINT stops placing rooms, lets workers close their sessions with a reason, and exits.
If the manager dies instead (crash, SIGKILL), its workers keep their rooms running; start
'netplay serve' again with the same ports and it adopts them (run it under a supervisor with
KillMode=process or equivalent, so restarting the manager does not kill the workers).

Examples:
  netplay serve ./rooms.js --port 2567 --workers 4 --ports 7001-7004
  netplay serve --config netplay.json --log-level warn
`;

/** What the command line asks for. */
export type CliCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'serve'; options: ClusterServerOptions };

/** A bad command line (the message says what to fix; code `INVALID_OPTION`); exit code 2. */
export class UsageError extends NetplayError {
  /** @param what - the option or argument at fault. @param message - what to fix. */
  constructor(what: string, message: string) {
    super(
      TransportErrorCode.INVALID_OPTION,
      what === 'arguments' || what === 'rooms' || what === 'command' ? message : `${what}: ${message}`,
    );
  }
}

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(name, `expected a number, got "${value}"`);
  return Number(value);
}

function range(name: string, value: string | undefined): PortRange | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(value);
  if (m === null) throw new UsageError(name, `expected a port range like 7001-7004, got "${value}"`);
  return m[2] === undefined ? { from: Number(m[1]) } : { from: Number(m[1]), to: Number(m[2]) };
}

/**
 * Parse `argv` (without `node` and the script).
 * @throws {@link UsageError} for an unknown option, a bad value or a missing rooms module.
 */
export function parseServeArgs(
  argv: readonly string[],
  env: Record<string, string | undefined> = {},
  readConfig: (path: string) => string = readConfigFile,
): CliCommand {
  let parsed: ReturnType<typeof parse>;
  let configRooms: string | undefined;
  try {
    parsed = parse(argv);
    const configPath = parsed.values.config;
    if (configPath !== undefined) {
      // The config file's options go first, so the command line overrides them.
      const config = configArgs(configPath, readConfig);
      configRooms = config.rooms;
      parsed = parse([...config.args, ...argv]);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError('arguments', error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  const [command, roomsArg, ...extra] = positionals;
  const rooms = roomsArg ?? configRooms;
  if (command === undefined) return { kind: 'help' };
  if (command !== 'serve') throw new UsageError('command', `unknown command "${command}" (expected: serve)`);
  if (rooms === undefined) throw new UsageError('rooms', 'missing the rooms module: netplay serve <rooms module>');
  if (extra.length > 0) throw new UsageError('arguments', `unexpected argument "${extra[0]}"`);
  const placement = values.placement;
  if (placement !== undefined && !(PLACEMENT_NAMES as readonly string[]).includes(placement)) {
    throw new UsageError('--placement', `expected least-connections, round-robin or source-hash, got "${placement}"`);
  }
  const options: ClusterServerOptions = { rooms };
  const set = <K extends keyof ClusterServerOptions>(key: K, value: ClusterServerOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value;
  };
  set('port', int('--port', values.port));
  set('host', values.host);
  set('workers', int('--workers', values.workers));
  set('workerPorts', range('--ports', values.ports));
  set('udpPort', int('--udp-port', values['udp-port']));
  set('workerUdpPorts', range('--udp-ports', values['udp-ports']));
  set('publicHost', values['public-host']);
  set('placement', placement as ClusterServerOptions['placement']);
  set('redis', values.redis);
  set('runDir', values['run-dir']);
  set('orphanTimeout', int('--orphan-timeout', values['orphan-timeout']));
  const logLevel = values['log-level'];
  if (logLevel !== undefined) {
    if (!isLogLevel(logLevel)) {
      throw new UsageError('--log-level', `expected ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
    }
    options.logger = createLogger(logLevel);
    options.server = { ...options.server, logLevel };
  }
  const secret = env.NETPLAY_CLUSTER_SECRET;
  if (secret !== undefined && secret !== '') {
    if (!/^([0-9a-f]{2}){16,}$/i.test(secret)) {
      throw new UsageError('NETPLAY_CLUSTER_SECRET', 'expected at least 32 hex digits (16+ bytes)');
    }
    options.secret = new Uint8Array(Buffer.from(secret, 'hex'));
  }
  return { kind: 'serve', options };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      workers: { type: 'string' },
      ports: { type: 'string' },
      'udp-port': { type: 'string' },
      'udp-ports': { type: 'string' },
      'public-host': { type: 'string' },
      placement: { type: 'string' },
      redis: { type: 'string' },
      'run-dir': { type: 'string' },
      'orphan-timeout': { type: 'string' },
      'log-level': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
}

function readConfigFile(path: string): string {
  return readFileSync(path, 'utf8');
}

/**
 * The options of a `--config` JSON file as command-line arguments (`{"port": 2567}` becomes
 * `--port 2567`), and its rooms module (`"rooms"`), used when the command line names none.
 */
function configArgs(path: string, readConfig: (path: string) => string): { args: string[]; rooms: string | undefined } {
  let config: unknown;
  try {
    config = JSON.parse(readConfig(path));
  } catch (error) {
    throw new UsageError('--config', `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new UsageError('--config', `${path} must hold a JSON object of options`);
  }
  const args: string[] = [];
  let rooms: string | undefined;
  for (const [key, value] of Object.entries(config)) {
    if (key === 'rooms') {
      if (typeof value !== 'string') throw new UsageError('--config', '"rooms" must be a string (the rooms module)');
      rooms = value;
      continue;
    }
    if (key === 'config' || key === 'help' || key === 'version') {
      throw new UsageError('--config', `"${key}" cannot be set in a config file`);
    }
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new UsageError('--config', `"${key}" must be a string or a number`);
    }
    args.push(`--${key}`, String(value));
  }
  return { args, rooms };
}
