// 28x28 grayscale PNGs for reconstructions (CLI output) and reading them back (detect / tests).
import * as fs from 'node:fs';
import { PNG } from 'pngjs';

export function writeGrayPng(file: string, pixels: ArrayLike<number>, width = 28, height = 28): void {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  const data = Buffer.alloc(width * height);
  for (let i = 0; i < width * height; i++) data[i] = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
  png.data = data;
  fs.writeFileSync(file, PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
}

/** Reads a PNG as 28x28 values in [0, 1] (luminance of RGB(A) or gray). */
export function readGrayPng(file: string): Float32Array {
  const png = PNG.sync.read(fs.readFileSync(file));
  if (png.width !== 28 || png.height !== 28) throw new Error(`${file}: ${png.width}x${png.height}, expected 28x28`);
  const out = new Float32Array(784);
  for (let i = 0; i < 784; i++) {
    const r = png.data[4 * i], g = png.data[4 * i + 1], b = png.data[4 * i + 2];
    out[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
  }
  return out;
}

/** A grid of 28x28 images (rows x cols, 2 px gaps) as one grayscale PNG. */
export function writeGridPng(file: string, pixels: Float32Array, rows: number, cols: number, gap = 2): void {
  const w = cols * 28 + (cols + 1) * gap, h = rows * 28 + (rows + 1) * gap;
  const grid = new Float32Array(w * h).fill(0.35);
  for (let k = 0; k < rows * cols && (k + 1) * 784 <= pixels.length; k++) {
    const r0 = gap + Math.floor(k / cols) * (28 + gap), c0 = gap + (k % cols) * (28 + gap);
    for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) grid[(r0 + r) * w + c0 + c] = pixels[k * 784 + r * 28 + c];
  }
  writeGrayPng(file, grid, w, h);
}
