/**
 * Text output of the load tester: a one-line progress bar (for a TTY) and the summary table.
 * @module
 */
import type { LoadtestProgress, LoadtestSummary } from './run.js';

const n0 = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;

/** One line: `[#######.......] 12.0/60.0 s  joined 500/500  sent 1,234  delivered 5,678  errors 0`. */
export function progressLine(p: LoadtestProgress, width = 24): string {
  const fraction = p.phase === 'joining' ? p.joined / p.clients : Math.min(1, p.elapsed / p.duration);
  const filled = Math.round(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const time =
    p.phase === 'joining' ? 'joining' : `${(p.elapsed / 1000).toFixed(1)}/${(p.duration / 1000).toFixed(1)} s`;
  return `${bar} ${time}  joined ${n0(p.joined)}/${n0(p.clients)}  sent ${n0(p.sent)}  delivered ${n0(p.delivered)}  errors ${n0(p.errors)}${p.phase === 'draining' || p.phase === 'leaving' ? `  (${p.phase})` : ''}`;
}

/** The summary as an aligned text block. */
export function formatSummary(s: LoadtestSummary): string {
  const errors = Object.entries(s.errors).sort((a, b) => b[1] - a[1]);
  const lines: [string, string][] = [
    ['target', `${s.url}  room ${s.room}  ${n0(s.clients)} clients × ${s.hz} Hz`],
    [
      'joined',
      `${n0(s.joined)}/${n0(s.clients)} in ${n0(s.rooms)} room${s.rooms === 1 ? '' : 's'}, ${n0(s.joinsPerSecond)} joins/s (${(s.joinPhaseMs / 1000).toFixed(2)} s)`,
    ],
    ['sent', `${n0(s.sent)} relays in ${(s.sendPhaseMs / 1000).toFixed(2)} s`],
    ['delivered', `${n0(s.delivered)} of ${n0(s.expected)} expected, ${n0(s.deliveredPerSecond)} messages/s`],
    [
      'latency',
      `p50 ${ms(s.latency.p50)}  p95 ${ms(s.latency.p95)}  p99 ${ms(s.latency.p99)}  max ${ms(s.latency.max)}  (send → relay → receive)`,
    ],
    ['resends', n0(s.resends)],
    ['errors', errors.length === 0 ? 'none' : errors.map(([code, count]) => `${code} × ${n0(count)}`).join(', ')],
  ];
  return lines.map(([k, v]) => `${k.padEnd(10)} ${v}`).join('\n');
}
