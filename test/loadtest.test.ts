/**
 * `netplay loadtest` (runLoadtest, dispatched by the `netplay` bin) against a real server on 127.0.0.1: 20 bots for 2 s; the summary's numbers
 * must be sane (everyone joined, deliveries flowed, latency percentiles ordered, no errors).
 */
import type { Server } from '@netplay/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDemoServer } from '../examples/demo/server.js';
import { runLoadtest } from '../packages/server/src/cli/loadtest.js';
import { LatencyHistogram } from '../packages/server/src/loadtest/histogram.js';
import { parseDuration, parseNetworkSpec } from '../packages/server/src/loadtest/options.js';
import type { LoadtestSummary } from '../packages/server/src/loadtest/run.js';

const quiet = { info() {}, warn() {}, error() {} };

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: { write: (t: string) => (out.stdout += t), isTTY: false },
      stderr: { write: (t: string) => (out.stderr += t), isTTY: false },
    },
  };
}

describe('netplay loadtest', () => {
  let server: Server;

  beforeEach(async () => {
    server = createDemoServer({ host: '127.0.0.1', port: 0, logger: quiet, web: false });
    await server.listen();
  });

  afterEach(async () => {
    await server.shutdown();
  });

  it('runs 20 bots for 2 s and reports sane numbers as JSON', async () => {
    const { out, io } = capture();
    const url = `ws://127.0.0.1:${server.port}`;
    const code = await runLoadtest(
      ['--url', url, '--room', 'arena', '--clients', '20', '--hz', '20', '--duration', '2s', '--json'],
      io,
    );
    expect(out.stderr).toBe(''); // no progress bar off a TTY
    expect(code).toBe(0);
    const s = JSON.parse(out.stdout) as LoadtestSummary;
    expect(s).toMatchObject({ url, room: 'arena', clients: 20, joined: 20, rooms: 1, errors: {} });
    expect(s.joinsPerSecond).toBeGreaterThan(0);
    // 20 bots × 20 Hz × 2 s ≈ 800 relays, each delivered to the 19 others.
    expect(s.sent).toBeGreaterThan(400);
    expect(s.sent).toBeLessThanOrEqual(20 * 20 * 2 + 20);
    expect(s.delivered).toBeGreaterThan(0);
    expect(s.delivered).toBeGreaterThanOrEqual(s.expected * 0.95);
    expect(s.deliveredPerSecond).toBeGreaterThan(0);
    expect(s.latency.p50).toBeGreaterThan(0);
    expect(s.latency.p50).toBeLessThanOrEqual(s.latency.p95);
    expect(s.latency.p95).toBeLessThanOrEqual(s.latency.p99);
    expect(s.latency.p99).toBeLessThanOrEqual(s.latency.max);
    expect(s.resends).toBe(0);
  });

  it('prints a text summary, and refuses bad usage with exit code 2', async () => {
    const text = capture();
    const url = `ws://127.0.0.1:${server.port}`;
    expect(await runLoadtest(['--url', url, '--clients', '3', '--duration', '300ms'], text.io)).toBe(0);
    expect(text.out.stdout).toMatch(/joined\s+3\/3/);
    expect(text.out.stdout).toMatch(/latency\s+p50 .* p95 .* p99 .* max/);
    expect(text.out.stdout).toMatch(/errors\s+none/);
    for (const argv of [['--clients', 'many'], ['--bogus'], ['--duration', 'soon'], ['stray']]) {
      const bad = capture();
      expect(await runLoadtest(argv, bad.io)).toBe(2);
      expect(bad.out.stderr).toContain('usage');
    }
  });

  it('counts refused joins by code', async () => {
    const { out, io } = capture();
    const code = await runLoadtest(
      [
        '--url',
        `ws://127.0.0.1:${server.port}`,
        '--room',
        'no-such-room',
        '--clients',
        '2',
        '--duration',
        '100ms',
        '--json',
      ],
      io,
    );
    expect(code).toBe(1);
    const s = JSON.parse(out.stdout) as LoadtestSummary;
    expect(s.joined).toBe(0);
    expect(Object.keys(s.errors)).toEqual([expect.stringMatching(/^join:[A-Z_]+$/)]);
  });

  it('parses durations and network specs; the histogram bounds its percentiles', () => {
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1.5')).toBe(1500);
    expect(parseNetworkSpec('latency=80,loss=0.05')).toEqual({ latency: 80, loss: 0.05 });
    expect(() => parseNetworkSpec('lag=1')).toThrow(/unknown key/);
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i / 10);
    expect(h.percentile(50)).toBeGreaterThan(49);
    expect(h.percentile(50)).toBeLessThan(51);
    expect(h.percentile(99)).toBeGreaterThan(98);
    expect(h.percentile(100)).toBe(100);
  });
});
