/**
 * A terminal chat client: `npx tsx examples/chat/client.ts <name> [url]`.
 * Each line you type is relayed to the other members; theirs are printed with their session id.
 * `url` defaults to `ws://127.0.0.1:2567` (try `udp://127.0.0.1:2568`). Type `/quit` or Ctrl-D to leave.
 * @module
 */
import { createInterface } from 'node:readline';
import { Client, SessionError } from '@netplay/client';
import type { ChatLine, ChatRefusal, ChatRelay } from './room.js';

const name = process.argv[2] ?? 'guest';
const url = process.argv[3] ?? 'ws://127.0.0.1:2567';

const client = new Client(url);
const room = await client.joinOrCreate('chat', { name });
const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: `${name}> ` });

/** Print above the prompt without mangling what the user is typing. */
const print = (line: string): void => {
  process.stdout.write('\r\x1b[K');
  console.log(line);
  rl.prompt(true);
};

room.onMessage<ChatLine[]>('history', (lines) => {
  for (const l of lines) print(`  [${l.from}] ${l.name}: ${l.text}`);
});
room.onMessage<ChatRefusal>('refused', ({ reason }) => print(`! not sent: ${reason}`));
room.on('relay', (payload, from) => {
  const { name: sender, text } = payload as ChatRelay;
  print(`[${from}] ${sender}: ${text}`);
});
room.on('peer-join', (id) => print(`* ${id} joined`));
room.on('peer-leave', (id) => print(`* ${id} left`));
room.on('reconnecting', () => print('* connection lost, reconnecting…'));
room.on('reconnected', () => print('* reconnected'));
room.on('error', (error) => {
  // A refused line also arrives as an INVALID_REQUEST error; the `refused` message said why.
  if (error instanceof SessionError && error.code === 'INVALID_REQUEST') return;
  print(`! ${error.message}`);
});
room.on('leave', (code, reason) => {
  console.log(`\nleft the room (${code} ${reason})`);
  process.exit(0);
});

console.log(`joined chat room ${room.roomId} as ${room.sessionId} (${name}) over ${url}`);
rl.prompt();
rl.on('line', (line) => {
  if (line.trim() === '/quit') {
    rl.close();
    return;
  }
  if (line.length > 0) room.relay({ text: line });
  rl.prompt();
});
rl.on('close', () => {
  void room.leave();
});
