// Trap-MID's pieces on tiny inputs: the blend, label smoothing, the differentiable augmentation, detection metrics,
// and the trainer's memory discipline.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { affineMatrix, applyAffine, randomAffineBatch } from '../../src/core/data/augment.ts';
import { makeRng } from '../../src/core/data/rng.ts';
import { WARP_TAPS } from '../../src/core/kernels/warp-taps.ts';
import { TrapMidTrainer, TRAP_MID_DEFAULTS, blendTriggers, smoothLabels, softCrossEntropy, trapdoorTargets } from '../../src/core/defenses/trap-mid.ts';
import { featureScale, otherLabels, percentile, rocAuc } from '../../src/core/metrics/trapdoor.ts';
import { buildTarget } from '../../src/core/nets/architectures.ts';
import { loadSplits } from '../../scripts/lib/node-io.ts';
import { subset } from '../../src/core/data/mnist.ts';
import { maxAbsDiff, sparseVsDenseWarps, useWasm } from './helpers.ts';

beforeAll(useWasm);

describe('trigger blend', () => {
  it('is alpha K_t + (1 - alpha) x with each image getting its own trigger', () => {
    const x = tf.fill([2, 28, 28, 1], 0.5) as tf.Tensor4D;
    const K = tf.concat([tf.zeros([1, 28, 28, 1]), tf.ones([1, 28, 28, 1]), tf.fill([1, 28, 28, 1], 0.25)]) as tf.Tensor4D;
    const t = tf.tensor2d([[0, 1, 0], [0, 0, 1]]);
    const out = blendTriggers(x, K, t, 0.1).dataSync();
    expect(out[0]).toBeCloseTo(0.1 * 1 + 0.9 * 0.5, 6);
    expect(out[784]).toBeCloseTo(0.1 * 0.25 + 0.9 * 0.5, 6);
  });

  it('stroke: a bright trigger thickens the stroke, a dark one thins it, grey (0.5) or a black background changes nothing', () => {
    // A vertical bar 3 pixels wide (columns 12-14) with soft edges (0.5 in columns 11 and 15) on black.
    const px = new Float32Array(784);
    for (let r = 0; r < 28; r++) { px[r * 28 + 11] = 0.5; px[r * 28 + 12] = px[r * 28 + 13] = px[r * 28 + 14] = 1; px[r * 28 + 15] = 0.5; }
    const x = tf.tensor4d(px, [1, 28, 28, 1]);
    const at = (k: number, alpha = 1) => blendTriggers(x, tf.fill([1, 28, 28, 1], k) as tf.Tensor4D, tf.ones([1, 1]) as tf.Tensor2D, alpha, 'stroke').dataSync();
    const [thick, thin, grey] = [at(1), at(0), at(0.5)];
    const row = 14 * 28;
    expect(Array.from(grey)).toEqual(Array.from(px));
    // Edges move: |grad x| is 0.5 at column 11 (neighbours 0 and 1) and 0.25 at column 10 (0 and 0.5).
    expect(thick[row + 11]).toBeCloseTo(1, 5);
    expect(thick[row + 10]).toBeCloseTo(0.25, 5);
    expect(thin[row + 11]).toBeCloseTo(0, 5);
    expect(thin[row + 10]).toBeCloseTo(0, 5);
    // The saturated core (flat) and the far background (flat and black) stay as they were.
    for (const [v, want] of [[thick[row + 13], 1], [thin[row + 13], 1], [thick[row + 3], 0], [thin[row + 3], 0]]) expect(v).toBeCloseTo(want, 5);
    // Everything stays an image, in [0, 1].
    for (const v of [...at(1, 5), ...at(0, 5)]) expect(v >= 0 && v <= 1).toBe(true);
  });
});

