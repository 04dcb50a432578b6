// Spectral normalisation of the GAN trainer's discriminator (GanConfig.spectralNorm, issue 17): after a few steps
// every discriminator kernel has largest singular value 1 (measured exactly by SVD on the host, not by the trainer's
// own one-step power iteration), nothing leaks, and with the option off the kernels are left as plain training
// leaves them.
import * as tf from '@tensorflow/tfjs';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { beforeAll, describe, expect, it } from 'vitest';
import { GanTrainer, type GanConfig } from '../../src/core/priors/gan-trainer.ts';
import type { DigitSet } from '../../src/core/data/mnist.ts';
import { makeRng } from '../../src/core/data/rng.ts';
import { maxAbsDiff, useWasm } from './helpers.ts';

beforeAll(useWasm);

/** 64 random blotchy "digits" in 5 classes: enough for the discriminator to have something to learn. */
function toySet(): DigitSet {
  const rng = makeRng(3), count = 64;
  const images = new Uint8Array(count * 784), labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 5;
    for (let p = 0; p < 784; p++) images[i * 784 + p] = rng() < 0.15 + 0.05 * labels[i] ? 255 : 0;
  }
  return { count, images, labels };
}

const config = (spectralNorm?: boolean): GanConfig => ({
  epochs: 1, batchSize: 16, learningRate: 2e-4, beta1: 0.5, seed: 5, kind: 'cgan', numClasses: 5, classOf: (c) => c,
  ...(spectralNorm === undefined ? {} : { spectralNorm }),
});

/** The discriminator's kernels (weights of rank >= 2) as [rows, cols] host matrices, by weight name. */
async function kernels(trainer: GanTrainer): Promise<Map<string, { m: number; n: number; values: Float32Array }>> {
  const out = new Map<string, { m: number; n: number; values: Float32Array }>();
  for (const w of trainer.discriminator.trainableWeights) {
    if (w.shape.length < 2) continue;
    const n = w.shape[w.shape.length - 1] as number;
    out.set(w.originalName, { m: (w.shape as number[]).reduce((a, b) => a * b, 1) / n, n, values: await w.read().data() as Float32Array });
  }
  return out;
}

function largestSingularValue(k: { m: number; n: number; values: Float32Array }): number {
  const rows = Array.from({ length: k.m }, (_, r) => Array.from(k.values.subarray(r * k.n, (r + 1) * k.n)));
  // The smaller Gram side is enough and much faster: sigma_max(W) = sqrt(lambda_max(W^T W)).
  const W = new Matrix(rows);
  const gram = k.m >= k.n ? W.transpose().mmul(W) : W.mmul(W.transpose());
  return Math.sqrt(Math.max(...new SingularValueDecomposition(gram, { autoTranspose: true }).diagonal));
}

async function run(trainer: GanTrainer, steps: number): Promise<void> {
  for (let s = 0; s < steps; s++) await trainer.step(s === steps - 1);
}

describe('spectral normalisation of the discriminator', () => {
  it('keeps every discriminator kernel at spectral norm 1 and leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    const trainer = new GanTrainer(toySet(), config(true));
    await run(trainer, 2); // the optimizers' moments and the power iteration's u vectors now exist
    const settled = tf.memory().numTensors;
    await run(trainer, 4);
    expect(tf.memory().numTensors).toBe(settled);

    const ks = await kernels(trainer);
    // conv1, conv2, realness and the projection discriminator's class embedding.
    expect([...ks.keys()].sort()).toEqual(['class_embed/kernel', 'conv1/kernel', 'conv2/kernel', 'realness/kernel']);
    for (const [name, k] of ks) {
      const sigma = largestSingularValue(k);
      expect(Math.abs(sigma - 1), `${name}: sigma ${sigma}`).toBeLessThan(0.05);
    }
    trainer.generator.dispose(); trainer.discriminator.dispose(); trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is off by default: the kernels are then exactly what plain training leaves', async () => {
    const plain = new GanTrainer(toySet(), config());
    const off = new GanTrainer(toySet(), config(false));
    const initial = await kernels(plain);
    await run(plain, 3); await run(off, 3);
    const a = await kernels(plain), b = await kernels(off);
    for (const [name, k] of a) {
      expect(maxAbsDiff(k.values, b.get(name)!.values)).toBe(0);
      // Never projected: each sigma stays at its 0.02-scale initial value (0.17 to 1.15 here), none of them near 1.
      const sigma = largestSingularValue(k), sigma0 = largestSingularValue(initial.get(name)!);
      expect(Math.abs(sigma / sigma0 - 1), `${name}: sigma ${sigma0} -> ${sigma}`).toBeLessThan(0.02);
      expect(Math.abs(sigma - 1), name).toBeGreaterThan(0.1);
    }
    for (const t of [plain, off]) { t.generator.dispose(); t.discriminator.dispose(); t.dispose(); }
  });
});
