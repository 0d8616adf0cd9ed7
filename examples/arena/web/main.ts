/**
 * The arena in a browser: a canvas, your player moved with the arrow keys or WASD, everyone else
 * drawn from the server's 20 Hz `state` snapshots through a {@link SnapshotBuffer} (interpolated
 * 100 ms behind), and controls that put the client's network simulator (`network` option) on the
 * connection: applying them reconnects to the same room with the new conditions.
 *
 * Bundled for the browser by `web/bundle.ts` (esbuild, at the demo server's start) and served at
 * `/arena/`. Your own player is predicted locally with the shared `movePlayer` and pulled gently
 * towards the server's position.
 *
 * For tests, `window.arena` exposes what the page shows (see {@link ArenaPageState}).
 * @module
 */
import { Client, type ClientNetworkOptions, type Room } from '@netplay/client';
import {
  type ArenaConfig,
  type ArenaInput,
  type ArenaState,
  type ArenaWelcome,
  DEFAULT_ARENA_CONFIG,
  movePlayer,
} from '../game.js';
import { type DrawnPlayer, SnapshotBuffer } from './interpolation.js';

/** What `window.arena` exposes: the page's state as drawn. */
export interface ArenaPageState {
  /** `connecting`, `joined`, `reconnecting` or `error: …`. */
  status: string;
  roomId: string | undefined;
  myId: string | undefined;
  /** Players as drawn in the last frame (yours predicted, others interpolated). */
  players: DrawnPlayer[];
  /** Snapshots received since the last (re)join. */
  snapshots: number;
  /** The network conditions in force. */
  network: ClientNetworkOptions | undefined;
}

declare global {
  interface Window {
    arena: ArenaPageState;
  }
}

const BACKGROUND = '#10161d';
const RADIUS = 14;
const canvas = document.querySelector<HTMLCanvasElement>('#arena') as HTMLCanvasElement;
const g = canvas.getContext('2d') as CanvasRenderingContext2D;
const statusEl = document.querySelector('#status') as HTMLElement;
const statsEl = document.querySelector('#stats') as HTMLElement;
const latencyEl = document.querySelector<HTMLInputElement>('#latency') as HTMLInputElement;
const lossEl = document.querySelector<HTMLInputElement>('#loss') as HTMLInputElement;
const applyEl = document.querySelector<HTMLButtonElement>('#apply') as HTMLButtonElement;
const params = new URLSearchParams(location.search);
const name = params.get('name') ?? `player-${Math.floor(Math.random() * 1000)}`;
const serverUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;

const page: ArenaPageState = {
  status: 'connecting',
  roomId: undefined,
  myId: undefined,
  players: [],
  snapshots: 0,
  network: undefined,
};
window.arena = page;

let room: Room | undefined;
let config: ArenaConfig = { ...DEFAULT_ARENA_CONFIG };
let buffer = new SnapshotBuffer({ tickRate: config.tickRate });
let predicted: { x: number; y: number } | undefined;
let latestOwn: { x: number; y: number } | undefined;
let input: ArenaInput = { dx: 0, dy: 0 };
let snapshotTimes: number[] = [];

function setStatus(status: string): void {
  page.status = status;
  statusEl.textContent = status;
}

/**
 * Join (or rejoin) the arena with `network` conditions. A rejoin joins the same room on a new client
 * first, then leaves on the old one (so the room is not disposed in between when you are alone).
 */
