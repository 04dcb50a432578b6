// Parity of the project's training kernels with tfjs's stock cpu kernels, on cpu and wasm.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/core/backend.ts';
import { conv2dFilterGradByMatMul } from '../../src/core/kernels/conv2d-backprop-filter.ts';
import { maxAbsDiff } from './helpers.ts';

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];
interface Case { x: number[]; f: number[]; stride: number | [number, number]; pad: Pad }
const CASES: Case[] = [
  { x: [1, 28, 28, 1], f: [3, 3, 1, 8], stride: 1, pad: 'valid' },
  { x: [8, 26, 26, 16], f: [3, 3, 16, 32], stride: 2, pad: 'valid' },
  { x: [3, 14, 14, 8], f: [3, 3, 8, 16], stride: 2, pad: 'same' },
  { x: [2, 9, 9, 3], f: [5, 5, 3, 4], stride: 1, pad: 'same' },
  { x: [4, 10, 12, 5], f: [1, 1, 5, 6], stride: 1, pad: 'valid' },
  { x: [2, 11, 11, 4], f: [3, 3, 4, 6], stride: 3, pad: 'same' },
  { x: [2, 8, 8, 2], f: [3, 2, 2, 3], stride: [2, 1], pad: 'valid' },
  { x: [2, 7, 7, 3], f: [3, 3, 3, 2], stride: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
];

interface Fixture { c: Case; x: Float32Array; f: Float32Array; dy: Float32Array; yShape: number[]; dx: Float32Array; dw: Float32Array }
const fixtures: Fixture[] = [];

/** Gradients of conv2d w.r.t. input and filter, on the current backend. */
async function grads(fx: Fixture): Promise<[Float32Array, Float32Array]> {
  return tf.tidy((): [Float32Array, Float32Array] => {
    const x = tf.tensor4d(fx.x, fx.c.x as [number, number, number, number]);
    const f = tf.tensor4d(fx.f, fx.c.f as [number, number, number, number]);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, fx.c.stride, fx.c.pad));
    const [dx, dw] = g([x, f], tf.tensor(fx.dy, fx.yShape));
    return [dx.dataSync() as Float32Array, dw.dataSync() as Float32Array];
  });
}

beforeAll(async () => {
  // References from tfjs's own kernels, before ours replace them.
  await tf.setBackend('cpu');
  for (const c of CASES) {
    const x = tf.randomUniform(c.x, 0, 1, 'float32', 1);
    const f = tf.randomNormal(c.f, 0, 0.2, 'float32', 2);
    const y = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.stride, c.pad);
    const dy = tf.randomNormal(y.shape, 0, 0.05, 'float32', 3);
    const fx: Fixture = { c, x: x.dataSync() as Float32Array, f: f.dataSync() as Float32Array, dy: dy.dataSync() as Float32Array, yShape: y.shape, dx: new Float32Array(), dw: new Float32Array() };
    tf.dispose([x, f, y, dy]);
    [fx.dx, fx.dw] = await grads(fx);
    fixtures.push(fx);
  }
});

describe.each(['cpu', 'wasm'])('training kernels on %s', (backend) => {
  beforeAll(async () => {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    expect(await tf.setBackend(backend)).toBe(true);
    registerTrainingKernels(backend);
  });

  it.each(CASES.map((c, i) => [i, `${c.x} * ${c.f} stride ${c.stride} pad ${JSON.stringify(c.pad)}`]))(
    'conv2d filter and input gradients match the stock kernels (case %i: %s)', async (i) => {
      const [dx, dw] = await grads(fixtures[i as number]);
      expect(maxAbsDiff(dw, fixtures[i as number].dw)).toBeLessThan(1e-5);
      expect(maxAbsDiff(dx, fixtures[i as number].dx)).toBeLessThan(1e-5);
    });

  it('matrix products with transposed operands match explicit transposes', () => {
    const [a, b, c] = [tf.randomNormal([3, 7, 5], 0, 1, 'float32', 4), tf.randomNormal([3, 7, 4], 0, 1, 'float32', 5), tf.randomNormal([3, 6, 4], 0, 1, 'float32', 6)];
    const ta = tf.matMul(a, b, true, false), ea = tf.matMul(tf.transpose(a, [0, 2, 1]), b);
    const tb = tf.matMul(b, c, false, true), eb = tf.matMul(b, tf.transpose(c, [0, 2, 1]));
    expect(ta.shape).toEqual([3, 5, 4]);
    expect(maxAbsDiff(ta.dataSync(), ea.dataSync())).toBeLessThan(1e-5);
    expect(maxAbsDiff(tb.dataSync(), eb.dataSync())).toBeLessThan(1e-5);
  });

  it('does not leak tensors', async () => {
    await grads(fixtures[1]);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) await grads(fixtures[1]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the GPU-side composition (pad + strided slices + concat + matmul)', () => {
  // webgl and webgpu build the patches from the backend's own kernels; check that path on cpu.
  it('gives the same filter gradient as the stock kernel', async () => {
    await tf.setBackend('cpu');
    for (const fx of fixtures) {
      const x = tf.tensor4d(fx.x, fx.c.x as [number, number, number, number]);
      const dy = tf.tensor(fx.dy, fx.yShape);
      const backend = tf.backend() as tf.KernelBackend & { disposeData(id: object): boolean };
      const info = conv2dFilterGradByMatMul(x, dy, backend, {
        strides: fx.c.stride, pad: fx.c.pad as 'same', dataFormat: 'NHWC', filterShape: fx.c.f as [number, number, number, number],
      }, 'cpu', { forceDevicePath: true });
      const out = tf.engine().makeTensorFromTensorInfo(info);
      expect(maxAbsDiff(out.dataSync(), fx.dw)).toBeLessThan(1e-5);
      tf.dispose([x, dy, out]);
    }
  });
});
