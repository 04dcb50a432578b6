// Judging reconstructions, one code path for the engine (live snapshots, the benchmark) and the CLI: two judges'
// verdicts (the evaluator's attack accuracy top-1 / top-5 over all its digits, the adversarially trained second
// judge's top-1, and the share both call the attacked digit), KNN-label accuracy in the second judge's feature space,
// and the quality record of quality.ts against private training images in the evaluator's feature space.
import * as tf from '@tensorflow/tfjs';
import { type DigitSet, PRIVATE_CLASSES, filterDigits, sideOf } from '../data/mnist.ts';
import { featuresOf, nearestLabels, setFeatures } from './knn.ts';
import { attackQuality, type AttackQuality } from './quality.ts';

/** A classifier that judges reconstructions, with the digit of each of its outputs. */
export interface Judge {
  model: tf.LayersModel;
  classes: number[];
}

/** The two judges: the evaluator, and the second judge (another architecture, adversarially trained, over every class). */
export interface Judges {
  evaluator: Judge;
  robust?: Judge;
}

/** One judge's reading of each image: its digit, that digit's probability, and its five likeliest digits. */
export interface Reading {
  predicted: number[];
  confidence: number[];
  top5: number[][];
}

export interface Verdict {
  evaluator: Reading;
  /** The second judge's digit and probability per image (where the data set has one). */
  robust?: Pick<Reading, 'predicted' | 'confidence'>;
  /**
   * Shares of the images whose attacked digit is the evaluator's first guess / among its five, the second judge's
   * first guess, and the first guess of both (the last two only with a second judge).
   */
  accuracy: { top1: number; top5: number; robustTop1?: number; bothTop1?: number };
}

/** One judge's reading of n images (n * side * side values in [0, 1], the judge's input size). */
export async function readImages(judge: Judge, pixels: Float32Array, n: number): Promise<Reading> {
  const [h, w] = judge.model.inputs[0].shape.slice(1) as number[];
  const probs = tf.tidy(() => tf.softmax(judge.model.predict(tf.tensor4d(pixels, [n, h, w, 1])) as tf.Tensor2D));
  const p = await probs.data();
  probs.dispose();
  const k = judge.classes.length;
  const predicted: number[] = [], confidence: number[] = [], top5: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from(p.subarray(i * k, (i + 1) * k));
    const order = row.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0]).map(([, j]) => judge.classes[j]);
    predicted.push(order[0]);
    confidence.push(row[judge.classes.indexOf(order[0])]);
    top5.push(order.slice(0, 5));
  }
  return { predicted, confidence, top5 };
}

/** Both judges' verdicts on images attacked as `digits`. */
export async function judgeImages(judges: Judges, pixels: Float32Array, digits: number[]): Promise<Verdict> {
  const ev = await readImages(judges.evaluator, pixels, digits.length);
  const share = (hit: (i: number) => boolean) => digits.filter((_, i) => hit(i)).length / Math.max(1, digits.length);
  const accuracy = { top1: share((i) => ev.predicted[i] === digits[i]), top5: share((i) => ev.top5[i].includes(digits[i])) };
  if (!judges.robust) return { evaluator: ev, accuracy };
  const rb = await readImages(judges.robust, pixels, digits.length);
  return {
    evaluator: ev, robust: { predicted: rb.predicted, confidence: rb.confidence },
    accuracy: {
      ...accuracy,
      robustTop1: share((i) => rb.predicted[i] === digits[i]), bothTop1: share((i) => ev.predicted[i] === digits[i] && rb.predicted[i] === digits[i]),
    },
  };
}

/**
 * Training images of every class (private and public) in the second judge's feature space: KNN-label accuracy
 * asks whether a reconstruction's nearest one shows the attacked class.
 */
export interface LabelReference {
  features: Float32Array;
  labels: ArrayLike<number>;
  dim: number;
  /** Images per digit when it is a subset; null when it is every training image. */
  perDigit: number | null;
}

/** A cheap label reference for the browser: the first `perDigit` images of each digit of `sets`, featurised here. */
export async function buildLabelReference(robust: tf.LayersModel, sets: DigitSet[], perDigit: number): Promise<LabelReference> {
  const parts = sets.map((set) => filterDigits(set, [...new Set(set.labels)].sort((a, b) => a - b), perDigit));
  const features: Float32Array[] = [];
  let dim = 0;
  for (const part of parts) {
    const f = await setFeatures(robust, part);
    features.push(f.values);
    dim = f.dim;
  }
  const all = new Float32Array(features.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of features) { all.set(f, o); o += f.length; }
  return { features: all, labels: parts.flatMap((p) => Array.from(p.labels)), dim, perDigit };
}

/** The digit of each image's nearest reference image (second judge's features) and the share that are the attacked digit. */
export async function knnLabels(robust: tf.LayersModel, pixels: Float32Array, digits: number[], reference: LabelReference): Promise<{ labels: number[]; accuracy: number }> {
  const q = await pixelFeatures(robust, pixels, digits.length);
  const labels = nearestLabels(q.values, reference.features, reference.labels, reference.dim);
  return { labels, accuracy: labels.filter((l, i) => l === digits[i]).length / Math.max(1, digits.length) };
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

/** The reference image `i` as side * side grey levels (0-255). */
export function referenceImage(reference: PrivateReference, i: number): Uint8Array {
  const px = sideOf(reference.set) ** 2;
  return reference.set.images.subarray(i * px, (i + 1) * px);
}

/** KNN distance, PSNR / SSIM to the nearest private image, FID and PRDC of reconstructions against the reference. */
export async function scoreReconstructions(evaluator: tf.LayersModel, pixels: Float32Array, digits: number[], reference: PrivateReference): Promise<AttackQuality> {
  const q = await pixelFeatures(evaluator, pixels, digits.length);
  const side = sideOf(reference.set);
  return attackQuality(
    { pixels, digits, features: q.values, dim: q.dim, side },
    { pixels: reference.set.images, digits: reference.set.labels, features: reference.features, dim: reference.dim, pixelScale: 1 / 255, side },
    { reference: reference.fidIndices },
  );
}

/** Penultimate features of n images given as n * side * side values in [0, 1] (the model's input size). */
async function pixelFeatures(model: tf.LayersModel, pixels: Float32Array, n: number): Promise<{ values: Float32Array; dim: number }> {
  const [h, w] = model.inputs[0].shape.slice(1) as number[];
  const x = tf.tensor4d(pixels, [n, h, w, 1]);
  try {
    return await featuresOf(model, x);
  } finally {
    x.dispose();
  }
}
