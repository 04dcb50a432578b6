// NegLS, MID, BiDO and Trap-MID + NegLS on tiny inputs: the losses behave as defined, and training steps work and
// free their tensors.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { neglsSchedule, NEGLS_ALPHA, softCrossEntropy } from '../../src/core/defenses/negls.ts';
import { buildMidTarget, gaussianKl, midLoss } from '../../src/core/defenses/mid.ts';
import {
  BIDO_DEFAULTS, bidoLoss, coco, gaussianKernel, hsic, linearKernel, normalisedHsic, spdInverse, withHiddenLayers, type BidoConfig,
} from '../../src/core/defenses/bido.ts';
import { buildDefenseTrainer } from '../../src/core/defenses/recipes.ts';
import { buildTarget } from '../../src/core/nets/architectures.ts';
import { ClassifierTrainer } from '../../src/core/train.ts';
import { loadSplits } from '../../scripts/lib/node-io.ts';
import { PRIVATE_CLASSES, imagesToTensor, subset } from '../../src/core/data/mnist.ts';
import { useWasm } from './helpers.ts';

beforeAll(useWasm);

describe('NegLS', () => {
  it('is plain cross-entropy for the first half of training, then the negative factor', () => {
    expect(neglsSchedule(NEGLS_ALPHA, 0)).toBe(0);
    expect(neglsSchedule(NEGLS_ALPHA, 0.49)).toBe(0);
    expect(neglsSchedule(NEGLS_ALPHA, 0.5)).toBe(-0.05);
  });

  it('with a probability floor, its loss is bounded below and stops pushing a wrong class past the floor', () => {
    const targets = tf.tensor2d([[1.05 - 0.01, -0.01, -0.01, -0.01, -0.01]]); // (1 - a) y + a / K with a = -0.05
    const loss = (gap: number, floor: number) => tf.tidy(() => softCrossEntropy(tf.tensor2d([[gap, 0, 0, 0, 0]]), targets, floor).dataSync()[0]);
    // Unbounded, a larger gap always lowers the loss, without limit; floored, it stops at the floor's gap (ln 1e4 ~ 9.2).
    expect(loss(40, 0)).toBeLessThan(loss(20, 0) - 0.5);
    expect(loss(40, 1e-4)).toBeCloseTo(loss(20, 1e-4), 6);
    expect(loss(40, 1e-4)).toBeGreaterThan(-0.05 * 4 / 5 * Math.log(1e4) - 1e-3);
    expect(loss(3, 1e-4)).toBeCloseTo(loss(3, 0), 6); // above the floor the two are the same loss
    const grad = tf.tidy(() => tf.grad((z: tf.Tensor) => softCrossEntropy(z as tf.Tensor2D, targets, 1e-4))(tf.tensor2d([[30, 0, 0, 0, 0]])).dataSync());
    for (const g of grad) expect(Math.abs(g)).toBeLessThan(1e-6); // every class settled: nothing left to push
  });
});

describe('MID', () => {
  it('KL of N(mu, std^2) against N(0, I) matches the closed form, and is 0 at the prior', () => {
    expect(gaussianKl(tf.zeros([3, 4]), tf.ones([3, 4])).dataSync()[0]).toBeCloseTo(0, 5);
    // One dimension, mu = 1, std = 2: 0.5 (1 + 4 - 2 ln 2 - 1).
    expect(gaussianKl(tf.tensor2d([[1]]), tf.tensor2d([[2]])).dataSync()[0]).toBeCloseTo(0.5 * (4 - 2 * Math.log(2)), 5);
  });

  it('trains through the sampled bottleneck: the loss falls and no tensors leak', async () => {
    const { privateTrain } = loadSplits();
    const data = subset(privateTrain, Array.from({ length: 256 }, (_, i) => i));
    const mid = buildMidTarget(5, 1);
    const trainer = new ClassifierTrainer(mid.model, data, {
      epochs: 20, batchSize: 64, learningRate: 1e-3, seed: 1, shift: 0, classOf: (d) => d, numClasses: 5,
      loss: (_m, x, y) => midLoss(mid, 0.01, x, y), variables: () => [...mid.trainGraph.trainableWeights, ...mid.model.trainableWeights].map((w) => w.read() as tf.Variable),
    });
    const first = (await trainer.step(true)).loss!;
    await trainer.step();
    const count = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 12; i++) last = (await trainer.step(true)).loss!;
    expect(tf.memory().numTensors).toBe(count);
    expect(last).toBeLessThan(first * 0.6);
    // The saved model classifies the mean: deterministic.
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 3);
    expect(Array.from((mid.model.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((mid.model.predict(x) as tf.Tensor).dataSync()));
    trainer.dispose();
  });
});

