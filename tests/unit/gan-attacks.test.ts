// The GAN-based attacks on tiny models: each improves its own objective in a few steps, keeps tensors flat and
// frees them; black-box and label-only attacks never take a gradient of (or even touch) the target; output-side
// defenses change what the attacker sees as specified.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { gmi } from '../../src/core/attacks/gmi.ts';
import { PLG_MI_DEFAULTS, PLG_MI_PAPER, plgMi } from '../../src/core/attacks/plg-mi.ts';
import { knobValues } from '../../src/worker/catalog.ts';
import { kedMi } from '../../src/core/attacks/ked-mi.ts';
import { identityLoss, warpedIdentity } from '../../src/core/attacks/lomma.ts';
import type { Warp } from '../../src/core/data/augment.ts';
import { genetic } from '../../src/core/attacks/genetic.ts';
import { brepMi } from '../../src/core/attacks/brep-mi.ts';
import { QueryOracle, defendOutput, parseOutputDefense, formatOutputDefense } from '../../src/core/attacks/oracle.ts';
import type { AttackContext } from '../../src/core/attacks/attack.ts';
import { buildDiscriminator, buildGenerator } from '../../src/core/nets/gan.ts';
import { classLoss, composedClassLoss } from '../../src/core/kernels/attack-losses.ts';
import { makeRng } from '../../src/core/data/rng.ts';
import { useWasm } from './helpers.ts';

const CLASSES = [0, 1, 2, 3, 4];
let target: tf.LayersModel, generator: tf.LayersModel, discriminator: tf.LayersModel, cgenerator: tf.LayersModel;

/** A tiny random classifier over 5 classes (a dense layer on the pixels, big enough weights to disagree). */
function tinyTarget(seed: number): tf.LayersModel {
  return tf.sequential({ layers: [
    tf.layers.flatten({ inputShape: [28, 28, 1] }),
    tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.3, seed }) }),
  ] });
}

/** A stand-in for the target that fails if an attack touches it (black-box attacks may only use the oracle). */
const untouchable = new Proxy({}, { get: (_, key) => { throw new Error(`a black-box attack touched target.${String(key)}`); } }) as tf.LayersModel;

