// PPA (Plug & Play Attacks, Struppek et al. 2022) in the attack lab: against target-none with the shared GAN
// `gan-disjoint` it selects its starting latents, optimises them, and at the end its final selection marks one
// candidate per digit; its settings round-trip through the link.
import { changedReconstructions, expect, expectRoundTrip, expectVerdicts, openLab, reconstructionImages, shownStep, skipUnlessServed, test } from './fixtures.ts';
import { attackInfo } from '../../src/worker/catalog.ts';

test('PPA runs against target-none, updates its candidate grid and ends with its final selection', async ({ page }) => {
  skipUnlessServed('GAN prior', 'gan-disjoint');
  test.setTimeout(180_000);
  await openLab(page, '?backend=wasm&attack=ppa&steps=12&restarts=3&pool=60&finalAugmentations=10', 'wasm');
  await expect(page.getByTestId('attack-summary')).toContainText('Struppek et al., 2022');
  await expect(page.getByTestId('attack-summary')).toContainText('white-box');
  await expect(page.getByText(attackInfo('ppa').population!)).toBeVisible();
  const blank = await reconstructionImages(page);
  await page.getByTestId('run').click();
  await expect(page.getByTestId('candidate-grid')).toBeVisible({ timeout: 120_000 });
  await expect.poll(() => shownStep(page), { timeout: 120_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(page.getByTestId('step-counter')).toHaveText('12 / 12');
  // Every candidate of every digit with its score; one kept per digit (the final selection's), shown beside the real digit.
  for (const d of [0, 1, 2, 3, 4]) {
    const row = page.getByTestId(`candidates-${d}`);
    await expect(row.getByRole('listitem')).toHaveCount(3);
    await expect(row.getByTestId('kept-candidate')).toHaveCount(1);
  }
  await expectVerdicts(page);
  await expect(page.getByRole('img', { name: /^Digit 2, candidate \d of 3, kept: target confidence \d+(\.\d)?%$/ })).toBeVisible();
  expect(await changedReconstructions(page, blank)).toBe(5);
  // Its loss chart: one line, the Poincaré loss (no prior term).
  await expect(page.getByTestId('loss-chart')).toContainText('Poincaré loss');
  await expect(page.getByTestId('loss-chart').locator('path.series')).toHaveCount(1);
});

test('PPA\'s settings round-trip through the link', async ({ page }) => {
  await expectRoundTrip(page, '?attack=ppa&knowledge=other-writers&steps=40&restarts=6&pool=300&lr=0.02&finalAugmentations=50&seed=7&backend=wasm', async (pass) => {
    await expect(page.getByRole('radio', { name: /PPA/ }), pass).toBeChecked();
    await expect(page.getByLabel('What the attacker knows')).toHaveValue('other-writers');
    await expect(page.getByTestId('output-defense')).toHaveCount(0);
    await expect(page.getByTestId('f-steps')).toHaveValue('40');
    await expect(page.getByTestId('f-restarts')).toHaveValue('6');
    await expect(page.getByTestId('f-pool')).toHaveValue('300');
    await expect(page.getByTestId('f-learningRate')).toHaveValue('0.02');
    await expect(page.getByTestId('f-finalAugmentations')).toHaveValue('50');
    await expect(page.getByTestId('f-seed')).toHaveValue('7');
  });
  // The paper's budget, and a pool above its bound corrected with a message.
  await page.getByTestId('preset-paper').click();
  await expect(page.getByTestId('f-restarts')).toHaveValue('200');
  await expect(page.getByTestId('f-pool')).toHaveValue('5000');
  await expect(page.getByTestId('f-learningRate')).toHaveValue('0.005');
  await page.goto('./attack.html?attack=ppa&pool=99999&backend=wasm');
  await expect(page.getByTestId('f-pool')).toHaveValue('20000');
  await expect(page.getByTestId('message-url')).toContainText('Initial pool 99999 is above 20000');
});
