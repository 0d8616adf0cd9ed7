/**
 * The browser arena end to end: the demo server (real WebSocket on 127.0.0.1:0, page bundled by
 * esbuild on first request) and two pages in headless Chromium. Both join the same arena; one
 * moves with the keyboard; the other sees it move through the server's state snapshots. A
 * screenshot of the canvas must show more than the background; the network controls reconnect
 * with simulated latency.
 */
import type { Server } from '@netplay/server';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDemoServer } from '../../examples/demo/server.js';
import { launchChromium } from './helpers/chromium.js';

const quiet = { info() {}, warn() {}, error() {} };

describe('browser arena', () => {
  let browser: Browser;
  let server: Server;
  let pages: Page[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    server = createDemoServer({ host: '127.0.0.1', port: 0, logger: quiet });
    await server.listen();
  });

  afterEach(async () => {
    await Promise.all(pages.map((p) => p.close()));
    pages = [];
    await server.shutdown();
  });

  async function open(name: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
    pages.push(page);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`http://127.0.0.1:${server.port}/arena/?name=${name}`);
    await page.waitForFunction(() => window.arena?.status === 'joined' && window.arena.snapshots > 0, undefined, {
      timeout: 15_000,
    });
    expect(errors).toEqual([]);
    return page;
  }

  /** x of player `id` as page `page` draws it (undefined when not drawn). */
  const xOf = (page: Page, id: string): Promise<number | undefined> =>
    page.evaluate((pid) => window.arena.players.find((p) => p.id === pid)?.x, id);

  it('two pages join; one moves with the keyboard; the other sees it; the canvas is drawn', async () => {
    const ana = await open('ana');
    const bob = await open('bob');
    const anaId = (await ana.evaluate(() => window.arena.myId)) as string;
    const roomId = await ana.evaluate(() => window.arena.roomId);
    expect(await bob.evaluate(() => window.arena.roomId)).toBe(roomId);
    await bob.waitForFunction((id) => window.arena.players.some((p) => p.id === id), anaId, { timeout: 10_000 });
    const before = (await xOf(bob, anaId)) as number;
    const direction = before < 400 ? 'ArrowRight' : 'ArrowLeft';

    await ana.locator('#arena').focus();
    await ana.keyboard.down(direction);
    await bob.waitForFunction(
      ({ id, x0, right }) => {
        const x = window.arena.players.find((p) => p.id === id)?.x;
        return x !== undefined && (right ? x > x0 + 40 : x < x0 - 40);
      },
      { id: anaId, x0: before, right: direction === 'ArrowRight' },
      { timeout: 10_000 },
    );
    await ana.keyboard.up(direction);

    // Both players on bob's canvas: decode a screenshot and count non-background pixels.
    const png = PNG.sync.read(await bob.locator('#arena').screenshot());
    const background = [0x10, 0x16, 0x1d];
    let drawn = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      const far =
        Math.abs((png.data[i] ?? 0) - background[0]!) +
        Math.abs((png.data[i + 1] ?? 0) - background[1]!) +
        Math.abs((png.data[i + 2] ?? 0) - background[2]!);
      if (far > 60) drawn++;
    }
    expect(png.width).toBeGreaterThan(100);
    expect(drawn).toBeGreaterThan(500); // two discs of radius 14 are ~1,200 pixels
  });

  it('the network controls reconnect to the same room with simulated latency', async () => {
    const ana = await open('ana');
    const roomId = await ana.evaluate(() => window.arena.roomId);
    await ana.fill('#latency', '60');
    await ana.fill('#loss', '5');
    await ana.click('#apply');
    await ana.waitForFunction(
      () => window.arena.status === 'joined' && window.arena.network?.latency === 60 && window.arena.snapshots > 3,
      undefined,
      { timeout: 15_000 },
    );
    expect(await ana.evaluate(() => window.arena.roomId)).toBe(roomId);
    expect(await ana.evaluate(() => window.arena.network)).toEqual({ latency: 60, loss: 0.05 });
    await ana.waitForFunction(
      () => /RTT (1[2-9]\d|[2-9]\d\d) ms/.test(document.querySelector('#stats')?.textContent ?? ''),
      undefined,
      {
        timeout: 10_000,
      },
    );
  });
});
