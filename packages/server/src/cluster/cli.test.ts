import { describe, expect, it } from 'vitest';
import { parseServeArgs, USAGE, UsageError } from './cli.js';

describe('netplay serve: command line', () => {
  it('parses the issue’s example into cluster options', () => {
    expect(parseServeArgs(['serve', './rooms.js', '--port', '2567', '--workers', '4', '--ports', '7001-7004'])).toEqual(
      {
        kind: 'serve',
        options: { rooms: './rooms.js', port: 2567, workers: 4, workerPorts: { from: 7001, to: 7004 } },
      },
    );
  });

  it('parses every option and the secret from the environment', () => {
    const secret = 'ab'.repeat(32);
    const parsed = parseServeArgs(
      [
        'serve',
        'r.js',
        '--host=127.0.0.1',
        '--udp-port',
        '2568',
        '--udp-ports',
        '7101-7102',
        '--public-host',
        'game.example.com',
        '--placement',
        'source-hash',
        '--redis',
        'redis://r:6379',
        '--ports',
        '7001',
        '--run-dir',
        '/run/netplay',
        '--orphan-timeout',
        '60000',
      ],
      { NETPLAY_CLUSTER_SECRET: secret },
    );
    expect(parsed).toMatchObject({
      kind: 'serve',
      options: {
        host: '127.0.0.1',
        udpPort: 2568,
        workerUdpPorts: { from: 7101, to: 7102 },
        publicHost: 'game.example.com',
        placement: 'source-hash',
        redis: 'redis://r:6379',
        workerPorts: { from: 7001 },
        runDir: '/run/netplay',
        orphanTimeout: 60_000,
      },
    });
    expect(parsed.kind === 'serve' && parsed.options.secret?.length).toBe(32);
  });

  it('shows help and version', () => {
    expect(parseServeArgs([])).toEqual({ kind: 'help' });
    expect(parseServeArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseServeArgs(['serve', '-h'])).toEqual({ kind: 'help' });
    expect(parseServeArgs(['-v'])).toEqual({ kind: 'version' });
    expect(USAGE).toMatch(/netplay serve <rooms module>/);
    for (const flag of [
      '--port',
      '--workers',
      '--ports',
      '--udp-port',
      '--redis',
      '--placement',
      '--public-host',
      '--run-dir',
      '--orphan-timeout',
    ]) {
      expect(USAGE).toContain(flag);
    }
  });

  it.each([
    [['serve'], /missing the rooms module/],
    [['launch', 'r.js'], /unknown command "launch"/],
    [['serve', 'r.js', 'extra'], /unexpected argument "extra"/],
    [['serve', 'r.js', '--port', 'x'], /--port: expected a number/],
    [['serve', 'r.js', '--ports', '7001:7004'], /--ports: expected a port range/],
    [['serve', 'r.js', '--placement', 'random'], /--placement: expected least-connections/],
    [['serve', 'r.js', '--bogus'], /Unknown option '--bogus'/],
  ])('refuses %j with a UsageError saying what to fix', (argv, message) => {
    expect(() => parseServeArgs(argv)).toThrowError(message);
    expect(() => parseServeArgs(argv)).toThrowError(UsageError);
  });

  it('refuses a short or non-hex secret', () => {
    expect(() => parseServeArgs(['serve', 'r.js'], { NETPLAY_CLUSTER_SECRET: 'abcd' })).toThrowError(/32 hex digits/);
  });

  it('takes --log-level for the manager and the workers, and refuses an unknown level', () => {
    const parsed = parseServeArgs(['serve', 'r.js', '--log-level', 'warn']);
    expect(parsed.kind).toBe('serve');
    if (parsed.kind !== 'serve') return;
    expect(parsed.options.server?.logLevel).toBe('warn');
    expect(parsed.options.logger).toBeDefined();
    expect(() => parseServeArgs(['serve', 'r.js', '--log-level', 'loud'])).toThrow(/--log-level/);
  });

  it('reads options from a --config JSON file, the command line overriding it', () => {
    const files: Record<string, string> = {
      'netplay.json': JSON.stringify({ rooms: './rooms.js', port: 3000, workers: 2, ports: '7001-7002' }),
      'bad.json': '{ not json',
      'list.json': '[1, 2]',
      'nested.json': JSON.stringify({ port: { n: 1 } }),
    };
    const read = (path: string) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file ${path}`);
      return text;
    };
    expect(parseServeArgs(['serve', '--config', 'netplay.json', '--port', '4000'], {}, read)).toEqual({
      kind: 'serve',
      options: { rooms: './rooms.js', port: 4000, workers: 2, workerPorts: { from: 7001, to: 7002 } },
    });
    expect(parseServeArgs(['serve', 'other.js', '--config', 'netplay.json'], {}, read)).toMatchObject({
      options: { rooms: 'other.js', port: 3000 },
    });
    expect(() => parseServeArgs(['serve', '--config', 'missing.json'], {}, read)).toThrow(/cannot read missing.json/);
    expect(() => parseServeArgs(['serve', '--config', 'bad.json'], {}, read)).toThrow(UsageError);
    expect(() => parseServeArgs(['serve', '--config', 'list.json'], {}, read)).toThrow(/JSON object/);
    expect(() => parseServeArgs(['serve', '--config', 'nested.json'], {}, read)).toThrow(/string or a number/);
  });
});
