// Shared end-to-end fixtures: every test fails on a console error or uncaught page error it did not expect, and on
// any request that leaves the page's origin (the playground loads nothing from CDNs or other hosts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';

export interface Guard {
  /** Accept console errors matching `re` in this test (e.g. the 404 a test provokes on purpose). */
  allowConsoleError(re: RegExp): void;
}

export const test = base.extend<{ guard: Guard }>({
  guard: [
    async ({ page, baseURL }, use) => {
      const origin = new URL(baseURL ?? 'http://localhost:4173/').origin;
      const errors: string[] = [];
      const offOrigin: string[] = [];
      const allowed: RegExp[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`${m.worker() ? '[worker] ' : ''}${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.context().on('request', (r) => {
        const url = r.url();
        if (url.startsWith('data:') || url.startsWith('blob:')) return;
        if (new URL(url).origin !== origin) offOrigin.push(url);
      });
      await use({ allowConsoleError: (re) => allowed.push(re) });
      expect(offOrigin, 'requests that left the origin').toEqual([]);
      expect(errors.filter((e) => !allowed.some((re) => re.test(e))), 'unexpected console errors').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Opens the lab with these query parameters and waits for the engine and the private samples. */
export async function openLab(page: Page, query = '', backend?: string): Promise<void> {
  await page.goto(`./attack.html${query}`);
  const badge = page.getByTestId('backend-badge');
  await expect(badge).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
  if (backend) await expect(badge).toHaveAttribute('data-backend', backend);
  await expect(page.getByTestId('run')).toBeEnabled();
}

/** PNG data URLs of the five reconstruction canvases. */
export function reconstructionImages(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [0, 1, 2, 3, 4].map((d) => (document.querySelector(`[data-testid="recon-${d}"]`) as HTMLCanvasElement).toDataURL()),
  );
}

/** Mean brightness (0..255) of a canvas, read back from its pixels. */
export function canvasMean(page: Page, testid: string): Promise<number> {
  return page.evaluate((id) => {
    const c = document.querySelector(`[data-testid="${id}"]`) as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum += data[i];
    return sum / (data.length / 4);
  }, testid);
}

/** The step the page shows. */
export async function shownStep(page: Page): Promise<number> {
  return Number(await page.getByTestId('step-counter').getAttribute('data-step'));
}

/**
 * Waits until the shown step stops changing (snapshots still in flight after a pause have landed): two reads
 * `everyMs` apart agree. Fails if it still changes after `timeoutMs`.
 */
export async function settledStep(page: Page, { everyMs = 400, timeoutMs = 16_000 } = {}): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = await shownStep(page);
  for (;;) {
    await page.waitForTimeout(everyMs);
    const now = await shownStep(page);
    if (now === last) return now;
    if (Date.now() > deadline) throw new Error(`the step counter never settled (still moving after ${timeoutMs} ms)`);
    last = now;
  }
}

/** Milliseconds per step of the running job, measured over `steps` more steps (so under this machine's current load). */
export async function msPerStep(page: Page, steps = 2): Promise<number> {
  const from = await shownStep(page);
  const t0 = Date.now();
  await expect.poll(() => shownStep(page), { timeout: 90_000 }).toBeGreaterThanOrEqual(from + steps);
  return (Date.now() - t0) / ((await shownStep(page)) - from);
}

/**
 * After Pause: the step in flight when it was pressed may still land, however long it takes; once the shown step has
 * settled, no further step may come. Settling and holding are measured in units of the job's pace (`msPerStep`,
 * taken while it ran), at least `minMs`, so a slow machine cannot pass an in-flight step off as a settled one.
 */
export async function expectStaysPaused(page: Page, pace: number, minMs = 1000): Promise<number> {
  const everyMs = Math.max(minMs, Math.ceil(3 * pace));
  const settled = await settledStep(page, { everyMs, timeoutMs: 20 * everyMs });
  await page.waitForTimeout(everyMs);
  expect(await shownStep(page), `no step after the paused job settled at step ${settled}`).toBe(settled);
  return settled;
}

/**
 * Fault injection from outside the app: the next tfjs kernel call in the engine worker throws what a lost WebGPU
 * device throws on SwiftShader (once; later calls work again).
 */
export async function injectDeviceLoss(page: Page): Promise<void> {
  const worker = page.workers().find((w) => w.url().includes('engine.worker'));
  expect(worker, 'the engine worker').toBeDefined();
  await worker!.evaluate(() => {
    const engine = (globalThis as unknown as { _tfengine: { runKernel: (...a: unknown[]) => unknown } })._tfengine;
    const original = engine.runKernel;
    engine.runKernel = function () {
      engine.runKernel = original;
      throw new Error('A valid external Instance reference no longer exists.');
    };
  });
}

/** Ids of the GAN priors the served manifest lists (public/models is npm run assets' copy of models/). */
export function servedPriors(): string[] {
  const file = path.resolve(import.meta.dirname, '../../public/models/manifest.json');
  if (!fs.existsSync(file)) return [];
  return ((JSON.parse(fs.readFileSync(file, 'utf8')) as { priors?: { id: string }[] }).priors ?? []).map((p) => p.id);
}
