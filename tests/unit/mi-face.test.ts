import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR, loadModelFromDir } from '../../scripts/lib/node-io.ts';
import { miFace } from '../../src/core/attacks/mi-face.ts';
import { totalVariation } from '../../src/core/kernels/attack-losses.ts';
import { useWasm } from './helpers.ts';

let target: tf.LayersModel;
beforeAll(async () => {
  await useWasm();
  target = await loadModelFromDir(path.join(MODELS_DIR, 'target-none'));
});

const options = { steps: 1000, learningRate: 0.05, tv: 0.005, l2: 0, init: 'zeros' as const, seed: 1 };

describe('total variation', () => {
  it('is 0 on a constant image and matches a hand computation', () => {
    expect(totalVariation(tf.fill([1, 28, 28, 1], 0.3) as tf.Tensor4D).dataSync()[0]).toBeCloseTo(0, 7);
    // A vertical edge: columns 0-13 black, 14-27 white. |dx| is 1 on one of 27 column pairs, |dy| is 0.
    const img = tf.tensor4d(Array.from({ length: 784 }, (_, i) => (i % 28 >= 14 ? 1 : 0)), [1, 28, 28, 1]);
    expect(totalVariation(img).dataSync()[0]).toBeCloseTo(1 / 27, 6);
  });
});

describe('MI-Face pixel inversion against the shipped unprotected target', () => {
  it('raises the target confidence of every private class within a few dozen steps', async () => {
    const state = miFace.init({ target, targetClasses: [0, 1, 2, 3, 4] }, options);
    const before = await miFace.snapshot(state);
    for (let k = 0; k < 40; k++) miFace.step(state);
    const after = await miFace.snapshot(state);
    miFace.dispose(state);
    expect(after.classes).toEqual([0, 1, 2, 3, 4]);
    for (let c = 0; c < 5; c++) {
      expect(after.targetConfidence[c]).toBeGreaterThan(before.targetConfidence[c]);
      expect(after.targetConfidence[c]).toBeGreaterThan(0.9);
      expect(after.loss[c]).toBeLessThan(before.loss[c]);
    }
    // Pixels stay images.
    expect(Math.min(...after.pixels)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...after.pixels)).toBeLessThanOrEqual(1);
    expect(Math.max(...after.pixels)).toBeGreaterThan(0.1);
  });

  it('is reproducible from its seed (noise start) and differs across seeds', async () => {
    const run = async (seed: number) => {
      const s = miFace.init({ target, targetClasses: [0, 1, 2, 3, 4] }, { ...options, init: 'noise', seed });
      for (let k = 0; k < 5; k++) miFace.step(s);
      const snap = await miFace.snapshot(s);
      miFace.dispose(s);
      return snap.pixels;
    };
    const [a, b, c] = [await run(3), await run(3), await run(4)];
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('keeps tf.memory().numTensors flat over 200 steps and frees everything on dispose', async () => {
    const baseline = tf.memory().numTensors;
    const state = miFace.init({ target, targetClasses: [0, 1, 2, 3, 4] }, options);
    for (let k = 0; k < 10; k++) miFace.step(state);
    await miFace.snapshot(state);
    const warm = tf.memory().numTensors;
    for (let k = 0; k < 190; k++) {
      miFace.step(state);
      if (k % 50 === 0) await miFace.snapshot(state);
    }
    await miFace.snapshot(state);
    expect(state.stepCount).toBe(200);
    expect(tf.memory().numTensors).toBe(warm);
    miFace.dispose(state);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('refuses a class the target does not have', () => {
    expect(() => miFace.init({ target, targetClasses: [0, 1, 2, 3, 4] }, { ...options, classes: [7] })).toThrow(/no class for digit 7/);
  });
});
