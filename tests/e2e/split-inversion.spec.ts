// Split-learning inversion (Titcombe et al. 2021) in the attack lab: against target-none with its shipped decoder and
// the devices' Laplace noise on, it fine-tunes step by step, its reconstructions of the victims fill the grid, its
// victims panel shows each private test image, a few of the feature maps the server received and the reconstruction,
// with the accuracy the noise leaves; its settings (the noise included) round-trip through the link.
import { expect, expectQueriesGrow, expectRoundTrip, openLab, pauseAndSettle, resetToIdle, runUntilReconstructed, skipUnlessServed, test } from './fixtures.ts';

test('the split attack rebuilds the private test images from what their devices sent, with the noise defense on', async ({ page }) => {
  skipUnlessServed('decoder', 'split-target-none-disjoint');
  test.setTimeout(180_000);
  await openLab(page, '?backend=wasm&attack=split-inversion&steps=400&batchSize=8&splitNoise=0.2', 'wasm');
  await expect(page.getByTestId('attack-summary')).toContainText('Titcombe et al., 2021');
  await expect(page.getByTestId('attack-summary')).toContainText('The attacker is that server');
  await expect(page.getByRole('heading', { name: 'Private images rebuilt from what their devices sent' })).toBeVisible();
  await expect(page.getByTestId('victims-idle')).toContainText('Press Run: the features the victims\' devices sent are decoded');
  // The victims' reconstructions replace the blank cards, with both judges' verdicts; the victims' rows appear.
  await runUntilReconstructed(page);
  await expect(page.getByTestId('victim-2')).toBeVisible({ timeout: 60_000 });
  await expectQueriesGrow(page);
  await pauseAndSettle(page);
  // Each victim: the original, four of the feature maps received, the reconstruction and its scores.
  for (const d of [0, 1, 2, 3, 4]) {
    const row = page.getByTestId(`victim-${d}`);
    await expect(row.getByRole('img')).toHaveCount(6);
    await expect(row.getByRole('img', { name: /Feature map \d+ of the first layer/ })).toHaveCount(4);
    await expect(page.getByTestId(`victim-ssim-${d}`)).toHaveText(/^-?\d\.\d\d$/);
  }
  await expect(page.getByTestId('victims-summary')).toContainText(/Mean SSIM to the originals \d\.\d\d \(a random public digit: \d\.\d\d\)/);
  await expect(page.getByTestId('split-defense')).toContainText('b = 0.2');
  await expect(page.getByTestId('split-defense')).toContainText(/without the noise: \d/);
  await expect(page.getByTestId('split-accuracy')).toHaveText(/^\d+(\.\d)?%$/);
  await expect(page.getByTestId('loss-chart').locator('path.series')).not.toHaveCount(0);
  await resetToIdle(page);
  await expect(page.getByTestId('victims-idle')).toContainText('Press Run: the features the victims\' devices sent are decoded');
});

test('the split attack\'s settings, its noise included, round-trip through the link', async ({ page }) => {
  await expectRoundTrip(page, '?attack=split-inversion&steps=12&batchSize=16&lr=0.002&splitNoise=0.5&seed=7&backend=wasm', async (pass) => {
    await expect(page.getByRole('radio', { name: /Split-learning inversion/ }), pass).toBeChecked();
    await expect(page.getByTestId('f-steps')).toHaveValue('12');
    await expect(page.getByTestId('f-batchSize')).toHaveValue('16');
    await expect(page.getByTestId('f-learningRate')).toHaveValue('0.002');
    await expect(page.getByTestId('f-splitNoise')).toHaveValue('0.5');
    await expect(page.getByTestId('f-seed')).toHaveValue('7');
    // Not a black-box attack: the output defense and the query budget are not its settings.
    await expect(page.getByTestId('output-defense')).toHaveCount(0);
  }, { field: 'f-splitNoise', param: 'splitNoise', values: ['0.1', '0.5'] });
  // The presets change the attack's budget, not the defense.
  await page.getByTestId('preset-paper').click();
  await expect(page.getByTestId('f-steps')).toHaveValue('400');
  await expect(page.getByTestId('f-splitNoise')).toHaveValue('0.5');
  // A noise scale out of range is corrected, with a message.
  await page.goto('./attack.html?attack=split-inversion&splitNoise=20&backend=wasm');
  await expect(page.getByTestId('f-splitNoise')).toHaveValue('10');
  await expect(page.getByTestId('message-url')).toContainText('Defense: Laplace noise b 20 is above 10');
});
