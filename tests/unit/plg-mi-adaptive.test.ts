// The trapdoor-aware PLG-MI on tiny models: the reverse-engineered triggers do what they are optimised for, the
// signature cosine and the threshold are the defender's formulas on the attacker's data, the penalty is a hinge at the
// threshold, the final selection passes over flagged candidates, seeds batch as separate runs, and nothing leaks.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { awareCheck, estimateTrapdoor, plgMiAdaptive, signatureCosine, type PlgMiAdaptiveOptions } from '../../src/core/attacks/plg-mi-adaptive.ts';
import { keepBestUnflagged } from '../../src/core/attacks/plg-mi.ts';
import type { AttackContext } from '../../src/core/attacks/attack.ts';
import { buildGenerator } from '../../src/core/nets/gan.ts';
import { maxAbsDiff, useWasm } from './helpers.ts';

const CLASSES = [0, 1, 2, 3, 4];
let target: tf.LayersModel, generator: tf.LayersModel, publicImages: tf.Tensor4D;

/** A tiny classifier with a penultimate layer named 'features', as our architectures have (withFeatures reads it). */
function tinyTarget(seed: number): tf.LayersModel {
  return tf.sequential({ layers: [
    tf.layers.flatten({ inputShape: [28, 28, 1] }),
    tf.layers.dense({ units: 12, activation: 'relu', name: 'features', kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.2, seed }) }),
    tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.5, seed: seed + 1 }) }),
  ] });
}

beforeAll(async () => {
  await useWasm();
  target = tinyTarget(3);
  generator = buildGenerator(4, 5);
  publicImages = tf.randomUniform([64, 28, 28, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
});

const recipe = { injection: 'blend' as const, alpha: 0.5 };
const ctx = (): AttackContext => ({ target, targetClasses: CLASSES, prior: { generator, conditional: true } });

describe('the trapdoor estimate', () => {
  it('finds per class a trigger that sends the public images to that class, where the random start did not', async () => {
    const before = await estimateTrapdoor(target, publicImages, recipe, { steps: 0, batch: 8 });
    const after = await estimateTrapdoor(target, publicImages, recipe, { steps: 40, batch: 8 });
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(after.triggerSuccess)).toBeGreaterThan(0.9);
    expect(mean(after.triggerSuccess)).toBeGreaterThan(mean(before.triggerSuccess) + 0.3);
    // Triggers are images in [0, 1] of the recipe's shape; signatures are unit rows, one per output.
    expect(after.triggers.shape).toEqual([5, 28, 28, 1]);
    const t = await after.triggers.data();
    expect(Math.min(...t)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...t)).toBeLessThanOrEqual(1);
    const norms = await tf.tidy(() => tf.norm(after.signatures, 'euclidean', 1)).data();
    for (const n of norms) expect(n).toBeCloseTo(1, 4);
    before.dispose();
    after.dispose();
  });

  it('sets the threshold at the 95th percentile of the clean public images\' cosines with their predicted class\'s signature', async () => {
    const est = await estimateTrapdoor(target, publicImages, recipe, { steps: 10, batch: 8 });
    const cos = tf.tidy(() => {
      const [f, logits] = est.featureModel.apply(publicImages) as tf.Tensor[];
      return signatureCosine(est, f as tf.Tensor2D, tf.oneHot(tf.argMax(logits, 1) as tf.Tensor1D, 5).toFloat() as tf.Tensor2D);
    });
    const sorted = Array.from(await cos.data()).sort((a, b) => a - b);
    expect(est.threshold).toBeCloseTo(sorted[Math.floor(0.95 * 64)], 5);
    expect(sorted.filter((v) => v > est.threshold).length).toBe(3); // 64 - 61 above the 95th percentile
    tf.dispose(cos);
    est.dispose();
  });

  it('the cosine standardises by the clean statistics before it compares with the signature', () => {
    const est = { mean: tf.tensor1d([1, 1]), std: tf.tensor1d([1, 2]), signatures: tf.tensor2d([[1, 0], [0, 1]]) };
    // (4 - 1) / 1 = 3, (9 - 1) / 2 = 4: unit vector (0.6, 0.8).
    const cos = signatureCosine(est, tf.tensor2d([[4, 9], [4, 9]]), tf.tensor2d([[1, 0], [0, 1]]));
    expect(Array.from(cos.dataSync()).map((v) => +v.toFixed(5))).toEqual([0.6, 0.8]);
    tf.dispose([est.mean, est.std, est.signatures, cos]);
  });
});

