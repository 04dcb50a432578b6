// A Trap-MID target in the attack lab: pick it, see its triggers and the detection histograms, attack it and watch
// the reconstructions land on the histogram with a flagged share and an AUC.
import { expect, openLab, test } from './fixtures.ts';

test('the Trap-MID target shows its triggers and live trapdoor-detection histograms', async ({ page }) => {
  await openLab(page, '?backend=wasm&steps=30', 'wasm');
  await expect(page.getByTestId('trapdoor-panel')).toHaveCount(0);
  // Both shipped Trap-MID targets are offered, each under its own name.
  await expect(page.getByTestId('target-picker').locator('option[value="target-trap-mid"]')).toHaveText('Trap-MID');
  await expect(page.getByTestId('target-picker').locator('option[value="target-trap-mid-capped"]')).toHaveText('Trap-MID capped');
  await page.getByTestId('target-picker').selectOption('target-trap-mid');
  expect(new URL(page.url()).searchParams.get('target')).toBe('target-trap-mid');
  const panel = page.getByTestId('trapdoor-panel');
  await expect(panel).toBeVisible({ timeout: 60_000 });
  await expect(panel.getByRole('img', { name: /Trigger of digit 4/ })).toBeVisible();
  // Reference histograms: clean and triggered training images have bars, with the threshold drawn.
  await expect(page.getByTestId('hist-training').locator('rect').first()).toBeVisible();
  await expect(page.getByTestId('hist-training').locator('line.threshold')).toHaveCount(1);
  await expect(page.getByTestId('hist-recon').locator('circle.mark')).toHaveCount(0);

  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  // Five reconstructions are marked on the public-vs-reconstructions histogram, with the detector's verdict.
  await expect(page.getByTestId('hist-recon').locator('circle.mark')).toHaveCount(5);
  await expect(page.getByTestId('trap-stats')).toHaveText(/Flagged:\s*\d+%\s*of the reconstructions\s*·\s*ROC-AUC reconstructions vs public:\s*[01]\.\d\d/);
});

test('an unknown target in the link is corrected to a shipped one', async ({ page }) => {
  await openLab(page, '?backend=wasm&target=no-such-model', 'wasm');
  await expect(page.getByText(/There is no target "no-such-model"; using target-none/)).toBeVisible();
  await expect(page.getByTestId('target-picker')).toHaveValue('target-none');
});
