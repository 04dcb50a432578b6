// Stored weight precision (scripts/lib/quantize.ts): what tfjs's own decoder reads back is within half a step of
// the float32 weight, and a model saved that way loads and predicts as before.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { HALF, UINT8_KERNELS, quantizeWeights, toFloat16Bits, weightStorage } from '../../scripts/lib/quantize.ts';
import { loadModelFromDir, saveModel } from '../../scripts/lib/node-io.ts';
import { makeRng } from '../../src/core/data/rng.ts';
import { maxAbsDiff, useWasm } from './helpers.ts';

beforeAll(useWasm);

/** tfjs's decoder (what tf.loadLayersModel runs) on one weight. */
function decode(spec: tf.io.WeightsManifestEntry, data: ArrayBuffer): Float32Array {
  return tf.io.decodeWeights(data, [spec])[spec.name].dataSync() as Float32Array;
}

describe('float16 bits', () => {
  it('encodes exactly representable values exactly, and rounds ties to even', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff],
      [2 ** -24, 0x0001], [2 ** -14, 0x0400], [Infinity, 0x7c00], [-Infinity, 0xfc00],
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to the even mantissa
      [1 + 3 * 2 ** -11, 0x3c02], // halfway, odd below: rounds up
      [1e6, 0x7c00], // beyond the largest half: infinity
    ];
    for (const [v, bits] of cases) expect(toFloat16Bits(v), `${v}`).toBe(bits);
    expect(toFloat16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(toFloat16Bits(NaN) & 0x3ff).not.toBe(0);
  });

  it('reads back, through tfjs, within half a unit of the last place', () => {
    const rng = makeRng(3);
    const values = Float32Array.from({ length: 5000 }, (_, i) => (rng() - 0.5) * 2 ** ((i % 30) - 20));
    const spec: tf.io.WeightsManifestEntry = { name: 'w', shape: [values.length], dtype: 'float32' };
    const q = quantizeWeights([spec], values.buffer.slice(0), HALF);
    expect(q.specs[0].quantization).toEqual({ dtype: 'float16' });
    expect(q.data.byteLength).toBe(values.length * 2);
    const back = decode(q.specs[0], q.data);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      // Normal halves carry 11 significant bits; below 2^-14 the spacing is fixed at 2^-24.
      const tol = Math.max(Math.abs(v) * 2 ** -11, 2 ** -25);
      expect(Math.abs(back[i] - v), `${v}`).toBeLessThanOrEqual(tol);
    }
  });
});

describe('uint8 storage', () => {
  it('keeps zeros exact and every value within half a step', () => {
    const rng = makeRng(5);
    const values = Float32Array.from({ length: 8192 }, (_, i) => (i % 7 === 0 ? 0 : (rng() - 0.3) * 0.2));
    const spec: tf.io.WeightsManifestEntry = { name: 'k', shape: [8192], dtype: 'float32' };
    const q = quantizeWeights([spec], values.buffer.slice(0), UINT8_KERNELS);
    const { dtype, scale, min } = q.specs[0].quantization!;
    expect(dtype).toBe('uint8');
    expect(q.data.byteLength).toBe(8192);
    const back = decode(q.specs[0], q.data);
    expect(scale! * 255).toBeCloseTo(Math.max(...values) - Math.min(...values), 5);
    expect(min!).toBeLessThanOrEqual(Math.min(...values) + scale! / 2);
    for (let i = 0; i < values.length; i++) {
      if (values[i] === 0) expect(Math.abs(back[i])).toBeLessThan(1e-9);
      expect(Math.abs(back[i] - values[i])).toBeLessThanOrEqual(scale! / 2 + 1e-7);
    }
  });

  it('leaves small weights in float16 and weights already quantized as they are', () => {
    const specs: tf.io.WeightsManifestEntry[] = [
      { name: 'small', shape: [10], dtype: 'float32' },
      { name: 'done', shape: [4], dtype: 'float32', quantization: { dtype: 'float16' } },
      { name: 'ids', shape: [3], dtype: 'int32' },
    ];
    const data = new Uint8Array(10 * 4 + 4 * 2 + 3 * 4).map((_, i) => i % 50).buffer;
    const q = quantizeWeights(specs, data, UINT8_KERNELS);
    expect(q.specs.map((s) => s.quantization?.dtype)).toEqual(['float16', 'float16', undefined]);
    expect(q.data.byteLength).toBe(10 * 2 + 4 * 2 + 3 * 4);
    expect(new Uint8Array(q.data, 20, 20)).toEqual(new Uint8Array(data, 40, 20));
    expect(weightStorage(q.specs)).toBe('float16');
    expect(() => quantizeWeights(specs, data.slice(0, 30), HALF)).toThrow(/hold 30 bytes, their specs describe 60/);
  });
});

it('a model saved in float16 (or uint8 kernels) loads and predicts as the float32 model does', async () => {
  const model = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }),
    tf.layers.flatten(), tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
  ] });
  const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 7);
  const want = (model.predict(x) as tf.Tensor).dataSync();
  for (const [plan, storage, tol] of [[HALF, 'float16', 5e-3], [UINT8_KERNELS, 'float16+uint8', 5e-2]] as const) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quantize-'));
    const saved = await saveModel(model, dir, plan);
    expect(saved.weights).toEqual({ storage, float32Bytes: model.countParams() * 4 });
    expect(saved.bytes).toBeLessThan(model.countParams() * (plan === HALF ? 2.01 : 1.2));
    const loaded = await loadModelFromDir(dir);
    const got = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(maxAbsDiff(got, want)).toBeLessThan(tol);
    expect(maxAbsDiff(got, want)).toBeGreaterThan(0); // it really is stored at lower precision
    loaded.dispose();
    fs.rmSync(dir, { recursive: true });
  }
  x.dispose(); model.dispose();
});
