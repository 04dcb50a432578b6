// Trapdoor metrics (Trap-MID): trapdoor accuracy, and detection by cosine similarity to per-class trapdoor
// signatures in the target's penultimate feature space (standardised by clean training statistics), with ROC-AUC.
import * as tf from '@tensorflow/tfjs';
import { type DigitSet, imagesToTensor, sideOf } from '../data/mnist.ts';
import { makeRng } from '../data/rng.ts';
import { blendTriggers, type Injection } from '../defenses/trap-mid.ts';
import { adam } from '../kernels/adam.ts';
import { buildFaceTarget, buildTarget, withFeatures } from '../nets/architectures.ts';

/** ROC-AUC of scores where `positives` should rank above `negatives` (Mann-Whitney U, ties count half). */
export function rocAuc(positives: ArrayLike<number>, negatives: ArrayLike<number>): number {
  if (positives.length === 0 || negatives.length === 0) throw new Error('ROC-AUC needs at least one positive and one negative score');
  const all = [...Array.from(positives, (v) => [v, 1] as const), ...Array.from(negatives, (v) => [v, 0] as const)].sort((a, b) => a[0] - b[0]);
  let rankSumPos = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j][0] === all[i][0]) j++;
    const avgRank = (i + 1 + j) / 2; // ranks i+1 .. j
    for (let k = i; k < j; k++) if (all[k][1] === 1) rankSumPos += avgRank;
    i = j;
  }
  const p = positives.length, n = negatives.length;
  return (rankSumPos - (p * (p + 1)) / 2) / (p * n);
}

/** Value below which `q` (0..1) of `values` fall (linear interpolation). */
export function percentile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) throw new Error('percentile of an empty set');
  const pos = (s.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Random trigger labels different from each image's own class. */
export function otherLabels(classes: ArrayLike<number>, numClasses: number, seed: number): Int32Array {
  const rng = makeRng(seed);
  return Int32Array.from(classes, (c) => { const t = Math.floor(rng() * (numClasses - 1)); return t >= c ? t + 1 : t; });
}

/** Share of triggered images (trigger of another class) that the target assigns to the trigger's class. */
export async function trapdoorAccuracy(model: tf.LayersModel, data: DigitSet, classOf: (d: number) => number,
  triggers: tf.Tensor4D, alpha: number, seed = 1, batchSize = 500, injection: Injection = 'blend'): Promise<number> {
  const k = triggers.shape[0];
  const t = otherLabels(Array.from(data.labels, classOf), k, seed);
  let hits = 0;
  for (let s = 0; s < data.count; s += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, data.count - s) }, (_, i) => s + i);
    const pred = tf.tidy(() => {
      const oh = tf.oneHot(tf.tensor1d(idx.map((i) => t[i]), 'int32'), k).toFloat() as tf.Tensor2D;
      return (model.predict(blendTriggers(imagesToTensor(data, idx), triggers, oh, alpha, injection)) as tf.Tensor).argMax(-1);
    });
    const p = await pred.data(); pred.dispose();
    idx.forEach((i, j) => { if (p[j] === t[i]) hits++; });
  }
  return hits / data.count;
}

/**
 * How well Trap-MID's naturalness discriminator tells the first `count` images of `data` from the same images
 * carrying another class's trigger: ROC-AUC, 0.5 = the triggers look natural to it.
 */
export async function naturalnessAuc(discriminator: tf.LayersModel, data: DigitSet, classOf: (d: number) => number,
  triggers: tf.Tensor4D, alpha: number, injection: Injection, count: number, seed: number): Promise<number> {
  const k = triggers.shape[0];
  const idx = Array.from({ length: Math.min(count, data.count) }, (_, i) => i);
  const t = otherLabels(idx.map((i) => classOf(data.labels[i])), k, seed);
  const [dClean, dTrig] = tf.tidy(() => {
    const x = imagesToTensor(data, idx);
    const xt = blendTriggers(x, triggers, tf.oneHot(tf.tensor1d(Array.from(t), 'int32'), k).toFloat() as tf.Tensor2D, alpha, injection);
    return [discriminator.predict(x) as tf.Tensor, discriminator.predict(xt) as tf.Tensor];
  });
  const auc = rocAuc(await dClean.data(), await dTrig.data());
  tf.dispose([dClean, dTrig]);
  return auc;
}

export interface FreshDiscriminatorOptions {
  /** Training steps of the fresh discriminator (each: `batchSize` clean and as many triggered training images). */
  steps: number;
  batchSize: number;
  /** Held-out images it is measured on (the first ones of `test`, each clean and triggered). */
  testCount: number;
  seed: number;
  learningRate: number;
}

export const FRESH_DISCRIMINATOR_DEFAULTS: FreshDiscriminatorOptions = { steps: 400, batchSize: 64, testCount: 2000, seed: 1, learningRate: 1e-3 };

