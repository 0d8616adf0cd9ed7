/**
 * The live monitor of a server: `/monitor` (a page with tables and charts), `/monitor/data` (its
 * JSON) and `/metrics` (Prometheus text), behind {@link checkMonitorAccess}.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '@netplay/transport';
import { checkMonitorAccess } from './access.js';
import { EventLoopLag } from './event-loop-lag.js';
import { ServerMetrics } from './metrics.js';
import type { ResolvedMonitorOptions } from './options.js';
import { MONITOR_PAGE_CSP, monitorPage } from './page.js';
import { MonitorSampler } from './sampler.js';
import { buildMonitorData, type MonitorData } from './snapshot.js';
import type { MonitorSource } from './source.js';

/** Paths the monitor answers. */
export const MONITOR_PATHS = { page: '/monitor', data: '/monitor/data', metrics: '/metrics' } as const;

/** Samples a server and answers the monitor's HTTP endpoints. */
export class Monitor {
  readonly metrics = new ServerMetrics();
  readonly #source: MonitorSource;
  readonly #options: ResolvedMonitorOptions;
  readonly #clock: Clock;
  readonly #sampler: MonitorSampler;
  readonly #lag = new EventLoopLag();
  readonly #startedAt = Date.now();
  #timer: TimerHandle | undefined;
  #running = false;

  constructor(source: MonitorSource, options: ResolvedMonitorOptions, clock: Clock) {
    this.#source = source;
    this.#options = options;
    this.#clock = clock;
    this.#sampler = new MonitorSampler(source, this.metrics, options.historySize);
  }

  /** Start sampling every `sampleInterval` ms on the server's clock. Idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#lag.start();
    this.#sampler.sample(this.#clock.now(), 0);
    this.#arm();
  }

  /** Stop sampling. Idempotent. */
  stop(): void {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#lag.stop();
  }

  /** The `/monitor/data` document now. */
  data(): MonitorData {
    this.#sampler.wantRates();
    this.#sampler.sync();
    return buildMonitorData(this.#source, this.#sampler, {
      maxListed: this.#options.maxListed,
      sampleInterval: this.#options.sampleInterval,
      startedAt: this.#startedAt,
    });
  }

  /** Prometheus text of every metric now. */
  metricsText(): Promise<string> {
    this.#sampler.sync();
    return this.metrics.text();
  }

  /**
   * Answer `req` when it is for one of {@link MONITOR_PATHS} (`GET`/`HEAD` only) and return
   * `true`; `false` leaves it to other routes.
   */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const path = url.pathname;
    if (
      path !== MONITOR_PATHS.page &&
      path !== `${MONITOR_PATHS.page}/` &&
      path !== MONITOR_PATHS.data &&
      path !== MONITOR_PATHS.metrics
    ) {
      return false;
    }
    const head = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...head, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('method not allowed');
      return true;
    }
    const access = checkMonitorAccess(req, url, this.#options.token, this.#source.boundHost());
    if (!access.ok) {
      res.writeHead(access.status, {
        ...head,
        'Content-Type': 'text/plain; charset=utf-8',
        ...(access.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="netplay-monitor"' } : {}),
      });
      res.end(access.message);
      return true;
    }
    const send = (status: number, type: string, body: string, extra: Record<string, string> = {}): void => {
      res.writeHead(status, { ...head, ...extra, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path === MONITOR_PATHS.data) {
      send(200, 'application/json; charset=utf-8', JSON.stringify(this.data()));
    } else if (path === MONITOR_PATHS.metrics) {
      this.metricsText().then(
        (text) => send(200, this.metrics.contentType, text),
        (error: unknown) => send(500, 'text/plain; charset=utf-8', `metrics failed: ${String(error)}`),
      );
    } else {
      send(200, 'text/html; charset=utf-8', monitorPage(MONITOR_PATHS.data, this.#options.sampleInterval), {
        'Content-Security-Policy': MONITOR_PAGE_CSP,
      });
    }
    return true;
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => {
      if (!this.#running) return;
      this.#sampler.sample(this.#clock.now(), this.#lag.read().meanMs);
      this.#arm();
    }, this.#options.sampleInterval);
  }
}
