/**
 * `latency=75,loss=0.05` ⇄ {@link ClientNetworkOptions}: the compact form command lines and URLs
 * use for the client's simulated network (the load tester's and the example bots' `--network`).
 * @module
 */
import { InvalidOptionError } from '@netplay/transport';
import type { ClientNetworkOptions } from './options.js';

/** The numeric keys a network spec may set. */
export const NETWORK_SPEC_KEYS = [
  'latency',
  'jitter',
  'loss',
  'duplicate',
  'reorder',
  'reorderDelay',
  'bandwidth',
  'seed',
] as const;

/**
 * Parse `latency=75,loss=0.05` (comma-separated `key=number`, any of {@link NETWORK_SPEC_KEYS})
 * into the client's `network` option. Empty parts are ignored.
 * @throws {@link InvalidOptionError} for an unknown key or a value that is not a finite number.
 */
export function parseNetworkSpec(spec: string): ClientNetworkOptions {
  const network: ClientNetworkOptions = {};
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue;
    const [key = '', value = ''] = part.split('=').map((s) => s.trim());
    const known = NETWORK_SPEC_KEYS.find((k) => k === key);
    if (known === undefined) {
      throw new InvalidOptionError('network', `unknown key ${key} (known: ${NETWORK_SPEC_KEYS.join(', ')})`);
    }
    const n = Number(value);
    if (value === '' || !Number.isFinite(n)) throw new InvalidOptionError(`network.${key}`, 'must be a number');
    network[known] = n;
  }
  return network;
}