describe('BiDO dependence measures', () => {
  const rows = (n: number, d: number, seed: number) => tf.randomUniform([n, d], 0, 1, 'float32', seed) as tf.Tensor2D;
  /** The rows in another order (i -> 7i mod n, a permutation for n = 32): pairs that are independent of the original. */
  const shuffled = (a: tf.Tensor2D) => tf.gather(a, tf.tensor1d(Array.from({ length: a.shape[0] }, (_, i) => (7 * i) % a.shape[0]), 'int32'));
  const measures = { hsic, normalisedHsic, coco };

  it('a batch depends more on itself than on an independent shuffle of itself', () => {
    // Few dimensions: with many, every kernel matrix is full rank and the normalised HSIC saturates near n - 1.
    const a = rows(32, 3, 1), k = gaussianKernel(a, 5);
    const ks = gaussianKernel(shuffled(a) as tf.Tensor2D, 5);
    for (const [name, dep] of Object.entries(measures)) {
      const self = dep(k, k).dataSync()[0], other = dep(k, ks).dataSync()[0];
      expect(self, name).toBeGreaterThan(2 * other);
    }
  });

  it('is ~0 for a constant input, and known on balanced one-hot labels', () => {
    const constant = gaussianKernel(tf.ones([24, 10]), 5), k = gaussianKernel(rows(24, 10, 3), 5);
    for (const [name, dep] of Object.entries(measures)) expect(Math.abs(dep(constant, k).dataSync()[0]), name).toBeLessThan(1e-5);
    // 4 classes of 6: the centred label kernel has eigenvalue 6, three times (the centring takes one direction away), and 0.
    const y = linearKernel(tf.oneHot(tf.tensor1d(Array.from({ length: 24 }, (_, i) => i % 4), 'int32'), 4).toFloat());
    expect(coco(y, y).dataSync()[0]).toBeCloseTo(6 / 24, 4); // sqrt(lambda_max(L~ L~)) / n = 6 / 24
    expect(normalisedHsic(y, y).dataSync()[0]).toBeCloseTo(3, 2); // tr(R^2), R a projection of rank 3
    expect(hsic(y, y).dataSync()[0]).toBeCloseTo((3 * 36) / 23 ** 2, 4); // sum of squared eigenvalues / (n - 1)^2
  });

  it('inverts by Newton-Schulz; its gradient and COCO\'s eigenvalue gradient match finite differences', () => {
    const a = tf.tidy(() => { const r = rows(12, 12, 4); return tf.add(tf.matMul(r, r, false, true), tf.mul(0.1, tf.eye(12))) as tf.Tensor2D; });
    const err = tf.max(tf.abs(tf.sub(tf.matMul(a, spdInverse(a)), tf.eye(12)))).dataSync()[0];
    expect(err).toBeLessThan(1e-3);
    const directional = (f: (t: tf.Tensor) => tf.Scalar, at: tf.Tensor, dir: tf.Tensor, e: number) => [
      tf.sum(tf.mul(tf.grad(f)(at), dir)).dataSync()[0],
      (f(tf.add(at, tf.mul(e, dir))).dataSync()[0] - f(tf.sub(at, tf.mul(e, dir))).dataSync()[0]) / (2 * e),
    ];
    // The inverse, against weights W and along a symmetric direction (A stays symmetric positive definite).
    const w = rows(12, 12, 8), d0 = rows(12, 12, 9), d = tf.add(d0, tf.transpose(d0));
    const [gi, fdi] = directional((t) => tf.sum(tf.mul(w, spdInverse(t as tf.Tensor2D))) as tf.Scalar, a, d, 1e-3);
    expect(Math.abs(gi - fdi)).toBeLessThan(0.02 * Math.abs(fdi));
    // COCO through a Gaussian kernel of the rows.
    const x = rows(12, 6, 5), dir = rows(12, 6, 6), y = gaussianKernel(rows(12, 3, 7), 0.5);
    const [gc, fdc] = directional((t) => coco(gaussianKernel(t, 0.5), y), x, dir, 1e-2);
    expect(Math.abs(gc - fdc)).toBeLessThan(0.01 * Math.abs(fdc));
  });
});

