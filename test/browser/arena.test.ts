/**
 * The browser arena end to end: the demo server (real WebSocket on 127.0.0.1:0, page bundled by
 * esbuild on first request) and two pages in headless Chromium. Both join the same arena; one
 * moves with the keyboard; the other sees it move through the room's delta snapshots. A
 * screenshot of the canvas must show more than the background; the game-feel switches change what
 * is drawn (prediction, interpolation) and what the room sends (deltas); a tag (Space) hits; the
 * network controls reconnect with simulated latency.
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

  async function open(name: string, at: Server = server): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
    pages.push(page);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`http://127.0.0.1:${at.port}/arena/?name=${name}`);
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
    // It came through delta snapshots.
    const figures = await bob.evaluate(() => window.arena.figures);
    expect(figures.deltas).toBeGreaterThan(0);
    expect(figures.bytesPerSnapshot).toBeGreaterThan(0);
    expect(figures.wireBytesPerSnapshot).toBeGreaterThan(figures.bytesPerSnapshot);
    expect(figures.interpolationDelay).toBeGreaterThanOrEqual(100);

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

  it('switches: prediction off draws the server position, on the prediction; interpolation and deltas off and on, the other page still sees movement', async () => {
    const ana = await open('ana');
    const bob = await open('bob');
    const anaId = (await ana.evaluate(() => window.arena.myId)) as string;
    await bob.waitForFunction((id) => window.arena.players.some((p) => p.id === id), anaId, { timeout: 10_000 });
    await ana.locator('#arena').focus();

    /** Ana's own drawn x, the prediction's and the server's, in one frame. */
    const own = () =>
      ana.evaluate(() => ({
        drawn: window.arena.players.find((p) => p.own)?.x,
        predicted: window.arena.self.predicted?.x,
        server: window.arena.self.server?.x,
      }));
    const x0 = (await own()).drawn as number;
    const direction = x0 < 400 ? 'ArrowRight' : 'ArrowLeft';
    const sign = direction === 'ArrowRight' ? 1 : -1;

    // Prediction off: ana is drawn where the server last put her.
    await ana.click('#predict');
    expect(await ana.evaluate(() => window.arena.toggles.predict)).toBe(false);
    await ana.keyboard.down(direction);
    await ana.waitForFunction(
      ({ x0, sign }) => {
        const me = window.arena.players.find((p) => p.own);
        return me !== undefined && (me.x - x0) * sign > 30 && me.x === window.arena.self.server?.x;
      },
      { x0, sign },
      { timeout: 10_000 },
    );
    // Prediction on: drawn from the prediction, which runs ahead of the server while moving.
    await ana.click('#predict');
    await ana.waitForFunction(
      ({ sign }) => {
        const me = window.arena.players.find((p) => p.own);
        const { predicted, server } = window.arena.self;
        return (
          me !== undefined &&
          predicted !== undefined &&
          server !== undefined &&
          me.x === predicted.x &&
          (predicted.x - server.x) * sign > 0
        );
      },
      { sign },
      { timeout: 10_000 },
    );
    await ana.keyboard.up(direction);
    // Standing still, prediction and server agree.
    await ana.waitForFunction(
      () => {
        const { predicted, server } = window.arena.self;
        return predicted !== undefined && server !== undefined && predicted.x === server.x;
      },
      undefined,
      { timeout: 10_000 },
    );
    const state = await own();
    expect(state.drawn).toBe(state.predicted);

    // Bob: interpolation off (newest snapshot), deltas off (full snapshots), then both on again;
    // each time he still sees ana move.
    const seesAnaMove = async (): Promise<void> => {
      const before = (await xOf(bob, anaId)) as number;
      const dir = before < 400 ? 'ArrowRight' : 'ArrowLeft';
      await ana.keyboard.down(dir);
      await bob.waitForFunction(
        ({ id, x0, right }) => {
          const x = window.arena.players.find((p) => p.id === id)?.x;
          return x !== undefined && (right ? x > x0 + 20 : x < x0 - 20);
        },
        { id: anaId, x0: before, right: dir === 'ArrowRight' },
        { timeout: 10_000 },
      );
      await ana.keyboard.up(dir);
    };
    await bob.click('#interpolate');
    await bob.waitForFunction(() => window.arena.figures.interpolationDelay === 0, undefined, { timeout: 5_000 });
    await seesAnaMove();
    const counts = () => bob.evaluate(() => ({ ...window.arena.figures }));
    await bob.click('#deltas');
    const off = await counts();
    // Full snapshots only (a delta or two may already be in flight).
    await bob.waitForFunction(
      (f) => window.arena.figures.snapshots - window.arena.figures.deltas >= f.snapshots - f.deltas + 8,
      off,
      { timeout: 10_000 },
    );
    const full = await counts();
    await seesAnaMove();
    const fullAfter = await counts();
    expect(fullAfter.deltas - full.deltas).toBe(0);
    await bob.click('#deltas');
    await bob.click('#interpolate');
    await bob.waitForFunction((f) => window.arena.figures.deltas > f.deltas + 5, fullAfter, { timeout: 10_000 });
    expect(await bob.evaluate(() => window.arena.figures.interpolationDelay)).toBeGreaterThan(0);
    await seesAnaMove();
    expect(await bob.evaluate(() => window.arena.figures.decoderMissingBaseline)).toBeLessThanOrEqual(2);
  });

  it('Space tags the nearest player; the room judges it with lag compensation and both pages see the score', async () => {
    // A small arena: everyone spawns within tag range of everyone.
    const small = createDemoServer({ host: '127.0.0.1', port: 0, logger: quiet, arena: { width: 240, height: 160 } });
    await small.listen();
    try {
      const ana = await open('ana', small);
      const bob = await open('bob', small);
      const anaId = (await ana.evaluate(() => window.arena.myId)) as string;
      const bobId = (await bob.evaluate(() => window.arena.myId)) as string;
      await ana.waitForFunction((id) => window.arena.players.some((p) => p.id === id), bobId, { timeout: 10_000 });
      await ana.locator('#arena').focus();
      await ana.keyboard.press('Space');
      await ana.waitForFunction(() => window.arena.tags.last !== undefined, undefined, { timeout: 10_000 });
      const last = await ana.evaluate(() => window.arena.tags.last);
      expect(last).toMatchObject({ by: anaId, target: bobId });
      expect(last!.rewind).toBeGreaterThan(0); // judged in the past: as ana saw bob
      expect(await ana.evaluate(() => window.arena.tags)).toMatchObject({ sent: 1, hits: 1 });
      await bob.waitForFunction((id) => window.arena.players.find((p) => p.id === id)?.score === 1, anaId, {
        timeout: 10_000,
      });
    } finally {
      await Promise.all(pages.map((p) => p.close()));
      pages = [];
      await small.shutdown();
    }
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