/**
 * Naturalness measured a second time, by a discriminator that did not take part in training: a fresh network of the
 * joint discriminator's architecture learns clean training images ("real") from the same images carrying another
 * class's trigger ("fake"), then its ROC-AUC on held-out images, clean against triggered. 0.5: it cannot tell them
 * apart; the jointly trained discriminator can be fooled by triggers that chase its current weights, this one cannot.
 */
export async function freshDiscriminatorAuc(train: DigitSet, test: DigitSet, classOf: (d: number) => number, triggers: tf.Tensor4D,
  alpha: number, injection: Injection, options: Partial<FreshDiscriminatorOptions> = {}): Promise<number> {
  const o = { ...FRESH_DISCRIMINATOR_DEFAULTS, ...options };
  const k = triggers.shape[0], side = sideOf(train);
  const rng = makeRng(o.seed * 7 + 3);
  const D = side === 28 ? buildTarget(1, o.seed + 1000) : buildFaceTarget(1, o.seed + 1000, side);
  const opt = adam(o.learningRate);
  const vars = D.trainableWeights.map((w) => w.read() as tf.Variable);
  const otherOf = (i: number) => { const c = classOf(train.labels[i]); const t = Math.floor(rng() * (k - 1)); return t >= c ? t + 1 : t; };
  try {
    for (let s = 0; s < o.steps; s++) {
      const idx = Array.from({ length: o.batchSize }, () => Math.floor(rng() * train.count));
      const t = idx.map(otherOf);
      tf.tidy(() => {
        const x = imagesToTensor(train, idx);
        const xt = blendTriggers(x, triggers, tf.oneHot(tf.tensor1d(t, 'int32'), k).toFloat() as tf.Tensor2D, alpha, injection);
        const labels = tf.concat([tf.ones([o.batchSize, 1]), tf.zeros([o.batchSize, 1])]);
        opt.minimize(() => tf.losses.sigmoidCrossEntropy(labels, D.apply(tf.concat([x, xt]), { training: true }) as tf.Tensor) as tf.Scalar, false, vars);
      });
    }
    const n = Math.min(o.testCount, test.count), scores: Float32Array[] = [new Float32Array(n), new Float32Array(n)];
    const tTest = otherLabels(Array.from({ length: n }, (_, i) => classOf(test.labels[i])), k, o.seed + 11);
    for (let s = 0; s < n; s += 500) {
      const idx = Array.from({ length: Math.min(500, n - s) }, (_, i) => s + i);
      const [clean, trig] = tf.tidy(() => {
        const x = imagesToTensor(test, idx);
        const xt = blendTriggers(x, triggers, tf.oneHot(tf.tensor1d(idx.map((i) => tTest[i]), 'int32'), k).toFloat() as tf.Tensor2D, alpha, injection);
        return [D.predict(x) as tf.Tensor, D.predict(xt) as tf.Tensor];
      });
      scores[0].set(await clean.data(), s); scores[1].set(await trig.data(), s);
      tf.dispose([clean, trig]);
    }
    return rocAuc(scores[0], scores[1]);
  } finally {
    opt.dispose(); D.dispose();
  }
}

/**
 * Per-feature mean and standard deviation of clean training images. Our nets' penultimate layer is a ReLU (all
 * features >= 0, so every cosine is high); the reference's is a BatchNorm output, centred and scaled by its training
 * statistics. Standardising by the clean statistics gives the same geometry: a clean image sits near the origin,
 * and only a shift toward a trigger's direction scores high.
 */
export interface FeatureScale { mean: Float32Array; std: Float32Array }

/** The standardisation of `features` (clean training features, one array per image). */
export function featureScale(features: Float32Array[]): FeatureScale {
  const dim = features[0].length, n = features.length;
  const mean = new Float32Array(dim), std = new Float32Array(dim);
  for (const f of features) for (let j = 0; j < dim; j++) mean[j] += f[j] / n;
  for (const f of features) for (let j = 0; j < dim; j++) std[j] += (f[j] - mean[j]) ** 2 / n;
  // A feature that never varies (a dead unit) carries no signal: scale 1 keeps it at 0 instead of dividing by 0.
  for (let j = 0; j < dim; j++) std[j] = Math.sqrt(std[j]) || 1;
  return { mean, std };
}

/** Penultimate features (standardised when `scale` is given) and predicted class for a batch of images. */
export async function featuresAndPredictions(featureModel: tf.LayersModel, images: tf.Tensor4D, scale?: FeatureScale): Promise<{ features: Float32Array[]; predicted: Int32Array }> {
  const [f, logits] = featureModel.predict(images) as tf.Tensor[];
  const pred = tf.argMax(logits, -1);
  const [fd, pd] = await Promise.all([f.data(), pred.data()]);
  tf.dispose([f, logits, pred]);
  const dim = f.shape[1]!;
  const features = Array.from({ length: images.shape[0] }, (_, i) => (fd as Float32Array).slice(i * dim, (i + 1) * dim));
  return { features: scale ? features.map((v) => standardise(v, scale)) : features, predicted: Int32Array.from(pd) };
}

