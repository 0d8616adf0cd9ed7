/**
 * The load test: N bots (real `@netplay/client` clients, one session each) join rooms of one type
 * with `joinOrCreate`, then each relays `hz` timestamped messages per second to the others in its
 * room for `duration` ms. Every delivery's latency (send → relay through the server → receive, on
 * this process's clock) goes into a histogram; join failures, room errors and unexpected leaves
 * are counted by code.
 * @module
 */
import { Client, type Room } from '@netplay/client';
import { LatencyHistogram } from './histogram.js';
import { type LoadtestOptions, type ResolvedLoadtestOptions, resolveLoadtestOptions } from './options.js';

/** Progress of a running load test (reported a few times a second). */
export interface LoadtestProgress {
  /** `joining`, `sending`, `draining` or `leaving`. */
  readonly phase: 'joining' | 'sending' | 'draining' | 'leaving';
  readonly joined: number;
  readonly clients: number;
  /** Milliseconds of sending so far (0 while joining). */
  readonly elapsed: number;
  readonly duration: number;
  readonly sent: number;
  readonly delivered: number;
  readonly errors: number;
}

/** What a load test measured. */
export interface LoadtestSummary {
  readonly url: string;
  readonly room: string;
  readonly clients: number;
  readonly hz: number;
  /** Bots that joined. */
  readonly joined: number;
  /** Rooms the bots ended up in. */
  readonly rooms: number;
  /** Successful joins per second over the join phase. */
  readonly joinsPerSecond: number;
  /** Milliseconds from the first join to the last settled join. */
  readonly joinPhaseMs: number;
  /** Milliseconds of sending. */
  readonly sendPhaseMs: number;
  /** Relays sent. */
  readonly sent: number;
  /** Relays received by bots (one relay reaches every other member of its room). */
  readonly delivered: number;
  /** Delivered relays per second over the send phase and drain. */
  readonly deliveredPerSecond: number;
  /** Deliveries expected from what was sent (each relay × the other bots in the sender's room). */
  readonly expected: number;
  /** Send → receive latency of deliveries, ms. */
  readonly latency: {
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
    readonly max: number;
    readonly mean: number;
  };
  /** Reliable messages the bots' connections sent again after a loss. */
  readonly resends: number;
  /** Errors by code: join failures (`join:<CODE>`), room errors (`<CODE>`), unexpected leaves (`leave:<code>`). */
  readonly errors: Readonly<Record<string, number>>;
}

/** Hooks of {@link loadtest}. */
export interface LoadtestHooks {
  /** Called about four times a second while the test runs. */
  onProgress?(progress: LoadtestProgress): void;
  /** Stop early (e.g. on Ctrl-C): sending stops, then drain and leave as usual. */
  signal?: AbortSignal;
}

interface Bot {
  readonly room: Room;
  seq: number;
}

/** Relay payload: send time (this process's clock), sequence, padding. */
type Probe = [t: number, seq: number, pad: Uint8Array];

const now = (): number => performance.now();

