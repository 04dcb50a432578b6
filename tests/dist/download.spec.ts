// What a first visit to the attack lab downloads for one MI-Face run, counted as a static host that gzips text sends
// it: JS, JSON, HTML, CSS and SVG by their gzipped size, everything else (weights, WASM, data) by its raw size.
import * as zlib from 'node:zlib';
import { test, expect } from '../e2e/fixtures.ts';

const TEXT = /\.(js|mjs|json|html|css|svg)$/;
const BUDGET = 5_000_000;

test('the first MI-Face run in the attack lab downloads at most 5 MB (text counted gzipped)', async ({ page }) => {
  const sizes = new Map<string, number>();
  const pending: Promise<void>[] = [];
  page.context().on('response', (r) => {
    const url = new URL(r.url());
    if (r.status() !== 200 || url.protocol !== 'http:') return;
    pending.push(r.body().then((body) => {
      sizes.set(url.pathname, TEXT.test(url.pathname) ? zlib.gzipSync(body, { level: 6 }).length : body.length);
    }, () => undefined));
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
