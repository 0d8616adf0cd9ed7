#!/usr/bin/env node
/**
 * The `netplay` executable: `netplay serve <rooms module> [options]` (see {@link USAGE}), and
 * `netplay loadtest [options]` (see `../cli/loadtest.ts`). Exit
 * codes: 0 after a clean shutdown or `--help`, 1 when the cluster fails to start, 2 for a bad
 * command line.
 * @module
 */
import { runLoadtest } from '../cli/loadtest.js';
import { VERSION } from '../index.js';
import { parseServeArgs, USAGE, UsageError } from './cli.js';
import { ClusterServer } from './manager.js';

async function main(): Promise<number> {
  // `netplay loadtest …` (src/cli/loadtest.ts); everything else is `serve`.
  if (process.argv[2] === 'loadtest') return runLoadtest(process.argv.slice(3));
  let command: ReturnType<typeof parseServeArgs>;
  try {
    command = parseServeArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`netplay: ${error.message}\n\nRun "netplay --help" for usage.\n`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(USAGE);
    process.stdout.write('\nAlso: netplay loadtest [options]   load test a running server (netplay loadtest --help)\n');
    return 0;
  }
  if (command.kind === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  let cluster: ClusterServer;
  try {
    cluster = new ClusterServer(command.options);
    await cluster.listen();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`netplay: ${message}${typeof code === 'string' ? ` (${code})` : ''}\n`);
    return error instanceof UsageError || code === 'INVALID_OPTION' ? 2 : 1;
  }
  const ports = cluster.workers.map((w) => w.port);
  const adopted = cluster.workers.filter((w) => w.adopted).length;
  process.stdout.write(
    `netplay: manager listening on ${cluster.options.host}:${cluster.port}` +
      `${cluster.udpPort === undefined ? '' : ` (udp ${cluster.udpPort})`}, ` +
      `${ports.length} worker(s) on ports ${ports[0]}-${ports[ports.length - 1]}` +
      `${adopted > 0 ? ` (${adopted} adopted from a manager that died)` : ''}\n`,
  );
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        process.stderr.write(`netplay: ${signal} again, exiting now\n`);
        resolve(1);
        return;
      }
      stopping = true;
      process.stdout.write(`netplay: ${signal}: shutting down (rooms close, clients are told why)\n`);
      cluster.shutdown('server shutting down').then(
        () => resolve(0),
        (error: unknown) => {
          process.stderr.write(`netplay: shutdown failed: ${String(error)}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`netplay: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
