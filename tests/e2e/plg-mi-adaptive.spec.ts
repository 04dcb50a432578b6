// The trapdoor-aware PLG-MI (PLG-MI++) in the attack lab: against the capped Trap-MID target it shows the triggers it
// reverse-engineered (beside the defender's real ones), fills its candidate grid and plots its two loss terms; its
// settings round-trip through the link.
import { expect, expectRoundTrip, openLab, runUntilReconstructed, skipUnlessServed, test } from './fixtures.ts';

test('PLG-MI++ reverse-engineers the triggers, shows them beside the real ones, and attacks', async ({ page }) => {
  skipUnlessServed('conditional GAN', 'cgan-target-trap-mid-capped-disjoint');
  test.setTimeout(240_000);
  await openLab(page, '?backend=wasm&attack=plg-mi-adaptive&target=target-trap-mid-capped&steps=2000&restarts=2', 'wasm');
  await expect(page.getByTestId('attack-summary')).toContainText('trapdoor');
  await expect(page.getByTestId('estimate-panel')).toHaveCount(0);
  await runUntilReconstructed(page, 180_000);
  const panel = page.getByTestId('estimate-panel');
  await expect(panel).toBeVisible();
  await expect(panel).toContainText('the defender published');
  // The trapdoor is real: the faint patterns send most public digits to their class.
  const success = Number((await page.getByTestId('estimate-success').innerText()).replace('%', ''));
  expect(success).toBeGreaterThan(50);
  // Five drawn triggers, not blank canvases, beside the defender's five in the trapdoor panel.
  await expect(panel.locator('canvas')).toHaveCount(5);
  const lit = await panel.locator('canvas').evaluateAll((canvases) => canvases.map((c) => {
    const data = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum += data[i];
    return sum / (data.length / 4);
  }));
  for (const mean of lit) expect(mean).toBeGreaterThan(0);
  await expect(page.getByTestId('trapdoor-panel').locator('canvas').first()).toBeVisible();
  await expect(page.getByTestId('candidate-grid')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('loss-chart').locator('path.series')).not.toHaveCount(0);
});

test('PLG-MI++\'s settings round-trip through the link', async ({ page }) => {
  await expectRoundTrip(page, '?attack=plg-mi-adaptive&target=target-trap-mid-capped&steps=12&restarts=3&lr=0.05&trapdoorWeight=40&reverseSteps=25&seed=7&backend=wasm', async (pass) => {
    await expect(page.getByRole('radio', { name: /PLG-MI\+\+/ }), pass).toBeChecked();
    await expect(page.getByTestId('f-steps')).toHaveValue('12');
    await expect(page.getByTestId('f-restarts')).toHaveValue('3');
    await expect(page.getByTestId('f-learningRate')).toHaveValue('0.05');
    await expect(page.getByTestId('f-trapdoorWeight')).toHaveValue('40');
    await expect(page.getByTestId('f-reverseSteps')).toHaveValue('25');
    await expect(page.getByTestId('f-seed')).toHaveValue('7');
    await expect(page.getByTestId('target-picker')).toHaveValue('target-trap-mid-capped');
  });
});
