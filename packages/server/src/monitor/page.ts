/**
 * The `/monitor` page: one self-contained HTML document (inline CSS and script, no framework) that
 * polls `/monitor/data` every sample interval and draws the tables and small canvas charts.
 * Every value from the server is inserted as text, never as HTML.
 * @module
 */

/** `Content-Security-Policy` of the page: nothing but itself and its data endpoint. */
export const MONITOR_PAGE_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:";

/** The page's HTML. `dataPath` is the JSON endpoint, `intervalMs` its polling period. */
export function monitorPage(dataPath: string, intervalMs: number): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Netplay monitor</title>
<style>
  body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; background: #0f1419; color: #d7dde4; }
  h1 { font-size: 18px; margin: 0 0 8px; } h2 { font-size: 14px; margin: 18px 0 6px; color: #9fb3c8; }
  #status { color: #8a97a6; margin-bottom: 8px; } #status.error { color: #ff6b6b; }
  .charts { display: flex; flex-wrap: wrap; gap: 12px; }
  .chart { background: #161d25; border: 1px solid #26313d; border-radius: 6px; padding: 6px 8px; }
  .chart .label { color: #9fb3c8; font-size: 12px; } .chart .value { float: right; font-weight: 600; }
  canvas { display: block; margin-top: 4px; }
  table { border-collapse: collapse; width: 100%; background: #161d25; }
  th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #26313d; white-space: nowrap; }
  th { color: #9fb3c8; font-weight: 500; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .more { color: #8a97a6; }
</style>
</head>
<body>
<h1>Netplay monitor</h1>
<div id="status">connecting…</div>
<div class="charts">
  <div class="chart"><span class="label">messages/s (in + out)</span><span class="value" id="v-msgs">–</span><canvas id="c-msgs" width="300" height="80"></canvas></div>
  <div class="chart"><span class="label">CCU</span><span class="value" id="v-ccu">–</span><canvas id="c-ccu" width="300" height="80"></canvas></div>
  <div class="chart"><span class="label">tick duration (ms, slowest room)</span><span class="value" id="v-tick">–</span><canvas id="c-tick" width="300" height="80"></canvas></div>
</div>
<h2>Workers</h2>
<table id="workers"><thead><tr><th>worker</th><th>pid</th><th>state</th><th>uptime s</th><th>CCU</th><th>sessions</th><th>rooms</th><th>RSS MiB</th><th>event-loop lag ms</th></tr></thead><tbody></tbody></table>
<h2>Rooms <span id="room-count" class="more"></span></h2>
<table id="rooms"><thead><tr><th>room</th><th>type</th><th>clients</th><th>locked</th><th>private</th><th>ticks</th><th>last tick ms</th><th>max tick ms</th><th>msgs in</th><th>msgs out</th></tr></thead><tbody></tbody></table>
<h2>Sessions <span id="session-count" class="more"></span></h2>
<table id="sessions"><thead><tr><th>session</th><th>address</th><th>state</th><th>room</th><th>RTT ms</th><th>loss %</th><th>in B/s</th><th>out B/s</th><th>resends</th></tr></thead><tbody></tbody></table>
<script>
(() => {
  const token = new URLSearchParams(location.search).get('token');
  const url = ${JSON.stringify(dataPath)} + (token ? '?token=' + encodeURIComponent(token) : '');
  const $ = (id) => document.getElementById(id);
  const fmt = (n, d = 0) => Number(n).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  function fill(tableId, rows) {
    const body = $(tableId).tBodies[0];
    body.replaceChildren(...rows.map((cells) => {
      const tr = document.createElement('tr');
      for (const cell of cells) {
        const td = document.createElement('td');
        td.textContent = String(cell);
        if (typeof cell === 'number' || /^[\\d.,-]+$/.test(String(cell))) td.className = 'num';
        tr.append(td);
      }
      return tr;
    }));
  }
  function chart(id, values, color) {
    const canvas = $(id);
    const g = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height;
    g.clearRect(0, 0, w, h);
    g.fillStyle = '#0f1419'; g.fillRect(0, 0, w, h);
    if (values.length < 2) return;
    const max = Math.max(1e-9, ...values) * 1.15;
    g.strokeStyle = '#26313d'; g.beginPath(); g.moveTo(0, h - 0.5); g.lineTo(w, h - 0.5); g.stroke();
    g.strokeStyle = color; g.lineWidth = 1.5; g.beginPath();
    values.forEach((v, i) => {
      const x = (i / (values.length - 1)) * (w - 2) + 1;
      const y = h - 2 - (v / max) * (h - 6);
      i === 0 ? g.moveTo(x, y) : g.lineTo(x, y);
    });
    g.stroke();
    g.fillStyle = '#8a97a6'; g.font = '10px system-ui'; g.fillText(fmt(max / 1.15, 2), 4, 11);
  }
  function render(d) {
    const last = d.history[d.history.length - 1];
    const msgs = d.history.map((p) => p.messagesInPerSec + p.messagesOutPerSec);
    chart('c-msgs', msgs, '#4fc3f7'); chart('c-ccu', d.history.map((p) => p.ccu), '#81c784');
    chart('c-tick', d.history.map((p) => p.tickMs), '#ffb74d');
    $('v-msgs').textContent = last ? fmt(msgs[msgs.length - 1]) : '–';
    $('v-ccu').textContent = String(d.workers.reduce((n, w) => n + w.ccu, 0));
    $('v-tick').textContent = last ? fmt(last.tickMs, 3) : '–';
    fill('workers', d.workers.map((w) => [w.id, w.pid, w.state, fmt(w.uptimeSeconds), w.ccu, w.sessions, w.rooms, fmt(w.rssBytes / 1048576, 1), fmt(w.eventLoopLagMs, 2)]));
    fill('rooms', d.rooms.map((r) => [r.id, r.type, r.clients + ' / ' + (r.maxClients ?? '∞'), r.locked ? 'yes' : 'no', r.private ? 'yes' : 'no', r.ticks, fmt(r.lastTickMs, 3), fmt(r.maxTickMs, 3), r.messagesIn, r.messagesOut]));
    fill('sessions', d.sessions.map((s) => [s.id, s.address, s.state, s.room ?? '–', fmt(s.rttMs, 1), fmt(s.loss * 100, 1), s.bytesInPerSec, s.bytesOutPerSec, s.resends]));
    $('room-count').textContent = d.roomCount > d.rooms.length ? '(' + d.rooms.length + ' of ' + d.roomCount + ')' : '(' + d.roomCount + ')';
    $('session-count').textContent = d.sessionCount > d.sessions.length ? '(' + d.sessions.length + ' of ' + d.sessionCount + ')' : '(' + d.sessionCount + ')';
  }
  async function poll() {
    try {
      const res = await fetch(url, { cache: 'no-store' });
      if (!res.ok) throw new Error((await res.text()) || 'HTTP ' + res.status);
      render(await res.json());
      $('status').className = '';
      $('status').textContent = 'live · updated ' + new Date().toLocaleTimeString();
    } catch (e) {
      $('status').className = 'error';
      $('status').textContent = 'cannot load ' + ${JSON.stringify(dataPath)} + ': ' + (e && e.message ? e.message : e);
    } finally {
      setTimeout(poll, ${Math.max(100, Math.round(intervalMs))});
    }
  }
  poll();
})();
</script>
</body>
</html>
`;
}
