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
  await engineReady(page);
  if (backend) await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', backend);
  await expect(page.getByTestId('run')).toBeEnabled();
}

/** Waits until the page's engine has started (its backend badge says ready). */
export async function engineReady(page: Page): Promise<void> {
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
}

/** Skips the test until the served manifest lists this trained model (a GAN prior, a decoder), saying how to make it. */
export function skipUnlessServed(kind: string, id: string): void {
  test.skip(!servedPriors().includes(id), `${kind} '${id}' is not in public/models/manifest.json yet (npm run train -- --only ${id}, then npm run assets)`);
}

/** A setting the page changes and changes back, so that it writes the address itself: its field, its URL parameter, the values typed (the last one the link's). */
export interface Rewrite {
  field: string;
  param: string;
  values: string[];
}

/**
 * Opens the lab at `query` (on WASM) and checks that its settings round-trip through the link, in three passes: as the
 * page read the address; after the page has written it (`rewrite`, by default the seed to 8 and back to 7); after a
 * reload. On every pass `shows(pass)` checks the fields, no message about the address is shown, and the address holds
 * exactly `query`'s parameters.
 */
export async function expectRoundTrip(page: Page, query: string, shows: (pass: string) => Promise<void>,
  rewrite: Rewrite = { field: 'f-seed', param: 'seed', values: ['8', '7'] }): Promise<void> {
  const expected = Object.fromEntries(new URLSearchParams(query));
  await openLab(page, query, 'wasm');
  for (const pass of ['read', 'written', 'reloaded']) {
    await shows(pass);
    await expect(page.getByTestId('message-url')).toHaveCount(0);
    expect(Object.fromEntries(new URL(page.url()).searchParams), pass).toEqual(expected);
    if (pass === 'read') {
      for (const value of rewrite.values) {
        await page.getByTestId(rewrite.field).fill(value);
        await page.getByTestId(rewrite.field).press('Enter');
        await expect.poll(() => new URL(page.url()).searchParams.get(rewrite.param)).toBe(value);
      }
    } else if (pass === 'written') {
      await page.reload();
      await engineReady(page);
    }
  }
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

/** How many of the five reconstructions differ from `before` (what reconstructionImages read earlier). */
export async function changedReconstructions(page: Page, before: string[]): Promise<number> {
  return (await reconstructionImages(page)).filter((img, d) => img !== before[d]).length;
}

/** Each of the five digits' cards shows the evaluator's verdict. */
export async function expectVerdicts(page: Page): Promise<void> {
  for (const d of [0, 1, 2, 3, 4]) await expect(page.getByTestId(`verdict-${d}`)).toContainText(/evaluator sees\s*\d/);
}

/** Presses Run and waits until all five reconstructions have replaced what was shown before, each with its verdict. */
export async function runUntilReconstructed(page: Page, timeout = 120_000): Promise<void> {
  const blank = await reconstructionImages(page);
  await page.getByTestId('run').click();
  await expect.poll(() => changedReconstructions(page, blank), { timeout }).toBe(5);
  await expectVerdicts(page);
}

/** The Queries figure shows a count (no budget) and it grows by more than `more` (the run goes on querying the target). */
export async function expectQueriesGrow(page: Page, more = 20, timeout = 60_000): Promise<void> {
  const queries = page.getByTestId('queries');
  const shown = async () => Number((await queries.textContent())!.replace(/,/g, ''));
  await expect(queries).toHaveText(/^[1-9][\d,]*$/);
  const before = await shown();
  await expect.poll(shown, { timeout }).toBeGreaterThan(before + more);
}

/** Presses Pause, and returns the step the run settled at once the step in flight has landed. */
export async function pauseAndSettle(page: Page): Promise<number> {
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  return settledStep(page);
}

/** Presses Reset: the run is gone, the page idle. */
export async function resetToIdle(page: Page): Promise<void> {
  await page.getByTestId('reset').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
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