describe('BiDO', () => {
  const data = () => subset(loadSplits().privateTrain, Array.from({ length: 256 }, (_, i) => i));

  it('is cross-entropy when both weights are 0', () => {
    const d = data(), idx = Array.from({ length: 16 }, (_, i) => i);
    const model = buildTarget(5, 1), net = withHiddenLayers(model);
    const x = imagesToTensor(d, idx), y = tf.oneHot(tf.tensor1d(idx.map((i) => d.labels[i]), 'int32'), 5).toFloat() as tf.Tensor2D;
    for (const dependence of ['hsic', 'coco'] as const) {
      const parts = bidoLoss(net, { ...BIDO_DEFAULTS, lambdaX: 0, lambdaY: 0, dependence }, x, y);
      const ce = softCrossEntropy(model.apply(x, { training: true }) as tf.Tensor2D, y).dataSync()[0];
      expect(parts.loss.dataSync()[0]).toBeCloseTo(ce, 5);
      expect(parts.terms!.ce.dataSync()[0]).toBeCloseTo(ce, 5);
      expect(Object.keys(parts.terms!)).toEqual(dependence === 'hsic' ? ['ce', 'hsicX', 'hsicY'] : ['ce', 'cocoX', 'cocoY']);
    }
    model.dispose();
  });

  it('trains: the loss falls, the image term shrinks, and no tensors leak', async () => {
    const model = buildTarget(5, 1), net = withHiddenLayers(model);
    const c: BidoConfig = { ...BIDO_DEFAULTS };
    const trainer = new ClassifierTrainer(model, data(), {
      epochs: 20, batchSize: 64, learningRate: 1e-3, seed: 1, shift: 0, classOf: (d) => d, numClasses: 5,
      loss: (_m, x, y) => bidoLoss(net, c, x, y),
    });
    const first = await trainer.step(true);
    await trainer.step();
    const count = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 6; i++) last = await trainer.step(i === 5);
    expect(tf.memory().numTensors).toBe(count);
    expect(last.loss!).toBeLessThan(first.loss!);
    const reg = (s: typeof first) => c.lambdaX * s.terms!.hsicX - c.lambdaY * s.terms!.hsicY;
    expect(reg(last)).toBeLessThan(reg(first));
    expect(last.terms!.hsicX).toBeLessThan(first.terms!.hsicX);
    trainer.dispose(); model.dispose();
  });
});

describe('BiDO in the defense recipes', () => {
  it('reports its loss terms to the defense lab, per measure', async () => {
    const d = subset(loadSplits().privateTrain, Array.from({ length: 64 }, (_, i) => i));
    for (const dependence of ['hsic', 'coco'] as const) {
      const t = buildDefenseTrainer({ defense: 'bido', epochs: 1, batchSize: 32, seed: 1, classes: PRIVATE_CLASSES, knobs: { dependence } }, d);
      const s = await t.step(true);
      expect(Object.keys(s.losses!)).toEqual(dependence === 'hsic' ? ['ce', 'hsicX', 'hsicY'] : ['ce', 'cocoX', 'cocoY']);
      expect(Object.values(s.losses!).every((v) => Number.isFinite(v) && v > 0)).toBe(true);
      t.dispose();
    }
  });
});

describe('Trap-MID + NegLS', () => {
  it('smooths the clean term only from mid-training on: the same run as Trap-MID until then', async () => {
    // 64 images in batches of 32, 2 epochs: batches at progress 0, 0.25, 0.5, 0.75.
    const data = subset(loadSplits().privateTrain, Array.from({ length: 64 }, (_, i) => i));
    const run = { epochs: 2, batchSize: 32, seed: 3, classes: PRIVATE_CLASSES };
    const plain = buildDefenseTrainer({ ...run, defense: 'trap-mid' }, data);
    const negls = buildDefenseTrainer({ ...run, defense: 'trap-mid-negls', knobs: { smoothing: -0.2 } }, data);
    const clean = async () => [(await plain.step(true)).losses!.clean, (await negls.step(true)).losses!.clean];
    for (let i = 0; i < 2; i++) {
      const [a, b] = await clean();
      expect(b).toBe(a);
    }
    const [a, b] = await clean(); // same weights, smoothed targets: (1 - a) CE + a mean(-log p) with a < 0 differs
    expect(Math.abs(b - a)).toBeGreaterThan(1e-3);
    expect(negls.trapMid!.config.labelSmoothing!(0.6)).toBe(-0.2);
    plain.dispose(); negls.dispose();
  });
});

