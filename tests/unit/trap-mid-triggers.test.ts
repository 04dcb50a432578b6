// Trap-MID's two other trigger families (issue 21): 'warp' (a learned smooth displacement field per class, bilinear
// resampling written from tf ops) and 'ted' (TeD's fixed random mask-and-pattern), and the fresh discriminator that
// measures the triggers' naturalness a second time.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrapMidTrainer, TRAP_MID_DEFAULTS, INJECTIONS, blendTriggers, softCrossEntropy, triggerImages, triggerShape } from '../../src/core/defenses/trap-mid.ts';
import { TED_SHARE, bilinearSample, initialWarpParams, tedTriggers, upsampleMatrix, warpFields } from '../../src/core/defenses/warp-trigger.ts';
import { buildTarget } from '../../src/core/nets/architectures.ts';
import { freshDiscriminatorAuc } from '../../src/core/metrics/trapdoor.ts';
import { loadSplits } from '../../scripts/lib/node-io.ts';
import { imagesToTensor, subset } from '../../src/core/data/mnist.ts';
import { makeRng } from '../../src/core/data/rng.ts';
import { maxAbsDiff, nodeEngine, useWasm } from './helpers.ts';
import { readManifest } from '../../scripts/lib/manifest.ts';

beforeAll(useWasm);

const firstImages = (n: number) => {
  const { privateTrain } = loadSplits();
  return subset(privateTrain, Array.from({ length: n }, (_, i) => i));
};

describe('bilinear sampling', () => {
  it('with zero displacement is the identity, with an integer displacement an exact shift (zero outside)', () => {
    const data = firstImages(2);
    const x = imagesToTensor(data, [0, 1]);
    const px = x.dataSync();
    expect(Array.from(bilinearSample(x, tf.zeros([2, 28, 28, 2]) as tf.Tensor4D).dataSync())).toEqual(Array.from(px));
    // Sampling at (row + 1, column - 2): out(r, c) = x(r + 1, c - 2), 0 where that is outside.
    const field = tf.concat([tf.ones([2, 28, 28, 1]), tf.fill([2, 28, 28, 1], -2)], 3) as tf.Tensor4D;
    const out = bilinearSample(x, field).dataSync();
    for (let n = 0; n < 2; n++) for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) {
      const want = r + 1 < 28 && c - 2 >= 0 ? px[n * 784 + (r + 1) * 28 + c - 2] : 0;
      expect(out[n * 784 + r * 28 + c]).toBe(want);
    }
  });

  it('interpolates between neighbours, and its gradient with respect to the field matches finite differences', () => {
    const x = tf.tensor4d([0, 1, 2, 3, 4, 5, 6, 7, 8], [1, 3, 3, 1]);
    const half = tf.fill([1, 3, 3, 2], 0.5) as tf.Tensor4D;
    // Centre (1, 1) sampled at (1.5, 1.5): the mean of 4, 5, 7, 8.
    expect(bilinearSample(x, half).dataSync()[4]).toBeCloseTo(6, 6);
    const w = tf.tensor4d(Array.from({ length: 9 }, (_, i) => (i % 4) - 1.5), [1, 3, 3, 1]);
    const f = (field: tf.Tensor) => tf.sum(tf.mul(bilinearSample(x, field as tf.Tensor4D), w));
    const field = tf.tensor4d(Array.from({ length: 18 }, (_, i) => 0.1 + 0.37 * Math.sin(i)), [1, 3, 3, 2]);
    const g = tf.grad(f)(field).dataSync();
    const fd = Array.from({ length: 18 }, (_, i) => {
      const e = tf.oneHot(tf.tensor1d([i], 'int32'), 18).reshape([1, 3, 3, 2]).mul(1e-3);
      return (f(field.add(e)).dataSync()[0] - f(field.sub(e)).dataSync()[0]) / 2e-3;
    });
    expect(maxAbsDiff(g, fd)).toBeLessThan(2e-3);
  });
});

