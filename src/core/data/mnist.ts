// MNIST in its original idx format: parsing with validation, the private/public split of the GMI / KED-MI papers,
// and turning images into tensors. The same parser reads the npm package's files (Node) and the split files the
// asset script writes for the browser.
import * as tf from '@tensorflow/tfjs';

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
/** Digits the target is trained on (its private data). */
export const PRIVATE_CLASSES = [0, 1, 2, 3, 4] as const;
/** Digits the attacker may know (the public / auxiliary set). */
export const PUBLIC_CLASSES = [5, 6, 7, 8, 9] as const;

const IMAGES_MAGIC = 0x00000803; // 2051: unsigned bytes, 3 dimensions
const LABELS_MAGIC = 0x00000801; // 2049: unsigned bytes, 1 dimension

/** A set of 28x28 grey images (bytes 0-255, row-major) with their digit labels. */
export interface DigitSet {
  count: number;
  images: Uint8Array; // count * 784
  labels: Uint8Array; // count
}

export class IdxFormatError extends Error {}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function parseIdxImages(bytes: Uint8Array, what = 'images'): { count: number; pixels: Uint8Array } {
  if (bytes.byteLength < 16) throw new IdxFormatError(`${what}: ${bytes.byteLength} bytes is too short for an idx3 header`);
  const v = view(bytes);
  const magic = v.getUint32(0);
  if (magic !== IMAGES_MAGIC) {
    throw new IdxFormatError(`${what}: magic number 0x${magic.toString(16)} is not an idx3 image file (0x803)`);
  }
  const count = v.getUint32(4), rows = v.getUint32(8), cols = v.getUint32(12);
  if (rows !== IMAGE_SIZE || cols !== IMAGE_SIZE) throw new IdxFormatError(`${what}: images are ${rows}x${cols}, expected 28x28`);
  if (bytes.byteLength !== 16 + count * PIXELS) {
    throw new IdxFormatError(`${what}: header says ${count} images (${16 + count * PIXELS} bytes) but the file has ${bytes.byteLength} bytes`);
  }
  return { count, pixels: bytes.subarray(16) };
}

export function parseIdxLabels(bytes: Uint8Array, what = 'labels'): Uint8Array {
  if (bytes.byteLength < 8) throw new IdxFormatError(`${what}: ${bytes.byteLength} bytes is too short for an idx1 header`);
  const v = view(bytes);
  const magic = v.getUint32(0);
  if (magic !== LABELS_MAGIC) {
    throw new IdxFormatError(`${what}: magic number 0x${magic.toString(16)} is not an idx1 label file (0x801)`);
  }
  const count = v.getUint32(4);
  if (bytes.byteLength !== 8 + count) {
    throw new IdxFormatError(`${what}: header says ${count} labels but the file has ${bytes.byteLength - 8}`);
  }
  const labels = bytes.subarray(8);
  for (let i = 0; i < count; i++) if (labels[i] > 9) throw new IdxFormatError(`${what}: label ${labels[i]} at ${i} is not a digit`);
  return labels;
}

export function parseDigitSet(imageBytes: Uint8Array, labelBytes: Uint8Array, what = 'MNIST'): DigitSet {
  const { count, pixels } = parseIdxImages(imageBytes, `${what} images`);
  const labels = parseIdxLabels(labelBytes, `${what} labels`);
  if (labels.length !== count) throw new IdxFormatError(`${what}: ${count} images but ${labels.length} labels`);
  return { count, images: pixels, labels };
}

export function encodeIdxImages(set: DigitSet): Uint8Array {
  const out = new Uint8Array(16 + set.count * PIXELS);
  const v = view(out);
  v.setUint32(0, IMAGES_MAGIC); v.setUint32(4, set.count); v.setUint32(8, IMAGE_SIZE); v.setUint32(12, IMAGE_SIZE);
  out.set(set.images.subarray(0, set.count * PIXELS), 16);
  return out;
}

export function encodeIdxLabels(set: DigitSet): Uint8Array {
  const out = new Uint8Array(8 + set.count);
  const v = view(out);
  v.setUint32(0, LABELS_MAGIC); v.setUint32(4, set.count);
  out.set(set.labels.subarray(0, set.count), 8);
  return out;
}

/** The images of `set` whose label is in `digits`, in their original order. */
export function filterDigits(set: DigitSet, digits: readonly number[], limitPerDigit = Infinity): DigitSet {
  const keep: number[] = [];
  const seen = new Map<number, number>();
  for (let i = 0; i < set.count; i++) {
    const d = set.labels[i];
    if (!digits.includes(d)) continue;
    const k = seen.get(d) ?? 0;
    if (k >= limitPerDigit) continue;
    seen.set(d, k + 1);
    keep.push(i);
  }
  return subset(set, keep);
}

