// The KED-MI GAN's authors' variant (GanConfig.kedAuthors, tried in issue 17 and not shipped): from the same start, its
// discriminator loss carries half the real/fake term, and its generator trains on the L1 + entropy loss without leaks.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GanTrainer } from '../../src/core/priors/gan-trainer.ts';
import type { DigitSet } from '../../src/core/data/mnist.ts';
import { useWasm } from './helpers.ts';

beforeAll(useWasm);

describe('KED-MI GAN, the authors\' losses', () => {
  it('halves the real/fake term of the discriminator loss and trains the generator', async () => {
    const count = 32, images = new Uint8Array(count * 784).map((_, i) => ((i * 7) % 11 < 3 ? 255 : 0));
    const data: DigitSet = { count, images, labels: new Uint8Array(count) };
    const target = tf.sequential({ layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.3, seed: 4 }) }),
    ] });
    const firstLosses = async (kedAuthors: boolean) => {
      const trainer = new GanTrainer(data, { epochs: 1, batchSize: 16, learningRate: 2e-4, beta1: 0.5, seed: 3, kind: 'ked', numClasses: 5, knowledgeTarget: target, kedAuthors });
      const before = await trainer.generator.getWeights()[0].data();
      const { losses } = await trainer.step(true);
      const tensors = tf.memory().numTensors; // after the optimisers' first step (their moments exist from then on)
      await trainer.step(true); await trainer.step(false);
      expect(tf.memory().numTensors).toBe(tensors);
      const after = await trainer.generator.getWeights()[0].data();
      expect(after.some((v, i) => v !== before[i])).toBe(true);
      trainer.generator.dispose(); trainer.discriminator.dispose(); trainer.dispose();
      return losses!;
    };
    const ours = await firstLosses(false), authors = await firstLosses(true);
    // Same weights and batch at step 1: ours = soft CE + U, theirs = soft CE + U / 2, with U = -log D(real) - log(1 - D(fake)) > 0.
    const realFake = 2 * (ours.discriminator - authors.discriminator);
    expect(realFake).toBeGreaterThan(0.1);
    expect(2 * authors.discriminator - ours.discriminator).toBeGreaterThan(0); // the soft cross-entropy left over
    expect(authors.generator).toBeGreaterThan(0);
    target.dispose();
  });
});
