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
