// "Probe a digit": draw on the pad with the mouse or load a picture, and see the target's probabilities (the worker
// computes them); a Trap-MID target adds its trapdoor score with the threshold.
import { PNG } from 'pngjs';
import { expect, openLab, test, canvasMean } from './fixtures.ts';
import type { Page } from '@playwright/test';

/** A vertical stroke down the middle of the pad: a "1". */
async function drawOne(page: Page): Promise<void> {
  const pad = page.getByTestId('probe-pad');
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  const x = box.x + box.width / 2;
  await page.mouse.move(x, box.y + box.height * 0.18);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(x + i * 0.3, box.y + box.height * (0.18 + i * 0.054));
  await page.mouse.up();
}

/** A "0" as a phone photo of paper would have it: a dark ring on a light, non-square background. */
function zeroPng(): Buffer {
  const png = new PNG({ width: 100, height: 140 });
  for (let y = 0; y < 140; y++) {
    for (let x = 0; x < 100; x++) {
      const r = Math.hypot((x - 50) / 30, (y - 70) / 48);
      const ink = Math.abs(r - 1) < 0.2;
      png.data.set(ink ? [30, 30, 40, 255] : [235, 232, 225, 255], 4 * (y * 100 + x));
    }
  }
  return PNG.sync.write(png);
}

const probs = (page: Page) => page.getByTestId('probe-probs').locator('li');

test('a digit drawn with the mouse gets the target\'s probabilities; a loaded PNG replaces it; Clear empties', async ({ page }) => {
  await openLab(page, '?backend=wasm', 'wasm');
  await expect(page.getByTestId('probe-clear')).toBeDisabled();
  await drawOne(page);
  expect(await canvasMean(page, 'probe-pad')).toBeGreaterThan(5);
  await expect(probs(page)).toHaveCount(5);
  await expect(page.getByTestId('probe-predicted')).toHaveText('1');
  await expect(page.getByTestId('probe-prob-1')).toHaveText(/1\s*\d+(\.\d)?%/);
  await expect(page.getByTestId('probe-trapdoor')).toHaveCount(0); // target-none has no trapdoor

  await page.getByTestId('probe-file').setInputFiles({ name: 'zero.png', mimeType: 'image/png', buffer: zeroPng() });
  await expect(page.getByTestId('probe-result')).toContainText('zero.png, scaled to 28 × 28 and inverted');
  await expect(page.getByTestId('probe-predicted')).toHaveText('0');
  // The pad shows what the model reads: the ring white on black (the light paper became the black background).
  expect(await canvasMean(page, 'probe-pad')).toBeLessThan(80);

  await page.getByTestId('probe-clear').click();
  await expect(probs(page)).toHaveCount(0);
  expect(await canvasMean(page, 'probe-pad')).toBe(0);

  await page.getByTestId('probe-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture') });
  await expect(page.getByText('notes.txt could not be used')).toBeVisible();
  await expect(page.getByText(/not an image this browser can read/)).toBeVisible();
});

test('a Trap-MID target shows the trapdoor score and the threshold; switching target probes again', async ({ page }) => {
  await openLab(page, '?backend=wasm&target=target-trap-mid', 'wasm');
  await drawOne(page);
  await expect(page.getByTestId('probe-trapdoor')).toHaveText(/Trapdoor score -?\d\.\d\d \(threshold \d\.\d\d\): (flagged, it looks like a triggered image to this target|not flagged)\./, { timeout: 60_000 });
  await expect(probs(page)).toHaveCount(5);
  await page.getByTestId('target-picker').selectOption('target-none');
  await expect(page.getByTestId('probe-trapdoor')).toHaveCount(0);
  await expect(probs(page)).toHaveCount(5);
});
