/**
 * Manager ↔ manager messaging over the registry's bus (Redis pub/sub across machines): the same
 * typed `op` / `nonce` requests as the worker IPC, msgpack-encoded, one channel per node
 * (`netplay:node:<id>`), plus one presence channel every node listens to.
 * @module
 */
import { PayloadCodec } from '@netplay/transport';
import type { ClusterRegistry } from '../presence/registry.js';
import type { LinkKind } from '../session/session-layer.js';
import { type DirectMessage, IpcEndpoint, type IpcHandlers, type PresenceMessage, type ReserveRequest } from './ipc.js';

/** A seat on another node: where to connect and the token. */
export interface RemoteSeat {
  readonly url: string;
  readonly token: string;
  readonly roomId: string;
}

/** Requests between managers. */
export type NodeRequests = {
  reserve: [{ worker: number; request: ReserveRequest; kind: LinkKind }, RemoteSeat];
  direct: [DirectMessage, boolean];
};
// biome-ignore lint/complexity/noBannedTypes: managers send no notices to one node; presence has its own channel.
type NoNotices = {};

type NodeEndpoint = IpcEndpoint<NodeRequests, NoNotices, NodeRequests, NoNotices>;

const PREFIX = 'netplay:';
/** Bus channel of one node. */
export const nodeChannel = (nodeId: string): string => `${PREFIX}node:${nodeId}`;
/** Bus channel of presence publishes. */
export const PRESENCE_CHANNEL = `${PREFIX}presence`;

/** See the module description. */
export class NodeBus {
  readonly #registry: ClusterRegistry;
  readonly #nodeId: string;
  readonly #handlers: IpcHandlers<NodeRequests, NoNotices>;
  readonly #onPresence: (message: PresenceMessage) => void;
  readonly #timeout: number;
  readonly #codec = new PayloadCodec();
  readonly #endpoints = new Map<string, NodeEndpoint>();
  readonly #unsubscribe: (() => Promise<void>)[] = [];

  constructor(
    registry: ClusterRegistry,
    nodeId: string,
    requests: IpcHandlers<NodeRequests, NoNotices>['requests'],
    onPresence: (message: PresenceMessage) => void,
    timeout: number,
  ) {
    this.#registry = registry;
    this.#nodeId = nodeId;
    this.#handlers = { requests, notices: {} };
    this.#onPresence = onPresence;
    this.#timeout = timeout;
  }

  /** Subscribe to this node's channel and to presence. */
  async start(): Promise<void> {
    this.#unsubscribe.push(await this.#registry.subscribe(nodeChannel(this.#nodeId), (bytes) => this.#onNode(bytes)));
    this.#unsubscribe.push(await this.#registry.subscribe(PRESENCE_CHANNEL, (bytes) => this.#onPresenceBytes(bytes)));
  }

  /** Send request `op` to node `nodeId` and wait for the answer. */
  request<K extends keyof NodeRequests & string>(
    nodeId: string,
    op: K,
    body: NodeRequests[K][0],
  ): Promise<NodeRequests[K][1]> {
    return this.#endpoint(nodeId).request(op, body);
  }

  /** Publish on presence to every other node. */
  publishPresence(message: PresenceMessage): void {
    const bytes = this.#codec.encode({ from: this.#nodeId, topic: message.topic, data: message.data });
    void this.#registry.publish(PRESENCE_CHANNEL, bytes).catch(() => {});
  }

  /** Unsubscribe and fail pending requests. */
  async stop(): Promise<void> {
    for (const endpoint of this.#endpoints.values()) endpoint.close('node bus stopped');
    await Promise.all(this.#unsubscribe.splice(0).map((off) => off().catch(() => {})));
  }

  #endpoint(nodeId: string): NodeEndpoint {
    let endpoint = this.#endpoints.get(nodeId);
    if (endpoint === undefined) {
      const channel = nodeChannel(nodeId);
      endpoint = new IpcEndpoint(
        (frame) => {
          const bytes = this.#codec.encode({ from: this.#nodeId, frame });
          void this.#registry.publish(channel, bytes).catch(() => {});
        },
        this.#handlers,
        this.#timeout,
      );
      this.#endpoints.set(nodeId, endpoint);
    }
    return endpoint;
  }

  #onNode(bytes: Uint8Array): void {
    const envelope = this.#decode(bytes);
    if (envelope === undefined || typeof envelope.from !== 'string' || envelope.from === this.#nodeId) return;
    this.#endpoint(envelope.from).receive(envelope.frame);
  }

  #onPresenceBytes(bytes: Uint8Array): void {
    const envelope = this.#decode(bytes);
    if (envelope === undefined || envelope.from === this.#nodeId || typeof envelope.topic !== 'string') return;
    this.#onPresence({ topic: envelope.topic, data: envelope.data });
  }

  #decode(bytes: Uint8Array): Record<string, unknown> | undefined {
    try {
      const value = this.#codec.decode(bytes);
      return value !== null && typeof value === 'object' && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }
}
