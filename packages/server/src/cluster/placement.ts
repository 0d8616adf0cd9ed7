/**
 * Placement: which worker hosts a new room. Least connections by default (best for long
 * sessions), round robin and source-address hash (the same address lands on the same worker) as
 * options, or any {@link PlacementStrategy} of your own.
 * @module
 */

/** Names of the built-in strategies (the `placement` option, `--placement`). */
export const PLACEMENT_NAMES = ['least-connections', 'round-robin', 'source-hash'] as const;

/** What a strategy knows of one live worker. */
export interface WorkerLoad {
  /** Worker index (its port is `workerPorts.from + index`). */
  readonly index: number;
  /** Sessions on the worker plus seats reserved and not used yet (the connections it will have). */
  readonly connections: number;
  /** Rooms on the worker. */
  readonly rooms: number;
  /** Mean event-loop delay over the last heartbeat, in ms. */
  readonly eventLoopLag: number;
}

/** The room being placed. */
export interface PlacementRequest {
  /** Room type name. */
  readonly roomName: string;
  /** Address of the client asking. */
  readonly remoteAddress: string;
}

/** Chooses a worker for a new room among the live ones (never empty). */
export interface PlacementStrategy {
  /** Name (for logs). */
  readonly name: string;
  /** The chosen worker (one of `workers`). */
  choose(workers: readonly WorkerLoad[], request: PlacementRequest): WorkerLoad;
}

/** Fewest connections; ties go to fewer rooms, then the lower index. */
export class LeastConnectionsPlacement implements PlacementStrategy {
  readonly name = 'least-connections';
  choose(workers: readonly WorkerLoad[]): WorkerLoad {
    let best = workers[0]!;
    for (const w of workers) {
      if (
        w.connections < best.connections ||
        (w.connections === best.connections &&
          (w.rooms < best.rooms || (w.rooms === best.rooms && w.index < best.index)))
      ) {
        best = w;
      }
    }
    return best;
  }
}

/** Each worker in turn (by index, skipping dead ones). */
export class RoundRobinPlacement implements PlacementStrategy {
  readonly name = 'round-robin';
  #next = 0;
  choose(workers: readonly WorkerLoad[]): WorkerLoad {
    const sorted = [...workers].sort((a, b) => a.index - b.index);
    const chosen = sorted.find((w) => w.index >= this.#next) ?? sorted[0]!;
    this.#next = chosen.index + 1;
    return chosen;
  }
}

/** A hash of the client's address picks the worker: the same address lands on the same live worker. */
export class SourceHashPlacement implements PlacementStrategy {
  readonly name = 'source-hash';
  choose(workers: readonly WorkerLoad[], request: PlacementRequest): WorkerLoad {
    const sorted = [...workers].sort((a, b) => a.index - b.index);
    return sorted[fnv1a(request.remoteAddress) % sorted.length]!;
  }
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The strategy for a `placement` option. */
export function placementStrategy(option: (typeof PLACEMENT_NAMES)[number] | PlacementStrategy): PlacementStrategy {
  if (typeof option === 'object') return option;
  if (option === 'round-robin') return new RoundRobinPlacement();
  if (option === 'source-hash') return new SourceHashPlacement();
  return new LeastConnectionsPlacement();
}
