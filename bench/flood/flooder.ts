/**
 * The flood benchmark's attacker, in its own process: joins the room given in argv over WebSocket
 * and relays at `rate` messages/s to everyone in it; when the server disconnects it for flooding
 * it joins again and carries on, until killed.
 * @module
 */
import { Client, type Room } from '@netplay/client';

const [url, roomId, rateArg] = process.argv.slice(2);
const rate = Number(rateArg);
const quiet = { info() {}, warn() {}, error() {} };
let kicks = 0;
let sent = 0;

async function flood(): Promise<void> {
  for (;;) {
    let room: Room;
    try {
      room = await new Client(url!, { logger: quiet, reconnect: { enabled: false } }).joinById(roomId!);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    const left = new Promise<void>((resolve) => room.once('leave', () => resolve()));
    room.on('error', () => {});
    const perTick = Math.max(1, Math.round(rate / 100));
    const timer = setInterval(() => {
      if (room.state !== 'joined') return;
      for (let i = 0; i < perTick; i++) {
        try {
          room.relay({ spam: sent++, pad: 'x'.repeat(32) });
        } catch {
          return;
        }
      }
    }, 10);
    await left;
    clearInterval(timer);
    kicks++;
    process.send?.({ kicks, sent });
  }
}

process.on('disconnect', () => process.exit(0));
void flood();
