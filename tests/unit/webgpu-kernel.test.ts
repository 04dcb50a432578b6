// Our filter-gradient kernel on the real tfjs WebGPU backend (Dawn in Node), against the stock WebGPU kernel.
// No GPU needed: Dawn runs on Chromium's SwiftShader Vulkan driver (CPU). .ci/run installs chromium and libvulkan1.
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerNodeWebGpu } from '../../scripts/lib/node-webgpu.ts';
import { registerTrainingKernels } from '../../src/core/backend.ts';
import { adam } from '../../src/core/kernels/adam.ts';
import { classLoss, composedClassLoss, composedPixelPrior, meanClassLoss, pixelPrior } from '../../src/core/kernels/attack-losses.ts';
import { buildTarget } from '../../src/core/nets/architectures.ts';
import { withFusion } from '../../src/core/kernels/fusion.ts';
import { signedStep } from '../../src/core/kernels/signed-step.ts';
import { buildGenerator, Z_DIM } from '../../src/core/nets/gan.ts';
import { infer, trainApply } from '../../src/core/nets/fused-chain.ts';
import { maxAbsDiff, runAdam } from './helpers.ts';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const haveIcd = !!process.env.VK_ICD_FILENAMES || !!process.env.VK_DRIVER_FILES || fs.existsSync(SWIFTSHADER_ICD);

const CASES: { x: [number, number, number, number]; f: [number, number, number, number]; stride: number; pad: 'valid' | 'same' }[] = [
  { x: [2, 12, 12, 4], f: [3, 3, 4, 8], stride: 2, pad: 'valid' },
  { x: [3, 9, 9, 3], f: [3, 3, 3, 5], stride: 1, pad: 'same' },
  { x: [2, 10, 10, 2], f: [5, 5, 2, 3], stride: 2, pad: 'same' },
];