describe('Trap-MID with clean label smoothing', () => {
  it('smooths the clean term from the first batch on and leaves the trapdoor term on hard labels', async () => {
    const data = subset(loadSplits().privateTrain, Array.from({ length: 64 }, (_, i) => i));
    const run = { defense: 'trap-mid' as const, epochs: 1, batchSize: 32, seed: 3, classes: PRIVATE_CLASSES };
    const plain = buildDefenseTrainer(run, data);
    const smoothed = buildDefenseTrainer({ ...run, knobs: { cleanSmoothing: 0.3 } }, data);
    expect(plain.trapMid!.config.labelSmoothing).toBeUndefined();
    const [a, b] = [(await plain.step(true)).losses!, (await smoothed.step(true)).losses!];
    // Same weights and triggers before the first update: the trapdoor term is the same, the clean term is not
    // ((1 - 0.3) CE + 0.3 x the mean over classes of -log p).
    expect(b.trapdoor).toBeCloseTo(a.trapdoor, 5);
    expect(Math.abs(b.clean - a.clean)).toBeGreaterThan(1e-3);
    plain.dispose(); smoothed.dispose();
  });
});

describe('Label smoothing (positive)', () => {
  it('trains on smoothed targets from the first batch: same weights, a larger cross-entropy than plain training', async () => {
    const data = subset(loadSplits().privateTrain, Array.from({ length: 64 }, (_, i) => i));
    const run = { epochs: 1, batchSize: 32, seed: 3, classes: PRIVATE_CLASSES };
    const plain = buildDefenseTrainer({ ...run, defense: 'none' }, data);
    const smoothed = buildDefenseTrainer({ ...run, defense: 'label-smoothing', knobs: { labelSmoothing: 0.3 } }, data);
    const [a, b] = [(await plain.step(true)).losses!.ce, (await smoothed.step(true)).losses!.ce];
    // Untrained logits are near uniform: (1 - 0.3) CE + 0.3 mean(-log p) differs from CE, and not by rounding.
    expect(Math.abs(b - a)).toBeGreaterThan(1e-3);
    plain.dispose(); smoothed.dispose();
  });
});

describe('TL-DMI', () => {
  it('pretrains every layer on the public digits, then trains a fresh head and the last layers on the private ones, the rest frozen', async () => {
    const { privateTrain, publicSet } = loadSplits();
    const priv = subset(privateTrain, Array.from({ length: 128 }, (_, i) => i));
    const pub = subset(publicSet, Array.from({ length: 96 }, (_, i) => i));
    const t = buildDefenseTrainer({ defense: 'tl-dmi', epochs: 2, batchSize: 32, seed: 3, classes: PRIVATE_CLASSES, knobs: { pretrainEpochs: 1, fineTunedLayers: 2 } }, priv, pub);
    expect(t.totalSteps).toBe(3 + 2 * 4);
    const weights = () => t.model.layers.filter((l) => l.trainableWeights.length).map((l) => l.getWeights()[0].dataSync().slice());
    const start = weights();
    const phases: string[] = [];
    for (let i = 0; i < 3; i++) phases.push((await t.step(true)).phase!);
    const pretrained = weights();
    pretrained.forEach((w, k) => expect(w).not.toEqual(start[k])); // every layer learned the public digits
    let steps = 3;
    let s;
    do { s = await t.step(true); phases.push(s.phase!); steps++; } while (!s.done);
    expect(steps).toBe(t.totalSteps);
    expect(phases).toEqual([...Array(3).fill('public'), ...Array(8).fill('private')]);
    expect(s.epoch).toBe(3); // the public epoch, then the two private ones
    const tuned = weights();
    expect(tuned[0]).toEqual(pretrained[0]); // conv1 and conv2: frozen
    expect(tuned[1]).toEqual(pretrained[1]);
    expect(tuned[2]).not.toEqual(pretrained[2]); // the dense layers learned the private digits
    expect(tuned[3]).not.toEqual(pretrained[3]);
    expect(() => buildDefenseTrainer({ defense: 'tl-dmi', epochs: 1, batchSize: 32, seed: 3, classes: PRIVATE_CLASSES }, priv)).toThrow(/public images/);
    t.dispose();
  });
});
