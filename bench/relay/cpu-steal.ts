/**
 * CPU steal of this machine: the time a hypervisor gave the virtual machine's cores to someone
 * else, from the aggregate `cpu` line of `/proc/stat`. On a shared virtual machine it is what turns
 * a few milliseconds of latency into tens: a process that was runnable waited for a core the host
 * did not give it. The relay benchmark reports it per target so that a latency column can be read
 * against it.
 * @module
 */
import { readFileSync } from 'node:fs';

/** Jiffies of every CPU state summed over the cores, and those of them stolen. */
export interface CpuTimes {
  total: number;
  steal: number;
}

/** The machine's CPU times so far; `undefined` where `/proc/stat` cannot be read (not Linux). */
export function readCpuTimes(): CpuTimes | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const line = stat.slice(0, stat.indexOf('\n'));
  if (!line.startsWith('cpu ')) return undefined;
  // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is already
  // counted in user and nice, so it is left out of the total.
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 8 || fields.some((f) => !Number.isFinite(f))) return undefined;
  return { total: fields.reduce((s, f) => s + f, 0), steal: fields[7]! };
}

/** `b − a`, added to `into`; nothing when either reading is missing. */
export function addCpuTimes(into: CpuTimes, a: CpuTimes | undefined, b: CpuTimes | undefined): void {
  if (a === undefined || b === undefined) return;
  into.total += b.total - a.total;
  into.steal += b.steal - a.steal;
}

/** Steal share from which the relay benchmark says its latency figures are the host's too (5 %). */
export const STEAL_WARNING = 0.05;
