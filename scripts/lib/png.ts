// Grayscale PNGs (28 x 28 digits, 64 x 64 faces) for reconstructions (CLI output) and reading them back (detect / tests).
import * as fs from 'node:fs';
import { PNG } from 'pngjs';

export function writeGrayPng(file: string, pixels: ArrayLike<number>, width = 28, height = 28): void {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  const data = Buffer.alloc(width * height);
  for (let i = 0; i < width * height; i++) data[i] = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
  png.data = data;
  fs.writeFileSync(file, PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
}

/** Reads a PNG as side x side values in [0, 1] (luminance of RGB(A) or gray). */
export function readGrayPng(file: string, side = 28): Float32Array {
  const png = PNG.sync.read(fs.readFileSync(file));
  if (png.width !== side || png.height !== side) throw new Error(`${file}: ${png.width}x${png.height}, expected ${side}x${side}`);
  const out = new Float32Array(side * side);
  for (let i = 0; i < side * side; i++) {
    const r = png.data[4 * i], g = png.data[4 * i + 1], b = png.data[4 * i + 2];
    out[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
  }
  return out;
}

/** A grid of side x side images (rows x cols, 2 px gaps) as one grayscale PNG. */
export function writeGridPng(file: string, pixels: Float32Array, rows: number, cols: number, gap = 2, side = 28): void {
  const S = side, px = S * S;
  const w = cols * S + (cols + 1) * gap, h = rows * S + (rows + 1) * gap;
  const grid = new Float32Array(w * h).fill(0.35);
  for (let k = 0; k < rows * cols && (k + 1) * px <= pixels.length; k++) {
    const r0 = gap + Math.floor(k / cols) * (S + gap), c0 = gap + (k % cols) * (S + gap);
    for (let r = 0; r < S; r++) for (let c = 0; c < S; c++) grid[(r0 + r) * w + c0 + c] = pixels[k * px + r * S + c];
  }
  writeGrayPng(file, grid, w, h);
}
