// Screenshots of the lab for looking at the layout (not assertions on pixels): before and after a run, at desktop
// and tablet widths, the error and notice states, and GAN attacks mid-run. Skipped unless SHOTS=1:
//   SHOTS=1 npx playwright test screenshots      (writes PNGs to $SHOTS_DIR, default /tmp/shots)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, injectDeviceLoss, openLab, servedPriors, test } from './fixtures.ts';

const DIR = process.env.SHOTS_DIR ?? '/tmp/shots';
const SIZES = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'tablet', width: 800, height: 1100 },
];

test.skip(!process.env.SHOTS, 'screenshots only on request (SHOTS=1)');
test.beforeAll(() => fs.mkdirSync(DIR, { recursive: true }));

for (const size of SIZES) {
  test(`screenshots at ${size.name} width`, async ({ page }) => {
    test.setTimeout(120_000);
    await page.setViewportSize({ width: size.width, height: size.height });
    await openLab(page, '?backend=wasm&steps=200', 'wasm');
    await page.screenshot({ path: path.join(DIR, `${size.name}-before.png`), fullPage: true });
    await page.getByTestId('run').click();
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
    await page.getByTestId('backend-badge').locator('summary').click();
    await page.screenshot({ path: path.join(DIR, `${size.name}-after.png`), fullPage: true });
    await page.getByRole('region', { name: /remembers/ }).screenshot({ path: path.join(DIR, `${size.name}-digits.png`) });
  });
}

test('screenshots of the notice and error states', async ({ page, guard }) => {
  guard.allowConsoleError(/404|Failed to load resource/i);
  await page.setViewportSize({ width: 800, height: 1000 });
  await page.route('**/models/target-none/model.json', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await openLab(page, '?backend=wasm&steps=abc&seed=-5&tv=2');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('message-run')).toBeVisible();
  await page.screenshot({ path: path.join(DIR, 'tablet-errors.png'), fullPage: false });
});

test('screenshot of a failed job with the switch-backend offer', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await openLab(page, '?backend=webgl&steps=5000', 'webgl');
  await page.getByTestId('run').click();
  await expect.poll(async () => Number(await page.getByTestId('step-counter').getAttribute('data-step')), { timeout: 60_000 }).toBeGreaterThan(5);
  await injectDeviceLoss(page);
  await expect(page.getByTestId('message-job-failed')).toBeVisible();
  await page.screenshot({ path: path.join(DIR, 'desktop-failed.png') });
});

// GAN attacks mid-run (paused), with the candidate grid: one per threat model.
for (const attack of ['gmi', 'genetic', 'brep-mi']) {
  test(`screenshot of ${attack} mid-run`, async ({ page }) => {
    test.skip(!servedPriors().includes('gan-disjoint'), 'needs the GAN prior gan-disjoint in public/models');
    test.setTimeout(180_000);
    await page.setViewportSize({ width: 1280, height: 900 });
    await openLab(page, `?backend=wasm&attack=${attack}&steps=2000`, 'wasm');
    await page.getByTestId('run').click();
    await expect.poll(async () => Number(await page.getByTestId('step-counter').getAttribute('data-step')), { timeout: 120_000 }).toBeGreaterThan(15);
    // BREP-MI may end early (every sphere has grown past its limit); the others are paused mid-run.
    if (await page.getByTestId('pause').isEnabled()) await page.getByTestId('pause').click();
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', /paused|done/);
    await page.screenshot({ path: path.join(DIR, `desktop-${attack}.png`), fullPage: true });
  });
}

// PLG-MI against the capped Trap-MID target, run to the end: the reconstructions, the triggers and both histograms.
test('screenshot of PLG-MI against the capped Trap-MID target', async ({ page }) => {
  test.skip(!servedPriors().includes('cgan-target-trap-mid-capped-disjoint'), 'needs its conditional GAN in public/models');
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await openLab(page, '?backend=wasm&attack=plg-mi&target=target-trap-mid-capped&steps=150', 'wasm');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 150_000 });
  await page.screenshot({ path: path.join(DIR, 'desktop-plg-mi-capped.png'), fullPage: true });
});

// The benchmark page: a small grid run to the end, a cell opened (PLG-MI's prior for target-trap-mid is shipped).
for (const size of SIZES) {
  test(`screenshot of the benchmark at ${size.name} width`, async ({ page }) => {
    test.setTimeout(240_000);
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.goto('./benchmark.html?defenses=target-none,target-mid,target-trap-mid&attacks=mi-face,plg-mi,ked-mi&steps=40&ref=40&backend=wasm');
    await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
    await page.screenshot({ path: path.join(DIR, `${size.name}-benchmark-before.png`), fullPage: true });
    await page.getByTestId('run').click();
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 220_000 });
    await page.getByTestId('cell-target-none-mi-face').click();
    await page.screenshot({ path: path.join(DIR, `${size.name}-benchmark.png`), fullPage: true });
  });
}

// The defense lab: BiDO (its HSIC terms on the loss chart), Trap-MID (triggers, trapdoor accuracy) and Trap-MID with
// stroke-thickness triggers, a short run each.
for (const [name, query] of [['bido', 'defense=bido'], ['trap-mid', 'defense=trap-mid'], ['trap-mid-stroke', 'injection=stroke&alpha=1']]) {
  test(`screenshot of the defense lab training ${name}`, async ({ page }) => {
    test.setTimeout(180_000);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`./defense.html?${query}&epochs=1&batch=64&images=640&seed=2&backend=wasm`);
    await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
    await page.getByTestId('train').click();
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 150_000 });
    await page.screenshot({ path: path.join(DIR, `desktop-defense-${name}.png`), fullPage: true });
  });
}