function standardise(v: Float32Array, { mean, std }: FeatureScale): Float32Array {
  return v.map((a, j) => (a - mean[j]) / std[j]);
}

function normalise(v: Float32Array): Float32Array {
  let n = 0; for (const a of v) n += a * a;
  n = Math.sqrt(n) || 1;
  return v.map((a) => a / n);
}

/**
 * Per-class trapdoor signatures: the L2-normalised mean (standardised) feature of training images blended with
 * trigger c. `featureModel` maps images to [features, logits] (see nets/architectures withFeatures).
 */
export async function trapdoorSignatures(featureModel: tf.LayersModel, data: DigitSet, triggers: tf.Tensor4D, alpha: number,
  injection: Injection = 'blend', perClass = 500, scale?: FeatureScale): Promise<Float32Array[]> {
  const k = triggers.shape[0];
  const idx = Array.from({ length: Math.min(perClass, data.count) }, (_, i) => i);
  const sigs: Float32Array[] = [];
  for (let c = 0; c < k; c++) {
    const x = tf.tidy(() => blendTriggers(imagesToTensor(data, idx), triggers, tf.oneHot(tf.fill([idx.length], c, 'int32') as tf.Tensor1D, k).toFloat() as tf.Tensor2D, alpha, injection));
    const { features } = await featuresAndPredictions(featureModel, x, scale);
    x.dispose();
    const mean = new Float32Array(features[0].length);
    for (const f of features) for (let j = 0; j < f.length; j++) mean[j] += f[j] / features.length;
    sigs.push(normalise(mean));
  }
  return sigs;
}

/** Trapdoor score of each image: cosine of its (standardised) feature with the signature of its predicted class. */
export async function trapdoorScores(featureModel: tf.LayersModel, images: tf.Tensor4D, signatures: Float32Array[], scale?: FeatureScale): Promise<{ score: number; predicted: number }[]> {
  const { features, predicted } = await featuresAndPredictions(featureModel, images, scale);
  return scoresOf(features, predicted, signatures);
}

function scoresOf(features: Float32Array[], predicted: Int32Array, signatures: Float32Array[]): { score: number; predicted: number }[] {
  return features.map((f, i) => {
    const s = signatures[predicted[i]], u = normalise(f);
    let dot = 0; for (let j = 0; j < u.length; j++) dot += u[j] * s[j];
    return { score: dot, predicted: predicted[i] };
  });
}


/**
 * Trapdoor detection for a Trap-MID target: signatures from `reference` training images, threshold = 95th
 * percentile of the clean scores of the same images.
 */
export class TrapdoorDetector {
  private constructor(
    readonly featureModel: tf.LayersModel,
    /** Standardisation of the features by the clean reference images' statistics. */
    readonly scale: FeatureScale,
    readonly signatures: Float32Array[],
    readonly threshold: number,
    /** Scores of the clean reference images (the threshold's distribution). */
    readonly cleanScores: number[],
  ) {}

  static async build(target: tf.LayersModel, triggers: tf.Tensor4D, alpha: number, injection: Injection, reference: DigitSet): Promise<TrapdoorDetector> {
    const featureModel = withFeatures(target);
    const x = imagesToTensor(reference, Array.from({ length: reference.count }, (_, i) => i));
    const { features, predicted } = await featuresAndPredictions(featureModel, x);
    x.dispose();
    const scale = featureScale(features);
    const signatures = await trapdoorSignatures(featureModel, reference, triggers, alpha, injection, 500, scale);
    const clean = scoresOf(features.map((f) => standardise(f, scale)), predicted, signatures).map((s) => s.score);
    return new TrapdoorDetector(featureModel, scale, signatures, percentile(clean, 0.95), clean);
  }

  /** Score and predicted output index of each image of a [n, 28, 28, 1] batch. */
  score(images: tf.Tensor4D): Promise<{ score: number; predicted: number }[]> {
    return trapdoorScores(this.featureModel, images, this.signatures, this.scale);
  }

  /** Scores of `set`'s images after blending each with the trigger of another class. */
  async triggeredScores(set: DigitSet, classOf: (d: number) => number, triggers: tf.Tensor4D, alpha: number, injection: Injection, seed = 1): Promise<number[]> {
    const k = triggers.shape[0];
    const t = otherLabels(Array.from(set.labels, classOf), k, seed);
    const x = tf.tidy(() => blendTriggers(imagesToTensor(set, Array.from({ length: set.count }, (_, i) => i)), triggers,
      tf.oneHot(tf.tensor1d(Array.from(t), 'int32'), k).toFloat() as tf.Tensor2D, alpha, injection));
    const scores = (await this.score(x)).map((s) => s.score);
    x.dispose();
    return scores;
  }
}
