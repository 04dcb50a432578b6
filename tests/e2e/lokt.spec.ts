// LOKT (Nguyen et al. 2023) in the attack lab: against target-none with its shipped T-ACGAN generator and surrogates,
// the attack on the surrogates fills its candidate grid and moves the reconstructions; the query counter shows the label
// queries its training spent (the attack itself asks the target nothing); its settings round-trip through the link.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { changedReconstructions, expect, expectRoundTrip, openLab, pauseAndSettle, reconstructionImages, runUntilReconstructed, skipUnlessServed, test } from './fixtures.ts';

/** The label queries the served manifest says the prior's training spent. */
function trainingQueries(id: string): number {
  const file = path.resolve(import.meta.dirname, '../../public/models/manifest.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { priors: { id: string; queries?: number }[] }).priors.find((p) => p.id === id)!.queries!;
}

test('LOKT attacks its surrogates with the T-ACGAN generator, its grid updating and the training\'s label queries shown', async ({ page }) => {
  skipUnlessServed('LOKT models', 'lokt-target-none-disjoint');
  test.setTimeout(180_000);
  await openLab(page, '?backend=wasm&attack=lokt&restarts=3&steps=2000', 'wasm');
  await expect(page.getByTestId('attack-summary')).toContainText('Nguyen et al., 2023');
  await expect(page.getByTestId('attack-summary')).toContainText('label-only');
  await runUntilReconstructed(page);
  await expect(page.getByTestId('candidate-grid')).toBeVisible({ timeout: 60_000 });
  // What the attack cost: the label queries of its training, and no more while it runs (it asks the target nothing).
  const queries = trainingQueries('lokt-target-none-disjoint');
  expect(queries).toBeGreaterThan(0);
  await expect(page.getByTestId('queries')).toHaveText(queries.toLocaleString('en-US'));
  const before = await reconstructionImages(page);
  await expect.poll(() => changedReconstructions(page, before), { timeout: 60_000 }).toBeGreaterThan(0);
  await pauseAndSettle(page);
  await expect(page.getByTestId('queries')).toHaveText(queries.toLocaleString('en-US'));
  await expect(page.getByTestId('loss-chart').locator('path.series')).not.toHaveCount(0);
});

test('LOKT\'s settings round-trip through the link', async ({ page }) => {
  await expectRoundTrip(page, '?attack=lokt&steps=12&restarts=4&lr=0.05&seed=7&backend=wasm', async (pass) => {
    await expect(page.getByRole('radio', { name: /LOKT/ }), pass).toBeChecked();
    await expect(page.getByTestId('f-steps')).toHaveValue('12');
    await expect(page.getByTestId('f-restarts')).toHaveValue('4');
    await expect(page.getByTestId('f-learningRate')).toHaveValue('0.05');
    await expect(page.getByTestId('f-seed')).toHaveValue('7');
  });
});
