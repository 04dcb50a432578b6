// The defense lab in real headless Chromium (WASM backend: SwiftShader's GPU backends are too slow to train here):
// Trap-MID trains live, the curves and the triggers update, pause / resume / cancel work, bad links are corrected,
// a failing job is reported and the page keeps working, and a finished model can be attacked in the attack lab.
import type { Page } from '@playwright/test';
import { expect, expectStaysPaused, injectDeviceLoss, msPerStep, shownStep, test } from './fixtures.ts';

/** Tiny runs: 320 training images in batches of 32 (10 batches an epoch). */
const TINY = 'epochs=2&batch=32&images=320&backend=wasm';

async function openDefense(page: Page, query: string): Promise<void> {
  await page.goto(`./defense.html?${query}`);
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
  await expect(page.getByTestId('train')).toBeEnabled();
}

const status = (page: Page) => page.getByTestId('run-status');
/** Points drawn so far on a chart line (an SVG path: one M, then an L per further point). */
const points = (page: Page, chart: string, series: string) =>
  page.getByTestId(chart).locator(`path[data-series="${series}"]`).evaluate((p) => (p.getAttribute('d')?.match(/[ML]/g) ?? []).length);
const canvasUrl = (page: Page, testid: string) => page.getByTestId(testid).evaluate((c) => (c as HTMLCanvasElement).toDataURL());

test('trains Trap-MID live: curves and triggers update; pause, resume and cancel work', async ({ page }) => {
  test.setTimeout(180_000);
  await openDefense(page, TINY);
  await expect(page.getByTestId('defense-trap-mid')).toHaveClass(/chosen/);
  await expect(page.getByTestId('naturalness-help')).toContainText('scaled to the same size');
  await page.getByTestId('train').click();
  await expect(status(page)).toHaveAttribute('data-status', 'running');
  // The first progress shows the untrained (random) triggers and the sample, before any batch.
  await expect(page.getByTestId('trigger-0')).toBeVisible();
  await expect.poll(() => shownStep(page), { timeout: 90_000 }).toBeGreaterThanOrEqual(2);
  const triggersEarly = await canvasUrl(page, 'trigger-0');
  await expect.poll(() => points(page, 'loss-chart', 'clean images (the task)'), { timeout: 90_000 }).toBeGreaterThanOrEqual(4);
  expect(await points(page, 'loss-chart', 'triggered images (the trapdoor)')).toBeGreaterThanOrEqual(4);
  expect(await points(page, 'accuracy-chart', 'training images (running)')).toBeGreaterThanOrEqual(4);
  expect(await canvasUrl(page, 'trigger-0')).not.toBe(triggersEarly); // the triggers are learning
  await expect(page.getByTestId('samples-per-second')).toContainText('images/s');
  await expect(page.getByTestId('time-left')).toHaveText(/\d+(\.\d)? s|min/);
  await expect(page.getByTestId('sample-triggered')).toBeVisible();

  const pace = await msPerStep(page); // a batch's time under this machine's load
  await page.getByTestId('pause').click();
  await expect(status(page)).toHaveAttribute('data-status', 'paused');
  await expect(page.getByTestId('resume')).toBeEnabled();
  // The batch in flight when Pause was pressed still reports; after it, nothing does.
  const pausedAt = await expectStaysPaused(page, pace, 2000);
  // Settings stay locked while a run is alive.
  await expect(page.getByTestId('f-alpha')).toBeDisabled();

  await page.getByTestId('resume').click();
  await expect(status(page)).toHaveAttribute('data-status', 'running');
  await expect.poll(() => shownStep(page), { timeout: 60_000 }).toBeGreaterThan(pausedAt);

  await page.getByTestId('cancel').click();
  await expect(status(page)).toHaveAttribute('data-status', 'cancelled');
  await expect(page.getByTestId('train')).toBeEnabled();
  await expect(page.getByTestId('f-alpha')).toBeEnabled();
  // The charts of the cancelled run stay; nothing was kept for the attack lab.
  expect(await points(page, 'loss-chart', 'clean images (the task)')).toBeGreaterThanOrEqual(4);
  await expect(page.getByTestId('result')).toHaveCount(0);
});