describe.skipIf(!haveIcd)('conv filter gradient on tfjs WebGPU (Dawn)', () => {
  const refs: Float32Array[] = [];
  const inputs: { x: tf.Tensor4D; f: tf.Tensor4D; dy: tf.Tensor }[] = [];
  const filterGrad = (i: number) => {
    const { x, f, dy } = inputs[i];
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, CASES[i].stride, CASES[i].pad));
    return g([x, f], dy)[1];
  };

  beforeAll(async () => {
    if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    const gpu = await registerNodeWebGpu();
    if (!gpu.ok) throw new Error(`WebGPU through Dawn is unavailable: ${gpu.reason}`);
    expect(await tf.setBackend('webgpu')).toBe(true);
    CASES.forEach((c, i) => {
      const x = tf.randomUniform(c.x, 0, 1, 'float32', 10 + i) as tf.Tensor4D;
      const f = tf.randomNormal(c.f, 0, 0.2, 'float32', 20 + i) as tf.Tensor4D;
      const yShape = tf.conv2d(x, f, c.stride, c.pad).shape;
      inputs.push({ x, f, dy: tf.randomNormal(yShape, 0, 0.05, 'float32', 30 + i) });
    });
    // Stock WebGPU kernel first.
    for (let i = 0; i < CASES.length; i++) refs.push((await filterGrad(i).data()) as Float32Array);
    registerTrainingKernels('webgpu');
  }, 120_000);

  it.each(CASES.map((c, i) => [i, `${c.x} * ${c.f} stride ${c.stride} ${c.pad}`]))('matches the stock WebGPU kernel (case %i: %s)', async (i) => {
    const got = await filterGrad(i as number).data();
    expect(maxAbsDiff(got, refs[i as number])).toBeLessThan(1e-5);
  });

  it('fused Adam (3 dispatches per variable) matches tfjs\'s AdamOptimizer (14) after 25 steps', async () => {
    const ours = await runAdam(adam(0.05), 25);
    const theirs = await runAdam(tf.train.adam(0.05), 25);
    for (let i = 0; i < 2; i++) expect(maxAbsDiff(ours[i], theirs[i])).toBeLessThan(1e-5);
  }, 120_000);

  it('the fused attack and training path (FusedConv2D chains, activation- and bias-gradient, loss, prior, dropout-mask and trigger-step programs) matches tfjs-layers and tfjs\'s ops', async () => {
    const rel = async (a: tf.Tensor, b: tf.Tensor) => {
      const [x, y] = [await a.data(), await b.data()];
      return maxAbsDiff(x, y) / Math.max(1e-6, Array.from(y as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0));
    };
    const target = buildTarget(5, 1), generator = buildGenerator(2, 5);
    const img = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const z = tf.randomNormal([3, Z_DIM], 0, 1, 'float32', 4), y = tf.oneHot(tf.tensor1d([0, 2, 4], 'int32'), 5).toFloat() as tf.Tensor2D;
    const pairs: [string, tf.Tensor, tf.Tensor, number][] = [];
    const both = (name: string, ours: () => tf.Tensor, theirs: () => tf.Tensor, tol = 1e-4) => pairs.push([name, tf.tidy(ours), tf.tidy(theirs), tol]);
    const gradOf = (f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor) => tf.grad((v: tf.Tensor) => tf.sum(tf.square(f(v))))(x);
    both('target forward', () => infer(target, img), () => target.apply(img) as tf.Tensor);
    both('target input gradient', () => gradOf((v) => infer(target, v), img), () => gradOf((v) => target.apply(v) as tf.Tensor, img));
    both('conditional generator input gradient', () => gradOf((v) => infer(generator, [v, y]), z), () => gradOf((v) => generator.apply([v, y]) as tf.Tensor, z));
    const logits = tf.randomNormal([6, 5], 0, 3, 'float32', 5) as tf.Tensor2D, labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 1], 'int32'), 5).toFloat() as tf.Tensor2D;
    for (const kind of ['cross-entropy', 'max-margin'] as const) {
      both(`${kind}`, () => classLoss(logits, labels, kind), () => composedClassLoss(logits, labels, kind), 1e-5);
      both(`${kind} gradient`, () => gradOf((l) => classLoss(l as tf.Tensor2D, labels, kind), logits), () => gradOf((l) => composedClassLoss(l as tf.Tensor2D, labels, kind), logits), 1e-5);
    }
    const bin = tf.randomNormal([6, 1], 0, 2, 'float32', 6) as tf.Tensor2D, real = tf.onesLike(bin) as tf.Tensor2D;
    both('mean binary loss gradient', () => gradOf((l) => meanClassLoss(l as tf.Tensor2D, real, 'binary'), bin), () => gradOf((l) => tf.mean(composedClassLoss(l as tf.Tensor2D, real, 'binary')), bin), 1e-5);
    both('pixel prior gradient', () => gradOf((v) => pixelPrior(v as tf.Tensor4D, 0.3, 0.01), img), () => gradOf((v) => composedPixelPrior(v as tf.Tensor4D, 0.3, 0.01), img), 1e-5);
    const w = target.trainableWeights.map((v) => v.read() as tf.Variable);
    const weightGrads = (f: () => tf.Tensor) => { const { grads } = tf.variableGrads(() => tf.sum(tf.square(f())) as tf.Scalar, w); return tf.concat(w.map((v) => tf.reshape(grads[v.name], [-1]))); };
    both('training weight gradients (seeded dropout)', () => weightGrads(() => trainApply(target, img)), () => weightGrads(() => target.apply(img, { training: true }) as tf.Tensor));
    const step = { weight: 0.5, normalize: true, step: 0.01, lo: 0, hi: 1 };
    const gA = tf.randomNormal([3, 28, 28, 1], 0, 1e-3, 'float32', 7), gB = tf.randomNormal([3, 28, 28, 1], 0, 5, 'float32', 8);
    pairs.push(['trigger step', signedStep(img, gA, gB, step), await withFusion(false, () => signedStep(img, gA, gB, step)), 1e-6]);
    tf.dispose([gA, gB]);
    for (const [name, a, b, tol] of pairs) expect(await rel(a, b), name).toBeLessThan(tol);
    tf.dispose([...pairs.flatMap(([, a, b]) => [a, b]), img, z, y, logits, labels, bin, real]);
    target.dispose(); generator.dispose();
  }, 300_000);
});
