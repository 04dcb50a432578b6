// What a first visit to the attack lab downloads for one MI-Face run, counted as a static host that gzips text sends
// it: JS, JSON, HTML, CSS and SVG by their gzipped size, everything else (weights, WASM, data) by its raw size. The
// service worker's precache counts too, except what the browser's cache answered (no bytes on the network).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { SUB_PATH } from '../../playwright.dist.config.ts';
import { test, expect } from '../e2e/fixtures.ts';

const TEXT = /\.(js|mjs|json|html|css|svg)$/;
const BUDGET = 5_000_000;

test('the first MI-Face run in the attack lab downloads at most 5 MB (text counted gzipped)', async ({ page }) => {
  const sizes = new Map<string, number>();
  const pending: Promise<void>[] = [];
  page.context().on('response', (r) => {
    const url = new URL(r.url());
    if (r.status() !== 200 || url.protocol !== 'http:') return;
    pending.push((async () => {
      // Bytes that crossed the network: none when the browser's cache answered. The service worker's own fetches
      // (its precache) have no body to read here: their file in dist/ stands in.
      // A page's or worker's request that the service worker answered crossed no network (its own fetch, if it
      // made one, is counted as the service worker's).
      if (r.fromServiceWorker()) return;
      const onWire = (await r.request().sizes()).responseBodySize;
      if (onWire === 0) return;
      const bySw = r.request().serviceWorker() !== null;
      const file = url.pathname.slice(SUB_PATH.length) || 'index.html';
      const body = bySw ? fs.readFileSync(path.join('dist', file)) : await r.body();
      const key = `${url.pathname}${bySw ? ' (service worker)' : ''}`;
      sizes.set(key, (sizes.get(key) ?? 0) + (TEXT.test(url.pathname) ? zlib.gzipSync(body, { level: 6 }).length : body.length));
    })());
  });
  await page.goto('./attack.html?attack=mi-face&steps=30');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await Promise.all(pending);
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  const listing = [...sizes].sort((a, b) => b[1] - a[1]).map(([p, n]) => `${(n / 1e6).toFixed(3)} MB ${p}`).join('\n');
  console.log(`downloaded ${(total / 1e6).toFixed(2)} MB\n${listing}`);
  expect(total, listing).toBeLessThanOrEqual(BUDGET);
});
