/**
 * Small statistics helpers shared by the benchmarks, and the one way they print a difference.
 * @module
 */

/** Nearest-rank percentile of an ascending array (`q` in [0, 1]); `NaN` when empty. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Median of unsorted values (the mean of the middle two for an even count); `NaN` when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n % 2 === 1 || n === 0) return percentile(sorted, 0.5);
  return (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/** A difference with its sign and `digits` decimals: `+1.20`, `−3.40` (U+2212); `—` when not finite. */
export function signed(n: number, digits: number): string {
  return Number.isFinite(n) ? `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(digits)}` : '—';
}
