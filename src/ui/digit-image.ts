// Turning a picture into what the digit models read: 28x28 grey values in [0, 1], white ink on black as in MNIST.
// 2D canvas work on the page (decoding and scaling an image); the models only ever see the result, in the worker.
import { centreLikeMnist } from './centre-digit.ts';

export const DIGIT_SIDE = 28;

/** Grey levels (0..1, Rec. 601 luma) of RGBA bytes. */
export function rgbaToGrey(rgba: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rgba.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
  return out;
}

/** The side an image file is first rendered at: four times MNIST's, so a digit that fills only part of a photo
 *  still has pixels to spare when its ink is scaled to MNIST's 20x20 box. */
export const UPLOAD_SIDE = 4 * DIGIT_SIDE;
/** How far above the paper's grey a pixel must be to count as ink (a photo's paper has grain and shading). */
const PAPER_MARGIN = 0.05;

/** An image file as the probe takes it. */
export interface LoadedDigit {
  /** The 784 values the model reads: centred like MNIST's digits, or only scaled to fit (see `toModelInput`). */
  pixels: Float32Array;
  /** The image as it was read, UPLOAD_SIDE x UPLOAD_SIDE (fitted and inverted, not centred): what `pixels` came from. */
  source: Float32Array;
  /** It was dark ink on a light background, and was inverted. */
  inverted: boolean;
}

/**
 * The 28x28 the model reads from a square grey image (`side` x `side`, white ink on black): with `centre`, as MNIST
 * prepared its digits (the ink scaled into 20x20, its centre of mass on the middle: centreLikeMnist); without, the
 * image only shrunk to 28x28 (by area, `side` a multiple of 28) as it is.
 */
export function toModelInput(source: Float32Array, side: number, centre: boolean): Float32Array {
  if (centre) return centreLikeMnist(source, side, { outSide: DIGIT_SIDE });
  if (side % DIGIT_SIDE) throw new Error(`toModelInput: side ${side} is not a multiple of ${DIGIT_SIDE}`);
  const f = side / DIGIT_SIDE;
  const out = new Float32Array(DIGIT_SIDE * DIGIT_SIDE);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) out[Math.floor(y / f) * DIGIT_SIDE + Math.floor(x / f)] += source[y * side + x] / (f * f);
  }
  return out;
}

/**
 * An image file of any size as a digit: scaled to fit UPLOAD_SIDE (aspect kept, centred, the margin black),
 * transparent parts read as white paper, inverted when it is dark ink on a light background (judged by the image's
 * border), its levels stretched so the paper is black and the brightest ink white (an image with no ink to speak of
 * comes out black); then, with `centre` (the default), its ink scaled and centred as MNIST's digits are.
 */
export async function imageFileToDigit(file: Blob, { centre = true }: { centre?: boolean } = {}): Promise<LoadedDigit> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error('the file is not an image this browser can read (use PNG, JPEG, GIF or WebP)');
  }
  const side = UPLOAD_SIDE;
  const scale = Math.min(side / bitmap.width, side / bitmap.height);
  const w = Math.max(1, Math.round(bitmap.width * scale)), h = Math.max(1, Math.round(bitmap.height * scale));
  const x0 = Math.floor((side - w) / 2), y0 = Math.floor((side - h) / 2);
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = side;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, side, side);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, x0, y0, w, h);
  bitmap.close();
  const grey = rgbaToGrey(ctx.getImageData(0, 0, side, side).data);
  // The background is what the image's own border shows: light means dark ink on paper.
  let border = 0, borderCount = 0;
  for (let y = y0; y < y0 + h; y++) {
    for (let x = x0; x < x0 + w; x++) {
      if (y === y0 || y === y0 + h - 1 || x === x0 || x === x0 + w - 1) { border += grey[y * side + x]; borderCount++; }
    }
  }
  const paper = border / borderCount;
  const inverted = paper > 0.5;
  // Levels as MNIST's: the paper (the border's grey, inverted, and a little above for its grain) becomes black, the
  // brightest ink white. A photo's paper is rarely exactly white.
  const floor = Math.min(1, (inverted ? 1 - paper : paper) + PAPER_MARGIN);
  let peak = 0;
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) peak = Math.max(peak, inverted ? 1 - grey[y * side + x] : grey[y * side + x]);
  const source = new Float32Array(side * side);
  if (peak - floor > 0.05) {
    for (let y = y0; y < y0 + h; y++) {
      for (let x = x0; x < x0 + w; x++) {
        const g = inverted ? 1 - grey[y * side + x] : grey[y * side + x];
        source[y * side + x] = Math.min(1, Math.max(0, (g - floor) / (peak - floor)));
      }
    }
  }
  return { pixels: toModelInput(source, side, centre), source, inverted };
}
