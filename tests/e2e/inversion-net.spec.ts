// The inversion network (Yang et al. 2019) in the attack lab: against target-none with its shipped decoder it fine-tunes
// step by step, its prototypes fill the reconstruction grid, its victims panel shows the private test images, the
// answers the attacker received and their reconstructions; its settings round-trip through the link.
import {
  changedReconstructions, expect, expectQueriesGrow, expectRoundTrip, openLab, pauseAndSettle, reconstructionImages, resetToIdle,
  runUntilReconstructed, skipUnlessServed, test,
} from './fixtures.ts';

test('the inversion network fine-tunes its shipped decoder, fills its grid and rebuilds the private test images', async ({ page }) => {
  skipUnlessServed('decoder', 'inv-target-none-disjoint');
  test.setTimeout(180_000);
  await openLab(page, '?backend=wasm&attack=inversion-net&steps=400&batchSize=8', 'wasm');
  await expect(page.getByTestId('attack-summary')).toContainText('Yang et al., 2019');
  await expect(page.getByRole('heading', { name: 'Private images rebuilt from their answers' })).toBeVisible();
  await expect(page.getByTestId('victims-idle')).toContainText('Press Run: the answers the victims got back from the target are decoded');
  // The prototypes replace the blank cards, with both judges' verdicts; the victims' rows appear.
  await runUntilReconstructed(page);
  await expect(page.getByTestId('victim-2')).toBeVisible({ timeout: 60_000 });
  const before = await reconstructionImages(page);
  await expectQueriesGrow(page);
  await pauseAndSettle(page);
  // The fine-tuning moved the prototypes; each victim: original, the answer received (five bars), its reconstruction and scores.
  expect(await changedReconstructions(page, before)).toBeGreaterThan(0);
  for (const d of [0, 1, 2, 3, 4]) {
    const row = page.getByTestId(`victim-${d}`);
    await expect(row.getByRole('img')).toHaveCount(2);
    await expect(row.getByRole('listitem')).toHaveCount(5);
    await expect(page.getByTestId(`victim-ssim-${d}`)).toHaveText(/^-?\d\.\d\d$/);
  }
  await expect(page.getByTestId('victims-summary')).toContainText(/Mean SSIM to the originals \d\.\d\d \(a random public digit: \d\.\d\d\)/);
  await expect(page.getByTestId('loss-chart').locator('path.series')).not.toHaveCount(0);
  await resetToIdle(page);
  await expect(page.getByTestId('victims-idle')).toContainText('Press Run: the answers the victims got back from the target are decoded');
});

test('the inversion network\'s settings round-trip through the link', async ({ page }) => {
  await expectRoundTrip(page, '?attack=inversion-net&defense=top-k%3A1&steps=12&batchSize=16&truncation=1&lr=0.001&seed=7&backend=wasm', async (pass) => {
    await expect(page.getByRole('radio', { name: /Inversion network/ }), pass).toBeChecked();
    await expect(page.getByLabel('Output defense')).toHaveValue('top-k:1');
    await expect(page.getByTestId('f-steps')).toHaveValue('12');
    await expect(page.getByTestId('f-batchSize')).toHaveValue('16');
    await expect(page.getByTestId('f-truncation')).toHaveValue('1');
    await expect(page.getByTestId('f-learningRate')).toHaveValue('0.001');
    await expect(page.getByTestId('f-seed')).toHaveValue('7');
  });
  // A truncation beyond the target's five scores is corrected, with a message.
  await page.goto('./attack.html?attack=inversion-net&truncation=9&backend=wasm');
  await expect(page.getByTestId('f-truncation')).toHaveValue('5');
  await expect(page.getByTestId('message-url')).toContainText('Truncation k 9 is above 5');
});