describe('the penalty and the final selection', () => {
  it('penalises only what lies above the threshold, by weight x the excess', async () => {
    const est = await estimateTrapdoor(target, publicImages, recipe, { steps: 5, batch: 8 });
    const check = awareCheck(est, 7);
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0, 1, 2], 'int32'), 5).toFloat()) as tf.Tensor2D;
    const img = publicImages.slice(0, 8) as tf.Tensor4D;
    const [cos, pen] = [await check.score(img, labels).data(), await check.penalty(img, labels).data()];
    for (let i = 0; i < 8; i++) expect(pen[i]).toBeCloseTo(7 * Math.max(0, cos[i] - est.threshold), 4);
    tf.dispose([labels, img]);
    est.dispose();
  });

  it('keeps the surest unflagged candidate of each digit, or the least flagged where all are flagged', () => {
    //            digit 0: [flagged sure, unflagged, unflagged surer]   digit 1: [all flagged]
    const own = [9, 1, 2, 5, 6, 7];
    const score = [0.9, 0.1, 0.2, 0.8, 0.6, 0.7];
    expect(keepBestUnflagged(own, score, 0.5, 2, 3)).toEqual([2, 4]);
  });
});

describe('the attack', () => {
  const options = (seed: number, seeds?: number[]): PlgMiAdaptiveOptions => ({
    restarts: 3, steps: 10, learningRate: 0.1, seed, seeds, trapdoorWeight: 50, recipe, publicImages, estimate: { steps: 5, batch: 8 },
  });

  it('lowers its loss, keeps no flagged candidate where an unflagged one exists, and frees every tensor, the estimate\'s too', async () => {
    const base = tf.memory().numTensors;
    const s = await plgMiAdaptive.init(ctx(), options(2));
    const before = await plgMiAdaptive.snapshot(s);
    plgMiAdaptive.step(s);
    const running = tf.memory().numTensors;
    for (let i = 0; i < 9; i++) plgMiAdaptive.step(s);
    expect(tf.memory().numTensors).toBe(running);
    const after = await plgMiAdaptive.snapshot(s);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(after.loss)).toBeLessThan(mean(before.loss));
    // The trapdoor term is the snapshot's prior term; a kept candidate is unflagged wherever its digit has one.
    const cos = await (async () => {
      const x = tf.tensor4d(after.pixels, [after.classes.length, 28, 28, 1]);
      const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(after.classes, 'int32'), 5).toFloat()) as tf.Tensor2D;
      const c = awareCheck(s.estimate, 1).score(x, labels);
      const v = Array.from(await c.data());
      tf.dispose([x, labels, c]);
      return v;
    })();
    after.kept.forEach((k, d) => {
      const group = cos.slice(d * 3, d * 3 + 3);
      if (group.some((v) => v <= s.estimate.threshold + 1e-5)) expect(cos[k]).toBeLessThanOrEqual(s.estimate.threshold + 1e-5);
    });
    plgMiAdaptive.dispose(s);
    expect(tf.memory().numTensors).toBe(base);
  });

  it('runs seeds as one batch, each seed\'s candidates those of its separate run', async () => {
    const batch = await plgMiAdaptive.init(ctx(), options(1, [1, 2]));
    const alone = await plgMiAdaptive.init(ctx(), options(2));
    for (let i = 0; i < 5; i++) { plgMiAdaptive.step(batch); plgMiAdaptive.step(alone); }
    const [b, a] = [await plgMiAdaptive.snapshot(batch), await plgMiAdaptive.snapshot(alone)];
    const half = b.pixels.length / 2;
    expect(maxAbsDiff(b.pixels.subarray(half), a.pixels)).toBeLessThan(1e-3);
    plgMiAdaptive.dispose(batch);
    plgMiAdaptive.dispose(alone);
  });
});
