/**
 * The arena in a browser, showing the game-feel helpers of `@netplay/client` with switches on the
 * page: snapshots decoded by `receiveSnapshots` + `SnapshotDecoder` (delta or full, as the page
 * asks the room), other players drawn through a `SnapshotInterpolator`, your own player predicted
 * by a `Predictor` running the arena's pure `movePlayer`, and tags (Space, or a click) that the room
 * judges with lag compensation. The network controls put the client's simulator (`network` option)
 * on the connection: applying them reconnects to the same room with the new conditions.
 *
 * Bundled for the browser by `web/serve.ts` (esbuild, on first request) and served at `/arena/`.
 * The drawing logic without the DOM is {@link ArenaView} (`web/view.ts`).
 *
 * For tests, `window.arena` exposes what the page shows (see {@link ArenaPageState}).
 * @module
 */
import { Client, type ClientNetworkOptions, type Room, receiveSnapshots, SnapshotDecoder } from '@netplay/client';
import {
  ARENA_FIELDS,
  type ArenaConfig,
  type ArenaField,
  type ArenaInput,
  type ArenaTag,
  type ArenaTagResult,
  type ArenaWelcome,
  DEFAULT_ARENA_CONFIG,
  TAG_RANGE,
} from '../game.js';
import { ArenaView, type ArenaViewFigures, type DrawnPlayer } from './view.js';

/** The page's switches. */
export interface ArenaToggles {
  /** Ask the room for delta snapshots (else full ones). */
  deltas: boolean;
  /** Draw others interpolated (else the newest snapshot). */
  interpolate: boolean;
  /** Draw yourself predicted (else the server's position). */
  predict: boolean;
  /** Ask the room to judge tags at the time you saw (else at its present). */
  compensate: boolean;
}

/** What `window.arena` exposes: the page's state as drawn. */
export interface ArenaPageState {
  /** `connecting`, `joined`, `reconnecting` or `error: …`. */
  status: string;
  roomId: string | undefined;
  myId: string | undefined;
  /** Players as drawn in the last frame (yours predicted or not, others interpolated or not). */
  players: DrawnPlayer[];
  /** Snapshots decoded since the last (re)join. */
  snapshots: number;
  /** The network conditions in force. */
  network: ClientNetworkOptions | undefined;
  toggles: ArenaToggles;
  /** Live figures since the last (re)join. */
  figures: ArenaViewFigures & {
    decoderMissingBaseline: number;
    /** Everything the page received (datagram bytes: headers, acks, all messages) per snapshot, over the last second. */
    wireBytesPerSnapshot: number;
  };
  /** Your player: predicted position and the server's last reported one (`undefined` before the first snapshot). */
  self: { predicted: { x: number; y: number } | undefined; server: { x: number; y: number } | undefined };
  /** Your tags since the last (re)join: sent, hits, and the last result. */
  tags: { sent: number; hits: number; last: ArenaTagResult | undefined };
}

declare global {
  interface Window {
    arena: ArenaPageState;
  }
}

const BACKGROUND = '#10161d';
const RADIUS = 14;
const $ = <T extends HTMLElement>(selector: string): T => document.querySelector(selector) as T;
const canvas = $<HTMLCanvasElement>('#arena');
const g = canvas.getContext('2d') as CanvasRenderingContext2D;
const statusEl = $('#status');
const statsEl = $('#stats');
const feelStatsEl = $('#feel-stats');
const latencyEl = $<HTMLInputElement>('#latency');
const lossEl = $<HTMLInputElement>('#loss');
const applyEl = $<HTMLButtonElement>('#apply');
const toggleEls = {
  deltas: $<HTMLInputElement>('#deltas'),
  interpolate: $<HTMLInputElement>('#interpolate'),
  predict: $<HTMLInputElement>('#predict'),
  compensate: $<HTMLInputElement>('#compensate'),
};
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
  toggles: { deltas: true, interpolate: true, predict: true, compensate: true },
  figures: {
    snapshots: 0,
    deltas: 0,
    bytesPerSnapshot: 0,
    corrections: 0,
    interpolationDelay: 0,
    viewDelay: 0,
    decoderMissingBaseline: 0,
    wireBytesPerSnapshot: 0,
  },
  self: { predicted: undefined, server: undefined },
  tags: { sent: 0, hits: 0, last: undefined },
};
window.arena = page;

