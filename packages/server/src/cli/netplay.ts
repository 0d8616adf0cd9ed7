#!/usr/bin/env node
/**
 * The `netplay` command: a tiny dispatcher of subcommands (`netplay <command> [args]`). Each
 * command is `(argv) => Promise<exit code>`; add one to {@link COMMANDS}.
 *
 * Run from the repository: `npm run netplay -- loadtest --clients 50 --duration 10s`.
 * @module
 */
import { pathToFileURL } from 'node:url';
import { type CliIo, runLoadtest } from './loadtest.js';

/** A subcommand: resolves with the process exit code. */
export type CliCommand = (argv: readonly string[], io?: CliIo) => Promise<number>;

/** Subcommands by name, with a one-line description. */
export const COMMANDS: Record<string, { readonly run: CliCommand; readonly summary: string }> = {
  loadtest: { run: runLoadtest, summary: 'bots that join, send and relay; latency and throughput summary' },
};

/** `netplay` usage. */
export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: netplay <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n'netplay <command> --help' for a command's options.`;
}

/** Dispatch `argv` (the arguments after `netplay`). Resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo = process): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr.write(`netplay: unknown command ${JSON.stringify(name)}\n\n${usage()}\n`);
    return 2;
  }
  return command.run(rest, io);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
