/**
 * The in-process {@link ClusterRegistry}: the embedded default. One instance per manager is a
 * one-machine cluster; one instance shared by several managers in the same process makes them one
 * cluster (as Redis does across machines), which is how cross-node logic is tested without Redis.
 * @module
 */
import type { BusHandler, ClusterRegistry, NodeEntry } from './registry.js';

/** See the module description. */
export class LocalRegistry implements ClusterRegistry {
  readonly #nodes = new Map<string, { entry: NodeEntry; expiresAt: number }>();
  readonly #channels = new Map<string, Set<BusHandler>>();

  async publishNode(entry: NodeEntry, ttlMs: number): Promise<void> {
    this.#nodes.set(entry.nodeId, { entry, expiresAt: Date.now() + ttlMs });
  }

  async removeNode(nodeId: string): Promise<void> {
    this.#nodes.delete(nodeId);
  }

  async nodes(): Promise<NodeEntry[]> {
    const now = Date.now();
    const out: NodeEntry[] = [];
    for (const [id, { entry, expiresAt }] of this.#nodes) {
      if (expiresAt <= now) this.#nodes.delete(id);
      else out.push(entry);
    }
    return out;
  }

  async subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    const entry: BusHandler = (m) => handler(m);
    let set = this.#channels.get(channel);
    if (set === undefined) {
      set = new Set();
      this.#channels.set(channel, set);
    }
    set.add(entry);
    return async () => {
      set.delete(entry);
    };
  }

  async publish(channel: string, message: Uint8Array): Promise<void> {
    const set = this.#channels.get(channel);
    if (set === undefined) return;
    const copy = message.slice();
    for (const handler of [...set]) queueMicrotask(() => handler(copy));
  }

  async close(): Promise<void> {}
}