export function subset(set: DigitSet, indices: ArrayLike<number>): DigitSet {
  const n = indices.length;
  const images = new Uint8Array(n * PIXELS);
  const labels = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    images.set(set.images.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
    labels[k] = set.labels[i];
  }
  return { count: n, images, labels };
}

export function concatSets(a: DigitSet, b: DigitSet): DigitSet {
  const images = new Uint8Array((a.count + b.count) * PIXELS);
  images.set(a.images.subarray(0, a.count * PIXELS)); images.set(b.images.subarray(0, b.count * PIXELS), a.count * PIXELS);
  const labels = new Uint8Array(a.count + b.count);
  labels.set(a.labels.subarray(0, a.count)); labels.set(b.labels.subarray(0, b.count), a.count);
  return { count: a.count + b.count, images, labels };
}

export interface MnistSplits {
  /** Training digits 0-4: what the target memorises. */
  privateTrain: DigitSet;
  /** Test digits 0-4: the target's accuracy. */
  privateTest: DigitSet;
  /** Digits 5-9 from train and test: all the attacker may know. */
  publicSet: DigitSet;
}

/**
 * What the attacker knows. 'disjoint' (the papers' protocol): public digits 5-9 only. 'other-writers': the same
 * digits by other writers too - public also holds half of MNIST's *test* digits 0-4 (the odd positions); no
 * private training image is ever public.
 */
export type Knowledge = 'disjoint' | 'other-writers';
export const KNOWLEDGE: readonly Knowledge[] = ['disjoint', 'other-writers'];

/** The public set for a knowledge setting. */
export function publicFor(knowledge: Knowledge, splits: MnistSplits): DigitSet {
  if (knowledge === 'disjoint') return splits.publicSet;
  return concatSets(splits.publicSet, writerHalves(splits.privateTest).publicHalf);
}

/** Test digits 0-4 split by position: even ones stay a private test half, odd ones go public ('other-writers'). */
export function writerHalves(privateTest: DigitSet): { privateHalf: DigitSet; publicHalf: DigitSet } {
  const even: number[] = [], odd: number[] = [];
  for (let i = 0; i < privateTest.count; i++) (i % 2 === 0 ? even : odd).push(i);
  return { privateHalf: subset(privateTest, even), publicHalf: subset(privateTest, odd) };
}

export function splitMnist(train: DigitSet, test: DigitSet): MnistSplits {
  return {
    privateTrain: filterDigits(train, PRIVATE_CLASSES),
    privateTest: filterDigits(test, PRIVATE_CLASSES),
    publicSet: concatSets(filterDigits(train, PUBLIC_CLASSES), filterDigits(test, PUBLIC_CLASSES)),
  };
}

/**
 * Images `indices` of `set` as a [n, 28, 28, 1] float tensor in [0, 1], optionally shifted by up to `shift`
 * pixels (zero fill) for augmentation.
 */
export function imagesToTensor(set: DigitSet, indices: ArrayLike<number>, shift = 0, rng?: () => number): tf.Tensor4D {
  const n = indices.length;
  const out = new Float32Array(n * PIXELS);
  for (let k = 0; k < n; k++) {
    const src = indices[k] * PIXELS;
    const dy = shift && rng ? Math.floor(rng() * (2 * shift + 1)) - shift : 0;
    const dx = shift && rng ? Math.floor(rng() * (2 * shift + 1)) - shift : 0;
    for (let r = 0; r < IMAGE_SIZE; r++) {
      const sr = r - dy;
      if (sr < 0 || sr >= IMAGE_SIZE) continue;
      for (let c = 0; c < IMAGE_SIZE; c++) {
        const sc = c - dx;
        if (sc < 0 || sc >= IMAGE_SIZE) continue;
        out[k * PIXELS + r * IMAGE_SIZE + c] = set.images[src + sr * IMAGE_SIZE + sc] / 255;
      }
    }
  }
  return tf.tensor4d(out, [n, IMAGE_SIZE, IMAGE_SIZE, 1]);
}

/** Index of the first image of each digit in `digits` (for showing one real sample per class). */
export function firstOfEach(set: DigitSet, digits: readonly number[]): number[] {
  return digits.map((d) => {
    const i = set.labels.indexOf(d);
    if (i < 0) throw new Error(`no image of digit ${d} in this set`);
    return i;
  });
}