describe("'warp' trigger", () => {
  it('keeps the displacement within alpha px, the background exactly black and the ink saturated', () => {
    const rng = makeRng(5);
    const params = tf.mul(initialWarpParams(5, rng), 4) as tf.Tensor4D; // tanh near 1: the bound's worst case
    const t = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0, 1, 2], 'int32'), 5).toFloat() as tf.Tensor2D;
    const field = warpFields(params, t, 1, 28).dataSync();
    expect(Math.max(...Array.from(field, Math.abs))).toBeLessThanOrEqual(1);
    expect(Math.max(...Array.from(field, Math.abs))).toBeGreaterThan(0.5);
    // The upsampling keeps a constant field constant (its rows sum to 1).
    const up = upsampleMatrix(4, 28);
    for (let r = 0; r < 784; r++) expect(up.slice(r * 16, r * 16 + 16).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const x = imagesToTensor(firstImages(8), [0, 1, 2, 3, 4, 5, 6, 7]);
    const px = x.dataSync(), out = blendTriggers(x, params, t, 1, 'warp').dataSync();
    let black = 0, saturated = 0;
    for (let n = 0; n < 8; n++) for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) {
      let lo = 1, hi = 0;
      for (let i = -1; i <= 1; i++) for (let j = -1; j <= 1; j++) {
        const v = r + i < 0 || r + i > 27 || c + j < 0 || c + j > 27 ? 0 : px[n * 784 + (r + i) * 28 + c + j];
        lo = Math.min(lo, v); hi = Math.max(hi, v);
      }
      const o = out[n * 784 + r * 28 + c];
      if (hi === 0) { expect(o).toBe(0); black++; }
      // Never darker or brighter than its neighbourhood: the ink keeps its saturation.
      expect(o).toBeGreaterThanOrEqual(lo - 1e-6); expect(o).toBeLessThanOrEqual(hi + 1e-6);
      if (lo >= 0.7) saturated++;
    }
    expect(black).toBeGreaterThan(8 * 400);
    expect(saturated).toBeGreaterThan(0);
    expect(maxAbsDiff(out, px)).toBeGreaterThan(0.2); // the ink does move
  });

  it('passes the trapdoor loss\'s gradient to the field parameters: a few signed steps change them and lower it', () => {
    const model = buildTarget(5, 11);
    const x = imagesToTensor(firstImages(32), Array.from({ length: 32 }, (_, i) => i));
    const t = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 5), 'int32'), 5).toFloat() as tf.Tensor2D;
    const params = tf.variable(initialWarpParams(5, makeRng(2)));
    const before = params.dataSync().slice();
    const loss = (p: tf.Tensor) => softCrossEntropy(model.apply(blendTriggers(x, p as tf.Tensor4D, t, 1, 'warp')) as tf.Tensor2D, t);
    const l0 = loss(params).dataSync()[0];
    for (let i = 0; i < 5; i++) tf.tidy(() => params.assign(tf.sub(params, tf.mul(tf.sign(tf.grad(loss)(params)), 0.2))));
    expect(maxAbsDiff(params.dataSync(), before)).toBeGreaterThan(0.5);
    expect(loss(params).dataSync()[0]).toBeLessThan(l0);
    params.dispose(); model.dispose();
  });
});

describe("'ted' trigger", () => {
  it('is a seeded mask of 3 x 3 patches covering the stated share, with a pattern in [0, 1]', () => {
    const a = tedTriggers(5, 28, 3), b = tedTriggers(5, 28, 3), c = tedTriggers(5, 28, 4);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(maxAbsDiff(a.dataSync(), c.dataSync())).toBeGreaterThan(0);
    const v = a.dataSync();
    for (let k = 0; k < 5; k++) {
      let covered = 0;
      for (let p = 0; p < 784; p++) {
        const m = v[(k * 784 + p) * 2], pat = v[(k * 784 + p) * 2 + 1];
        expect(m === 0 || m === 1).toBe(true);
        expect(pat >= 0 && pat <= 1).toBe(true);
        covered += m;
      }
      expect(Math.abs(covered / 784 - TED_SHARE)).toBeLessThan(0.01);
      expect(covered % 9).toBe(0);
    }
    // x~ = (1 - m) x + m p: the pattern inside the mask, the image outside.
    const x = tf.fill([1, 28, 28, 1], 0.3) as tf.Tensor4D;
    const out = blendTriggers(x, a, tf.oneHot(tf.tensor1d([2], 'int32'), 5).toFloat() as tf.Tensor2D, 1, 'ted').dataSync();
    for (let p = 0; p < 784; p++) expect(out[p]).toBeCloseTo(v[(2 * 784 + p) * 2] ? v[(2 * 784 + p) * 2 + 1] : 0.3, 6);
  });
});

