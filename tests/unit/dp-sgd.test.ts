// DP-SGD (src/core/defenses/dp-sgd.ts): the per-example gradient norms computed in one batch equal those of batches
// of one; clipping bounds every example's contribution; with no noise and a huge clipping norm the step is plain
// SGD's gradient; training learns and frees its tensors; the accountant's epsilon grows as it trains.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DpSgdTrainer, type DpSgdConfig } from '../../src/core/defenses/dp-sgd.ts';
import { dpEpsilon } from '../../src/core/defenses/dp-accountant.ts';
import { buildTarget } from '../../src/core/nets/architectures.ts';
import { imagesToTensor, subset } from '../../src/core/data/mnist.ts';
import { accuracy } from '../../src/core/train.ts';
import { loadSplits } from '../../scripts/lib/node-io.ts';
import { useWasm } from './helpers.ts';

beforeAll(useWasm);

/** A small net with every kind of layer the targets have (strided conv, flatten, dense), no dropout: deterministic. */
function tinyNet(seed: number): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: init(seed), name: 'c1' }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(seed + 1), name: 'c2' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 8, activation: 'relu', kernelInitializer: init(seed + 2), name: 'd1' }),
      tf.layers.dense({ units: 5, kernelInitializer: init(seed + 3), name: 'd2' }),
    ],
  });
}

const config = (over: Partial<DpSgdConfig> = {}): DpSgdConfig => ({
  epochs: 1, batchSize: 8, learningRate: 1e-3, seed: 3, clipNorm: 1, noiseMultiplier: 1, classOf: (d) => d, numClasses: 5, ...over,
});

/** The summed cross-entropy's gradient for each variable, by tfjs's own autodiff. */
function plainGradients(model: tf.LayersModel, x: tf.Tensor4D, labels: tf.Tensor1D, vars: tf.Variable[]): tf.Tensor[] {
  const { grads } = tf.variableGrads(() => {
    const logits = model.apply(x) as tf.Tensor2D;
    return tf.neg(tf.sum(tf.mul(tf.oneHot(labels, 5), tf.logSoftmax(logits)))) as tf.Scalar;
  }, vars);
  return vars.map((v) => grads[v.name]);
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('DP-SGD', () => {
  const { privateTrain } = loadSplits();
  const data = subset(privateTrain, Array.from({ length: 512 }, (_, i) => i));
  const idx = Array.from({ length: 6 }, (_, i) => i * 7);

  it('computes each example\'s gradient norm in one batch, equal to batches of one', () => {
    const model = tinyNet(1);
    const t = new DpSgdTrainer(model, data, config());
    tf.tidy(() => {
      const x = imagesToTensor(data, idx);
      const labels = tf.tensor1d(idx.map((i) => data.labels[i]), 'int32');
      const { norms } = t.clippedGradients(x, labels, tf.ones([idx.length]));
      const got = norms.dataSync();
      idx.forEach((_, k) => {
        const g = plainGradients(model, x.slice(k, 1), labels.slice(k, 1), t.variables);
        const norm = Math.sqrt(g.reduce((s, gi) => s + tf.sum(tf.square(gi)).dataSync()[0], 0));
        expect(got[k]).toBeCloseTo(norm, 3);
        expect(norm).toBeGreaterThan(0.01);
      });
    });
    t.dispose(); model.dispose();
  });

  it('bounds every example\'s contribution by the clipping norm, and ignores padding rows', () => {
    const model = tinyNet(2);
    const clipNorm = 0.05; // well below these gradients' norms: every example is clipped
    const t = new DpSgdTrainer(model, data, config({ clipNorm }));
    tf.tidy(() => {
      const x = imagesToTensor(data, idx);
      const labels = tf.tensor1d(idx.map((i) => data.labels[i]), 'int32');
      const { norms } = t.clippedGradients(x, labels, tf.ones([idx.length]));
      expect(Math.min(...norms.dataSync())).toBeGreaterThan(clipNorm);
      idx.forEach((_, k) => {
        // One real example and five padding rows: the clipped sum is that example's clipped gradient alone.
        const mask = tf.oneHot(tf.tensor1d([k], 'int32'), idx.length).reshape([idx.length]) as tf.Tensor1D;
        const { grads } = t.clippedGradients(x, labels, mask);
        const norm = Math.sqrt(grads.reduce((s, g) => s + tf.sum(tf.square(g)).dataSync()[0], 0));
        expect(norm).toBeLessThanOrEqual(clipNorm * (1 + 1e-4));
        expect(norm).toBeGreaterThan(clipNorm * 0.999); // clipped to the norm, not below it
      });
    });
    t.dispose(); model.dispose();
  });

  it('with no noise and a huge clipping norm, gives plain SGD\'s gradient', () => {
    const model = tinyNet(3);
    const t = new DpSgdTrainer(model, data, config({ clipNorm: 1e9, noiseMultiplier: 0 }));
    tf.tidy(() => {
      const x = imagesToTensor(data, idx);
      const labels = tf.tensor1d(idx.map((i) => data.labels[i]), 'int32');
      const { grads } = t.clippedGradients(x, labels, tf.ones([idx.length]));
      const plain = plainGradients(model, x, labels, t.variables);
      expect(grads.length).toBe(8);
      grads.forEach((g, k) => {
        expect(g.shape).toEqual(plain[k].shape);
        expect(maxDiff(g, plain[k])).toBeLessThan(1e-4 * Math.max(1, tf.max(tf.abs(plain[k])).dataSync()[0]));
      });
    });
    expect(t.epsilon()).toBe(Infinity); // no noise, no privacy
    t.dispose(); model.dispose();
  });

  it('trains the shipped target: accuracy rises, epsilon is the accountant\'s, no tensor left behind', async () => {
    const model = buildTarget(5, 1);
    const train = subset(privateTrain, Array.from({ length: 2048 }, (_, i) => i));
    const t = new DpSgdTrainer(model, train, config({ batchSize: 64, learningRate: 2e-3, noiseMultiplier: 0.8, epochs: 4 }));
    expect(t.batchesPerEpoch).toBe(32);
    const before = await accuracy(model, subset(privateTrain, Array.from({ length: 500 }, (_, i) => 3000 + i)), (d) => d);
    await t.step(true); // creates the optimiser's moments
    const tensors = tf.memory().numTensors;
    let last = await t.step(true);
    while (!last.done) last = await t.step(last.batch % 16 === 0);
    expect(tf.memory().numTensors).toBe(tensors);
    const after = await accuracy(model, subset(privateTrain, Array.from({ length: 500 }, (_, i) => 3000 + i)), (d) => d);
    expect(after).toBeGreaterThan(Math.max(0.6, before + 0.3));
    expect(last.epsilon).toBeCloseTo(dpEpsilon(64 / 2048, 0.8, 128).epsilon, 6);
    expect(last.epsilon).toBeGreaterThan(1);
    t.dispose(); model.dispose();
  }, 120_000);

  it('refuses a layer it cannot clip per example, and bad knobs', () => {
    const bn = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.batchNormalization(), tf.layers.dense({ units: 5 })] });
    expect(() => new DpSgdTrainer(bn, data, config())).toThrow(/BatchNormalization/);
    const model = tinyNet(4);
    expect(() => new DpSgdTrainer(model, data, config({ clipNorm: 0 }))).toThrow(/clipping norm/);
    expect(() => new DpSgdTrainer(model, data, config({ noiseMultiplier: -1 }))).toThrow(/noise multiplier/);
    bn.dispose(); model.dispose();
  });
});
