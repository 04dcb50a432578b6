// Our filter-gradient kernel on the real tfjs WebGPU backend (Dawn in Node), against the stock WebGPU kernel.
// No GPU needed: Dawn runs on Chromium's SwiftShader Vulkan driver (CPU). .ci/run installs chromium and libvulkan1.
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerNodeWebGpu } from '../../scripts/lib/node-webgpu.ts';
import { registerTrainingKernels } from '../../src/core/backend.ts';
import { adam } from '../../src/core/kernels/adam.ts';
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
});