describe('Trap-MID trainer with the new injections', () => {
  for (const injection of ['warp', 'ted'] as const) {
    it(`${injection}: trains target and discriminator, ${injection === 'ted' ? 'never moves the fixed triggers' : 'moves the field parameters within their clip'}, and leaks no tensors`, async () => {
      const data = firstImages(128);
      const model = buildTarget(5, 3);
      const trainer = new TrapMidTrainer(model, data, { ...TRAP_MID_DEFAULTS, injection, alpha: 1, batchSize: 32, epochs: 5, seed: 3, numClasses: 5, classOf: (d) => d });
      expect(trainer.triggers.shape).toEqual(triggerShape(injection, 5, 28));
      const before = (await trainer.triggers.data()).slice();
      const w0 = (await model.getLayer('logits').getWeights()[0].data()).slice();
      const first = await trainer.step(true);
      expect(first.losses!.trapdoor).toBeGreaterThan(0);
      await trainer.step();
      const count = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) await trainer.step(i === 1);
      expect(tf.memory().numTensors).toBe(count);
      const after = await trainer.triggers.data();
      if (injection === 'ted') expect(Array.from(after)).toEqual(Array.from(before));
      else {
        expect(maxAbsDiff(after, before)).toBeGreaterThan(0.005);
        expect(Math.max(...Array.from(after, Math.abs))).toBeLessThanOrEqual(3);
      }
      expect(maxAbsDiff(await model.getLayer('logits').getWeights()[0].data(), w0)).toBeGreaterThan(0);
      const shown = triggerImages(trainer.triggers, injection, 1, 28);
      expect(shown.shape).toEqual([5, 28, 28, 1]);
      const s = await shown.data();
      expect(Math.min(...s)).toBeGreaterThanOrEqual(0); expect(Math.max(...s)).toBeLessThanOrEqual(1);
      shown.dispose(); trainer.dispose(); model.dispose();
    });
  }

  it('every injection has a trigger shape and a picture', () => {
    expect(INJECTIONS).toEqual(['blend', 'ink', 'stroke', 'warp', 'ted']);
    for (const inj of INJECTIONS) expect(triggerShape(inj, 5, 28)[0]).toBe(5);
  });
});

describe('fresh discriminator', () => {
  it('scores 0.5 when the triggered images are the clean ones, about 1 for an obvious trigger, and leaks no tensors', async () => {
    const { privateTrain, privateTest } = loadSplits();
    const train = subset(privateTrain, Array.from({ length: 256 }, (_, i) => i)), test = subset(privateTest, Array.from({ length: 200 }, (_, i) => i));
    const white = tf.ones([5, 28, 28, 1]) as tf.Tensor4D;
    const opts = { steps: 15, batchSize: 32, testCount: 200, seed: 2 };
    const count = tf.memory().numTensors;
    expect(await freshDiscriminatorAuc(train, test, (d) => d, white, 0, 'blend', opts)).toBe(0.5);
    expect(await freshDiscriminatorAuc(train, test, (d) => d, white, 0.5, 'blend', opts)).toBeGreaterThan(0.95);
    expect(tf.memory().numTensors).toBe(count);
    white.dispose();
  });
});

describe('shipped warp and TeD targets in the engine', () => {
  const shipped = readManifest().models.filter((m) => m.trapdoor && (m.trapdoor.injection === 'warp' || m.trapdoor.injection === 'ted')).map((m) => m.id);
  it.skipIf(shipped.length === 0)('read their triggers in their own shape and show one picture per digit', async () => {
    const engine = await nodeEngine();
    for (const id of shipped) {
      const ref = await engine.trapdoorReference(id);
      expect(ref.triggers.length, id).toBe(5 * 784);
      expect(Math.min(...ref.triggers)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...ref.triggers)).toBeLessThanOrEqual(1);
      expect(ref.triggered.length).toBe(ref.clean.length);
    }
  });
});
