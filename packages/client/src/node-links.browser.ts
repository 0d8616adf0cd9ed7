/**
 * Browser replacement of `node-links.ts` (swapped in by the browser build): no Node connectors, so
 * `ws://` uses the built-in WebSocket and `udp://` fails with `UNSUPPORTED_URL`.
 * @module
 */
import type { NodeLinks } from './node-links.js';

/** Always `false` in the browser build. */
export function isNodeRuntime(): boolean {
  return false;
}

/** Always `undefined` in the browser build. */
export async function loadNodeLinks(): Promise<NodeLinks | undefined> {
  return undefined;
}