beforeAll(async () => {
  await useWasm();
  target = tinyTarget(3);
  generator = buildGenerator(1);
  discriminator = buildDiscriminator(2);
  cgenerator = buildGenerator(4, 5);
});
afterEach(() => vi.restoreAllMocks());

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('GMI', () => {
  const ctx = (): AttackContext => ({ target, targetClasses: CLASSES, prior: { generator, discriminator, conditional: false } });
  const options = { restarts: 3, steps: 30, learningRate: 0.02, momentum: 0.9, lambda: 100, clamp: 1, seed: 5 };

  it('lowers prior + lambda * identity within a few steps, keeps z in [-1, 1] and keeps the best restart', async () => {
    const s = gmi.init(ctx(), options);
    const before = await gmi.snapshot(s);
    for (let i = 0; i < 15; i++) gmi.step(s);
    const after = await gmi.snapshot(s);
    expect(mean(after.loss)).toBeLessThan(mean(before.loss));
    expect(mean(after.targetConfidence)).toBeGreaterThan(mean(before.targetConfidence));
    const z = await s.z.data();
    expect(Math.max(...z)).toBeLessThanOrEqual(1);
    expect(Math.min(...z)).toBeGreaterThanOrEqual(-1);
    // 5 digits x 3 restarts; the kept one of each digit is the restart with the largest target logit.
    expect(after.classes).toHaveLength(15);
    expect(after.kept).toHaveLength(5);
    const own = await tf.tidy(() => tf.sum(tf.mul(target.predict(generator.predict(s.z) as tf.Tensor) as tf.Tensor, s.labels), 1)).data();
    after.kept.forEach((k, c) => {
      expect(after.classes[k]).toBe(CLASSES[c]);
      for (let j = c * 3; j < c * 3 + 3; j++) expect(own[k]).toBeGreaterThanOrEqual(own[j]);
    });
    expect(after.terms!.identity).toHaveLength(15);
    after.loss.forEach((l, i) => expect(l).toBeCloseTo(after.terms!.prior[i] + 100 * after.terms!.identity[i], 2));
    gmi.dispose(s);
  });

  it('LOMMA: the identity is the raw logit and the public-feature regulariser is on', async () => {
    const features = tf.sequential({ layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 8, activation: 'relu', name: 'features', kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.1, seed: 9 }) }),
      tf.layers.dense({ units: 5, name: 'logits', kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.3, seed: 10 }) }),
    ] });
    const s = gmi.init({ target: features, targetClasses: CLASSES, prior: { generator, discriminator, conditional: false } },
      { ...options, lomma: { featureWeight: 1, publicFeatureMean: new Float32Array(8).fill(0.5) } });
    const before = await gmi.snapshot(s);
    for (let i = 0; i < 10; i++) gmi.step(s);
    const after = await gmi.snapshot(s);
    expect(mean(after.terms!.identity)).toBeLessThan(mean(before.terms!.identity));
    // A raw-logit identity can go below zero; cross-entropy cannot.
    const logits = tf.tidy(() => features.predict(generator.predict(s.z) as tf.Tensor) as tf.Tensor2D);
    const own = await tf.tidy(() => tf.sum(tf.mul(logits, s.labels), 1)).data();
    logits.dispose();
    const f = await tf.tidy(() => ((tf.model({ inputs: features.inputs, outputs: features.getLayer('features').output as tf.SymbolicTensor }).predict(generator.predict(s.z) as tf.Tensor)) as tf.Tensor).sub(0.5).square().mean(1)).data();
    after.terms!.identity.forEach((v, i) => expect(v).toBeCloseTo(-own[i] + f[i] / 100, 3));
    gmi.dispose(s); features.dispose();
  });

  it('keeps tf.memory().numTensors flat over many steps and frees everything on dispose', async () => {
    const base = tf.memory().numTensors;
    const s = gmi.init(ctx(), options);
    gmi.step(s); await gmi.snapshot(s);
    const running = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) gmi.step(s);
    await gmi.snapshot(s);
    expect(tf.memory().numTensors).toBe(running);
    gmi.dispose(s);
    expect(tf.memory().numTensors).toBe(base);
  });

  it('augment: absent and 0 take the same step (no warp drawn); warps change it, average the identity over two warped copies, and leak nothing', async () => {
    const firstZ = async (augment?: number) => {
      const s = gmi.init(ctx(), { ...options, augment });
      gmi.step(s);
      const z = await s.z.data();
      gmi.dispose(s);
      return Array.from(z);
    };
    const plain = await firstZ();
    expect(await firstZ(0)).toEqual(plain);
    const warped = await firstZ(1.5);
    expect(warped.some((v, i) => Math.abs(v - plain[i]) > 1e-4)).toBe(true);
    // The averaged term: one warp that keeps the image and one that blanks it give the mean of the two verdicts.
    const identity = identityLoss(target, 100);
    const keep: Warp = { apply: (x) => x.clone(), dispose: () => {} }, blank: Warp = { apply: (x) => tf.zerosLike(x), dispose: () => {} };
    const img = tf.tidy(() => generator.predict(tf.randomUniform([4, 100], -1, 1, 'float32', 7)) as tf.Tensor4D);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 5).toFloat() as tf.Tensor2D;
    const [both, one, zero] = await Promise.all(tf.tidy(() => [
      warpedIdentity(identity, img, labels, [keep, blank]), identity.of(img, labels), identity.of(tf.zerosLike(img), labels),
    ]).map((t) => t.data()));
    both.forEach((v, i) => expect(v).toBeCloseTo((one[i] + zero[i]) / 2, 4));
    tf.dispose([img, labels]);
    // Warps are drawn and freed each step.
    const s = gmi.init(ctx(), { ...options, augment: 1 });
    gmi.step(s);
    const running = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) gmi.step(s);
    expect(tf.memory().numTensors).toBe(running);
    gmi.dispose(s);
  });

  it('refuses a conditional prior with a clear message', () => {
    expect(() => gmi.init({ target, targetClasses: CLASSES, prior: { generator: cgenerator, discriminator, conditional: true } }, options)).toThrow(/unconditional GAN prior/);
  });
});

