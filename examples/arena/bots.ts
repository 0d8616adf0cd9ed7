/**
 * Bots for the arena: `npx tsx examples/arena/bots.ts [count] [--url URL] [--network latency=75,loss=0.05]`.
 *
 * Starts `count` clients (default 4) that join `arena`, wander in random directions and print their
 * RTT, loss, snapshot rate and snapshot bytes every second. Each bot speaks the same protocol as the
 * browser page: delta snapshots decoded with `receiveSnapshots` + `SnapshotDecoder`, inputs at the
 * arena's input rate through a {@link Pilot} (sequenced, redundant, predicted). `--network` puts the transport's simulator on every
 * bot's link (the client's `network` option): `latency`, `jitter`, `loss`, `duplicate`, `reorder`,
 * `reorderDelay`, `bandwidth` and `seed`, comma-separated. Over WebSocket the server never resends
 * (TCP does), so only latency and bandwidth apply to what a bot receives; use
 * `--url udp://127.0.0.1:2568` to see loss in both directions.
 * @module
 */
import { pathToFileURL } from 'node:url';
import {
  Client,
  type ClientNetworkOptions,
  type DecodedSnapshot,
  InvalidOptionError,
  parseNetworkSpec,
  type Room,
  receiveSnapshots,
  SnapshotDecoder,
} from '@netplay/client';
import {
  ARENA_FIELDS,
  type ArenaField,
  type ArenaInput,
  type ArenaWelcome,
  DEFAULT_ARENA_CONFIG,
  parseArenaMeta,
} from './game.js';
import { Pilot } from './pilot.js';

/** Options of {@link startBots}. */
export interface BotsOptions {
  /** Server URL. Defaults to `ws://127.0.0.1:2567`. */
  url?: string;
  /** Number of bots. Defaults to 4. */
  count?: number;
  /** Network conditions on each bot's link (each bot gets its own seed). */
  network?: ClientNetworkOptions;
  /** Shortest and longest time (ms) a bot keeps a direction. Defaults to 300 and 1500. */
  wander?: { min: number; max: number };
  /** How often a bot sends its inputs, in ms (it takes one input step per `1 / inputRate` s in between). Defaults to 50. */
  sendInterval?: number;
}

/** One running bot. */
export interface Bot {
  readonly name: string;
  readonly room: Room;
  /** Its position in the latest snapshot's meta, exact (`undefined` before the first one). */
  readonly position: { x: number; y: number } | undefined;
  /** Snapshots decoded so far. */
  readonly snapshots: number;
  /** Snapshot message bytes (the encoded state bodies) received so far. */
  readonly snapshotBytes: number;
  /** The bot's snapshot decoder (`decoder.latest` is the newest world it knows). */
  readonly decoder: SnapshotDecoder<ArenaField>;
  /** Its input / prediction state. */
  readonly pilot: Pilot;
  /** Stop moving (keep receiving snapshots). */
  halt(): void;
}

/** Running bots. */
export interface Bots {
  readonly bots: readonly Bot[];
  /** Make every bot leave the arena. */
  stop(): Promise<void>;
}

/**
 * Parse `latency=75,loss=0.05` into network options (the client's {@link parseNetworkSpec}).
 * @throws {@link InvalidOptionError} for an unknown key or a value that is not a number.
 */
export const parseNetwork = parseNetworkSpec;

const randomDirection = (): ArenaInput => {
  const angle = Math.random() * 2 * Math.PI;
  return { dx: Math.cos(angle), dy: Math.sin(angle) };
};

