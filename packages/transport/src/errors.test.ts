/**
 * The error registry check (after fastify's): codes, classes and docs/errors.md agree.
 * A new code needs one class here, one factory below and one section in the doc.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as errors from './errors.js';
import { NetplayError, TransportErrorCode } from './errors.js';

type ErrorClass = abstract new (...args: never[]) => NetplayError;

/** One sample instance per error class, built the way the transport builds them. */
const factories: Record<string, () => NetplayError> = {
  MessageTooLargeError: () => new errors.MessageTooLargeError(2000, 1200),
  SendQueueFullError: () => new errors.SendQueueFullError(1, 65_536),
  UnknownChannelError: () => new errors.UnknownChannelError(9),
  ClosedError: () => new errors.ClosedError('link'),
  InvalidOptionError: () => new errors.InvalidOptionError('mtu', 'must be ≥ 64'),
  ProtocolViolationError: () => new errors.ProtocolViolationError('corrupt fragment chain'),
  LinkError: () => new errors.LinkError('connect refused', { cause: new Error('ECONNREFUSED') }),
  CodecError: () => new errors.CodecError('truncated input', { cause: new RangeError('Insufficient data') }),
  LivelockError: () => new errors.LivelockError('timers keep re-arming', 1500),
};

/** Every exported subclass of NetplayError (NetplayError itself excluded). */
const errorClasses = Object.entries(errors as Record<string, unknown>).filter(
  (entry): entry is [string, ErrorClass] =>
    typeof entry[1] === 'function' && entry[1] !== NetplayError && entry[1].prototype instanceof NetplayError,
);
const codes = Object.values(TransportErrorCode);

describe('error registry', () => {
  it('every code is its own key', () => {
    for (const [key, code] of Object.entries(TransportErrorCode)) expect(code).toBe(key);
  });

  it('every exported error class has a sample, and every sample an exported class', () => {
    expect(errorClasses.map(([name]) => name).sort()).toEqual(Object.keys(factories).sort());
  });

  describe.each(errorClasses)('%s', (name, ErrorClass) => {
    const error = factories[name]!();

    it('is an instance of its class, NetplayError and Error', () => {
      expect(error).toBeInstanceOf(ErrorClass);
      expect(error).toBeInstanceOf(NetplayError);
      expect(error).toBeInstanceOf(Error);
    });

    it('has name equal to the class name, a known code, a message and a stack', () => {
      expect(error.name).toBe(name);
      expect(ErrorClass.name).toBe(name);
      expect(codes).toContain(error.code);
      expect(error.message.length).toBeGreaterThan(0);
      expect(error.stack).toContain(name);
    });
  });

  it('every code has exactly one class whose instances carry it', () => {
    const classesByCode = new Map<string, string[]>();
    for (const [name] of errorClasses) {
      const { code } = factories[name]!();
      classesByCode.set(code, [...(classesByCode.get(code) ?? []), name]);
    }
    for (const code of codes) expect(classesByCode.get(code), code).toHaveLength(1);
    expect([...classesByCode.keys()].sort()).toEqual([...codes].sort());
  });

  it('keeps the cause it was given', () => {
    const cause = new Error('socket hang up');
    expect(new errors.LinkError('read failed', { cause }).cause).toBe(cause);
    expect(new errors.CodecError('bad bytes', { cause }).cause).toBe(cause);
    expect(new NetplayError('X', 'y', { cause }).cause).toBe(cause);
  });
});

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const start = doc.indexOf('## `@netplay/transport`');
  const rest = doc.slice(start + 1);
  const end = rest.search(/^## /m);
  const section = start < 0 ? '' : end < 0 ? rest : rest.slice(0, end);
  /** code → the text of its `### \`CODE\`` section. */
  const documented = new Map<string, string>();
  const headings = [...section.matchAll(/^### `([A-Z_]+)`\s*$/gm)];
  headings.forEach((match, i) => {
    const body = section.slice(match.index + match[0].length, headings[i + 1]?.index ?? section.length);
    expect(documented.has(match[1]!), `${match[1]} documented twice`).toBe(false);
    documented.set(match[1]!, body);
  });

  it('has a @netplay/transport section', () => {
    expect(start).toBeGreaterThanOrEqual(0);
  });

  it('documents exactly the codes of TransportErrorCode', () => {
    expect([...documented.keys()].sort()).toEqual([...codes].sort());
  });

  it.each(codes)('%s: names its class, meaning, when it happens and what to do', (code) => {
    const body = documented.get(code) ?? '';
    const className = errorClasses.find(([name]) => factories[name]!().code === code)?.[0];
    expect(body).toMatch(new RegExp(`\\*\\*Class:\\*\\* \`${className}\``));
    for (const field of ['Meaning', 'When', 'What to do']) {
      expect(body, `${code} lacks "${field}"`).toMatch(new RegExp(`^- \\*\\*${field}:\\*\\* \\S`, 'm'));
    }
  });
});