describe('KED-MI', () => {
  let kedD: tf.LayersModel;
  beforeAll(() => { kedD = buildDiscriminator(6, 5, 'classes'); });
  const ctx = (): AttackContext => ({ target, targetClasses: CLASSES, prior: { generator, discriminator: kedD, conditional: false } });
  const options = { samples: 3, steps: 40, learningRate: 0.02, lambda: 100, clamp: 1, seed: 3 };
  /** Snapshots before and after `steps` steps; the tensor count stays flat after the first step. */
  async function stepsKeepTensorsFlat(s: ReturnType<typeof kedMi.init>, steps: number) {
    const before = await kedMi.snapshot(s);
    kedMi.step(s);
    const running = tf.memory().numTensors;
    for (let i = 1; i < steps; i++) kedMi.step(s);
    const after = await kedMi.snapshot(s);
    expect(tf.memory().numTensors).toBe(running);
    return { before, after };
  }

  it('learns a distribution per class whose samples the target is surer about, and keeps tensors flat', async () => {
    const base = tf.memory().numTensors;
    const s = kedMi.init(ctx(), options);
    const { before, after } = await stepsKeepTensorsFlat(s, 16);
    expect(mean(after.loss)).toBeLessThan(mean(before.loss));
    expect(mean(after.targetConfidence)).toBeGreaterThan(mean(before.targetConfidence));
    after.loss.forEach((l, i) => expect(l).toBeCloseTo(after.terms!.prior[i] + 100 * after.terms!.identity[i], 2));
    expect(after.classes).toHaveLength(15);
    // The spread is learned too: log-variance has moved off its start (0).
    expect(Math.max(...(await s.logVar.data()).map(Math.abs))).toBeGreaterThan(0);
    kedMi.dispose(s);
    expect(tf.memory().numTensors).toBe(base);
  });

  it('LOMMA on KED-MI: the identity is the raw logit averaged with the students, plus the feature pull; no leak', async () => {
    // The target's penultimate features are its flattened pixels here (the layer named 'features').
    const lommaTarget = tf.sequential({ layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1], name: 'features' }),
      tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.3, seed: 10 }) }),
    ] });
    const students = [tinyTarget(11), tinyTarget(12)];
    const withLomma = { ...options, lomma: { featureWeight: 1, publicFeatureMean: new Float32Array(784).fill(0.5) } };
    const base = tf.memory().numTensors;
    const s = kedMi.init({ ...ctx(), target: lommaTarget, students }, withLomma);
    const { before, after } = await stepsKeepTensorsFlat(s, 16);
    expect(mean(after.terms!.identity)).toBeLessThan(mean(before.terms!.identity));
    // Recompute the shown samples' LOMMA identity by hand: -(o_T + o_S1 + o_S2)/3 + mean((f_T - 0.5)^2) / 100.
    const shown = tf.tidy(() => {
      const mu = tf.matMul(s.expand, s.mu), std = tf.exp(tf.mul(tf.matMul(s.expand, s.logVar), 0.5));
      return generator.predict(tf.clipByValue(tf.add(mu, tf.mul(std, s.shownEps)), -1, 1)) as tf.Tensor4D;
    });
    const [ownT, pullT] = tf.tidy(() => [
      tf.div(tf.addN([lommaTarget, ...students].map((m) => tf.sum(tf.mul(m.predict(shown) as tf.Tensor2D, s.labels), 1))), 3),
      tf.mean(tf.square(tf.sub(tf.reshape(shown, [shown.shape[0], 784]), 0.5)), 1),
    ]);
    const [own, pull] = [await ownT.data(), await pullT.data()];
    tf.dispose([shown, ownT, pullT]);
    after.terms!.identity.forEach((v, i) => expect(v).toBeCloseTo(-own[i] + pull[i] / 100, 3));
    kedMi.dispose(s);
    expect(tf.memory().numTensors).toBe(base);
    [lommaTarget, ...students].forEach((m) => m.dispose());
  });

  it('augment: absent and 0 take the same step; warps change it and keep tensors flat; off in the catalog unless asked for', async () => {
    const firstMu = async (augment?: number) => {
      const s = kedMi.init(ctx(), { ...options, augment });
      const { after } = await stepsKeepTensorsFlat(s, 4);
      const mu = Array.from(await s.mu.data());
      kedMi.dispose(s);
      return { mu, after };
    };
    const plain = await firstMu();
    expect((await firstMu(0)).mu).toEqual(plain.mu);
    const warped = await firstMu(1.5);
    expect(warped.mu.some((v, i) => Math.abs(v - plain.mu[i]) > 1e-4)).toBe(true);
    // The shown samples' terms stay unwarped: their loss is still prior + 100 x plain cross-entropy.
    warped.after.loss.forEach((l, i) => expect(l).toBeCloseTo(warped.after.terms!.prior[i] + 100 * warped.after.terms!.identity[i], 2));
    for (const id of ['gmi', 'ked-mi'] as const) expect([knobValues(id).augment, knobValues(id, 'paper').augment]).toEqual([0, 0]);
  });
});