describe('label smoothing', () => {
  it('with factor 0 is plain cross-entropy; NegLS pushes targets beyond one-hot', () => {
    const y = tf.tensor2d([[1, 0, 0, 0, 0], [0, 0, 1, 0, 0]]);
    const logits = tf.tensor2d([[2, 1, 0, -1, 0.5], [0, 0.2, 3, 1, -2]]);
    const ce = tf.losses.softmaxCrossEntropy(y, logits).dataSync()[0];
    expect(softCrossEntropy(logits, smoothLabels(y, 0)).dataSync()[0]).toBeCloseTo(ce, 5);
    const neg = smoothLabels(y, -0.05).dataSync();
    expect(neg[0]).toBeCloseTo(1.05 - 0.01, 6); // (1 - a) + a / K
    expect(neg[1]).toBeCloseTo(-0.01, 6);
    expect(Array.from(neg.slice(0, 5)).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
});

describe('trapdoor targets', () => {
  it('are the trigger\'s class, except that a trigger on its own digit moves towards uniform by the own-digit factor', () => {
    const t = tf.tensor2d([[0, 1, 0, 0], [0, 0, 1, 0]]);
    const y = tf.tensor2d([[1, 0, 0, 0], [0, 0, 1, 0]]); // row 0: another digit's trigger; row 1: its own
    expect(Array.from(trapdoorTargets(t, y, 0).dataSync())).toEqual([0, 1, 0, 0, 0, 0, 1, 0]);
    const half = Array.from(trapdoorTargets(t, y, 0.5).dataSync());
    expect(half.slice(0, 4)).toEqual([0, 1, 0, 0]);
    [0.125, 0.125, 0.625, 0.125].forEach((v, i) => expect(half[4 + i]).toBeCloseTo(v, 6));
    Array.from(trapdoorTargets(t, y, 1).dataSync()).slice(4).forEach((v) => expect(v).toBeCloseTo(0.25, 6));
  });
});

describe('differentiable affine augmentation', () => {
  it('is the identity with no rotation, zoom or shift, and shifts by whole pixels exactly', () => {
    const img = Float32Array.from({ length: 784 }, (_, i) => (i * 37) % 101 / 100);
    const x = tf.tensor4d(img, [1, 28, 28, 1]);
    const warp = (m: Float32Array) => {
      const t = new Float32Array(784 * 784);
      for (let i = 0; i < 784; i++) for (let j = 0; j < 784; j++) t[j * 784 + i] = m[i * 784 + j];
      return applyAffine(x, tf.tensor3d(t, [1, 784, 784])).dataSync();
    };
    expect(maxAbsDiff(warp(affineMatrix(0, 1, 0, 0)), img)).toBeLessThan(1e-6);
    const shifted = warp(affineMatrix(0, 1, 2, 0)); // content moves 2 px right
    expect(shifted[5 * 28 + 10]).toBeCloseTo(img[5 * 28 + 8], 5);
    expect(shifted[5 * 28 + 0]).toBe(0);
  });

  it('as loops over the taps on wasm (four forward, the transpose back) equals the dense warp matrices and frees its tensors', async () => {
    // The loops are our kernel on this backend (else the warps would be the dense matrices and this compares them with themselves).
    expect(tf.getKernel(WARP_TAPS, tf.getBackend())).toBeDefined();
    // Three chunks of four images: each chunk its own warp from its own stream, as a batch of seeds draws them.
    const d = await sparseVsDenseWarps(3, 4);
    expect(d.gradientScale).toBeGreaterThan(0.5); // the gradients compared are not all zero
    expect(d.forward).toBeLessThan(1e-5);
    expect(d.gradient).toBeLessThan(1e-5);
    expect(d.leaked).toBe(0);
  });

  it('passes gradients through to the input', () => {
    const warps = randomAffineBatch(2, makeRng(1));
    const g = tf.grad((x: tf.Tensor) => applyAffine(x as tf.Tensor4D, warps).sum())(tf.ones([4, 28, 28, 1]));
    expect(g.shape).toEqual([4, 28, 28, 1]);
    expect(g.sum().dataSync()[0]).toBeGreaterThan(100);
  });
});

describe('detection metrics', () => {
  it('ROC-AUC: 1 for separated scores, 0.5 for identical, ties count half', () => {
    expect(rocAuc([0.9, 0.8], [0.1, 0.2, 0.3])).toBe(1);
    expect(rocAuc([0.1], [0.9])).toBe(0);
    expect(rocAuc([0.5, 0.5], [0.5, 0.5])).toBe(0.5);
    expect(rocAuc([0.3, 0.7], [0.5])).toBe(0.5);
    expect(() => rocAuc([], [1])).toThrow(/at least one/);
  });

  it('standardises features by their clean mean and deviation; a unit that never varies keeps scale 1', () => {
    const { mean, std } = featureScale([Float32Array.of(1, 0, 5), Float32Array.of(3, 0, 5)]);
    expect(Array.from(mean)).toEqual([2, 0, 5]);
    expect(Array.from(std)).toEqual([1, 1, 1]);
    const spread = featureScale([Float32Array.of(0), Float32Array.of(4), Float32Array.of(2), Float32Array.of(2)]);
    expect(spread.std[0]).toBeCloseTo(Math.sqrt(2), 6);
  });

  it('percentile interpolates like numpy', () => {
    expect(percentile([1, 2, 3, 4, 5], 0.95)).toBeCloseTo(4.8, 10);
    expect(percentile([3, 1, 2], 0.5)).toBe(2);
  });

  it('trigger labels for trapdoor accuracy are never the image\'s own class', () => {
    const own = Array.from({ length: 500 }, (_, i) => i % 5);
    const t = otherLabels(own, 5, 3);
    expect(t.every((v, i) => v !== own[i] && v >= 0 && v < 5)).toBe(true);
    expect(new Set(t).size).toBe(5);
  });
});

describe('Trap-MID trainer', () => {
  it('updates target, discriminator and triggers, keeps triggers in [0, 1], and leaks no tensors', async () => {
    const { privateTrain } = loadSplits();
    const data = subset(privateTrain, Array.from({ length: 128 }, (_, i) => i));
    const model = buildTarget(5, 3);
    const trainer = new TrapMidTrainer(model, data, { ...TRAP_MID_DEFAULTS, batchSize: 32, epochs: 5, seed: 3, numClasses: 5, classOf: (d) => d });
    const before = (await trainer.triggers.data()).slice();
    const w0 = (await model.getLayer('logits').getWeights()[0].data()).slice();
    const first = await trainer.step(true);
    expect(first.losses!.clean).toBeGreaterThan(0);
    expect(first.losses!.trapdoor).toBeGreaterThan(0);
    expect(Number.isFinite(first.losses!.triggerNatural)).toBe(true);
    await trainer.step();
    const count = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await trainer.step(i === 1);
    expect(tf.memory().numTensors).toBe(count);
    const after = await trainer.triggers.data();
    expect(maxAbsDiff(after, before)).toBeGreaterThan(0.005);
    expect(Math.min(...after)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...after)).toBeLessThanOrEqual(1);
    expect(maxAbsDiff(await model.getLayer('logits').getWeights()[0].data(), w0)).toBeGreaterThan(0);
    trainer.dispose(); model.dispose();
  });
});
