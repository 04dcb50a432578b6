// C2FMI (Ye et al. 2023) in the attack lab: against target-none with its shipped inverse network, the differential
// evolution fills its candidate grid and the query counter grows; its settings round-trip through the link.
import { changedReconstructions, expect, expectQueriesGrow, expectRoundTrip, openLab, pauseAndSettle, reconstructionImages, runUntilReconstructed, skipUnlessServed, test } from './fixtures.ts';

test('C2FMI seeds its populations from the inverse network and refines them, its grid and query counter updating', async ({ page }) => {
  skipUnlessServed('inverse network', 'c2f-target-none-disjoint');
  skipUnlessServed('GAN prior', 'gan-disjoint');
  test.setTimeout(180_000);
  await openLab(page, '?backend=wasm&attack=c2fmi&population=8&steps=2000', 'wasm');
  await expect(page.getByTestId('attack-summary')).toContainText('Ye et al., 2023');
  await expect(page.getByTestId('attack-summary')).toContainText('black-box');
  await runUntilReconstructed(page);
  await expect(page.getByTestId('candidate-grid')).toBeVisible({ timeout: 60_000 });
  const before = await reconstructionImages(page);
  await expectQueriesGrow(page, 100);
  await pauseAndSettle(page);
  // The population moved: the kept reconstructions (the grid's outlined members) are not all the seeds any more.
  await expect.poll(() => changedReconstructions(page, before), { timeout: 30_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId('loss-chart').locator('path.series')).not.toHaveCount(0);
});

test('C2FMI\'s settings round-trip through the link', async ({ page }) => {
  await expectRoundTrip(page, '?attack=c2fmi&defense=round%3A1&steps=12&population=24&differentialWeight=0.8&crossover=0.3&seedSpread=0.2&seed=7&backend=wasm', async (pass) => {
    await expect(page.getByRole('radio', { name: /C2FMI/ }), pass).toBeChecked();
    await expect(page.getByLabel('Output defense')).toHaveValue('round:1');
    await expect(page.getByTestId('f-steps')).toHaveValue('12');
    await expect(page.getByTestId('f-population')).toHaveValue('24');
    await expect(page.getByTestId('f-differentialWeight')).toHaveValue('0.8');
    await expect(page.getByTestId('f-crossover')).toHaveValue('0.3');
    await expect(page.getByTestId('f-seedSpread')).toHaveValue('0.2');
    await expect(page.getByTestId('f-seed')).toHaveValue('7');
  });
});