describe('PLG-MI', () => {
  const ctx = (): AttackContext => ({ target, targetClasses: CLASSES, prior: { generator: cgenerator, discriminator, conditional: true } });
  const options = { restarts: 2, steps: 20, learningRate: 0.1, seed: 2 };

  it('lowers the max-margin loss within a few steps', async () => {
    const s = plgMi.init(ctx(), options);
    const before = await plgMi.snapshot(s);
    for (let i = 0; i < 12; i++) plgMi.step(s);
    const after = await plgMi.snapshot(s);
    expect(mean(after.loss)).toBeLessThan(mean(before.loss));
    expect(after.kept).toHaveLength(5);
    plgMi.dispose(s);
  });

  it('max-margin is -o_y + max over the other logits (the fused kernel and tfjs\'s ops)', () => {
    const [l, y] = [tf.tensor2d([[1, 5, 2], [0, -1, 3]]), tf.tensor2d([[0, 1, 0], [1, 0, 0]])];
    expect(Array.from(classLoss(l, y, 'max-margin').dataSync())).toEqual([-3, 3]);
    expect(Array.from(composedClassLoss(l, y, 'max-margin').dataSync())).toEqual([-3, 3]);
  });

  it('augment 0 leaves the candidates unwarped: Adam\'s first step is -lr x sign of the plain max-margin gradient; augment 1 warps them', () => {
    const firstStep = (augment: number) => {
      const s = plgMi.init(ctx(), { ...options, augment });
      const z0 = s.z.clone();
      // Both warps are the identity at augment 0, so the loss is twice the max-margin of the unwarped candidates.
      const grad = tf.grad((z: tf.Tensor) => tf.sum(composedClassLoss(target.apply(cgenerator.apply([z as tf.Tensor2D, s.labels]) as tf.Tensor4D) as tf.Tensor2D, s.labels, 'max-margin')))(z0);
      plgMi.step(s);
      const [moved, g] = [tf.sub(s.z, z0).arraySync() as number[][], grad.arraySync() as number[][]];
      tf.dispose([z0, grad]);
      plgMi.dispose(s);
      // Entries with a clear gradient: did each move by -lr x its sign?
      const clear = moved.flat().map((m, i) => [m, g.flat()[i]]).filter(([, gi]) => Math.abs(gi) > 1e-3);
      return clear.filter(([m, gi]) => Math.abs(m + options.learningRate * Math.sign(gi)) < 1e-3).length / clear.length;
    };
    expect(firstStep(0)).toBe(1);
    expect(firstStep(1)).toBeLessThan(0.95);
  });

  it('the catalog\'s browser and paper values are the core\'s; the faces keep the stock warps', () => {
    expect(knobValues('plg-mi')).toEqual(PLG_MI_DEFAULTS);
    expect(knobValues('plg-mi', 'paper')).toEqual({ ...PLG_MI_DEFAULTS, ...PLG_MI_PAPER });
    expect(knobValues('plg-mi', 'paper', 'faces').augment).toBe(1);
  });

  it('keeps tensors flat and frees them', async () => {
    const base = tf.memory().numTensors;
    const s = plgMi.init(ctx(), options);
    plgMi.step(s);
    const running = tf.memory().numTensors;
    for (let i = 0; i < 8; i++) plgMi.step(s);
    await plgMi.snapshot(s);
    expect(tf.memory().numTensors).toBe(running);
    plgMi.dispose(s);
    expect(tf.memory().numTensors).toBe(base);
  });
});

