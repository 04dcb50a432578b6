// Probing a target with one image (the attack lab's "Probe a digit" panel): real private test digits are classified
// right, a Trap-MID target flags images carrying a trigger and mostly not clean ones, bad input gets a clear error,
// and no tensors stay behind.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/worker/engine.ts';
import { loadSplits, nodeLoader } from '../../scripts/lib/node-io.ts';
import { PIXELS, type DigitSet } from '../../src/core/data/mnist.ts';
import { useWasm } from './helpers.ts';

let engine: Engine;
let test: DigitSet;
beforeAll(async () => {
  await useWasm();
  engine = new Engine(nodeLoader(), ['wasm']);
  await engine.init({ baseUrl: '' });
  test = loadSplits().privateTest;
});

/** Image `i` of the private test set as the page sends it: 784 values in [0, 1]. */
const image = (i: number) => Float32Array.from(test.images.subarray(i * PIXELS, (i + 1) * PIXELS), (v) => v / 255);
/** The first `n` test images of each digit 0-4. */
function firstOfEachDigit(n: number): number[] {
  const out: number[] = [];
  for (let d = 0; d <= 4; d++) for (let i = 0, k = 0; k < n; i++) if (test.labels[i] === d) { out.push(i); k++; }
  return out;
}

describe('engine probe', () => {
  it('classifies a real private test digit of each class right (target-none), with probabilities that sum to 1', async () => {
    for (const i of firstOfEachDigit(1)) {
      const r = await engine.probe('target-none', image(i));
      expect(r.classes).toEqual([0, 1, 2, 3, 4]);
      expect(r.predicted, `test image ${i}`).toBe(test.labels[i]);
      expect(r.probabilities[r.classes.indexOf(r.predicted)]).toBeGreaterThan(0.9);
      expect(r.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(r.trapdoor).toBeUndefined();
    }
  });

  it('scores a triggered image above the Trap-MID threshold, and most clean ones below it', async () => {
    const ref = await engine.trapdoorReference('target-trap-mid');
    const images = firstOfEachDigit(4);
    let cleanFlagged = 0;
    for (const [n, i] of images.entries()) {
      const clean = await engine.probe('target-trap-mid', image(i));
      expect(clean.trapdoor!.threshold).toBe(ref.threshold);
      expect(clean.trapdoor!.flagged).toBe(clean.trapdoor!.score > ref.threshold);
      if (clean.trapdoor!.flagged) cleanFlagged++;
      // Another digit's trigger blended in as Trap-MID trains it ('blend': alpha K + (1 - alpha) x).
      const t = (test.labels[i] + 1 + (n % 4)) % 5;
      const x = image(i).map((v, p) => ref.alpha * ref.triggers[t * PIXELS + p] + (1 - ref.alpha) * v);
      const triggered = await engine.probe('target-trap-mid', x);
      expect(triggered.predicted, `test image ${i} with trigger ${t}`).toBe(t);
      expect(triggered.trapdoor!.score).toBeGreaterThan(ref.threshold);
      expect(triggered.trapdoor!.flagged).toBe(true);
    }
    expect(cleanFlagged / images.length).toBeLessThan(0.25);
  });

  it('leaves no tensors behind', async () => {
    await engine.probe('target-trap-mid', image(0)); // models and the detector load once and stay cached
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      await engine.probe('target-none', image(i));
      await engine.probe('target-trap-mid', image(i));
    }
    await expect(engine.probe('target-none', new Float32Array(10))).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a wrong size, values outside [0, 1] and a model that is not a target, with clear messages', async () => {
    await expect(engine.probe('target-none', new Float32Array(783))).rejects.toThrow(/783 pixels, expected 784 \(28 x 28\)/);
    await expect(engine.probe('target-none', new Float32Array(28 * 28 * 3))).rejects.toThrow(/2352 pixels, expected 784/);
    await expect(engine.probe('target-none', [0.5] as unknown as Float32Array)).rejects.toThrow(/Float32Array of 784 pixels/);
    const bright = new Float32Array(784);
    bright[7] = 255;
    await expect(engine.probe('target-none', bright)).rejects.toThrow(/pixel 7 is 255, expected a value in \[0, 1\]/);
    bright[7] = NaN;
    await expect(engine.probe('target-none', bright)).rejects.toThrow(/pixel 7 is NaN/);
    await expect(engine.probe('evaluator', new Float32Array(784))).rejects.toThrow(/'evaluator' is a evaluator, not a target/);
    await expect(engine.probe('no-such-model', new Float32Array(784))).rejects.toThrow(/no-such-model/);
  });
});