/** Start bots that join `arena` and wander. Resolves once every bot has joined. */
export async function startBots(options: BotsOptions = {}): Promise<Bots> {
  const url = options.url ?? 'ws://127.0.0.1:2567';
  const count = options.count ?? 4;
  const wander = options.wander ?? { min: 300, max: 1500 };
  const timers = new Set<NodeJS.Timeout>();
  const intervals = new Set<NodeJS.Timeout>();
  let stopped = false;

  const sendInterval = options.sendInterval ?? 50;

  const startBot = async (i: number): Promise<Bot> => {
    const name = `bot-${i + 1}`;
    const network =
      options.network === undefined ? undefined : { ...options.network, seed: (options.network.seed ?? 0) + i * 1000 };
    const client = new Client(url, network === undefined ? {} : { network });
    const room = await client.joinOrCreate('arena', { name });
    const decoder = new SnapshotDecoder<ArenaField>(ARENA_FIELDS);
    let pilot = new Pilot(DEFAULT_ARENA_CONFIG);
    let direction: ArenaInput = { dx: 0, dy: 0 };
    let halted = false;
    const bot = {
      name,
      room,
      decoder,
      get pilot() {
        return pilot;
      },
      get position() {
        return pilot.server;
      },
      snapshots: 0,
      snapshotBytes: 0,
      halt() {
        halted = true;
        direction = { dx: 0, dy: 0 };
      },
    };
    room.onMessage<ArenaWelcome>('welcome', (w) => {
      if (pilot.predictor === undefined) pilot = new Pilot(w.config); // (a snapshot may come first)
    });
    room.onMessage('snapshot', (payload) => {
      const body = Array.isArray(payload) ? payload[4] : undefined;
      if (body instanceof Uint8Array) bot.snapshotBytes += body.length;
    });
    receiveSnapshots(room, decoder, (s: DecodedSnapshot<ArenaField>) => {
      bot.snapshots++;
      const meta = parseArenaMeta(s.meta);
      if (meta !== undefined && !s.stale) pilot.reconcile(meta, performance.now());
    });
    room.on('error', (error) => console.error(`${name}: ${error.message}`));
    const alive = (): boolean => !stopped && room.state !== 'left' && room.state !== 'leaving';
    const turn = (): void => {
      if (!alive()) return;
      if (!halted) direction = randomDirection();
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          turn();
        },
        wander.min + Math.random() * (wander.max - wander.min),
      );
      timers.add(timer);
    };
    turn();
    const send = setInterval(() => {
      if (!alive()) return;
      const message = pilot.update(performance.now(), direction);
      if (message !== undefined && room.state === 'joined') room.send('input', message, { reliable: false });
    }, sendInterval);
    intervals.add(send);
    return bot;
  };

  const bots = await Promise.all(Array.from({ length: count }, (_, i) => startBot(i)));
  return {
    bots,
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      for (const t of intervals) clearInterval(t);
      timers.clear();
      intervals.clear();
      await Promise.all(bots.map((b) => b.room.leave()));
    },
  };
}

/**
 * One line per bot: RTT, jitter, loss, snapshots per second and snapshot bytes per snapshot since
 * the previous report, prediction corrections so far.
 */
function report(bots: readonly Bot[], previous: Map<Bot, [number, number]>): string {
  return bots
    .map((b) => {
      const s = b.room.stats;
      const [snapshots, bytes] = previous.get(b) ?? [0, 0];
      const rate = b.snapshots - snapshots;
      const perSnapshot = rate > 0 ? (b.snapshotBytes - bytes) / rate : 0;
      previous.set(b, [b.snapshots, b.snapshotBytes]);
      const at = b.position === undefined ? '-' : `${b.position.x.toFixed(0)},${b.position.y.toFixed(0)}`;
      const corrections = b.pilot.predictor?.stats.corrections ?? 0;
      return `${b.name.padEnd(7)} rtt ${s.rtt.toFixed(1).padStart(6)} ms  jitter ${s.jitter.toFixed(1).padStart(5)} ms  loss ${(s.packetLoss * 100).toFixed(1).padStart(5)} %  snapshots ${String(rate).padStart(3)}/s ${perSnapshot.toFixed(0).padStart(4)} B  corrections ${corrections}  at ${at}`;
    })
    .join('\n');
}

async function main(argv: readonly string[]): Promise<void> {
  const options: BotsOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new InvalidOptionError(arg, 'needs a value');
      return v;
    };
    if (arg === '--url') options.url = next();
    else if (arg === '--network') options.network = parseNetwork(next());
    else if (arg.startsWith('--network=')) options.network = parseNetwork(arg.slice('--network='.length));
    else if (arg.startsWith('--url=')) options.url = arg.slice('--url='.length);
    else if (/^\d+$/.test(arg)) options.count = Number(arg);
    else throw new InvalidOptionError(arg, 'usage: bots.ts [count] [--url URL] [--network latency=75,loss=0.05]');
  }
  const running = await startBots(options);
  const url = options.url ?? 'ws://127.0.0.1:2567';
  console.log(`${running.bots.length} bots in arena ${running.bots[0]?.room.roomId ?? '?'} over ${url}`);
  if (options.network !== undefined) console.log(`simulated network: ${JSON.stringify(options.network)}`);
  const previous = new Map<Bot, [number, number]>();
  const interval = setInterval(() => console.log(`${report(running.bots, previous)}\n`), 1000);
  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    clearInterval(interval);
    running.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for (const b of running.bots) {
    b.room.on('leave', (code, reason) => {
      console.log(`${b.name} left: ${code} ${reason}`);
      if (running.bots.every((x) => x.room.state === 'left')) {
        clearInterval(interval);
        process.exit(0);
      }
    });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
