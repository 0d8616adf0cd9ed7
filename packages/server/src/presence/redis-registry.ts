/**
 * The Redis {@link ClusterRegistry}: managers on many machines sharing one Redis act as one
 * cluster. Each node's entry (its rooms) is one key with an expiry that the node refreshes while it
 * lives (`SET … PX`), indexed by a set of node ids; the bus is Redis pub/sub (binary messages) on a
 * second connection. Uses `ioredis`.
 *
 * Keys: `netplay:nodes` (set of node ids), `netplay:nodes:<id>` (JSON {@link NodeEntry}, expiring).
 * Channels: `netplay:node:<id>` (requests to one node), `netplay:presence`.
 * @module
 */
import { Redis } from 'ioredis';
import { ClusterError, ClusterErrorCode } from '../cluster/errors.js';
import type { BusHandler, ClusterRegistry, NodeEntry } from './registry.js';

const NODES = 'netplay:nodes';
const nodeKey = (id: string): string => `${NODES}:${id}`;

/** See the module description. */
export class RedisRegistry implements ClusterRegistry {
  readonly #cmd: Redis;
  readonly #sub: Redis;
  readonly #channels = new Map<string, Set<BusHandler>>();

  private constructor(cmd: Redis, sub: Redis) {
    this.#cmd = cmd;
    this.#sub = sub;
    sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      const set = this.#channels.get(channel.toString());
      if (set === undefined) return;
      const bytes = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
      for (const handler of [...set]) handler(bytes);
    });
  }

  /**
   * Connect (two connections: commands and subscriptions) to `url` (`redis://host:port/db`).
   * @throws {@link ClusterError} `REGISTRY_ERROR` when Redis cannot be reached.
   */
  static async connect(url: string): Promise<RedisRegistry> {
    const options = { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5000 };
    const cmd = new Redis(url, options);
    const sub = new Redis(url, options);
    // ioredis reconnects by itself; errors are reported by the failing commands.
    cmd.on('error', () => {});
    sub.on('error', () => {});
    try {
      await Promise.all([cmd.connect(), sub.connect()]);
    } catch (cause) {
      cmd.disconnect();
      sub.disconnect();
      throw new ClusterError(ClusterErrorCode.REGISTRY_ERROR, `cannot connect to Redis at ${url}`, { cause });
    }
    return new RedisRegistry(cmd, sub);
  }

  async publishNode(entry: NodeEntry, ttlMs: number): Promise<void> {
    await this.#cmd
      .multi()
      .set(nodeKey(entry.nodeId), JSON.stringify(entry), 'PX', Math.max(1, Math.round(ttlMs)))
      .sadd(NODES, entry.nodeId)
      .exec();
  }

  async removeNode(nodeId: string): Promise<void> {
    await this.#cmd.multi().del(nodeKey(nodeId)).srem(NODES, nodeId).exec();
  }

  async nodes(): Promise<NodeEntry[]> {
    const ids = await this.#cmd.smembers(NODES);
    if (ids.length === 0) return [];
    const values = await this.#cmd.mget(ids.map(nodeKey));
    const out: NodeEntry[] = [];
    const expired: string[] = [];
    values.forEach((value, i) => {
      if (value === null) {
        expired.push(ids[i]!);
        return;
      }
      try {
        out.push(JSON.parse(value) as NodeEntry);
      } catch {
        // A foreign or corrupt entry: skip it.
      }
    });
    if (expired.length > 0) await this.#cmd.srem(NODES, ...expired);
    return out;
  }

  async subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    let set = this.#channels.get(channel);
    if (set === undefined) {
      set = new Set();
      this.#channels.set(channel, set);
      await this.#sub.subscribe(channel);
    }
    const entry: BusHandler = (m) => handler(m);
    set.add(entry);
    return async () => {
      set.delete(entry);
      if (set.size === 0 && this.#channels.get(channel) === set) {
        this.#channels.delete(channel);
        await this.#sub.unsubscribe(channel);
      }
    };
  }

  async publish(channel: string, message: Uint8Array): Promise<void> {
    await this.#cmd.publish(channel, Buffer.from(message.buffer, message.byteOffset, message.byteLength));
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#cmd.quit(), this.#sub.quit()]);
  }
}
