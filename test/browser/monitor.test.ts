/**
 * The `/monitor` page in headless Chromium against a real server on 127.0.0.1:0 with a live room:
 * it lists the worker, the room and its sessions, and its charts draw.
 */
import { Client, type Room as ClientRoom } from '@netplay/client';
import type { Server } from '@netplay/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDemoServer } from '../../examples/demo/server.js';
import { launchChromium } from './helpers/chromium.js';

const quiet = { info() {}, warn() {}, error() {} };

describe('browser monitor', () => {
  let browser: Browser;
  let server: Server;
  let page: Page | undefined;
  const rooms: ClientRoom[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    server = createDemoServer({
      host: '127.0.0.1',
      port: 0,
      logger: quiet,
      web: false,
      monitor: { sampleInterval: 200 },
    });
    await server.listen();
  });

  afterEach(async () => {
    await page?.close();
    page = undefined;
    await Promise.all(rooms.splice(0).map((r) => r.leave().catch(() => {})));
    await server.shutdown();
  });

  it('shows the live room, its sessions and charts', async () => {
    for (const name of ['ana', 'bob']) {
      rooms.push(await new Client(`ws://127.0.0.1:${server.port}`, { logger: quiet }).joinOrCreate('arena', { name }));
    }
    const roomId = rooms[0]?.roomId as string;
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`http://127.0.0.1:${server.port}/monitor`);
    await page.locator('#rooms tbody tr', { hasText: roomId }).waitFor({ timeout: 10_000 });
    const row = await page.locator('#rooms tbody tr', { hasText: roomId }).textContent();
    expect(row).toContain('arena');
    expect(row).toContain('2 / 32');
    await expect.poll(() => page?.locator('#sessions tbody tr').count(), { timeout: 10_000 }).toBe(2);
    expect(await page.locator('#workers tbody tr').count()).toBe(1);
    await page.waitForFunction(() => document.querySelector('#status')?.textContent?.startsWith('live'));
    // The CCU chart has a line once two samples exist: some pixel differs from the chart background.
    await page.waitForFunction(
      () => {
        const canvas = document.querySelector<HTMLCanvasElement>('#c-ccu');
        const data = canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
        if (data === undefined) return false;
        for (let i = 0; i < data.length; i += 4) if (data[i + 1]! > 100) return true; // the green line
        return false;
      },
      undefined,
      { timeout: 10_000 },
    );
    expect(await page.locator('#v-ccu').textContent()).toBe('2');
    expect(errors).toEqual([]);
  });
});
