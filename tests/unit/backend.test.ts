// Backend choice: the order, both ways tfjs refuses a backend, the override, and the reasons recorded.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { chooseBackend } from '../../src/core/backend.ts';

tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
// Node has no WebGL: stand in a factory that fails the way a browser without a WebGL2 context does, so that
// setBackend resolves false (the other refusal, a throw, comes from webgpu, which is not registered here).
tf.registerBackend('webgl', () => { throw new Error('WebGL2 context could not be created'); });

describe('chooseBackend', () => {
  it('falls through webgpu (not in this build) and webgl (fails to start in Node) to wasm, saying why', async () => {
    const choice = await chooseBackend();
    expect(choice.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.refused.map((r) => r.backend)).toEqual(['webgpu', 'webgl']);
    expect(choice.refused[0].reason).toMatch(/not available/);
    expect(choice.refused[1].reason).toMatch(/no WebGL2 context/);
  });

  it('tries a forced backend first and keeps the others as fallbacks', async () => {
    expect((await chooseBackend(undefined, 'cpu')).backend).toBe('cpu');
    const fellBack = await chooseBackend(undefined, 'webgl');
    expect(fellBack.backend).toBe('wasm');
    expect(fellBack.refused.map((r) => r.backend)).toEqual(['webgl', 'webgpu']);
  });

  it('says how many threads WASM runs on, and why one', async () => {
    const choice = await chooseBackend(['wasm']);
    expect(choice.threads).toEqual({ count: 1, single: 'tfjs runs WASM single-threaded in Node' });
    expect((await chooseBackend(['cpu'])).threads).toBeUndefined();
  });

  it('installs the training kernels on the chosen backend', async () => {
    await chooseBackend(['wasm']);
    // Stock wasm has no conv filter gradient: training a conv layer only works with ours.
    const f = tf.variable(tf.randomNormal([3, 3, 1, 2], 0, 0.1, 'float32', 1));
    const x = tf.randomUniform([2, 6, 6, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const g = tf.variableGrads(() => tf.conv2d(x, f as tf.Tensor4D, 1, 'valid').square().sum() as tf.Scalar);
    expect(g.grads[f.name].shape).toEqual([3, 3, 1, 2]);
    expect(Math.abs((await g.grads[f.name].data())[0])).toBeGreaterThan(0);
  });

  it('throws a clear error when nothing can start', async () => {
    await expect(chooseBackend(['webgpu'])).rejects.toThrow(/no tfjs backend could start: webgpu: not available/);
  });
});
