// The fused Adam kernel (src/core/kernels/adam.ts) against tfjs's own AdamOptimizer: the same values after many
// steps, one kernel per variable instead of 14, and no tensor left behind. cpu and wasm here; WebGPU (Dawn) in
// webgpu-kernel.test.ts.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/core/backend.ts';
import { adam } from '../../src/core/kernels/adam.ts';
import { maxAbsDiff, runAdam as run } from './helpers.ts';

tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);

describe.each(['cpu', 'wasm'])('fused Adam on %s', (backend) => {
  it('matches tfjs\'s AdamOptimizer after 25 steps, with one kernel per variable, and leaks nothing', async () => {
    await tf.setBackend(backend);
    registerTrainingKernels(backend);
    const ours = await run(adam(0.05), 25);
    const theirs = await run(tf.train.adam(0.05), 25);
    for (let i = 0; i < 2; i++) expect(maxAbsDiff(ours[i], theirs[i])).toBeLessThan(1e-5); // float32 rounding over 25 steps (tfjs keeps b^t as a running float32 product)
    // Not the same as no update: the values moved.
    expect(maxAbsDiff(ours[1], await tf.randomNormal([7], 0, 1, 'float32', 2).data())).toBeGreaterThan(0.1);

    const x = tf.variable(tf.ones([10])), y = tf.variable(tf.ones([2, 2]));
    const count = async (opt: tf.Optimizer) => {
      opt.applyGradients({ [x.name]: tf.onesLike(x), [y.name]: tf.onesLike(y) }); // creates the moments
      const before = tf.memory().numTensors;
      const p = await tf.profile(() => tf.tidy(() => opt.applyGradients({ [x.name]: tf.onesLike(x), [y.name]: tf.onesLike(y) })));
      expect(tf.memory().numTensors).toBe(before);
      opt.dispose();
      return p.kernels.filter((k) => k.name !== 'OnesLike' && k.name !== 'Fill').length;
    };
    expect(await count(adam(0.1))).toBe(2);
    expect(await count(tf.train.adam(0.1))).toBeGreaterThanOrEqual(28);
    tf.dispose([x, y]);
  });
});
