// NegLS and MID on tiny inputs: the losses behave as defined, and training steps work and free their tensors.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { neglsSchedule, NEGLS_ALPHA } from '../../src/core/defenses/negls.ts';
import { buildMidTarget, gaussianKl, midLoss } from '../../src/core/defenses/mid.ts';
import { ClassifierTrainer } from '../../src/core/train.ts';
import { loadSplits } from '../../scripts/lib/node-io.ts';
import { subset } from '../../src/core/data/mnist.ts';
import { useWasm } from './helpers.ts';

beforeAll(useWasm);

describe('NegLS', () => {
  it('is plain cross-entropy for the first half of training, then the negative factor', () => {
    expect(neglsSchedule(NEGLS_ALPHA, 0)).toBe(0);
    expect(neglsSchedule(NEGLS_ALPHA, 0.49)).toBe(0);
    expect(neglsSchedule(NEGLS_ALPHA, 0.5)).toBe(-0.05);
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
