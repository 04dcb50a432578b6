// The benchmark page (bench.html) in headless Chromium, on the WASM backend (WebGPU and WebGL are SwiftShader here)
// with one repeat per figure, so a run takes seconds. Screenshots of it only on request:
//   SHOTS=1 npx playwright test bench      (writes bench-*.png to $SHOTS_DIR, default /tmp/shots)
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

interface ShownRow { what: string; kernels: string; ms: string }

const MEASUREMENTS = [/filter gradient/, /training step/, /MI-Face step/];

async function openBench(page: Page, query: string, backend?: string): Promise<void> {
  await page.goto(`./bench.html${query}`);
  const badge = page.getByTestId('backend-badge');
  await expect(badge).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
  if (backend) await expect(badge).toHaveAttribute('data-backend', backend);
  await expect(page.getByTestId('run')).toBeEnabled();
}

async function runBench(page: Page): Promise<void> {
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
}

function shownRows(page: Page): Promise<ShownRow[]> {
  return page.getByTestId('bench-row').evaluateAll((trs) =>
    trs.map((tr) => ({ what: tr.getAttribute('data-what') ?? '', kernels: tr.getAttribute('data-kernels') ?? '', ms: tr.getAttribute('data-ms') ?? '' })));
}

test('runs on WASM: the table fills with all three measurements and the result is published', async ({ page, context }) => {
  test.setTimeout(240_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await openBench(page, '?backend=wasm&repeats=1', 'wasm');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page.getByTestId('attack-link')).toHaveAttribute('href', /attack\.html/);
  await expect(page.getByTestId('copy-json')).toBeDisabled();

  await page.getByTestId('run').click();
  // The page stays live while the worker measures: the pending row is there and the clock ticks.
  await expect(page.getByTestId('bench-pending')).toBeVisible();
  // Generous: a loaded 2-core machine needs ~50 s for this (the speed figures themselves live in npm run bench).
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 150_000 });
  await expect(page.getByTestId('bench-pending')).toHaveCount(0);

  const rows = await shownRows(page);
  for (const re of MEASUREMENTS) {
    const ours = rows.find((r) => re.test(r.what) && r.kernels === 'ours');
    expect(ours, `a row of ours for ${re}`).toBeDefined();
    const ms = Number(ours!.ms);
    expect(Number.isFinite(ms) && ms > 0, `${re} took ${ours!.ms} ms`).toBe(true);
  }
  // tfjs has no stock filter-gradient kernel on WASM: the row says so instead of showing a time or a speed-up.
  const stock = page.locator('[data-testid="bench-row"][data-kernels="stock"]');
  await expect(stock).toHaveCount(1);
  await expect(stock).toContainText(/not measured: tfjs has no Conv2DBackpropFilter/);
  await expect(page.getByTestId('speed-up').filter({ hasText: /\S/ })).toHaveCount(0);
  // Each timed step of ours shows its dispatches and, in brackets, more without the fused kernels.
  const dispatches = await page.getByTestId('dispatches').filter({ hasText: /\d/ }).allTextContents();
  expect(dispatches.length).toBeGreaterThanOrEqual(5);
  for (const text of dispatches) {
    const [, fused, unfused] = text.match(/^(\d+) \((\d+)\)$/) ?? [];
    expect(Number(fused), text).toBeLessThan(Number(unfused));
  }

  const result = await page.evaluate(() => window.__benchResult);
  expect(result?.status).toBe('done');
  expect(result?.backend).toBe('wasm');
  expect(result?.options).toEqual({ repeats: 1, includeStock: true });
  expect(result?.rows.length).toBe(rows.length);

  // Copy as JSON puts the same record on the clipboard, NaN written as null.
  await page.getByTestId('copy-json').click();
  await expect(page.getByTestId('copy-state')).toHaveAttribute('data-state', 'copied');
  const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
  expect(copied.backend).toBe('wasm');
  expect(copied.rows).toHaveLength(rows.length);
  expect(copied.rows.find((r: { kernels: string }) => r.kernels === 'stock').msPerStep).toBeNull();
});

