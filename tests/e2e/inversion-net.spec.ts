// The inversion network (Yang et al. 2019) in the attack lab: against target-none with its shipped decoder it fine-tunes
// step by step, its prototypes fill the reconstruction grid, its victims panel shows the private test images, the
// answers the attacker received and their reconstructions; its settings round-trip through the link.
import { expect, openLab, reconstructionImages, servedPriors, settledStep, test } from './fixtures.ts';

const PRIOR = 'inv-target-none-disjoint';

test('the inversion network fine-tunes its shipped decoder, fills its grid and rebuilds the private test images', async ({ page }) => {
  test.skip(!servedPriors().includes(PRIOR), `decoder '${PRIOR}' is not in public/models/manifest.json yet (npm run train -- --only ${PRIOR}, then npm run assets)`);
  test.setTimeout(180_000);
  await openLab(page, '?backend=wasm&attack=inversion-net&steps=400&batchSize=8', 'wasm');
  await expect(page.getByTestId('attack-summary')).toContainText('Yang et al., 2019');
  await expect(page.getByTestId('victims-panel')).toContainText('Press Run');
  const blank = await reconstructionImages(page);
  await page.getByTestId('run').click();
  // The prototypes replace the blank cards, with both judges' verdicts; the victims' rows appear.
  await expect.poll(() => reconstructionImages(page).then((now) => now.filter((img, d) => img !== blank[d]).length), { timeout: 120_000 }).toBe(5);
  for (const d of [0, 1, 2, 3, 4]) await expect(page.getByTestId(`verdict-${d}`)).toContainText(/evaluator sees\s*\d/);
  await expect(page.getByTestId('victim-2')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('queries')).toHaveText(/^[1-9][\d,]*$/);
  const before = await reconstructionImages(page);
  const queriesBefore = Number((await page.getByTestId('queries').textContent())!.replace(/,/g, ''));
  await expect.poll(async () => Number((await page.getByTestId('queries').textContent())!.replace(/,/g, '')), { timeout: 60_000 })
    .toBeGreaterThan(queriesBefore + 20);
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  await settledStep(page);
  // The fine-tuning moved the prototypes; each victim: original, the answer received (five bars), its reconstruction and scores.
  expect((await reconstructionImages(page)).some((img, d) => img !== before[d])).toBe(true);
  for (const d of [0, 1, 2, 3, 4]) {
    const row = page.getByTestId(`victim-${d}`);
    await expect(row.getByRole('img')).toHaveCount(2);
    await expect(row.getByRole('listitem')).toHaveCount(5);
    await expect(page.getByTestId(`victim-ssim-${d}`)).toHaveText(/^-?\d\.\d\d$/);
  }
  await expect(page.getByTestId('victims-summary')).toContainText(/Mean SSIM to the originals \d\.\d\d \(a random public digit: \d\.\d\d\)/);
  await expect(page.getByTestId('loss-chart').locator('path.series')).not.toHaveCount(0);
  await page.getByTestId('reset').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
  await expect(page.getByTestId('victims-panel')).toContainText('Press Run');
});

test('the inversion network\'s settings round-trip through the link', async ({ page }) => {
  const query = '?attack=inversion-net&defense=top-k%3A1&steps=12&batchSize=16&truncation=1&lr=0.001&seed=7&backend=wasm';
  const expected = Object.fromEntries(new URLSearchParams(query));
  await openLab(page, query, 'wasm');
  for (const pass of ['read', 'written', 'reloaded']) {
    await expect(page.getByRole('radio', { name: /Inversion network/ }), pass).toBeChecked();
    await expect(page.getByLabel('Output defense')).toHaveValue('top-k:1');
    await expect(page.getByTestId('f-steps')).toHaveValue('12');
    await expect(page.getByTestId('f-batchSize')).toHaveValue('16');
    await expect(page.getByTestId('f-truncation')).toHaveValue('1');
    await expect(page.getByTestId('f-learningRate')).toHaveValue('0.001');
    await expect(page.getByTestId('f-seed')).toHaveValue('7');
    await expect(page.getByTestId('message-url')).toHaveCount(0);
    expect(Object.fromEntries(new URL(page.url()).searchParams), pass).toEqual(expected);
    if (pass === 'read') {
      for (const seed of ['8', '7']) {
        await page.getByTestId('f-seed').fill(seed);
        await page.getByTestId('f-seed').press('Enter');
        await expect.poll(() => new URL(page.url()).searchParams.get('seed')).toBe(seed);
      }
    } else if (pass === 'written') {
      await page.reload();
      await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
    }
  }
  // A truncation beyond the target's five scores is corrected, with a message.
  await page.goto('./attack.html?attack=inversion-net&truncation=9&backend=wasm');
  await expect(page.getByTestId('f-truncation')).toHaveValue('5');
  await expect(page.getByTestId('message-url')).toContainText('Truncation k 9 is above 5');
});