describe('black-box genetic search and label-only BREP-MI', () => {
  const blackBox = (defense = 'none'): AttackContext => ({
    target: untouchable, targetClasses: CLASSES, prior: { generator, discriminator, conditional: false },
    oracle: new QueryOracle(target, 5, parseOutputDefense(defense), 1),
  });

  it('genetic: elitism never loses the best fitness, the mean rises, and every image costs one query', async () => {
    const grads = vi.spyOn(tf.engine(), 'gradients');
    const ctx = blackBox();
    const s = await genetic.init(ctx, { population: 8, steps: 10, elite: 2, mutationRate: 0.1, mutationScale: 0.5, clamp: 2, seed: 4 });
    const first = await genetic.snapshot(s);
    for (let i = 0; i < 10; i++) await genetic.step(s);
    const last = await genetic.snapshot(s);
    first.kept.forEach((k, c) => expect(last.targetConfidence[last.kept[c]]).toBeGreaterThanOrEqual(first.targetConfidence[k]));
    expect(mean(last.targetConfidence)).toBeGreaterThan(mean(first.targetConfidence));
    expect(last.queries).toBe(5 * 8 * 11);
    expect(grads).not.toHaveBeenCalled();
  });

  it('BREP-MI: starts inside each class, stays inside, grows its radius, sees labels only and takes no gradient', async () => {
    const grads = vi.spyOn(tf.engine(), 'gradients');
    const ctx = blackBox();
    const labelsOnly = vi.spyOn(ctx.oracle!, 'probabilities');
    // Attack the digits the tiny random target gives to GAN samples at all.
    const seen = tf.tidy(() => (target.predict(generator.predict(tf.randomNormal([256, 100], 0, 1, 'float32', 7)) as tf.Tensor) as tf.Tensor).argMax(-1));
    const classes = [...new Set(await seen.data())].sort().map(Number);
    seen.dispose();
    expect(classes.length).toBeGreaterThan(0);
    const s = await brepMi.init(ctx, { classes, steps: 12, probes: 16, initialRadius: 0.5, growth: 1.3, growWhenInside: 0.5, maxRadius: 50, clamp: 1.5, seed: 3 });
    for (let i = 0; i < 12; i++) await brepMi.step(s);
    const snap = await brepMi.snapshot(s);
    expect(snap.radius!.some((r) => r > 0.5)).toBe(true);
    // The kept points are still labelled with their digit (checked with the real model).
    const kept = tf.tensor4d(Float32Array.from(snap.kept.flatMap((k) => Array.from(snap.pixels.subarray(k * 784, (k + 1) * 784)))), [classes.length, 28, 28, 1]);
    expect(Array.from((target.predict(kept) as tf.Tensor).argMax(-1).dataSync())).toEqual(classes);
    kept.dispose();
    expect(snap.queries).toBeGreaterThan(classes.length * 16 * 12);
    expect(grads).not.toHaveBeenCalled();
    // Only through labels(): probabilities are called by labels() itself, never by the attack directly.
    expect(labelsOnly.mock.calls.length).toBeGreaterThan(0);
  });

  it('the oracle answers with the defense applied and counts queries', async () => {
    const oracle = new QueryOracle(target, 5, { kind: 'label-only' }, 1);
    const x = generator.predict(tf.randomNormal([3, 100], 0, 1, 'float32', 1)) as tf.Tensor4D;
    const p = await oracle.probabilities(x);
    for (let i = 0; i < 3; i++) expect(Array.from(p.subarray(i * 5, i * 5 + 5)).sort()).toEqual([0, 0, 0, 0, 1]);
    expect(oracle.queries).toBe(3);
    x.dispose();
  });
});

describe('output-side defenses', () => {
  const p = [0.5, 0.234, 0.166, 0.07, 0.03];
  const rng = makeRng(1);
  const sum = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0);

  it('none returns the probabilities unchanged', () => {
    expect(Array.from(defendOutput(p, { kind: 'none' }, rng))).toEqual(Array.from(Float32Array.from(p)));
  });
  it('round keeps that many decimals', () => {
    expect(Array.from(defendOutput(p, { kind: 'round', decimals: 1 }, rng)).map((v) => Number(v.toFixed(4)))).toEqual([0.5, 0.2, 0.2, 0.1, 0]);
  });
  it('top-k keeps the k largest and renormalises', () => {
    const out = defendOutput(p, { kind: 'top-k', k: 2 }, rng);
    expect(out[0]).toBeCloseTo(0.5 / 0.734, 5);
    expect(out[1]).toBeCloseTo(0.234 / 0.734, 5);
    expect(Array.from(out.subarray(2))).toEqual([0, 0, 0]);
  });
  it('label-only is the one-hot argmax', () => {
    expect(Array.from(defendOutput([0.1, 0.2, 0.6, 0.1], { kind: 'label-only' }, rng))).toEqual([0, 0, 1, 0]);
  });
  it.each(['gaussian', 'laplace'] as const)('%s noise changes the answer, stays a distribution', (kind) => {
    const out = defendOutput(p, { kind, scale: 0.1 }, rng);
    expect(sum(out)).toBeCloseTo(1, 5);
    expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
    expect(Array.from(out)).not.toEqual(Array.from(Float32Array.from(p)));
  });
  it('parses and formats the URL / CLI form, and rejects bad values clearly', () => {
    for (const raw of ['none', 'round:2', 'top-k:1', 'label-only', 'gaussian:0.1', 'laplace:0.05']) expect(formatOutputDefense(parseOutputDefense(raw))).toBe(raw);
    expect(() => parseOutputDefense('round:x')).toThrow(/output defense 'round:x'/);
    expect(() => parseOutputDefense('blur')).toThrow(/use none, round/);
  });
});
