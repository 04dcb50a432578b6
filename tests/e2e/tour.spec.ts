// The guided tour (index.html): the stepper and its hash, the live attacks of steps 2-4 (started when their step is
// shown, cancelled when it is left), the trapdoor histograms, the narrated mode's pauses and the "What am I looking
// at?" toggles. WASM and tiny step budgets (`steps=`) keep it quick. Set SHOTS_DIR to keep screenshots of steps 2 and 4.
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

const TABLET = { width: 800, height: 1100 };

/** The step a live attack of the tour shows (readable while its step is hidden). */
async function stepOf(live: Locator): Promise<number> {
  return Number(await live.getByTestId('step-counter').getAttribute('data-step'));
}

async function shoot(page: Page, name: string): Promise<void> {
  if (process.env.SHOTS_DIR) await page.screenshot({ path: `${process.env.SHOTS_DIR}/${name}.png`, fullPage: true });
}

/** A "What am I looking at?" toggle opens its paragraph and closes it again. */
async function expectToggles(page: Page, testid: string): Promise<void> {
  const button = page.getByTestId(`${testid}-button`);
  await expect(button).toHaveAttribute('aria-expanded', 'false');
  await expect(page.getByTestId(`${testid}-text`)).toBeHidden();
  await button.click();
  await expect(button).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByTestId(`${testid}-text`)).toBeVisible();
  await expect(page.getByTestId(`${testid}-text`)).not.toBeEmpty();
  await button.click();
  await expect(button).toHaveAttribute('aria-expanded', 'false');
  await expect(page.getByTestId(`${testid}-text`)).toBeHidden();
}