/** Run a load test; resolves with its summary once every bot has left. */
export async function loadtest(options: LoadtestOptions = {}, hooks: LoadtestHooks = {}): Promise<LoadtestSummary> {
  const o: ResolvedLoadtestOptions = resolveLoadtestOptions(options);
  const errors: Record<string, number> = {};
  const count = (code: string): void => {
    errors[code] = (errors[code] ?? 0) + 1;
  };
  const histogram = new LatencyHistogram();
  const bots: Bot[] = [];
  const membersOf = new Map<string, number>();
  let phase: LoadtestProgress['phase'] = 'joining';
  let sent = 0;
  let delivered = 0;
  let expected = 0;
  let sendStart = 0;
  let sendEnd = 0;
  let leaving = false;
  const silent = { warn() {}, error() {} };
  const progress = (): void =>
    hooks.onProgress?.({
      phase,
      joined: bots.length,
      clients: o.clients,
      elapsed: phase === 'joining' ? 0 : Math.min(o.duration, (sendEnd || now()) - sendStart),
      duration: o.duration,
      sent,
      delivered,
      errors: Object.values(errors).reduce((a, b) => a + b, 0),
    });
  const ticker = setInterval(progress, 250);

  try {
    // ---- join, `joinConcurrency` at a time ----
    const joinStart = now();
    let next = 0;
    const joinOne = async (i: number): Promise<void> => {
      const network = o.network === undefined ? undefined : { ...o.network, seed: (o.network.seed ?? 0) + i * 7919 };
      const client = new Client(o.url, { logger: silent, ...(network === undefined ? {} : { network }) });
      try {
        const room = await client.joinOrCreate(o.room, { name: `bot-${i + 1}` });
        const bot: Bot = { room, seq: 0 };
        room.on('relay', (payload) => {
          if (!Array.isArray(payload) || typeof payload[0] !== 'number') return;
          delivered++;
          histogram.record(now() - payload[0]);
        });
        room.on('error', (error) => count((error as { code?: string }).code ?? error.name));
        room.on('leave', (code) => {
          if (!leaving) count(`leave:${code}`);
        });
        bots.push(bot);
      } catch (error) {
        count(`join:${(error as { code?: string }).code ?? (error instanceof Error ? error.name : 'ERROR')}`);
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(o.joinConcurrency, o.clients) }, async () => {
        while (next < o.clients && !hooks.signal?.aborted) await joinOne(next++);
      }),
    );
    const joinPhaseMs = now() - joinStart;
    for (const bot of bots) membersOf.set(bot.room.roomId, (membersOf.get(bot.room.roomId) ?? 0) + 1);

    // ---- send: each bot relays `hz` times a second, bots spread over the interval ----
    phase = 'sending';
    sendStart = now();
    const interval = 1000 / o.hz;
    const pad = new Uint8Array(o.payloadBytes);
    await new Promise<void>((resolve) => {
      const timers: ReturnType<typeof setTimeout>[] = [];
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        for (const t of timers) clearTimeout(t);
        resolve();
      };
      bots.forEach((bot, i) => {
        const first = (interval * i) / Math.max(1, bots.length);
        const tick = (k: number): void => {
          if (finished) return;
          if (bot.room.state === 'joined') {
            const probe: Probe = [now(), bot.seq++, pad];
            try {
              bot.room.relay(probe, { reliable: o.reliable });
              sent++;
              // The other bots in its room (all joined before sending began): not the sender's
              // view of its peers, which may lag a join, and may hold members that are not bots.
              expected += (membersOf.get(bot.room.roomId) ?? 1) - 1;
            } catch (error) {
              count((error as { code?: string }).code ?? 'SEND_FAILED');
            }
          }
          // Fixed timeline: lateness does not accumulate.
          const at = sendStart + first + (k + 1) * interval;
          timers[i] = setTimeout(() => tick(k + 1), Math.max(0, at - now()));
        };
        timers[i] = setTimeout(() => tick(0), first);
      });
      const end = setTimeout(finish, o.duration);
      timers.push(end);
      hooks.signal?.addEventListener('abort', finish, { once: true });
    });
    sendEnd = now();

    // ---- drain: wait for deliveries in flight (until all expected arrived, or `drain` ms) ----
    phase = 'draining';
    const drainUntil = now() + o.drain;
    while (delivered < expected && now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
    const measuredMs = now() - sendStart;

    phase = 'leaving';
    progress();
    const resends = bots.reduce((sum, bot) => sum + bot.room.stats.messagesResent, 0);
    leaving = true;
    await Promise.all(bots.map((bot) => bot.room.leave().catch(() => {})));

    return {
      url: o.url,
      room: o.room,
      clients: o.clients,
      hz: o.hz,
      joined: bots.length,
      rooms: membersOf.size,
      joinsPerSecond: joinPhaseMs > 0 ? (bots.length / joinPhaseMs) * 1000 : 0,
      joinPhaseMs,
      sendPhaseMs: sendEnd - sendStart,
      sent,
      delivered,
      deliveredPerSecond: measuredMs > 0 ? (delivered / measuredMs) * 1000 : 0,
      expected,
      latency: {
        p50: histogram.percentile(50),
        p95: histogram.percentile(95),
        p99: histogram.percentile(99),
        max: histogram.max,
        mean: histogram.mean,
      },
      resends,
      errors,
    };
  } finally {
    clearInterval(ticker);
    leaving = true;
  }
}
