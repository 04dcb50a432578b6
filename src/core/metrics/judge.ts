// Judging reconstructions, one code path for the engine (live snapshots, the benchmark) and the CLI: the evaluator's
// verdict (attack accuracy top-1 / top-5 over all its digits), and the quality record of quality.ts against private
// training images in the evaluator's feature space (the reference).
import * as tf from '@tensorflow/tfjs';
import { type DigitSet, PIXELS, PRIVATE_CLASSES, filterDigits } from '../data/mnist.ts';
import { featuresOf, setFeatures } from './knn.ts';
import { attackQuality, type AttackQuality } from './quality.ts';

export interface Verdict {
  /** Per image: the evaluator's digit, its probability, and its five likeliest digits. */
  evaluator: { predicted: number[]; confidence: number[]; top5: number[][] };
  /** Share of images whose attacked digit is the evaluator's first guess / among its five. */
  accuracy: { top1: number; top5: number };
}

/** The evaluator's verdict on images (n * 784 values in [0, 1]) attacked as `digits`. */
export async function evaluatorVerdict(evaluator: tf.LayersModel, evaluatorClasses: number[], pixels: Float32Array, digits: number[]): Promise<Verdict> {
  const probs = tf.tidy(() => tf.softmax(evaluator.predict(tf.tensor4d(pixels, [digits.length, 28, 28, 1])) as tf.Tensor2D));
  const p = await probs.data();
  probs.dispose();
  const k = evaluatorClasses.length;
  const predicted: number[] = [], confidence: number[] = [], top5: number[][] = [];
  let hit1 = 0, hit5 = 0;
  digits.forEach((digit, i) => {
    const row = Array.from(p.subarray(i * k, (i + 1) * k));
    const order = row.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0]).map(([, j]) => evaluatorClasses[j]);
    predicted.push(order[0]);
    confidence.push(row[evaluatorClasses.indexOf(order[0])]);
    top5.push(order.slice(0, 5));
    if (order[0] === digit) hit1++;
    if (order.slice(0, 5).includes(digit)) hit5++;
  });
  const n = Math.max(1, digits.length);
  return { evaluator: { predicted, confidence, top5 }, accuracy: { top1: hit1 / n, top5: hit5 / n } };
}

/** Private training images with their evaluator features: what reconstructions are compared with. */
export interface PrivateReference {
  set: DigitSet;
  features: Float32Array;
  dim: number;
  /** The images of `set` that form FID's and PRDC's real sample (spread evenly over it). */
  fidIndices: number[];
  /** Images per digit when the reference is a subset; null when it is the whole private training set. */
  perDigit: number | null;
}

/** Real images of FID and PRDC: several hundred (PRDC is quadratic in them). */
export const FID_REFERENCE_IMAGES = 500;

/** `m` indices spread evenly over 0..n-1 (all of them when n <= m). */
export function spreadIndices(n: number, m: number): number[] {
  const k = Math.min(m, n);
  return Array.from({ length: k }, (_, i) => Math.floor((i * n) / k));
}

/** A reference over a set whose features are already known (Node caches the whole private training set's). */
export function referenceFromFeatures(set: DigitSet, features: Float32Array, dim: number, perDigit: number | null = null): PrivateReference {
  if (features.length !== set.count * dim) throw new Error(`${features.length} feature values for ${set.count} images of dimension ${dim}`);
  return { set, features, dim, fidIndices: spreadIndices(set.count, FID_REFERENCE_IMAGES), perDigit };
}

/** A cheap reference for the browser: the first `perDigit` private training images of each digit, featurised here. */
export async function buildPrivateReference(evaluator: tf.LayersModel, privateTrain: DigitSet, perDigit: number, digits: readonly number[] = PRIVATE_CLASSES): Promise<PrivateReference> {
  const set = filterDigits(privateTrain, digits, perDigit);
  const f = await setFeatures(evaluator, set);
  return referenceFromFeatures(set, f.values, f.dim, perDigit);
}

/** The reference image `i` as 784 grey levels (0-255). */
export function referenceImage(reference: PrivateReference, i: number): Uint8Array {
  return reference.set.images.subarray(i * PIXELS, (i + 1) * PIXELS);
}

/** KNN distance, PSNR / SSIM to the nearest private image, FID and PRDC of reconstructions against the reference. */
export async function scoreReconstructions(evaluator: tf.LayersModel, pixels: Float32Array, digits: number[], reference: PrivateReference): Promise<AttackQuality> {
  const x = tf.tensor4d(pixels, [digits.length, 28, 28, 1]);
  let q: { values: Float32Array; dim: number };
  try {
    q = await featuresOf(evaluator, x);
  } finally {
    x.dispose();
  }
  return attackQuality(
    { pixels, digits, features: q.values, dim: q.dim },
    { pixels: reference.set.images, digits: reference.set.labels, features: reference.features, dim: reference.dim, pixelScale: 1 / 255 },
    { reference: reference.fidIndices },
  );
}