let room: Room | undefined;
let config: ArenaConfig = { ...DEFAULT_ARENA_CONFIG };
let view: ArenaView | undefined;
let decoder = new SnapshotDecoder<ArenaField>(ARENA_FIELDS);
let input: ArenaInput = { dx: 0, dy: 0 };
/** [time, bytes received, snapshots] samples of the last second, for the wire bytes per snapshot. */
let received: [number, number, number][] = [];
/** Tag results being drawn (rings that fade). */
const effects: { result: ArenaTagResult; at: number }[] = [];

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
  const v = new ArenaView(joined.sessionId, config);
  applyToggles(v);
  view = v;
  decoder = new SnapshotDecoder<ArenaField>(ARENA_FIELDS);
  page.snapshots = 0;
  received = [];
  page.tags = { sent: 0, hits: 0, last: undefined };
  page.roomId = joined.roomId;
  page.myId = joined.sessionId;
  joined.onMessage<ArenaWelcome>('welcome', (welcome) => {
    config = welcome.config;
    v.configure(config);
  });
  joined.onMessage('snapshot', (payload) => v.countBytes(payload, performance.now()));
  receiveSnapshots(joined, decoder, (snapshot) => {
    v.onSnapshot(snapshot, performance.now(), joined.stats.rtt);
    page.snapshots++;
  });
  joined.onMessage<ArenaTagResult>('tagged', (result) => {
    effects.push({ result, at: performance.now() });
    if (result.by === joined.sessionId) {
      page.tags.last = result;
      if (result.target !== null) page.tags.hits++;
    }
  });
  joined.on('leave', (code, reason) => {
    if (room === joined) setStatus(`left (${code} ${reason})`);
  });
  joined.on('reconnecting', () => setStatus('reconnecting'));
  joined.on('reconnected', () => setStatus('joined'));
  joined.on('error', (error) => console.warn('arena:', error.message));
  if (!page.toggles.deltas) joined.send('feel', { deltas: false });
  setStatus('joined');
}

// ---- switches -----------------------------------------------------------------------------------

function applyToggles(v: ArenaView | undefined): void {
  if (v === undefined) return;
  v.interpolate = page.toggles.interpolate;
  v.predict = page.toggles.predict;
}

for (const [key, el] of Object.entries(toggleEls) as [keyof ArenaToggles, HTMLInputElement][]) {
  el.checked = page.toggles[key];
  el.addEventListener('change', () => {
    page.toggles[key] = el.checked;
    applyToggles(view);
    if (key === 'deltas' && room?.state === 'joined') room.send('feel', { deltas: el.checked });
    el.blur(); // keep the keys for the game
  });
}

// ---- keyboard and mouse -------------------------------------------------------------------------

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
  input = { dx: Math.sign(dx), dy: Math.sign(dy) };
}

/** Tag at (`x`, `y`) as drawn now. */
function tagAt(x: number, y: number): void {
  if (room?.state !== 'joined' || view === undefined) return;
  const now = performance.now();
  const renderTime = page.toggles.interpolate ? view.interp.renderTime(now) : (view.latest?.serverTime ?? Number.NaN);
  const tag: ArenaTag = { x, y, renderTime, compensate: page.toggles.compensate };
  room.send('tag', tag);
  page.tags.sent++;
}

/** Space: tag the nearest other player as drawn, if one is within reach. */
function tagNearest(): void {
  const me = page.players.find((p) => p.own);
  if (me === undefined) return;
  let best: DrawnPlayer | undefined;
  let bestDistance = TAG_RANGE;
  for (const p of page.players) {
    const d = Math.hypot(p.x - me.x, p.y - me.y);
    if (!p.own && d <= bestDistance) {
      best = p;
      bestDistance = d;
    }
  }
  if (best !== undefined) tagAt(best.x, best.y);
}

const typing = (event: KeyboardEvent): boolean =>
  event.target instanceof HTMLInputElement && event.target.type !== 'checkbox';
