/**
 * Node-only links, loaded on demand. This module is the only place the client refers to
 * `@netplay/transport/node`, and only through a dynamic `import()` when running in Node; the browser
 * build (`dist/browser.js`) replaces this file with `node-links.browser.ts`, which has no such import.
 * @module
 */
import type { Link } from '@netplay/transport';

/** The Node link connectors the client uses. */
export interface NodeLinks {
  connectWebSocket(url: string): Promise<Link>;
  connectUdp(options: { host: string; port: number }): Promise<Link>;
}

/** `true` when running in Node (or a runtime that says it is compatible, like Bun or Deno's node mode). */
export function isNodeRuntime(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** The Node connectors, or `undefined` outside Node. */
export async function loadNodeLinks(): Promise<NodeLinks | undefined> {
  if (!isNodeRuntime()) return undefined;
  const node = await import('@netplay/transport/node');
  return {
    connectWebSocket: (url) => node.connectWebSocket(url),
    connectUdp: (options) => node.connectUdp(options),
  };
}
