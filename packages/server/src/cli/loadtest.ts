/**
 * `netplay loadtest`: run {@link loadtest} from the command line.
 *
 * ```sh
 * netplay loadtest --url ws://127.0.0.1:2567 --room arena --clients 500 --hz 20 --duration 60s \
 *   [--network latency=80,loss=0.05] [--size 16] [--unreliable] [--json]
 * ```
 * @module
 */
import { parseArgs } from 'node:util';
import {
  DEFAULT_LOADTEST_OPTIONS,
  type LoadtestOptions,
  parseDuration,
  parseNetworkSpec,
} from '../loadtest/options.js';
import { formatSummary, progressLine } from '../loadtest/report.js';
import { loadtest } from '../loadtest/run.js';
import { DEFAULT_SERVER_OPTIONS } from '../options.js';

/** Where the command writes (the process's streams by default; tests pass their own). */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
}

const d = DEFAULT_LOADTEST_OPTIONS;

/** Help text of `netplay loadtest`. */
export const LOADTEST_USAGE = `usage: netplay loadtest [options]

Bots (real @netplay/client clients) join rooms with joinOrCreate and relay timestamped messages to
the others in their room; prints joins/s, delivered messages/s, latency percentiles, resends and
errors by code.

  --url URL            server (ws://, wss:// or udp://)            default ${d.url}
  --room NAME          room type to joinOrCreate                   default ${d.room}
  --clients N          bots                                        default ${d.clients}
  --hz N               relays per bot per second                   default ${d.hz}
  --duration TIME      sending time: 60s, 500ms, 2m                default ${d.duration / 1000}s
  --network SPEC       simulator on each bot: latency=80,loss=0.05 (also jitter, duplicate,
                       reorder, reorderDelay, bandwidth, seed)     default none
  --size BYTES         padding per relay                           default ${d.payloadBytes}
  --unreliable         relay on the unreliable-sequenced channel   default reliable
  --concurrency N      joins in flight while ramping up            default ${d.joinConcurrency}
  --json               print the summary as JSON
  -h, --help           this text

Note: a server allows maxSessionsPerAddress (default ${DEFAULT_SERVER_OPTIONS.maxSessionsPerAddress}) sessions from one address; more bots
from one machine are refused with join:LIMIT_REACHED unless the server raises it.`;

/**
 * Run `netplay loadtest` with `argv` (the arguments after `loadtest`). Resolves with the exit
 * code: 0 when every bot joined and nothing failed, 1 when errors were counted, 2 for bad usage.
 */
export async function runLoadtest(argv: readonly string[], io: CliIo = process): Promise<number> {
  let options: LoadtestOptions;
  let json = false;
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        room: { type: 'string' },
        clients: { type: 'string' },
        hz: { type: 'string' },
        duration: { type: 'string' },
        network: { type: 'string' },
        size: { type: 'string' },
        unreliable: { type: 'boolean' },
        concurrency: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout.write(`${LOADTEST_USAGE}\n`);
      return 0;
    }
    const num = (name: string, text: string | undefined): number | undefined => {
      if (text === undefined) return undefined;
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n))
        throw new Error(`--${name} must be a number, got ${JSON.stringify(text)}`);
      return n;
    };
    json = values.json ?? false;
    options = {
      ...(values.url === undefined ? {} : { url: values.url }),
      ...(values.room === undefined ? {} : { room: values.room }),
      ...(values.clients === undefined ? {} : { clients: num('clients', values.clients) }),
      ...(values.hz === undefined ? {} : { hz: num('hz', values.hz) }),
      ...(values.duration === undefined ? {} : { duration: parseDuration(values.duration) }),
      ...(values.network === undefined ? {} : { network: parseNetworkSpec(values.network) }),
      ...(values.size === undefined ? {} : { payloadBytes: num('size', values.size) }),
      ...(values.concurrency === undefined ? {} : { joinConcurrency: num('concurrency', values.concurrency) }),
      ...(values.unreliable ? { reliable: false } : {}),
    };
  } catch (error) {
    io.stderr.write(
      `netplay loadtest: ${error instanceof Error ? error.message : String(error)}\n\n${LOADTEST_USAGE}\n`,
    );
    return 2;
  }

  const tty = io.stderr.isTTY === true;
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const summary = await loadtest(options, {
      signal: abort.signal,
      ...(tty ? { onProgress: (p) => io.stderr.write(`\r\x1b[2K${progressLine(p)}`) } : {}),
    });
    if (tty) io.stderr.write('\r\x1b[2K');
    io.stdout.write(json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
    return summary.joined === summary.clients && Object.keys(summary.errors).length === 0 ? 0 : 1;
  } catch (error) {
    if (tty) io.stderr.write('\n');
    io.stderr.write(`netplay loadtest: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
