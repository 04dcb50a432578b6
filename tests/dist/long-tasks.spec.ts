// The UI thread does not freeze on the built site (what readers get) while an attack, a defense training or a
// benchmark runs in the worker: the browser's own long-task entries (PerformanceObserver 'longtask', > 50 ms) are
// printed, and none may reach MAX_TASK_MS, a freeze a reader would notice (synchronous work on the UI thread, such as
// decoding a model or a tensor op there, takes that long). Not yet met: none over 50 ms at all. On this 2-core machine
// with nothing else running, a few of 51-67 ms remain (the first snapshots' Svelte flush mounting the results, 20-50
// ms, and layout or paint, 10-40 ms); with other work on the machine they stretch to 100-230 ms. Start-up not counted.
import type { Page } from '@playwright/test';
import { expect, test } from '../e2e/fixtures.ts';

async function recordLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: number[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__longTasks.push(Math.round(e.duration)); }).observe({ type: 'longtask', buffered: true });
  });
}

// Painting on the GPU process, as a reader's browser does (SwiftShader here): this suite's default --disable-gpu would
// paint on the UI thread itself and measure this machine's software rasteriser, not the page.
test.use({ launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: [] } });

const longTasks = (page: Page) => page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks.slice());

const MAX_TASK_MS = 500;

const RUNS = [
  { what: 'an attack', url: './attack.html?backend=wasm&steps=150', button: 'run' },
  { what: 'a defense training', url: './defense.html?backend=wasm&epochs=2&batch=32&images=320', button: 'train' },
  { what: 'a benchmark', url: './benchmark.html?backend=wasm&defenses=target-mid&attacks=mi-face&seeds=1&steps=30&ref=10', button: 'run' },
];

for (const { what, url, button } of RUNS) {
  test(`no task blocks the UI thread for more than ${MAX_TASK_MS} ms while ${what} runs`, async ({ page }) => {
    await recordLongTasks(page);
    await page.goto(url);
    await expect(page.locator('meta[http-equiv="Content-Security-Policy"]')).toHaveCount(1);
    await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready');
    await expect(page.getByTestId(button)).toBeEnabled();
    const before = (await longTasks(page)).length;
    await page.getByTestId(button).click();
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running');
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 150_000 });
    const tasks = (await longTasks(page)).slice(before);
    console.log(`long tasks (ms) while ${what} ran: ${tasks.join(', ') || 'none'}`);
    expect(tasks.filter((ms) => ms > MAX_TASK_MS), `tasks over ${MAX_TASK_MS} ms while ${what} ran`).toEqual([]);
  });
}