test('WASM threads: the dev server makes the page cross-origin isolated, and two threads run the figures', async ({ page }) => {
  test.setTimeout(240_000);
  await openBench(page, '?backend=wasm&repeats=1&stock=0&threads=2', 'wasm');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  // tfjs would give this 2-processor machine one thread; threads=2 asks for two, and the badge says what runs.
  await expect(page.getByTestId('backend-threads')).toHaveAttribute('data-threads', '2');
  await expect(page.getByTestId('backend-threads')).toHaveText('2 threads');
  await expect(page.getByTestId('bench-page')).toHaveAttribute('data-threads', '2');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  const mi = (await shownRows(page)).find((r) => /MI-Face step/.test(r.what));
  expect(Number(mi?.ms)).toBeGreaterThan(0);
  expect((await page.evaluate(() => window.__benchResult))?.threads).toEqual({ count: 2 });
});

test('a bad ?backend= value shows a correction notice and the engine still starts', async ({ page }) => {
  await openBench(page, '?backend=quantum&repeats=zero&stock=1');
  const notice = page.getByTestId('message-url');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('Backend "quantum" is unknown');
  await expect(notice).toContainText('Repeats "zero" is not a number');
  // The URL is rewritten to the corrected settings.
  const url = new URL(page.url());
  expect(url.searchParams.get('backend')).toBeNull();
  expect(url.searchParams.get('repeats')).toBeNull();
  expect(url.searchParams.get('stock')).toBe('1');
  await notice.getByRole('button', { name: /Dismiss/ }).click();
  await expect(notice).toHaveCount(0);
});

test('Stop ends a run, keeps what was measured and restarts the engine', async ({ page }) => {
  await openBench(page, '?backend=wasm&repeats=1', 'wasm');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('bench-row').first()).toBeVisible();
  await page.getByTestId('stop').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'stopped');
  const result = await page.evaluate(() => window.__benchResult);
  expect(result?.status).toBe('stopped');
  expect(result?.rows.length).toBeGreaterThan(0);
  await expect(page.getByTestId('bench-row')).toHaveCount(result!.rows.length);
  // A fresh worker starts on the same backend and can run again.
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm');
  await expect(page.getByTestId('run')).toBeEnabled();
});

test.describe('screenshots', () => {
  test.skip(!process.env.SHOTS, 'screenshots only on request (SHOTS=1)');
  const DIR = process.env.SHOTS_DIR ?? '/tmp/shots';
  for (const size of [{ name: 'desktop', width: 1280, height: 900 }, { name: 'tablet', width: 800, height: 1100 }]) {
    test(`bench page at ${size.name} width`, async ({ page }) => {
      fs.mkdirSync(DIR, { recursive: true });
      await page.setViewportSize({ width: size.width, height: size.height });
      await openBench(page, '?backend=wasm&repeats=2', 'wasm');
      await page.screenshot({ path: path.join(DIR, `bench-${size.name}-before.png`), fullPage: true });
      await runBench(page);
      await page.getByTestId('backend-badge').locator('summary').click();
      await page.screenshot({ path: path.join(DIR, `bench-${size.name}-after.png`), fullPage: true });
    });
  }
  test('bench page with the stock kernels on WebGL (speed-up column, emulated-GPU notice)', async ({ page }) => {
    test.setTimeout(300_000);
    fs.mkdirSync(DIR, { recursive: true });
    await openBench(page, '?backend=webgl&repeats=1&stock=1', 'webgl');
    await page.getByTestId('run').click();
    await expect(page.getByTestId('bench-row').first()).toBeVisible({ timeout: 120_000 });
    await page.screenshot({ path: path.join(DIR, 'bench-desktop-running.png'), fullPage: true });
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 280_000 });
    await expect(page.getByTestId('speed-up').filter({ hasText: /×/ })).not.toHaveCount(0);
    await page.screenshot({ path: path.join(DIR, 'bench-desktop-webgl.png'), fullPage: true });
  });
});
