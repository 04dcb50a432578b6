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

/** A 28x28 canvas's grey values' centre of mass (pixel-index coordinates) and its ink's bounding box size. */
function canvasShape(page: Page, testid: string): Promise<{ x: number; y: number; w: number; h: number }> {
  return page.evaluate((id) => {
    const c = document.querySelector(`[data-testid="${id}"]`) as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, 28, 28).data;
    let m = 0, mx = 0, my = 0, x0 = 28, x1 = -1, y0 = 28, y1 = -1;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const v = data[4 * (y * 28 + x)] / 255;
        m += v; mx += v * x; my += v * y;
        if (v > 0.1) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
      }
    }
    return { x: mx / m, y: my / m, w: x1 - x0 + 1, h: y1 - y0 + 1 };
  }, testid);
}

/** A short stroke in the pad's top-left corner. */
async function drawInCorner(page: Page): Promise<void> {
  const pad = page.getByTestId('probe-pad');
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.15, box.y + box.height * 0.1);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(box.x + box.width * 0.15 + i * 0.2, box.y + box.height * (0.1 + i * 0.03));
  await page.mouse.up();
}

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
  await expect(page.getByTestId('probe-result')).toContainText("zero.png, inverted (it was dark ink on a light background); its digit scaled to 20 × 20 and centred like MNIST's");
  await expect(page.getByTestId('probe-predicted')).toHaveText('0');
  // The pad shows the picture as loaded, the ring white on black (the light paper became the black background)...
  expect(await canvasMean(page, 'probe-pad')).toBeLessThan(80);
  // ...and beside it what the model reads: the ring scaled so its longer side is 20 pixels, in the middle.
  const ring = await canvasShape(page, 'probe-input');
  expect(Math.max(ring.w, ring.h)).toBe(20);
  expect(Math.abs(ring.x - 14)).toBeLessThanOrEqual(0.6);
  expect(Math.abs(ring.y - 14)).toBeLessThanOrEqual(0.6);

  await page.getByTestId('probe-clear').click();
  await expect(probs(page)).toHaveCount(0);
  expect(await canvasMean(page, 'probe-pad')).toBe(0);
  expect(await canvasMean(page, 'probe-input')).toBe(0);

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

test('a digit drawn in a corner is centred like MNIST\'s before the target reads it; unticking sends the pad as drawn', async ({ page }) => {
  await openLab(page, '?backend=wasm', 'wasm');
  await expect(page.getByTestId('probe-centre')).toBeChecked();
  await drawInCorner(page);
  await expect(probs(page)).toHaveCount(5);
  const drawn = await canvasShape(page, 'probe-pad');
  expect(drawn.x).toBeLessThan(8);
  expect(drawn.y).toBeLessThan(10);
  const read = await canvasShape(page, 'probe-input');
  expect(Math.max(read.w, read.h)).toBeLessThanOrEqual(20);
  expect(Math.max(read.w, read.h)).toBeGreaterThanOrEqual(19);
  expect(Math.abs(read.x - 14)).toBeLessThanOrEqual(0.6);
  expect(Math.abs(read.y - 14)).toBeLessThanOrEqual(0.6);

  // Unticked, the model reads the pad as it is (and is asked again).
  await page.getByTestId('probe-centre').uncheck();
  await expect.poll(async () => (await canvasShape(page, 'probe-input')).x).toBeLessThan(8);
  expect(await canvasMean(page, 'probe-input')).toBeCloseTo(await canvasMean(page, 'probe-pad'), 5);
  await expect(probs(page)).toHaveCount(5);
  await page.getByTestId('probe-centre').check();
  await expect.poll(async () => Math.abs((await canvasShape(page, 'probe-input')).x - 14)).toBeLessThanOrEqual(0.6);
});