async function connect(network: ClientNetworkOptions | undefined): Promise<void> {
  const previous = room;
  room = undefined;
  setStatus(previous === undefined ? 'connecting' : 'reconnecting');
  page.network = network;
  const client = new Client(serverUrl, network === undefined ? {} : { network });
  const options = { name };
  let joined: Room;
  try {
    joined =
      page.roomId === undefined
        ? await client.joinOrCreate('arena', options)
        : await client.joinById(page.roomId, options).catch(() => client.joinOrCreate('arena', options));
  } catch (error) {
    room = previous; // keep playing on the old connection
    setStatus(`error: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  void previous?.leave().catch(() => {});
  room = joined;
  buffer.clear();
  predicted = undefined;
  latestOwn = undefined;
  page.snapshots = 0;
  snapshotTimes = [];
  page.roomId = joined.roomId;
  page.myId = joined.sessionId;
  joined.onMessage('welcome', (payload) => {
    const welcome = payload as ArenaWelcome;
    config = welcome.config;
    buffer = new SnapshotBuffer({ tickRate: config.tickRate });
  });
  joined.onMessage('state', (payload) => {
    const state = payload as ArenaState;
    const now = performance.now();
    buffer.push(state, now);
    page.snapshots++;
    snapshotTimes.push(now);
    const own = state.players.find((p) => p.id === joined.sessionId);
    if (own !== undefined) latestOwn = { x: own.x, y: own.y };
  });
  joined.on('leave', (code, reason) => {
    if (room === joined) setStatus(`left (${code} ${reason})`);
  });
  joined.on('reconnecting', () => setStatus('reconnecting'));
  joined.on('reconnected', () => setStatus('joined'));
  joined.on('error', (error) => console.warn('arena:', error.message));
  sendInput();
  setStatus('joined');
}

function sendInput(): void {
  if (room?.state === 'joined') room.send('input', input);
}

// ---- keyboard ------------------------------------------------------------------------------------

const held = new Set<string>();
const KEYS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
  KeyA: [-1, 0],
  KeyD: [1, 0],
  KeyW: [0, -1],
  KeyS: [0, 1],
};

function updateInput(): void {
  let dx = 0;
  let dy = 0;
  for (const code of held) {
    const [x, y] = KEYS[code] ?? [0, 0];
    dx += x;
    dy += y;
  }
  const next = { dx: Math.sign(dx), dy: Math.sign(dy) };
  if (next.dx === input.dx && next.dy === input.dy) return;
  input = next;
  sendInput();
}

const typing = (event: KeyboardEvent): boolean => event.target instanceof HTMLInputElement;
window.addEventListener('keydown', (event) => {
  if (typing(event) || !(event.code in KEYS)) return;
  event.preventDefault();
  held.add(event.code);
  updateInput();
});
window.addEventListener('keyup', (event) => {
  if (!(event.code in KEYS)) return;
  held.delete(event.code);
  updateInput();
});
window.addEventListener('blur', () => {
  held.clear();
  updateInput();
});

// ---- network controls -------------------------------------------------------------------------------

applyEl.addEventListener('click', () => {
  const latency = Math.max(0, Number(latencyEl.value) || 0);
  const loss = Math.min(0.9, Math.max(0, (Number(lossEl.value) || 0) / 100));
  const network = latency === 0 && loss === 0 ? undefined : { latency, loss };
  applyEl.blur();
  void connect(network);
});

// ---- frame ------------------------------------------------------------------------------------------

let lastFrame = performance.now();

function frame(now: number): void {
  const dt = Math.min(0.1, (now - lastFrame) / 1000);
  lastFrame = now;
  const others = buffer.sample(now).filter((p) => p.id !== page.myId);
  if (latestOwn !== undefined) {
    predicted = predicted === undefined ? { ...latestOwn } : movePlayer(predicted, input, dt, config);
    // Reconcile: the server is authoritative. Standing still, converge on its position; moving, only
    // correct a large error (the server's position is an RTT behind the prediction while moving).
    const ex = latestOwn.x - predicted.x;
    const ey = latestOwn.y - predicted.y;
    const moving = input.dx !== 0 || input.dy !== 0;
    const pull = moving ? (Math.hypot(ex, ey) > config.speed * 0.5 ? 0.1 : 0) : 0.15;
    predicted = { x: predicted.x + ex * pull, y: predicted.y + ey * pull };
  }
  const mine = buffer.sample(now).find((p) => p.id === page.myId);
  const players: DrawnPlayer[] =
    mine !== undefined && predicted !== undefined ? [...others, { ...mine, ...predicted }] : others;
  page.players = players;
  draw(players);
  while (snapshotTimes.length > 0 && (snapshotTimes[0] as number) < now - 1000) snapshotTimes.shift();
  const stats = room?.stats;
  statsEl.textContent =
    stats === undefined
      ? ''
      : `RTT ${stats.rtt.toFixed(0)} ms · loss ${(stats.packetLoss * 100).toFixed(1)} % · state ${snapshotTimes.length}/s · ` +
        `${players.length} player${players.length === 1 ? '' : 's'}` +
        (page.network === undefined
          ? ''
          : ` · simulating ${page.network.latency ?? 0} ms, ${((page.network.loss ?? 0) * 100).toFixed(0)} % loss`);
  requestAnimationFrame(frame);
}

function draw(players: readonly DrawnPlayer[]): void {
  if (canvas.width !== config.width || canvas.height !== config.height) {
    canvas.width = config.width;
    canvas.height = config.height;
  }
  g.fillStyle = BACKGROUND;
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.strokeStyle = '#1c2631';
  g.lineWidth = 1;
  for (let x = 50; x < canvas.width; x += 50) {
    g.beginPath();
    g.moveTo(x + 0.5, 0);
    g.lineTo(x + 0.5, canvas.height);
    g.stroke();
  }
  for (let y = 50; y < canvas.height; y += 50) {
    g.beginPath();
    g.moveTo(0, y + 0.5);
    g.lineTo(canvas.width, y + 0.5);
    g.stroke();
  }
  g.font = '12px system-ui, sans-serif';
  g.textAlign = 'center';
  for (const p of players) {
    g.beginPath();
    g.arc(p.x, p.y, RADIUS, 0, Math.PI * 2);
    g.fillStyle = p.color;
    g.fill();
    if (p.id === page.myId) {
      g.lineWidth = 3;
      g.strokeStyle = '#ffffff';
      g.stroke();
    }
    g.fillStyle = '#d7dde4';
    g.fillText(p.name, p.x, p.y - RADIUS - 6);
  }
}

requestAnimationFrame(frame);
void connect(undefined);
