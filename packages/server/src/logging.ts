/**
 * Log levels for the server's {@link Logger}: a console-like sink filtered by level, so an
 * operator can quiet a server (`netplay serve --log-level warn`) without code.
 * @module
 */
import { InvalidOptionError } from '@netplay/transport';
import type { Logger } from './options.js';

/** Levels, most verbose first. `silent` logs nothing. */
export const LOG_LEVELS = ['info', 'warn', 'error', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Default level of {@link createLogger}. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** `true` when `value` is one of {@link LOG_LEVELS}. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * A {@link Logger} that passes messages at `level` and above to `sink` (default `console`).
 * @throws {@link InvalidOptionError} for an unknown level.
 */
export function createLogger(level: LogLevel = DEFAULT_LOG_LEVEL, sink: Logger = console): Logger {
  if (!isLogLevel(level)) throw new InvalidOptionError('logLevel', `expected one of ${LOG_LEVELS.join(', ')}`);
  const rank = LOG_LEVELS.indexOf(level);
  const quiet = (): void => {};
  return {
    info: rank <= 0 ? (message, ...details) => sink.info(message, ...details) : quiet,
    warn: rank <= 1 ? (message, ...details) => sink.warn(message, ...details) : quiet,
    error: rank <= 2 ? (message, ...details) => sink.error(message, ...details) : quiet,
  };
}
