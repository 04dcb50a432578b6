// The guided tour (index.html): the stepper and its hash, the live attacks of steps 2-4 and 6 (started when their step
// is shown, cancelled when it is left), the trapdoor histograms, the faces of step 6 with their notice, the narrated
// mode's pauses and the "What am I looking at?" toggles. WASM and tiny step budgets (`steps=`) keep it quick. Set
// SHOTS_DIR to keep screenshots of steps 2, 4 and 6.
import type { Locator, Page } from '@playwright/test';
import { DATASETS } from '../../src/worker/catalog.ts';
import { expect, test } from './fixtures.ts';

const TABLET = { width: 800, height: 1100 };

/** The step a live attack of the tour shows (readable while its step is hidden). */
async function stepOf(live: Locator): Promise<number> {
  return Number(await live.getByTestId('step-counter').getAttribute('data-step'));
}

/** Mean brightness (0..255) of one canvas. */
function meanOf(canvas: Locator): Promise<number> {
  return canvas.evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum += data[i];
    return sum / (data.length / 4);
  });
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
  for (const n of [2, 3, 4, 5, 6]) await expect(page.getByTestId(`tour-step-${n}`)).toBeHidden();
  await expect(page.getByTestId('back')).toBeDisabled();
  await expect(page.getByTestId('step-link-1')).toHaveAttribute('aria-current', 'step');
  // Step 1: real private digits, and how sure the target is of each.
  for (const d of [0, 1, 2, 3, 4]) {
    await expect(page.getByTestId(`private-answer-${d}`)).toHaveText(new RegExp(`says\\s*${d},\\s*(over )?\\d+\\.\\d% sure`), { timeout: 60_000 });
    // A classifier is never shown as certain: digit 3's float32 softmax rounds to exactly 1.
    await expect(page.getByTestId(`private-answer-${d}`)).not.toContainText('100');
  }
  await expectToggles(page, 'explain-memorised');
  await expect(page.getByTestId('notice-1')).toBeVisible();
  await expect(page.getByTestId('notice-1')).toContainText('What to notice:');

  await page.getByTestId('next').click();
  await expect(page).toHaveURL(/index\.html\?backend=wasm&steps=3#step-2$/);
  await expect(page.getByTestId('tour-step-2')).toBeVisible();
  await expect(page.getByTestId('tour-step-1')).toBeHidden();
  await expect(page.getByTestId('step-link-2')).toHaveAttribute('aria-current', 'step');
  await expect(page.getByTestId('step-link-1')).not.toHaveAttribute('aria-current', 'step');
  await expect(page.locator('#tour-step-2-title')).toBeFocused();
  await expect(page.getByTestId('step-indicator')).toHaveText('Step 2 of 6');

  await page.getByTestId('next').click();
  await expect(page).toHaveURL(/#step-3$/);
  await expect(page.getByTestId('tour-step-3')).toBeVisible();
  await page.getByTestId('back').click();
  await expect(page).toHaveURL(/#step-2$/);
  await expect(page.getByTestId('tour-step-2')).toBeVisible();
  await expect(page.getByTestId('tour-step-3')).toBeHidden();

  // The step list is links to the hashes; step 5 is still the benchmark's (older links name it), and links to it.
  await page.getByTestId('step-link-5').click();
  await expect(page).toHaveURL(/#step-5$/);
  await expect(page.getByTestId('tour-step-5')).toBeVisible();
  await expect(page.locator('#tour-step-5-title')).toContainText('How the benchmark numbers are read');
  await expect(page.getByTestId('next')).toBeEnabled();
  await expect(page.getByTestId('tour-step-5').locator('a[href="./benchmark.html"]').first()).toBeVisible();
  await expect(page.getByTestId('tour-step-5').locator('dt')).toHaveText(['Attack accuracy', 'Distance to the nearest private picture', 'Realism of the whole set', 'Clean accuracy']);
  // The recorded two-by-two table, a sentence per cell, and the closing summary.
  const table = page.getByTestId('recorded-table');
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await expect(table.locator('tbody td')).toHaveCount(4);
  for (const td of await table.locator('tbody td').all()) await expect(td).toHaveText(/^\d+% \(\d+%\)/);
  await expect(page.getByTestId('recorded-sentences').locator('li')).toHaveCount(4);
  // The faces come last, with the closing summary; the last step has no Next.
  await page.getByTestId('next').click();
  await expect(page).toHaveURL(/#step-6$/);
  await expect(page.getByTestId('tour-step-6')).toBeVisible();
  await expect(page.getByTestId('next')).toBeDisabled();
  await expect(page.getByTestId('step-indicator')).toHaveText('Step 6 of 6');
  await expect(page.getByTestId('tour-summary')).toBeVisible();
  await expect(page.getByTestId('tour-summary')).toContainText('Where next');
  // Every step says what to notice, visibly, when it is open.
  for (const n of [1, 2, 3, 4, 5, 6]) {
    await page.getByTestId(`step-link-${n}`).click();
    await expect(page.getByTestId(`notice-${n}`)).toBeVisible();
    expect((await page.getByTestId(`notice-${n}`).innerText()).length).toBeGreaterThan(60);
  }

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
    // Honest verdicts: a tick only when the evaluator is sure; otherwise "barely", "wrong digit" or "nearly blank", in words.
    await expect(live.getByTestId(`verdict-${d}`)).toHaveAttribute('data-verdict', /^(clear|barely|wrong|blank)$/);
    await expect(live.getByTestId(`verdict-kind-${d}`)).toHaveText(/^(clearly right|right, but barely|wrong digit|nearly blank)$/);
    // The second judge's verdict, which the grid's explanation names.
    await expect(live.getByTestId(`verdict2-${d}`)).toContainText(/judge 2 sees\s*\d/);
  }
  await expect(live.getByTestId('accuracy')).toHaveText(/^\d+%$/);
  await expect(live.getByTestId('clear-count')).toHaveText(/^\d of 5$/);
  await expect(page.getByTestId('why-not-exact')).toBeVisible();
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
  await expect(page.getByTestId('live-2-grid-explain-text')).toContainText('Judge 2 sees');

  // Step 3: PLG-MI live, with step 2's final result beside it (the same run: its clear count carries over).
  const miClear = await live.getByTestId('clear-count').getAttribute('data-clear');
  await page.getByTestId('next').click();
  const live3 = page.getByTestId('live-3');
  await expect(page.getByTestId('compare-mi-face-clear')).toHaveAttribute('data-clear', miClear!);
  await expect(live3.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  for (const d of [0, 1, 2, 3, 4]) await expect(live3.getByTestId(`verdict-${d}`)).toHaveAttribute('data-match', /^(true|false)$/);
  await expect(page.getByTestId('compare-plg-mi-clear')).toHaveText(/clearly right\s*\d of 5/);
  await expect(page.getByTestId('compare-plg-mi').locator('li')).toHaveCount(5);
  await expectToggles(page, 'explain-compare');
});

test('step 3 opened directly runs step 2\'s MI-Face too, so its comparison is never empty; a new seed reruns both', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('./index.html?backend=wasm&steps=6#step-3');
  const compare = page.getByTestId('compare');
  await expect(compare).not.toContainText('Not run yet');
  // Both rows fill in and end with how many of the five the evaluator is clearly right about.
  await expect(page.getByTestId('compare-mi-face-clear')).toHaveText(/clearly right\s*\d of 5/, { timeout: 90_000 });
  await expect(page.getByTestId('compare-plg-mi-clear')).toHaveText(/clearly right\s*\d of 5/, { timeout: 90_000 });
  await expect(page.getByTestId('live-2').getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('compare-mi-face')).not.toContainText('forming');
  for (const row of ['compare-mi-face', 'compare-plg-mi']) {
    await expect(page.getByTestId(row).locator('li')).toHaveCount(5);
    for (const li of await page.getByTestId(row).locator('li').all()) await expect(li).toHaveAttribute('data-verdict', /^(clear|barely|wrong|blank)$/);
  }
  const before = await page.getByTestId('live-2').getByTestId('recon-0').evaluate((c: HTMLCanvasElement) => c.toDataURL());
  // A new seed typed in step 3 runs PLG-MI again, and MI-Face (unseen) with it, so the rows stay comparable.
  await reseed(page.getByTestId('live-3'), page.getByTestId('live-3-seed'), '7');
  await expect(page.getByTestId('live-2').getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect.poll(() => page.getByTestId('live-2').getByTestId('recon-0').evaluate((c: HTMLCanvasElement) => c.toDataURL())).not.toBe(before);
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
  // One numbered dot per reconstruction: the legend's count is the number of marks drawn.
  await expect(hist.locator('circle.mark')).toHaveCount(5);
  await expect(hist.locator('text.dlabel')).toHaveText(['0', '1', '2', '3', '4'].map(() => /^[0-4]$/));
  await expect(hist).toContainText('reconstructions (5)');
  const legendCount = Number(/reconstructions \((\d+)\)/.exec(await hist.locator('.legend').innerText())![1]);
  expect(await hist.locator('circle.mark').count()).toBe(legendCount);
  await expect(live.getByTestId('flagged-count')).toHaveText(/^\d of 5$/);
  await expect(live.getByTestId('false-alarms')).toHaveText(/^\d+%$/);
  // The triggers beside the full-contrast reconstructions.
  await expect(live.getByTestId('row-triggers').locator('li')).toHaveCount(5);
  await expect(live.getByTestId('row-stretched').locator('li')).toHaveCount(5);
  await expect(page.getByTestId('notice-4')).toBeVisible();
  await expect(live.getByTestId('hist-training')).toBeVisible();
  await expect(live.getByTestId('flagged-share')).toHaveText(/^\d+%$/);
  const flagged = Number(await live.getByTestId('trap-stats').getAttribute('data-flagged'));
  expect(flagged).toBeGreaterThanOrEqual(0);
  expect(flagged).toBeLessThanOrEqual(1);
  await shoot(page, 'tour-step-4');
  await expectToggles(page, 'hist-recon-explain');
});

test('step 6 runs MI-Face live on the faces: a card per private person beside their photo, the evaluator\'s verdicts, the notice and credit', async ({ page }) => {
  test.setTimeout(150_000);
  const people = DATASETS.faces.privateClasses;
  await page.goto('./index.html?backend=wasm&steps=5#step-6');
  const step = page.getByTestId('tour-step-6');
  await expect(step).toBeVisible();
  await expect(page.locator('#tour-step-6-title')).toContainText('The same attack on a face recogniser');
  // Real people: what they are and whose database, above the faces.
  const notice = step.getByTestId('dataset-notice');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('real people');
  await expect(notice).toContainText('1990s research database');
  await expect(notice).toContainText('AT&T Laboratories Cambridge');
  await expect(page.getByTestId('notice-6')).toContainText('None is a photograph');
  await expect(step.getByTestId('why-faces')).toContainText('Why faces are the case that matters');

  const live = page.getByTestId('live-6');
  await expect(live.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  await expect(live.getByTestId('step-counter')).toHaveAttribute('data-step', '5');
  await expect(live.getByTestId('clear-count')).toHaveText(new RegExp(`^\\d+ of ${people.length}$`));
  // One card per private person (none of the digits), each reconstruction formed, each real photo loaded.
  await expect(live.locator('[data-testid^="person-"]')).toHaveCount(people.length);
  await expect(live.locator('[data-testid^="digit-"]')).toHaveCount(0);
  for (const p of people) {
    await expect(live.getByTestId(`verdict-${p}`)).toHaveAttribute('data-verdict', /^(clear|barely|wrong|blank)$/);
    await expect(live.getByTestId(`verdict-kind-${p}`)).toHaveText(/^(clearly right|right, but barely|wrong person|nearly blank)$/);
    await expect(live.getByTestId(`verdict2-${p}`)).toContainText(/judge 2 sees\s*\d/);
  }
  // 64 x 64 canvases: the faces' side, not the digits' 28. (Person 1's test ids are digit 1's too, in step 2: look in step 6.)
  const recon = live.getByTestId(`recon-${people[0]}`);
  expect(await recon.evaluate((c: HTMLCanvasElement) => c.width)).toBe(64);
  expect(await meanOf(recon)).toBeGreaterThan(0);
  // A real photo beside it: a face has no black background, bright on average.
  await expect.poll(() => meanOf(live.getByTestId(`sample-${people[0]}`))).toBeGreaterThan(40);
  await shoot(page, 'tour-step-6');
  await expectToggles(page, 'live-6-grid-explain');
  await expect(page.getByTestId('live-6-grid-explain-text')).toContainText('a stranger');
  // Leaving the step keeps its images; the digits' live attacks are untouched by it.
  await page.getByTestId('step-link-2').click();
  await expect(page.getByTestId('tour-step-6')).toBeHidden();
  await expect(page.getByTestId('live-2').getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  await expect(page.getByTestId('live-2').locator('[data-testid^="digit-"]')).toHaveCount(5);
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

  await page.getByTestId('step-link-4').click();
  await expect(page.getByTestId('tour-step-2')).toBeHidden();
  // Step 2's run is cancelled; its counter no longer moves.
  await expect(live.getByTestId('run-status')).toHaveAttribute('data-status', 'cancelled');
  const stopped = await stepOf(live);
  await page.waitForTimeout(2500);
  expect(await stepOf(live)).toBe(stopped);
  expect(stopped).toBeLessThan(3000);
  // Step 4's attack runs instead.
  const live4 = page.getByTestId('live-4');
  await expect(live4.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 60_000 });

  // Back to step 2: step 4's run stops, and step 2's starts again from the beginning.
  await page.getByTestId('step-link-2').click();
  await expect.poll(() => stepOf(live), { timeout: 30_000 }).toBeLessThan(stopped);
  await expect(live4.getByTestId('run-status')).toHaveAttribute('data-status', /cancelled|idle/);
  await expect(live.getByTestId('run-status')).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  // Step 3 compares with step 2's run: it goes on, unseen, to the end.
  await page.getByTestId('next').click();
  const at = await stepOf(live);
  await expect.poll(() => stepOf(live), { timeout: 30_000 }).toBeGreaterThan(at);
  await expect(live.getByTestId('run-status')).toHaveAttribute('data-status', 'running');
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
