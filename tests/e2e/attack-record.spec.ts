// The attack lab's exports: the reconstruction grid as a PNG and the run as a JSON record, which a fresh page opens
// again (same images and figures, marked as opened from a file, its settings in the URL); a malformed record only
// adds a message naming the field.
import * as fs from 'node:fs';
import { PNG } from 'pngjs';
import { expect, openLab, reconstructionImages, test } from './fixtures.ts';

const DIGITS = [0, 1, 2, 3, 4];
// Both judges' lines of every card.
const verdicts = (page: import('@playwright/test').Page) => Promise.all(DIGITS.flatMap((d) => [page.getByTestId(`verdict-${d}`).innerText(), page.getByTestId(`verdict2-${d}`).innerText()]));

test('exports the grid (PNG) and the run record (JSON) of a Trap-MID run, and opens the record again', async ({ page }) => {
  await openLab(page, '?backend=wasm&target=target-trap-mid&steps=6&seed=4', 'wasm');
  // Nothing to export before a run.
  await expect(page.getByTestId('export-png')).toBeDisabled();
  await expect(page.getByTestId('export-record')).toBeDisabled();
  await expect(page.getByTestId('trapdoor-panel')).toBeVisible({ timeout: 60_000 });
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('trap-stats')).toContainText('Flagged');
  const shown = { verdicts: await verdicts(page), images: await reconstructionImages(page), trap: await page.getByTestId('trap-stats').innerText() };

  const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-png').click()]);
  expect(png.suggestedFilename()).toBe('attack-mi-face-target-trap-mid-seed4-step6.png');
  const grid = PNG.sync.read(fs.readFileSync(await png.path()));
  expect([grid.width, grid.height]).toEqual([16 + 5 * (140 + 16), 58 + 140 + 78]);
  // The title is drawn (dark text on white) and the first reconstruction sits below it on its black background.
  const at = (x: number, y: number) => grid.data[4 * (y * grid.width + x)];
  expect(at(0, 0)).toBe(255);
  expect(Math.min(...Array.from({ length: 300 }, (_, x) => at(16 + x, 20)))).toBeLessThan(128);
  expect(Math.min(at(17, 59), at(154, 196))).toBeLessThan(60);

  const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-record').click()]);
  expect(json.suggestedFilename()).toBe('attack-mi-face-target-trap-mid-seed4-step6.json');
  const jsonPath = await json.path();
  const record = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  expect(record).toMatchObject({
    format: 'inversion-playground-attack', version: 2, backend: 'wasm', state: 'done', step: 6, maxSteps: 6,
    config: { attack: 'mi-face', targetId: 'target-trap-mid', seed: 4, steps: 6 },
  });
  expect(record.images.map((im: { digit: number }) => im.digit)).toEqual(DIGITS);
  // The second judge's verdict on every image, and its top-1 beside the evaluator's.
  expect(record.images.every((im: { robust?: { predicted: number } }) => Number.isInteger(im.robust?.predicted))).toBe(true);
  expect(record.attackAccuracy.robustTop1).toBeGreaterThanOrEqual(0);
  expect(record.trapdoor.threshold).toBeGreaterThan(0);
  expect(record.images.every((im: { trapdoorScore?: number }) => typeof im.trapdoorScore === 'number')).toBe(true);

  // A fresh page with other settings opens it: the same images and figures, its settings, marked as from a file.
  await openLab(page, '?backend=wasm&seed=9&steps=20', 'wasm');
  await expect(page.getByTestId('export-record')).toBeDisabled();
  await page.getByTestId('open-record-file').setInputFiles({ name: 'my-run.json', mimeType: 'application/json', buffer: fs.readFileSync(jsonPath) });
  await expect(page.getByTestId('opened-record')).toContainText(/Opened from a file.*my-run\.json.*seed 4/);
  const url = new URL(page.url()).searchParams;
  expect([url.get('target'), url.get('seed'), url.get('steps'), url.get('backend')]).toEqual(['target-trap-mid', '4', '6', 'wasm']);
  await expect(page.getByTestId('target-picker')).toHaveValue('target-trap-mid');
  await expect(page.getByTestId('step-counter')).toHaveAttribute('data-step', '6');
  expect(await verdicts(page)).toEqual(shown.verdicts);
  expect(await reconstructionImages(page)).toEqual(shown.images);
  await expect(page.getByTestId('trap-stats')).toHaveText(shown.trap, { timeout: 60_000 });
  await expect(page.getByTestId('export-png')).toBeEnabled();

  // A malformed record: a message naming the field; the opened run and the settings stay.
  const broken = { ...record, images: record.images.map((im: object, i: number) => (i === 2 ? { ...im, pixels: 'AAAA' } : im)) };
  await page.getByTestId('open-record-file').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(broken)) });
  await expect(page.getByText('broken.json could not be opened')).toBeVisible();
  await expect(page.getByText(/"images\[2\]\.pixels" holds 3 pixels, expected 784/)).toBeVisible();
  await expect(page.getByTestId('opened-record')).toContainText('my-run.json');
  expect(await reconstructionImages(page)).toEqual(shown.images);
  expect(new URL(page.url()).searchParams.get('seed')).toBe('4');

  // Run starts a fresh run of the record's settings: the "opened" mark goes.
  await page.getByTestId('run').click();
  await expect(page.getByTestId('opened-record')).toHaveCount(0);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  expect(await reconstructionImages(page)).toEqual(shown.images); // same seed and settings: the same run
});
