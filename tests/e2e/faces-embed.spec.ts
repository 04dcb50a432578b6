// The embeds on the faces: embed.html?dataset=faces and <inversion-playground dataset="faces">, in headless Chromium
// without a GPU (as embed.spec.ts: the embeds pick WASM themselves). A tiny run of MI-Face against the face
// recogniser finishes with a card per private person and the evaluator's verdicts, the real-people notice and credit
// are shown, and the playground link keeps the data set; a bad dataset value falls back to the digits with a notice.
import { DATASETS } from '../../src/worker/catalog.ts';
import { expect, test } from './fixtures.ts';

test.use({ launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--disable-gpu', '--disable-software-rasterizer'] } });

const PEOPLE = DATASETS.faces.privateClasses;

test('embed.html?dataset=faces: a tiny run finishes with a card per person, the verdicts, the notice; the link keeps the data set', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('./embed.html?dataset=faces&steps=3&seed=2');
  await expect(page.getByTestId('embed-title')).toContainText('MI-Face');
  await expect(page.getByTestId('embed-title')).toContainText('seed 2');
  await expect(page.getByTestId('dataset-notice')).toContainText('real people');
  await expect(page.getByTestId('dataset-notice')).toContainText('AT&T Laboratories Cambridge');
  await expect(page.getByTestId('embed-notice')).toHaveCount(0);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  await expect(page.getByTestId('step-counter')).toHaveAttribute('data-step', '3');
  await expect(page.getByTestId(`person-${PEOPLE[0]}`)).toHaveCount(1);
  await expect(page.locator('[data-testid^="person-"]')).toHaveCount(PEOPLE.length);
  await expect(page.getByTestId('digit-0')).toHaveCount(0);
  for (const p of PEOPLE.slice(0, 3)) await expect(page.getByTestId(`verdict-${p}`)).toContainText(/evaluator sees\s*\d+ \(\d+(\.\d)?%\)/);
  await expect(page.getByTestId(`recon-${PEOPLE[0]}`)).toHaveAttribute('width', '64');
  await expect(page.getByTestId('embed-backend')).toHaveAttribute('data-backend', 'wasm');
  // Both judges on the faces too.
  await expect(page.getByTestId('accuracy')).toHaveText(/top-1 \d+(\.\d)?%/);
  await expect(page.getByTestId('accuracy-2')).toHaveText(/top-1 \d+(\.\d)?% · both \d+(\.\d)?%/);
  await expect(page.locator('.foot')).toContainText('face recogniser');
  const href = new URL((await page.getByTestId('open-playground').getAttribute('href'))!);
  expect(Object.fromEntries(href.searchParams)).toEqual({ dataset: 'faces', steps: '3', seed: '2' });
});

test('a bad dataset value falls back to the digits with a notice, in embed.html and in the element', async ({ page, guard }) => {
  test.setTimeout(120_000);
  await page.goto('./embed.html?dataset=cats&steps=2');
  const notice = page.getByTestId('embed-notice');
  await expect(notice).toContainText('Some settings in the link were invalid');
  await expect(notice).toContainText('Data set "cats" is unknown (use mnist, faces); using mnist');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('digit-0')).toBeVisible();
  await expect(page.getByTestId('dataset-notice')).toHaveCount(0);
  await expect(page.getByTestId('accuracy-2')).toHaveText(/top-1 \d+(\.\d)?% · both/);

  // The element on a blog page of the site's origin (made up by the test; see embed.spec.ts for the console error).
  guard.allowConsoleError(/ws:\/\/localhost.*ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS|\[vite\] failed to connect to websocket/);
  await page.route('**/faces-element.html', (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Faces</title></head><body>
      <inversion-playground id="el" dataset="faces" steps="2"></inversion-playground>
      <script type="module" src="./embed/inversion-playground.js"></script></body></html>`,
  }));
  await page.goto('./faces-element.html');
  const el = page.locator('#el');
  await expect(el.getByTestId('dataset-notice')).toContainText('real people');
  await expect(el.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  await expect(el.locator('[data-testid^="person-"]')).toHaveCount(PEOPLE.length);
  await expect(el.getByTestId(`verdict-${PEOPLE[0]}`)).toContainText(/evaluator sees/);
  // A script sets a bad data set: the element falls back to the digits and says so, inside itself.
  await page.evaluate(() => document.getElementById('el')!.setAttribute('dataset', 'cats'));
  await expect(el.getByTestId('embed-notice')).toContainText('Some settings in the attributes were invalid');
  await expect(el.getByTestId('embed-notice')).toContainText('Data set "cats" is unknown');
  await expect(el.getByTestId('digit-0')).toBeVisible();
  await expect(el.getByTestId('dataset-notice')).toHaveCount(0);
});