window.addEventListener('keydown', (event) => {
  if (typing(event)) return;
  if (event.code === 'Space') {
    event.preventDefault();
    if (!event.repeat) tagNearest();
    return;
  }
  if (!(event.code in KEYS)) return;
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
canvas.addEventListener('mousedown', (event) => {
  const rect = canvas.getBoundingClientRect();
  tagAt(
    ((event.clientX - rect.left) / rect.width) * canvas.width,
    ((event.clientY - rect.top) / rect.height) * canvas.height,
  );
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

function frame(now: number): void {
  const v = view;
  if (v !== undefined) {
    const message = v.update(now, input);
    if (message !== undefined && room?.state === 'joined') room.send('input', message, { reliable: false });
    page.players = v.players(now);
    const bytes = room?.stats.bytesReceived ?? 0;
    received.push([now, bytes, page.snapshots]);
    while (received.length > 1 && received[0]![0] < now - 1000) received.shift();
    const [, bytes0, snapshots0] = received[0]!;
    const wireBytesPerSnapshot = page.snapshots > snapshots0 ? (bytes - bytes0) / (page.snapshots - snapshots0) : 0;
    page.figures = { ...v.figures, decoderMissingBaseline: decoder.stats.missingBaseline, wireBytesPerSnapshot };
    page.self = { predicted: v.pilot.predicted, server: v.pilot.server };
  }
  draw(page.players, now);
  const stats = room?.stats;
  const f = page.figures;
  statsEl.textContent =
    stats === undefined
      ? ''
      : `RTT ${stats.rtt.toFixed(0)} ms · loss ${(stats.packetLoss * 100).toFixed(1)} % · ` +
        `${page.players.length} player${page.players.length === 1 ? '' : 's'}` +
        (page.network === undefined
          ? ''
          : ` · simulating ${page.network.latency ?? 0} ms, ${((page.network.loss ?? 0) * 100).toFixed(0)} % loss`);
  const last = page.tags.last;
  feelStatsEl.textContent =
    `snapshot ${f.bytesPerSnapshot.toFixed(0)} B/tick (${f.snapshots > 0 ? ((100 * f.deltas) / f.snapshots).toFixed(0) : 0} % deltas; ` +
    `${f.wireBytesPerSnapshot.toFixed(0)} B/tick received in all) · ` +
    `prediction corrections ${f.corrections} · interpolation delay ${f.interpolationDelay.toFixed(0)} ms ` +
    `(others drawn ${f.viewDelay.toFixed(0)} ms behind) · tags ${page.tags.hits}/${page.tags.sent}` +
    (last === undefined
      ? ''
      : ` (last: ${last.target === null ? 'miss' : 'hit'}, rewound ${last.rewind.toFixed(0)} ms)`);
  requestAnimationFrame(frame);
}

function draw(players: readonly DrawnPlayer[], now: number): void {
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
  // Tags of the last 600 ms: a ring where the tagger aimed, green for a hit, grey for a miss.
  while (effects.length > 0 && effects[0]!.at < now - 600) effects.shift();
  for (const { result, at } of effects) {
    const age = (now - at) / 600;
    g.beginPath();
    g.arc(result.x, result.y, RADIUS + 4 + age * 16, 0, Math.PI * 2);
    g.lineWidth = 3;
    g.strokeStyle = result.target === null ? `rgba(160,170,180,${1 - age})` : `rgba(80,230,120,${1 - age})`;
    g.stroke();
  }
  const me = players.find((p) => p.own);
  if (me !== undefined) {
    g.beginPath();
    g.arc(me.x, me.y, TAG_RANGE, 0, Math.PI * 2);
    g.lineWidth = 1;
    g.strokeStyle = '#1f2a36';
    g.stroke();
  }
  g.font = '12px system-ui, sans-serif';
  g.textAlign = 'center';
  for (const p of players) {
    g.beginPath();
    g.arc(p.x, p.y, RADIUS, 0, Math.PI * 2);
    g.fillStyle = p.color;
    g.fill();
    if (p.own) {
      g.lineWidth = 3;
      g.strokeStyle = '#ffffff';
      g.stroke();
    }
    g.fillStyle = '#d7dde4';
    g.fillText(p.score > 0 ? `${p.name} · ${p.score}` : p.name, p.x, p.y - RADIUS - 6);
  }
}

requestAnimationFrame(frame);
void connect(undefined);
