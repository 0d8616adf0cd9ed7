/**
 * The soak test's clients, in their own process: `clients` real Netplay clients over UDP, each
 * through the client's network simulator (latency, jitter, loss both ways), in rooms of
 * `clientsPerRoom`, relaying a numbered reliable message to the rest of their room at `hz`. Every
 * receiver checks every sender's numbers: a gap is a lost message, a repeat a duplicate, a step
 * back a reordering.
 * @module
 */
import { Client, type Room } from '@netplay/client';
import type { SoakCommand, SoakReply } from './protocol.js';

const reply = (m: SoakReply): void => {
  process.send?.(m);
};

const quiet = { info() {}, warn() {}, error() {} };

interface Bot {
  room: Room;
  index: number;
  sent: number;
  /** Next number expected from each sender index. */
  expected: Map<number, number>;
  received: number;
}

async function run(c: SoakCommand): Promise<void> {
  const started = performance.now();
  const bots: Bot[] = [];
  const totals = { lost: 0, duplicated: 0, unexpectedLeaves: 0, reconnects: 0 };
  const errors: Record<string, number> = {};
  const rooms = Math.ceil(c.clients / c.clientsPerRoom);
  let stopping = false;
  const makeBot = (room: Room, index: number): Bot => {
    const bot: Bot = { room, index, sent: 0, expected: new Map(), received: 0 };
    room.on('relay', (payload) => {
      const [from, seq] = payload as [number, number];
      const want = bot.expected.get(from) ?? 0;
      if (seq === want) bot.expected.set(from, want + 1);
      else if (seq > want) {
        totals.lost += seq - want;
        bot.expected.set(from, seq + 1);
      } else totals.duplicated++;
      bot.received++;
    });
    room.on('error', (error) => {
      const code = (error as { code?: string }).code ?? 'UNKNOWN';
      errors[code] = (errors[code] ?? 0) + 1;
    });
    room.on('reconnected', () => totals.reconnects++);
    room.on('leave', () => {
      if (!stopping) totals.unexpectedLeaves++;
    });
    return bot;
  };
  const make = (index: number) =>
    new Client(c.url, {
      logger: quiet,
      network: { latency: c.latency, jitter: c.jitter, loss: c.loss, seed: index + 1 },
    });
  // Every room at once: its first client creates it, the rest join it by id.
  const joined = await Promise.all(
    Array.from({ length: rooms }, async (_, r) => {
      const base = c.firstIndex + r * c.clientsPerRoom;
      const size = Math.min(c.clientsPerRoom, c.firstIndex + c.clients - base);
      const first = await make(base).create('soak');
      const rest = await Promise.all(
        Array.from({ length: size - 1 }, (_, k) => make(base + k + 1).joinById(first.roomId)),
      );
      return [first, ...rest].map((room, k) => makeBot(room, base + k));
    }),
  );
  bots.push(...joined.flat());
  reply({ op: 'joined', clients: bots.length, ms: Math.round(performance.now() - started) });

  const interval = 1000 / c.hz;
  const timers = bots.map((bot) =>
    setTimeout(() => {
      const tick = setInterval(() => {
        if (bot.room.state === 'joined' || bot.room.state === 'reconnecting') {
          bot.room.relay([bot.index, bot.sent]);
          bot.sent++;
        }
      }, interval);
      timers.push(tick as unknown as ReturnType<typeof setTimeout>);
    }, Math.random() * interval),
  );
  const sum = (f: (b: Bot) => number) => bots.reduce((s, b) => s + f(b), 0);
  const progress = setInterval(() => {
    reply({
      op: 'progress',
      sent: sum((b) => b.sent),
      received: sum((b) => b.received),
      resent: sum((b) => b.room.stats.messagesResent),
    });
  }, 5000);
  await new Promise((resolve) => setTimeout(resolve, c.seconds * 1000));
  for (const t of timers) clearInterval(t as unknown as ReturnType<typeof setInterval>);

  // Drain: every receiver should reach every sender's last number (bounded wait).
  const deadline = Date.now() + 15_000;
  const complete = () =>
    bots.every((bot) =>
      bots
        .filter((other) => other !== bot && other.room.roomId === bot.room.roomId)
        .every((other) => (bot.expected.get(other.index) ?? 0) >= other.sent),
    );
  while (!complete() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  clearInterval(progress);
  // Whatever is still missing after the drain is lost.
  for (const bot of bots) {
    for (const other of bots) {
      if (other === bot || other.room.roomId !== bot.room.roomId) continue;
      totals.lost += Math.max(0, other.sent - (bot.expected.get(other.index) ?? 0));
    }
  }
  const resent = sum((b) => b.room.stats.messagesResent);
  stopping = true;
  await Promise.all(bots.map((b) => b.room.leave()));
  reply({
    op: 'done',
    sent: sum((b) => b.sent),
    received: sum((b) => b.received),
    ...totals,
    errors,
    resent,
  });
}

process.on('message', (m: SoakCommand) => {
  if (m.op !== 'start') return;
  run(m).then(
    () => process.exit(0),
    (error: Error) => {
      reply({ op: 'failed', message: error.stack ?? error.message });
      process.exit(1);
    },
  );
});
process.on('disconnect', () => process.exit(0));
