// Offline classroom: on the built site the service worker keeps the site and what a page loaded, so after one visit
// (online) the attack lab and the tour run with the network cut. The pages say "available offline" once it holds
// them, and a new build's worker replaces the old cache.
import { expect, test } from '../e2e/fixtures.ts';

test('after a first visit, the attack lab and the tour run with the network cut; an old cache is replaced', async ({ page, context }) => {
  test.setTimeout(300_000);
  // A cache left by an older build of the site: the new service worker removes it when it takes over.
  // (Opened on its own, the icon makes the browser ask for /favicon.ico, outside the site: answered empty here.)
  await page.route('**/favicon.ico', (r) => r.fulfill({ status: 204 }));
  await page.goto('./favicon.svg');
  await page.evaluate(() => caches.open('inversion-playground-old-build').then((c) => c.put('./stale', new Response('stale'))));

  // First visit, online: the attack lab and one MI-Face run, then the tour's step 2 (its live MI-Face runs by itself).
  await page.goto('./attack.html?attack=mi-face&steps=10');
  await expect(page.getByTestId('offline-note')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('offline-note')).toContainText('Available offline');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await page.goto('./index.html?steps=8#step-2');
  await expect(page.getByTestId('live-2').getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  expect(await page.evaluate(() => caches.keys())).toEqual([expect.stringMatching(/^inversion-playground-[0-9a-f]{16}$/)]);

  // The network cut: both pages load from the cache and run again.
  await context.setOffline(true);
  await page.goto('./attack.html?attack=mi-face&steps=10');
  await expect(page.getByTestId('offline-note')).toBeVisible();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  for (const d of [0, 1, 2, 3, 4]) await expect(page.getByTestId(`verdict-${d}`)).toHaveAttribute('data-match', /^(true|false)$/);
  await page.goto('./index.html?steps=8#step-2');
  const live = page.getByTestId('live-2');
  await expect(live.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(live.getByTestId('step-counter')).toHaveAttribute('data-step', '8');
  await context.setOffline(false);
});
