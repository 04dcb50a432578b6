// The built site from a sub-path of a static host (/blog/playground/): the demo page's iframe and its
// <inversion-playground> elements (the built module dist/embed/inversion-playground.js, which starts the site's own
// worker file, dist/assets/engine.worker-*.js, rather than ship a copy) find the worker, the models and the data
// relative to themselves, and run. Every request stays under the sub-path.
import { test, expect } from '../e2e/fixtures.ts';
import { SUB_PATH } from '../../playwright.dist.config.ts';

test('the built demo page works from a sub-path: the iframe and the elements run', async ({ page }) => {
  const outside: string[] = [];
  const fromEmbed: string[] = [];
  page.context().on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith(`${SUB_PATH}embed/`)) fromEmbed.push(new URL(r.url()).pathname);
    if (!new URL(r.url()).pathname.startsWith(SUB_PATH) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) outside.push(r.url());
  });
  await page.goto('./embed-demo.html');
  await expect(page.locator('script[src="./embed/inversion-playground.js"]')).toHaveCount(1);
  const frame = page.frameLocator('iframe.inversion-playground');
  const first = page.locator('inversion-playground').first();
  await expect.poll(async () => Number(await frame.getByTestId('step-counter').getAttribute('data-step'))).toBeGreaterThan(0);
  await expect.poll(async () => Number(await first.getByTestId('step-counter').getAttribute('data-step'))).toBeGreaterThan(0);
  await expect(first.getByTestId('verdict-0')).not.toHaveAttribute('data-match', '');
  // The iframe's worker and the elements' one: two workers from the one file of the site (the element's module
  // ships no copy of it), and the module is all the page loads from embed/.
  const workers = page.workers().filter((w) => !w.url().startsWith('blob:')).map((w) => new URL(w.url()).pathname); // blob: WASM threads
  expect(workers).toHaveLength(2);
  expect(new Set(workers).size, `one worker file: ${workers}`).toBe(1);
  expect(workers[0]).toMatch(new RegExp(`^${SUB_PATH}assets/engine\\.worker-[\\w-]+\\.js$`));
  expect(fromEmbed).toEqual([`${SUB_PATH}embed/inversion-playground.js`]);
  // The full playground, through the element's link.
  const href = await first.getByTestId('open-playground').getAttribute('href');
  expect(new URL(href!).pathname).toBe(`${SUB_PATH}attack.html`);
  expect(outside).toEqual([]);
});
