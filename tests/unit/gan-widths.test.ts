// A wider generator (buildGenerator's `widths`, the recipes' `generatorWidths`, issue 17): the channel widths are the
// ones asked for, the image is still 28 x 28 in [0, 1], a wrong number of widths is refused, and the GAN trainer
// trains the generator it is given.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGenerator, Z_DIM } from '../../src/core/nets/gan.ts';
import { GanTrainer } from '../../src/core/priors/gan-trainer.ts';
import type { DigitSet } from '../../src/core/data/mnist.ts';
import { useWasm } from './helpers.ts';

beforeAll(useWasm);

describe('generator widths', () => {
  it('builds the widths asked for and still draws 28 x 28 images in [0, 1]', async () => {
    const narrow = buildGenerator(1, 5), wide = buildGenerator(1, 5, 28, [128, 64]);
    expect(wide.getLayer('project').outputShape).toEqual([null, 7 * 7 * 128]);
    expect(wide.getLayer('up1').outputShape).toEqual([null, 14, 14, 64]);
    expect(narrow.getLayer('up1').outputShape).toEqual([null, 14, 14, 32]);
    expect(wide.countParams()).toBeGreaterThan(2 * narrow.countParams());
    const img = tf.tidy(() => wide.predict([tf.randomNormal([3, Z_DIM], 0, 1, 'float32', 2), tf.oneHot([0, 1, 4], 5).toFloat()]) as tf.Tensor);
    expect(img.shape).toEqual([3, 28, 28, 1]);
    const [lo, hi] = [(await img.min().data())[0], (await img.max().data())[0]];
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    tf.dispose([img]); narrow.dispose(); wide.dispose();
  });

  it('refuses a width list of the wrong length', () => {
    expect(() => buildGenerator(1, 0, 28, [128, 64, 32])).toThrow(/2 widths, not 3/);
  });

  it('trains the generator it is given', async () => {
    const count = 32, images = new Uint8Array(count * 784).map((_, i) => ((i * 7) % 11 < 3 ? 255 : 0));
    const data: DigitSet = { count, images, labels: new Uint8Array(count) };
    const generator = buildGenerator(2, 0, 28, [96, 48]);
    const trainer = new GanTrainer(data, { epochs: 1, batchSize: 16, learningRate: 2e-4, beta1: 0.5, seed: 3, kind: 'gan', numClasses: 0, generator });
    expect(trainer.generator).toBe(generator);
    const before = await generator.getLayer('project').getWeights()[0].data();
    await trainer.step(); await trainer.step();
    const after = await generator.getLayer('project').getWeights()[0].data();
    expect(after.some((v, i) => v !== before[i])).toBe(true);
    generator.dispose(); trainer.discriminator.dispose(); trainer.dispose();
  });
});
