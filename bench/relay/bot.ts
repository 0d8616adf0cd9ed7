/**
 * Bot child: opens clients, relays a payload from each at `hz` with a random phase, and records
 * the latency of every relay it receives (receive time − the sender's timestamp in the payload).
 * Netplay clients use `@netplay/client` (`room.relay`, `room.on('relay')`); baseline clients plain
 * `ws` with msgpack. Driven by the harness over IPC.
 * @module
 */
import { decode, decodeMulti, encode } from '@msgpack/msgpack';
import { Client, type Room } from '@netplay/client';
import { WebSocket } from 'ws';
import { LoopDelayWindow } from './loop-delay.js';
import {
  type BotCommand,
  type BotReply,
  envNumber,
  epochNow,
  experimentConnection,
  isBare,
  makePayload,
  type RelayPayload,
} from './protocol.js';
import { startWindowProfile, stopWindowProfile } from './window-profile.js';

/** One benchmark client, whatever it runs on. */
interface BotClient {
  send(seq: number): void;
  close(): Promise<void>;
}

const reply = (message: BotReply): void => {
  process.send?.(message);
};

let measuring = false;
let latencies: number[] = [];
let deliveries = 0;
let sent = 0;
let seq = 0;
let errors = 0;
let clients: BotClient[] = [];
let cpuStart: NodeJS.CpuUsage | undefined;
const loopDelay = new LoopDelayWindow();
const timers: NodeJS.Timeout[] = [];

function received(payload: unknown): void {
  if (!measuring) return;
  const t = (payload as RelayPayload | null)?.t;
  if (typeof t !== 'number') {
    errors++;
    return;
  }
  latencies.push(epochNow() - t);
  deliveries++;
}

const silent = {
  warn: () => {},
  error: () => {
    errors++;
  },
};

async function connectNetplay(url: string, rooms: number[], perRoom: number, reliable: boolean): Promise<BotClient[]> {
  // Experiments only (`--client-ack-delay=ms`, and those the server shares): public `connection` options.
  const ackDelay = envNumber('NETPLAY_BENCH_CLIENT_ACK_DELAY');
  const client = new Client(url, {
    reconnect: { enabled: false },
    logger: silent,
    connection: { ...experimentConnection(), ...(ackDelay === undefined ? {} : { ackDelay }) },
  });
  const wrap = (room: Room): BotClient => {
    room.on('relay', received);
    room.on('error', () => {
      errors++;
    });
    return {
      send: (n) => room.relay(makePayload(n), { reliable }),
      close: () => room.leave(),
    };
  };
  const joinRoom = async (): Promise<BotClient[]> => {
    const first = await client.create('relay');
    const rest = await Promise.all(Array.from({ length: perRoom - 1 }, () => client.joinById(first.roomId)));
    return [first, ...rest].map(wrap);
  };
  return (await Promise.all(rooms.map(joinRoom))).flat();
}

function connectBare(url: string, rooms: number[], perRoom: number, batched: boolean): Promise<BotClient[]> {
  const open = (room: number) =>
    new Promise<BotClient>((resolve, reject) => {
      const ws = new WebSocket(`${url}/?room=r${room}`, { perMessageDeflate: false });
      ws.binaryType = 'nodebuffer';
      ws.once('open', () =>
        resolve({
          send: (seq) => ws.send(encode(makePayload(seq))),
          close: () =>
            new Promise<void>((done) => {
              ws.once('close', () => done());
              ws.close();
            }),
        }),
      );
      ws.once('error', reject);
      ws.on('message', (data: Buffer) => {
        if (!batched) received(decode(data));
        else for (const message of decodeMulti(data)) received(message);
      });
    });
  return Promise.all(rooms.flatMap((room) => Array.from({ length: perRoom }, () => open(room))));
}

function start(hz: number, aligned: boolean): void {
  const period = 1000 / hz;
  for (const client of clients) {
    const phase = setTimeout(
      () => {
        const tick = () => {
          try {
            client.send(seq++);
            if (measuring) sent++;
          } catch {
            errors++;
          }
        };
        tick();
        timers.push(setInterval(tick, period));
      },
      aligned ? 0 : Math.random() * period,
    );
    timers.push(phase);
  }
}

function stop(): void {
  for (const t of timers) clearTimeout(t);
  timers.length = 0;
}

process.on('message', (m: BotCommand) => {
  switch (m.cmd) {
    case 'connect': {
      const startedAt = epochNow();
      const connectCpu = process.cpuUsage();
      const cpuUs = () => {
        const c = process.cpuUsage(connectCpu);
        return c.user + c.system;
      };
      void startWindowProfile();
      const opening = isBare(m.target)
        ? connectBare(m.url, m.rooms, m.clientsPerRoom, m.target !== 'bare-ws')
        : connectNetplay(m.url, m.rooms, m.clientsPerRoom, m.reliable);
      opening.then(
        (opened) => {
          clients = clients.concat(opened);
          void stopWindowProfile('bot-connect');
          reply({
            type: 'connected',
            clients: opened.length,
            startedAt,
            doneAt: epochNow(),
            failures: 0,
            cpuUs: cpuUs(),
          });
        },
        (error: unknown) => {
          console.error('[bot] connect failed:', error);
          reply({ type: 'connected', clients: 0, startedAt, doneAt: epochNow(), failures: 1, cpuUs: cpuUs() });
        },
      );
      return;
    }
    case 'start':
      start(m.hz, m.aligned);
      reply({ type: 'started' });
      return;
    case 'measure-start':
      latencies = [];
      deliveries = 0;
      sent = 0;
      errors = 0;
      measuring = true;
      cpuStart = process.cpuUsage();
      loopDelay.start();
      void startWindowProfile();
      reply({ type: 'measure-started' });
      return;
    case 'measure-stop':
      measuring = false;
      void stopWindowProfile('bot-load');
      {
        const cpu = process.cpuUsage(cpuStart);
        const cpuUs = cpu.user + cpu.system;
        const loopDelayMaxMs = loopDelay.stop();
        reply({
          type: 'measured',
          sent,
          deliveries,
          errors,
          cpuUs,
          latencies: Float64Array.from(latencies),
          loopDelayMaxMs,
        });
      }
      latencies = [];
      return;
    case 'stop':
      stop();
      reply({ type: 'stopped' });
      return;
    case 'disconnect': {
      stop();
      const closing = clients;
      clients = [];
      void Promise.allSettled(closing.map((c) => c.close())).then(() => reply({ type: 'disconnected' }));
      return;
    }
    case 'close': {
      stop();
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 3000).unref());
      void Promise.race([Promise.allSettled(clients.map((c) => c.close())), timeout]).then(() => {
        reply({ type: 'closed' });
        process.exit(0);
      });
      return;
    }
  }
});
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready' });
