// Embedding in a blog post: embed.html (for an iframe) and the <inversion-playground> element, on the demo page
// (embed-demo.html) exactly as a blog would include them. The browser here has no GPU (WebGPU and WebGL are refused),
// as on many readers' machines: the embeds pick WASM by themselves, with nothing forced in the page.
import { test, expect } from './fixtures.ts';
import type { Locator, Page } from '@playwright/test';

test.use({ launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--disable-gpu', '--disable-software-rasterizer'] } });

/** The step an embedded view (a frame's or an element's) shows. */
async function stepOf(view: Locator | ReturnType<Page['frameLocator']>): Promise<number> {
  return Number(await view.getByTestId('step-counter').getAttribute('data-step'));
}

/** Engine workers of the page (its frames' included). */
const engineWorkers = (page: Page) => page.workers().filter((w) => w.url().includes('engine.worker'));

test('embed.html: no site chrome, runs on its own from the link, shows the verdicts and links to the playground', async ({ page }) => {
  await page.goto('./embed.html?attack=mi-face&steps=12&seed=2&tv=0.2');
  await expect(page.locator('nav, .kicker, .intro')).toHaveCount(0);
  await expect(page.getByTestId('embed-title')).toContainText('MI-Face');
  // It starts by itself (it is on screen) and runs to the end.
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('step-counter')).toHaveAttribute('data-step', '12');
  for (const d of [0, 1, 2, 3, 4]) await expect(page.getByTestId(`verdict-${d}`)).not.toHaveAttribute('data-match', '');
  await expect(page.getByTestId('embed-backend')).toHaveAttribute('data-backend', 'wasm');
  const link = page.getByTestId('open-playground');
  await expect(link).toHaveAttribute('target', '_blank');
  const href = new URL((await link.getAttribute('href'))!);
  expect(href.pathname).toBe('/attack.html');
  expect(Object.fromEntries(href.searchParams)).toEqual({ steps: '12', tv: '0.2', seed: '2' });
  // Run again, then Pause: the one button toggles.
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run')).toContainText('Pause');
});

test('the demo page: the iframe takes its posted height; the elements share one worker, start near the viewport, pause off-screen; bad attributes get a notice; no style crosses the shadow root', async ({ page }) => {
  test.setTimeout(240_000);
  // The heights the demo page receives.
  await page.addInitScript(() => {
    if (window !== window.top) return;
    const heights: number[] = ((window as unknown as { postedHeights: number[] }).postedHeights = []);
    addEventListener('message', (e) => {
      if (e.data?.type === 'inversion-playground:height') heights.push(e.data.height);
    });
  });
  await page.goto('./embed-demo.html');
  const iframe = page.locator('iframe.inversion-playground');
  const frame = page.frameLocator('iframe.inversion-playground');
  const first = page.locator('inversion-playground').first();
  const below = page.locator('#below-the-fold');

  // The iframe runs, and the page sizes it to the height its content posted (not the 420px the page starts it at).
  await expect.poll(() => stepOf(frame), { timeout: 60_000 }).toBeGreaterThan(0);
  await expect.poll(async () => {
    const posted = await page.evaluate(() => (window as unknown as { postedHeights: number[] }).postedHeights.at(-1));
    const content = await frame.locator('main').evaluate((m) => Math.ceil(m.getBoundingClientRect().height));
    const box = Math.round((await iframe.boundingBox())!.height);
    return posted === content && box === content;
  }, { timeout: 30_000 }).toBe(true);
  expect((await iframe.boundingBox())!.height).toBeGreaterThan(420);

  // The first element is in view: it runs and its reconstructions form, with the evaluator's verdicts.
  await expect(first.getByTestId('embed-title')).toContainText('GMI');
  await expect.poll(() => stepOf(first), { timeout: 90_000 }).toBeGreaterThan(1);
  for (const d of [0, 1, 2, 3, 4]) await expect(first.getByTestId(`verdict-${d}`)).not.toHaveAttribute('data-match', '');

  // The one below the fold has not started...
  await expect(below.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
  expect(await stepOf(below)).toBe(0);
  // ...and the elements have one engine worker between them; the iframe has its own.
  expect(engineWorkers(page)).toHaveLength(2);

  // Scrolled to, it starts.
  await below.scrollIntoViewIfNeeded();
  await expect(below.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 30_000 });
  await expect.poll(() => stepOf(below), { timeout: 60_000 }).toBeGreaterThan(2);
  // Scrolled away, it pauses (the step in flight may still land) and stays paused; the first one, back in view, goes on.
  await page.evaluate(() => window.scrollTo(0, 0));
  await expect(below.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  await page.waitForTimeout(2000);
  const paused = await stepOf(below);
  await page.waitForTimeout(3000);
  expect(await stepOf(below), 'no step while off-screen').toBe(paused);
  await expect(first.getByTestId('run-status')).toHaveAttribute('data-status', /running|done/);

  // An element with bad attributes falls back to the defaults and says so, inside itself; it joins the shared worker.
  await page.evaluate(() => {
    const el = document.createElement('inversion-playground');
    for (const [k, v] of Object.entries({ id: 'bad', attack: 'nope', steps: 'lots', seed: '-3' })) el.setAttribute(k, v);
    document.querySelector('inversion-playground')!.after(el);
  });
  const bad = page.locator('#bad');
  const notice = bad.getByTestId('embed-notice');
  await expect(notice).toContainText('Some settings in the attributes were invalid');
  await expect(notice).toContainText('Attack "nope" is unknown');
  await expect(notice).toContainText('Steps "lots" is not a number');
  await expect(notice).toContainText('Seed -3 is below 0');
  await expect(bad.getByTestId('embed-title')).toContainText('MI-Face');
  await expect(bad.getByTestId('step-counter')).toContainText('/ 300');
  expect(engineWorkers(page)).toHaveLength(2);

  // Styles stay on their side: the blog's serif and uppercase buttons do not reach inside; the element's theme
  // (.buttons is a flex row in it) does not reach the blog's own .buttons.
  const inside = await first.getByTestId('run').evaluate((b) => ({ font: getComputedStyle(b).fontFamily, transform: getComputedStyle(b).textTransform }));
  expect(inside.font).not.toMatch(/Georgia/);
  expect(inside.transform).toBe('none');
  expect(await page.locator('.post > .buttons').evaluate((d) => getComputedStyle(d).display)).toBe('block');
});

test('an element follows its attributes: a script changing them restarts the attack on the new settings (the old run cancelled, the worker kept); a bad value gets the notice; off-screen it waits', async ({ page, guard }) => {
  test.setTimeout(180_000);
  // The page below is made up by the test, not served by Vite: Chromium treats it as a public page and keeps it from
  // reaching the dev server's live-reload socket (the element itself loads and runs the same).
  guard.allowConsoleError(/ws:\/\/localhost.*ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS|\[vite\] failed to connect to websocket/);
  // A blog page of the site's origin with one element and a long text below it; the engine calls it makes are logged
  // (comlink's messages to the worker: which method, with what).
  await page.route('**/element-attributes.html', (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Attributes</title></head><body>
      <inversion-playground id="el" attack="mi-face" steps="400" seed="1"></inversion-playground>
      <div style="height: 3000px"></div><p id="end">The end.</p>
      <script type="module" src="./embed/inversion-playground.js"></script></body></html>`,
  }));
  await page.addInitScript(() => {
    const calls: string[] = ((window as unknown as { engineCalls: string[] }).engineCalls = []);
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (this: Worker, message: unknown, ...rest: unknown[]) {
      const m = message as { type?: string; path?: string[]; argumentList?: { value?: unknown }[] } | null;
      if (m?.type === 'APPLY' && m.path) calls.push(m.path[0] === 'cancel' ? `cancel ${String(m.argumentList?.[0]?.value)}` : m.path[0]);
      return (post as (...a: unknown[]) => void).call(this, message, ...rest);
    };
  });
  const calls = () => page.evaluate(() => (window as unknown as { engineCalls: string[] }).engineCalls.slice());
  await page.goto('./element-attributes.html');
  const el = page.locator('#el');
  await expect(el.getByTestId('step-counter')).toContainText('/ 400');
  await expect.poll(() => stepOf(el), { timeout: 60_000 }).toBeGreaterThan(2);
  const before = await calls();
  expect(before.filter((c) => c === 'startAttack')).toHaveLength(1);

  // Two attributes set in one go: one restart, on both; the old run is cancelled, in the same worker.
  await page.evaluate(() => {
    const e = document.getElementById('el')!;
    e.setAttribute('steps', '6');
    e.setAttribute('seed', '5');
  });
  await expect(el.getByTestId('embed-title')).toContainText('seed 5');
  await expect(el.getByTestId('step-counter')).toContainText('/ 6');
  await expect(el.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(el.getByTestId('step-counter')).toHaveAttribute('data-step', '6');
  const after = (await calls()).slice(before.length);
  expect(after.filter((c) => c.startsWith('cancel'))).toHaveLength(1);
  expect(after.filter((c) => c === 'startAttack')).toHaveLength(1);
  expect(after.findIndex((c) => c.startsWith('cancel')), 'the old run is cancelled before the new one starts').toBeLessThan(after.indexOf('startAttack'));
  expect(after).not.toContain('init'); // the engine was not started again
  expect(engineWorkers(page)).toHaveLength(1);
  await expect(el.getByTestId('embed-notice')).toHaveCount(0);
  const link = new URL((await el.getByTestId('open-playground').getAttribute('href'))!);
  expect(Object.fromEntries(link.searchParams)).toEqual({ steps: '6', seed: '5' });

  // A bad value: the same notice as a bad attribute on arrival, the default used. Mixed case works as in markup.
  await page.evaluate(() => {
    const e = document.getElementById('el')!;
    e.setAttribute('attack', 'nope');
    e.setAttribute('target', 'target-none');
  });
  const notice = el.getByTestId('embed-notice');
  await expect(notice).toContainText('Some settings in the attributes were invalid');
  await expect(notice).toContainText('Attack "nope" is unknown');
  await expect(el.getByTestId('embed-title')).toContainText('MI-Face');
  await expect(el.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await page.evaluate(() => {
    const e = document.getElementById('el')!;
    e.setAttribute('attack', 'genetic');
    e.setAttribute('mutationRate', '0.2');
    e.setAttribute('steps', '3');
  });
  await expect(notice).toHaveCount(0);
  await expect(el.getByTestId('embed-title')).toContainText('Genetic');
  await expect(el.getByTestId('step-counter')).toContainText('/ 3');
  expect(new URL((await el.getByTestId('open-playground').getAttribute('href'))!).searchParams.get('mutationRate')).toBe('0.2');
  await expect(el.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });

  // Scrolled away, a change waits: the new run starts only when the element comes near the viewport again.
  await page.locator('#end').scrollIntoViewIfNeeded();
  await page.evaluate(() => {
    const e = document.getElementById('el')!;
    e.setAttribute('attack', 'mi-face');
    e.setAttribute('steps', '5');
  });
  await expect(el.getByTestId('embed-title')).toContainText('MI-Face');
  await page.waitForTimeout(2000);
  await expect(el.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
  await el.scrollIntoViewIfNeeded();
  await expect(el.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  expect(engineWorkers(page)).toHaveLength(1);
});
