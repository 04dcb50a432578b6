// WASM threads on the built site, served from a sub-path by a static host that sends no COOP/COEP headers
// (scripts/serve-dist.ts): the first visit is not cross-origin isolated, and the badge says why; the site's service
// worker then adds the headers, so the next visit is, and the minified engine worker runs tfjs's threaded WASM build
// (whose helper threads start from the text of its module factory: see vite-wasm-threads.ts).
import { expect, test } from '../e2e/fixtures.ts';

test('the service worker makes the next visit cross-origin isolated, and the built engine runs on two WASM threads', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('./bench.html?backend=wasm&repeats=1&stock=0&threads=2');
  const threads = page.getByTestId('backend-threads');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  await expect(threads).toHaveAttribute('data-threads', '1');
  await expect(threads).toContainText('not cross-origin isolated');

  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 60_000 });
  // The next visit is isolated; on a machine with 4 or more logical processors, the one after (the worker first
  // caches the threaded WASM binary those machines then run, so that an offline visit has it).
  for (let visit = 2; visit <= 3; visit++) {
    await page.reload();
    await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
    if (await page.evaluate(() => crossOriginIsolated)) break;
  }
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await expect(threads).toHaveAttribute('data-threads', '2');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  const result = await page.evaluate(() => window.__benchResult);
  expect(result?.status).toBe('done');
  expect(result?.threads).toEqual({ count: 2 });
  expect(result?.rows.find((r) => /MI-Face step/.test(r.what))?.msPerStep).toBeGreaterThan(0);
});