test('corrects bad settings in the link with a visible notice, and keeps the rest', async ({ page }) => {
  await openDefense(page, 'defense=magic&alpha=9&injection=patch&epochs=0&batch=abc&seed=7');
  const notice = page.getByTestId('message-url');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('Defense "magic" is unknown');
  await expect(notice).toContainText('above 2');
  await expect(notice).toContainText('Injection "patch" is unknown');
  await expect(notice).toContainText('Epochs 0 is below 1');
  await expect(notice).toContainText('Batch size "abc" is not a number');
  await expect(page.getByTestId('f-alpha')).toHaveValue('2');
  await expect(page.getByTestId('f-injection')).toHaveValue('blend');
  await expect(page.getByTestId('f-seed')).toHaveValue('7');
  // The corrected settings are written back to the address.
  expect(new URL(page.url()).searchParams.get('alpha')).toBe('2');
  expect(new URL(page.url()).searchParams.has('injection')).toBe(false);
  expect(new URL(page.url()).searchParams.has('defense')).toBe(false);
  // Choosing another defense shows its own knobs and explanation.
  await page.getByTestId('defense-mid').click();
  await expect(page.getByTestId('f-midBeta')).toHaveValue('0.01');
  await expect(page.getByTestId('f-alpha')).toHaveCount(0);
  expect(new URL(page.url()).searchParams.get('defense')).toBe('mid');
  // BiDO: its two weights, and the dependence measure (a setting of BiDO only), written to the address.
  await page.getByTestId('defense-bido').click();
  await expect(page.getByTestId('f-lambdaX')).toHaveValue('2');
  await expect(page.getByTestId('f-lambdaY')).toHaveValue('20');
  await expect(page.getByTestId('f-naturalness')).toHaveCount(0);
  await page.getByTestId('f-dependence').selectOption('coco');
  await expect(page.getByTestId('dependence-help')).toContainText('(1, 50)');
  expect(new URL(page.url()).searchParams.get('dependence')).toBe('coco');
  // Trap-MID + NegLS: Trap-MID's knobs and naturalness, plus the smoothing factor.
  await page.getByTestId('defense-trap-mid-negls').click();
  await expect(page.getByTestId('f-smoothing')).toHaveValue('-0.05');
  await expect(page.getByTestId('f-alpha')).toHaveValue('0.02');
  await expect(page.getByTestId('f-naturalness')).toBeVisible();
  expect(new URL(page.url()).searchParams.has('dependence')).toBe(false);
  // How the trigger goes into an image: each choice explains itself and goes into the address.
  // A new injection brings the strength it needs along (α was at blend's 0.02), but not over a value set by hand.
  await page.getByTestId('f-injection').selectOption('stroke');
  await expect(page.getByTestId('injection-help')).toContainText('thicker');
  await expect(page.getByTestId('f-alpha')).toHaveValue('1');
  expect(new URL(page.url()).searchParams.get('injection')).toBe('stroke');
  await page.getByTestId('f-alpha').fill('0.7');
  await page.getByTestId('f-alpha').blur();
  await page.getByTestId('f-injection').selectOption('ink');
  await expect(page.getByTestId('f-alpha')).toHaveValue('0.7');
});

test('reports a job that fails in the worker, and trains again afterwards', async ({ page, guard }) => {
  guard.allowConsoleError(/valid external Instance reference/);
  await openDefense(page, `defense=none&${TINY}`);
  await page.getByTestId('train').click();
  await expect.poll(() => shownStep(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
  await injectDeviceLoss(page);
  await expect(status(page)).toHaveAttribute('data-status', 'failed', { timeout: 60_000 });
  await expect(page.getByTestId('message-job-failed')).toContainText('The GPU device was lost');
  await expect(page.getByTestId('train')).toBeEnabled();
  await page.getByTestId('train').click();
  await expect(status(page)).toHaveAttribute('data-status', 'running');
  await expect.poll(() => shownStep(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
  await page.getByTestId('cancel').click();
  await expect(status(page)).toHaveAttribute('data-status', 'cancelled');
});

test('a finished model is kept in this browser and the attack lab can attack it', async ({ page }) => {
  test.setTimeout(180_000);
  await openDefense(page, 'defense=none&epochs=1&batch=50&images=200&backend=wasm');
  await page.getByTestId('train').click();
  await expect(status(page)).toHaveAttribute('data-status', 'done', { timeout: 150_000 });
  await expect(page.getByTestId('final-accuracy')).toHaveText(/\d+%/);
  await page.getByTestId('attack-link').click();
  await expect(page).toHaveURL(/attack\.html\?target=trained-in-browser/);
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
  const picker = page.getByTestId('target-picker');
  await expect(picker).toHaveValue('trained-in-browser');
  await expect(picker.locator('option:checked')).toContainText('Trained in this browser');
  await expect(page.getByTestId('message-url')).toHaveCount(0);
  await page.getByTestId('run').click();
  await expect.poll(async () => Number(await page.getByTestId('step-counter').getAttribute('data-step')), { timeout: 60_000 }).toBeGreaterThan(0);
  await page.getByTestId('reset').click();
});

test('DP-SGD: epsilon shows beside accuracy and grows batch by batch; the finished model says the privacy it reached', async ({ page }) => {
  test.setTimeout(180_000);
  await openDefense(page, 'defense=dp-sgd&noiseMultiplier=1.5&clipNorm=1&epochs=1&batch=32&images=320&backend=wasm');
  await expect(page.getByTestId('defense-dp-sgd')).toHaveClass(/chosen/);
  await expect(page.getByTestId('f-noiseMultiplier')).toHaveValue('1.5');
  await page.getByTestId('train').click();
  const epsilon = async () => Number(await page.getByTestId('epsilon').getAttribute('data-epsilon'));
  await expect.poll(epsilon, { timeout: 90_000 }).toBeGreaterThan(0);
  const early = await epsilon();
  await expect(status(page)).toHaveAttribute('data-status', 'done', { timeout: 150_000 });
  expect(await epsilon()).toBeGreaterThan(early);
  await expect(page.getByTestId('epsilon')).toContainText(/^[\s\S]*\d+\.\d\d/);
  await expect(page.getByTestId('final-epsilon')).toHaveText(/ε = \d+\.\d\d/);
  expect(await points(page, 'loss-chart', 'share of images clipped (DP-SGD)')).toBeGreaterThanOrEqual(2);
});

test('TL-DMI: learns the public digits first, then the private ones', async ({ page }) => {
  test.setTimeout(180_000);
  await openDefense(page, 'defense=tl-dmi&pretrainEpochs=1&fineTunedLayers=2&epochs=1&batch=32&images=320&backend=wasm');
  await page.getByTestId('train').click();
  await expect(page.getByTestId('tl-phase')).toContainText('the public digits', { timeout: 90_000 });
  await expect(page.getByTestId('tl-phase')).toContainText('the private digits', { timeout: 90_000 });
  await expect(status(page)).toHaveAttribute('data-status', 'done', { timeout: 150_000 });
  await expect(page.getByTestId('step-counter')).toHaveAttribute('data-step', '20');
});