test('the tour loads at step 1 with the private digits; Next, Back and the step list move between steps and update the hash; #step-4 opens step 4', async ({ page }) => {
  test.setTimeout(150_000);
  await page.goto('./index.html?backend=wasm&steps=3');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('A guided tour of model inversion');
  await expect(page.getByTestId('tour-step-1')).toBeVisible();
  for (const n of [2, 3, 4, 5]) await expect(page.getByTestId(`tour-step-${n}`)).toBeHidden();
  await expect(page.getByTestId('back')).toBeDisabled();
  await expect(page.getByTestId('step-link-1')).toHaveAttribute('aria-current', 'step');
  // Step 1: real private digits, and how sure the target is of each.
  for (const d of [0, 1, 2, 3, 4]) {
    await expect(page.getByTestId(`private-answer-${d}`)).toHaveText(new RegExp(`says\\s*${d},\\s*\\d+\\.\\d% sure`), { timeout: 60_000 });
  }
  await expectToggles(page, 'explain-memorised');

  await page.getByTestId('next').click();
  await expect(page).toHaveURL(/index\.html\?backend=wasm&steps=3#step-2$/);
  await expect(page.getByTestId('tour-step-2')).toBeVisible();
  await expect(page.getByTestId('tour-step-1')).toBeHidden();
  await expect(page.getByTestId('step-link-2')).toHaveAttribute('aria-current', 'step');
  await expect(page.getByTestId('step-link-1')).not.toHaveAttribute('aria-current', 'step');
  await expect(page.locator('#tour-step-2-title')).toBeFocused();
  await expect(page.getByTestId('step-indicator')).toHaveText('Step 2 of 5');

  await page.getByTestId('next').click();
  await expect(page).toHaveURL(/#step-3$/);
  await expect(page.getByTestId('tour-step-3')).toBeVisible();
  await page.getByTestId('back').click();
  await expect(page).toHaveURL(/#step-2$/);
  await expect(page.getByTestId('tour-step-2')).toBeVisible();
  await expect(page.getByTestId('tour-step-3')).toBeHidden();

  // The step list is links to the hashes; the last step has no Next and links to the benchmark.
  await page.getByTestId('step-link-5').click();
  await expect(page).toHaveURL(/#step-5$/);
  await expect(page.getByTestId('tour-step-5')).toBeVisible();
  await expect(page.getByTestId('next')).toBeDisabled();
  await expect(page.getByTestId('tour-step-5').locator('a[href="./benchmark.html"]').first()).toBeVisible();
  await expect(page.getByTestId('tour-step-5').locator('dt')).toHaveText(['Attack accuracy, top-1', 'Attack accuracy, top-5', 'KNN distance', 'FID']);

  // A link straight to step 4 (a new load: another query).
  await page.goto('./index.html?backend=wasm&steps=2#step-4');
  await expect(page.getByTestId('tour-step-4')).toBeVisible();
  await expect(page.getByTestId('tour-step-1')).toBeHidden();
  await expect(page.getByTestId('step-indicator')).toHaveAttribute('data-step', '4');
  await expect(page.getByTestId('step-link-4')).toHaveAttribute('aria-current', 'step');
});

test('step 2 runs MI-Face live: reconstructions form with the evaluator\'s verdicts; step 3 runs PLG-MI beside it', async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize(TABLET);
  await page.goto('./index.html?backend=wasm&steps=8#step-2');
  const live = page.getByTestId('live-2');
  await expect(live.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  await expect(live.getByTestId('step-counter')).toHaveAttribute('data-step', '8');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm');
  for (const d of [0, 1, 2, 3, 4]) {
    await expect(live.getByTestId(`recon-${d}`)).toBeVisible();
    await expect(live.getByTestId(`verdict-${d}`)).toHaveAttribute('data-match', /^(true|false)$/);
  }
  await expect(live.getByTestId('accuracy')).toHaveText(/top-1 \d+% · top-5 \d+%/);
  // The reconstructions are not blank any more.
  const lit = await live.getByTestId('recon-0').evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum += data[i];
    return sum;
  });
  expect(lit).toBeGreaterThan(0);
  await shoot(page, 'tour-step-2');
  await expectToggles(page, 'live-2-grid-explain');

  // Step 3: PLG-MI live, with step 2's final result beside it.
  await page.getByTestId('next').click();
  const live3 = page.getByTestId('live-3');
  await expect(page.getByTestId('compare-mi-face-top1')).toContainText(/top-1 \d+%/);
  await expect(page.getByTestId('compare-mi-face-top1')).toContainText('step 8 / 8');
  await expect(live3.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  for (const d of [0, 1, 2, 3, 4]) await expect(live3.getByTestId(`verdict-${d}`)).toHaveAttribute('data-match', /^(true|false)$/);
  await expect(page.getByTestId('compare-plg-mi-top1')).toContainText('step 8 / 8');
  await expectToggles(page, 'explain-compare');
});

test('step 4 runs the attack against Trap-MID and shows the trapdoor histograms with the threshold and the share flagged', async ({ page }) => {
  test.setTimeout(150_000);
  await page.setViewportSize(TABLET);
  await page.goto('./index.html?backend=wasm&steps=8#step-4');
  const live = page.getByTestId('live-4');
  await expect(live.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  const hist = live.getByTestId('hist-recon');
  await expect(hist).toBeVisible();
  await expect(hist.locator('line.threshold')).toHaveCount(1);
  await expect(hist.locator('.tlabel')).toHaveText(/threshold \d\.\d\d/);
  await expect(hist.locator('line.mark')).toHaveCount(5);
  await expect(hist).toContainText('reconstructions (5)');
  await expect(live.getByTestId('hist-training')).toBeVisible();
  await expect(live.getByTestId('flagged-share')).toHaveText(/^\d+%$/);
  const flagged = Number(await live.getByTestId('trap-stats').getAttribute('data-flagged'));
  expect(flagged).toBeGreaterThanOrEqual(0);
  expect(flagged).toBeLessThanOrEqual(1);
  await shoot(page, 'tour-step-4');
  await expectToggles(page, 'hist-recon-explain');
});

test('narrated mode pauses the live attack at a stage with a caption, and Continue resumes it', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('./index.html?backend=wasm&steps=200');
  const toggle = page.getByTestId('narrated-toggle');
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  // The link keeps the mode, so Copy link shares a narrated tour.
  expect(new URL(page.url()).searchParams.get('narrated')).toBe('1');
  await page.getByTestId('next').click();
  const live = page.getByTestId('live-2');
  const caption = live.getByTestId('caption');

  // The first stage: paused, with its caption in a live region, and it stays paused.
  await expect(caption).toHaveAttribute('data-stage', 'first', { timeout: 90_000 });
  await expect(caption).toContainText('The first steps');
  await expect(live.locator('[aria-live="polite"]').getByTestId('caption')).toBeVisible();
  await expect(live.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  await expect(live.getByTestId('run-status')).toHaveText('Paused for the narration');
  let held = await stepOf(live);
  await expect.poll(async () => {
    const now = await stepOf(live);
    const same = now === held;
    held = now;
    return same;
  }, { intervals: [1500], timeout: 20_000 }).toBe(true);
  await page.waitForTimeout(1500);
  expect(await stepOf(live)).toBe(held);
  expect(held).toBeLessThan(200);

  // Continue: the run goes on, and stops again half-way.
  await live.getByTestId('continue').click();
  await expect(caption).not.toHaveAttribute('data-stage', 'first');
  await expect.poll(() => stepOf(live), { timeout: 60_000 }).toBeGreaterThan(held);
  await expect(caption).toHaveAttribute('data-stage', 'half', { timeout: 90_000 });
  await expect(live.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  expect(await stepOf(live)).toBeGreaterThanOrEqual(100);

  // Continue again: to the end, where the last caption says what came out.
  await live.getByTestId('continue').click();
  await expect(caption).toHaveAttribute('data-stage', 'end', { timeout: 90_000 });
  await expect(live.getByTestId('run-status')).toHaveAttribute('data-status', 'done');
  await live.getByTestId('continue').click();
  await expect(caption).toHaveCount(0);
});

test('leaving a step cancels its attack (its step counter stops); coming back starts it afresh', async ({ page }) => {
  test.setTimeout(150_000);
  await page.goto('./index.html?backend=wasm&steps=3000#step-2');
  const live = page.getByTestId('live-2');
  await expect(live.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await expect.poll(() => stepOf(live), { timeout: 60_000 }).toBeGreaterThan(30);

  await page.getByTestId('next').click();
  await expect(page.getByTestId('tour-step-2')).toBeHidden();
  // Step 2's run is cancelled; its last images stay for step 3's comparison, and its counter no longer moves.
  await expect(live.getByTestId('run-status')).toHaveAttribute('data-status', 'cancelled');
  const stopped = await stepOf(live);
  await page.waitForTimeout(2500);
  expect(await stepOf(live)).toBe(stopped);
  expect(stopped).toBeLessThan(3000);
  // Step 3's attack runs instead.
  await expect(page.getByTestId('live-3').getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 60_000 });

  // Back to step 2: step 3's run stops, and step 2's starts again from the beginning.
  await page.getByTestId('back').click();
  await expect.poll(() => stepOf(live), { timeout: 30_000 }).toBeLessThan(stopped);
  await expect(page.getByTestId('live-3').getByTestId('run-status')).toHaveAttribute('data-status', /cancelled|idle/);
  await expect(live.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await page.getByTestId('step-link-5').click();
  await expect(live.getByTestId('run-status')).toHaveAttribute('data-status', 'cancelled');
});

/** Types `value` into the seed field and waits for the attack it starts again to end ('done'). */
async function reseed(live: Locator, field: Locator, value: string): Promise<void> {
  const status = live.getByTestId('run-status');
  // Every state the attack passes through from now on (a tiny run may start and end between two polls).
  await status.evaluate((el) => {
    const seen: string[] = [];
    (el as HTMLElement & { seen?: string[] }).seen = seen;
    new MutationObserver(() => seen.push(el.getAttribute('data-status') ?? '')).observe(el, { attributes: true, attributeFilter: ['data-status'] });
  });
  await field.fill(value);
  await field.press('Enter');
  await expect.poll(() => status.evaluate((el) => (el as HTMLElement & { seen?: string[] }).seen ?? []), { timeout: 30_000 }).toContain('starting');
  await expect(status).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
}

test('the live attacks\' seed: read from the link, validated when typed, runs the attack again and goes into the link', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('./index.html?backend=wasm&steps=6&seed=5#step-2');
  const live = page.getByTestId('live-2');
  const seed = live.getByTestId('live-2-seed');
  const recon = () => live.getByTestId('recon-0').evaluate((c: HTMLCanvasElement) => c.toDataURL());
  await expect(seed).toHaveValue('5');
  // Every live attack shows the tour's one seed.
  await expect(page.getByTestId('live-3-seed')).toHaveValue('5');
  await expect(live.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  const withFive = await recon();

  // A value out of range is corrected, with a note saying so; the attack runs again on it and the link follows.
  await reseed(live, seed, '-5');
  await expect(seed).toHaveValue('0');
  await expect(live.getByRole('status').filter({ hasText: 'Seed -5 is below 0; using 0' })).toBeVisible();
  expect(new URL(page.url()).searchParams.get('seed')).toBe('0');

  // Another seed, other reconstructions; the link keeps it, and the rest of the link as it was.
  await reseed(live, seed, '42');
  await expect(live.getByTestId('step-counter')).toHaveAttribute('data-step', '6');
  expect(await recon()).not.toBe(withFive);
  const url = new URL(page.url());
  expect(url.searchParams.get('seed')).toBe('42');
  expect(url.hash).toBe('#step-2');
  expect(url.searchParams.get('steps')).toBe('6');
  expect(url.searchParams.get('backend')).toBe('wasm');
  await expect(page.getByTestId('live-4-seed')).toHaveValue('42');

  // The first seed again: the same reconstructions as its first run (a link reproduces what it showed).
  await reseed(live, seed, '5');
  expect(await recon()).toBe(withFive);

  // The default seed is left out of the link; a seed in the link that is not a number falls back to it.
  await reseed(live, seed, '1');
  expect(new URL(page.url()).searchParams.has('seed')).toBe(false);
  await page.goto('./index.html?backend=wasm&steps=2&seed=abc#step-2');
  await expect(page.getByTestId('live-2-seed')).toHaveValue('1');
});
