// C2FMI (Ye et al. 2023) on tiny models: the DE step keeps latents within bounds and replaces a member only by a
// fitter trial; the inverse network's training asks every GAN image once through the oracle; the attack counts every
// query and stops at exactly a query budget; a few generations raise the target's confidence; no tensor is left
// behind over 200 steps; a black-box attack never touches the target itself.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InverseTrainer, buildInverseNetwork, c2fmi, deSelect, deTrials, inverseLatents, seedAnswers, seedLatents, type C2fmiOptions } from '../../src/core/attacks/c2fmi.ts';
import { QueryOracle } from '../../src/core/attacks/oracle.ts';
import type { AttackContext } from '../../src/core/attacks/attack.ts';
import { makeRng } from '../../src/core/data/rng.ts';
import { useWasm } from './helpers.ts';

const CLASSES = [0, 1, 2, 3, 4];
const DIM = 8;
let target: tf.LayersModel;
let generator: tf.LayersModel;
let inverse: tf.LayersModel;

/** A tiny random classifier over 5 classes (a dense layer on the pixels). */
function tinyTarget(seed: number): tf.LayersModel {
  return tf.sequential({ layers: [
    tf.layers.flatten({ inputShape: [28, 28, 1] }),
    tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.05, seed }) }),
  ] });
}

/** A tiny generator: latent [DIM] -> 28 x 28 image in [0, 1]. */
function tinyGenerator(seed: number): tf.LayersModel {
  return tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [DIM], units: 784, activation: 'sigmoid', kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 1, seed }) }),
    tf.layers.reshape({ targetShape: [28, 28, 1] }),
  ] });
}

/** A stand-in for the target that fails if the attack touches it (a black-box attack may only use the oracle). */
const untouchable = new Proxy({}, { get: (_, key) => { throw new Error(`a black-box attack touched target.${String(key)}`); } }) as tf.LayersModel;

const options = (o: Partial<C2fmiOptions> = {}): C2fmiOptions => ({
  population: 6, steps: 10, differentialWeight: 0.5, crossover: 0.5, seedSpread: 0.5, clamp: 2, seed: 3, inverse, ...o,
});

const context = (oracle: QueryOracle): AttackContext => ({ target: untouchable, targetClasses: CLASSES, prior: { generator, conditional: false }, oracle });

beforeAll(async () => {
  await useWasm();
  target = tinyTarget(3);
  generator = tinyGenerator(5);
  inverse = buildInverseNetwork(5, DIM, 7, 16);
});

describe('differential evolution (DE/rand/1/bin)', () => {
  it('keeps every trial latent within the prior\'s bounds, and trials differ from their members', () => {
    const rng = makeRng(1);
    const z = Float32Array.from({ length: 2 * 5 * DIM }, () => (rng() * 2 - 1) * 2);
    for (const shell of [false, true]) {
      const t = deTrials(z, 2, { population: 5, dim: DIM, differentialWeight: 2, crossover: 0.9, clamp: 2, shell }, makeRng(2));
      expect(t.length).toBe(z.length);
      for (const v of t) { expect(v).toBeGreaterThanOrEqual(-2); expect(v).toBeLessThanOrEqual(2); }
      // Binomial crossover always takes one coordinate from the mutant: no trial is its member unchanged.
      for (let i = 0; i < 10; i++) expect(Array.from(t.subarray(i * DIM, (i + 1) * DIM))).not.toEqual(Array.from(z.subarray(i * DIM, (i + 1) * DIM)));
    }
    expect(() => deTrials(z, 2, { population: 3, dim: DIM, differentialWeight: 0.5, crossover: 0.5, clamp: 2 }, rng)).toThrow(/at least 4/);
  });

  it('with CR 0, a trial takes exactly one coordinate from the mutant of three other members of its own digit', () => {
    const p = 4, groups = 2;
    // Each group's members are constant vectors: group g member m is all (10 g + m) / 100.
    const z = Float32Array.from({ length: groups * p * DIM }, (_, i) => { const m = Math.floor(i / DIM); return (10 * Math.floor(m / p) + (m % p)) / 100; });
    const t = deTrials(z, groups, { population: p, dim: DIM, differentialWeight: 0.5, crossover: 0, clamp: 2 }, makeRng(4));
    for (let m = 0; m < groups * p; m++) {
      const own = z[m * DIM], g = Math.floor(m / p);
      const changed = Array.from(t.subarray(m * DIM, (m + 1) * DIM)).filter((v) => Math.abs(v - own) > 1e-7);
      expect(changed.length).toBe(1);
      // a + 0.5 (b - c) of members of the same group stays within that group's range of values.
      expect(changed[0]).toBeGreaterThanOrEqual(g / 10 - 0.02);
      expect(changed[0]).toBeLessThanOrEqual(g / 10 + 0.05);
    }
  });

  it('replaces a member only by a strictly fitter trial that was answered', () => {
    const pop = { z: Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3]), fitness: Float32Array.from([0.5, 0.5, 0.5, 0.5]), pixels: Float32Array.from([0, 1, 2, 3]) };
    const trials = {
      z: Float32Array.from([9, 9, 8, 8, 7, 7, 6, 6]), fitness: Float32Array.from([0.6, 0.5, 0.4, 0.9]), pixels: Float32Array.from([10, 11, 12, 13]),
      answered: Uint8Array.from([1, 1, 1, 0]),
    };
    expect(deSelect(pop, trials)).toBe(1);
    expect(Array.from(pop.z)).toEqual([9, 9, 1, 1, 2, 2, 3, 3]);
    expect(Array.from(pop.fitness)).toEqual([Math.fround(0.6), 0.5, 0.5, 0.5]);
    expect(Array.from(pop.pixels)).toEqual([10, 1, 2, 3]);
  });

  it('seeds: the one-hot answer first, then perturbed answers that still favour the digit; seed latents in bounds', () => {
    const a = seedAnswers(2, 5, 4, makeRng(1));
    expect(Array.from(a.subarray(0, 5))).toEqual([0, 0, 1, 0, 0]);
    for (let i = 1; i < 4; i++) {
      const row = Array.from(a.subarray(i * 5, (i + 1) * 5));
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      expect(row[2]).toBeGreaterThan(0.89);
      expect(row[2]).toBeLessThan(1);
    }
    const z = seedLatents(Float32Array.from({ length: 8 * DIM }, (_, i) => (i % 3) - 1), DIM, 4, 0.5, 2, makeRng(2));
    for (const v of z) expect(Math.abs(v)).toBeLessThanOrEqual(2);
  });
});

describe('stage 1: the inverse network', () => {
  it('asks each GAN image once through the oracle (within its budget), and its latent loss falls', async () => {
    const net = buildInverseNetwork(5, DIM, 11, 16);
    const oracle = new QueryOracle(target, 5, { kind: 'none' }, 1, 100);
    const trainer = new InverseTrainer(net, generator, oracle, { samples: 64, batchSize: 16, learningRate: 0.01, seed: 1 });
    const first = await trainer.step();
    expect(oracle.queries).toBe(16);
    let last = first;
    for (let i = 0; i < 60; i++) last = await trainer.step();
    // 64 images, each asked once (answers are kept), never more than the budget.
    expect(oracle.queries).toBe(64);
    expect(last.loss).toBeLessThan(first.loss);
    const z = await inverseLatents(net, seedAnswers(0, 5, 3, makeRng(1)), 5, 1);
    expect(z.length).toBe(3 * DIM);
    for (const v of z) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    trainer.dispose(); net.dispose();
  });
});

describe('the attack', () => {
  it('counts every query and stops at exactly a query budget', async () => {
    // 5 digits x 6 members = 30 queries a generation: 100 pays for the seeds, two generations and 10 of a third.
    const oracle = new QueryOracle(target, 5, { kind: 'none' }, 1, 100);
    const s = await c2fmi.init(context(oracle), options({ steps: 50 }));
    expect(oracle.queries).toBe(30);
    let info = { step: 0, done: false };
    while (!info.done) info = await c2fmi.step(s);
    expect(oracle.queries).toBe(100);
    expect(info.step).toBe(3);
    const snap = await c2fmi.snapshot(s);
    expect(snap.queries).toBe(100);
    expect(snap.classes.length).toBe(30);
    expect(snap.pixels.length).toBe(30 * 784);
    expect(snap.kept.length).toBe(5);
    snap.kept.forEach((i, c) => expect(snap.classes[i]).toBe(CLASSES[c]));
    // Past the budget a step asks nothing.
    expect((await c2fmi.step(s)).done).toBe(true);
    expect(oracle.queries).toBe(100);
  });

  it('a few generations raise the target\'s answered confidence of each digit (never lower it)', async () => {
    const oracle = new QueryOracle(target, 5, { kind: 'none' }, 1);
    const s = await c2fmi.init(context(oracle), options({ population: 8, steps: 30 }));
    const before = (await c2fmi.result(s)).targetConfidence;
    for (let i = 0; i < 30; i++) await c2fmi.step(s);
    expect(oracle.queries).toBe(5 * 8 * 31);
    const after = (await c2fmi.result(s)).targetConfidence;
    after.forEach((v, c) => expect(v).toBeGreaterThanOrEqual(before[c]));
    expect(after.reduce((a, b) => a + b, 0)).toBeGreaterThan(before.reduce((a, b) => a + b, 0));
    // The kept ones are what the oracle answers for their images.
    const snap = await c2fmi.snapshot(s);
    const x = tf.tensor4d(Float32Array.from(snap.kept.flatMap((i) => Array.from(snap.pixels.subarray(i * 784, (i + 1) * 784)))), [5, 28, 28, 1]);
    const p = await new QueryOracle(target, 5).probabilities(x);
    x.dispose();
    after.forEach((v, c) => expect(p[c * 5 + c]).toBeCloseTo(v, 4));
  });

  it('needs a prior, an oracle, an inverse network that fits, and at least 4 members', async () => {
    const oracle = new QueryOracle(target, 5);
    await expect(c2fmi.init({ ...context(oracle), oracle: undefined }, options())).rejects.toThrow(/black-box/);
    await expect(c2fmi.init({ ...context(oracle), prior: undefined }, options())).rejects.toThrow(/GAN prior/);
    await expect(c2fmi.init(context(oracle), options({ population: 3 }))).rejects.toThrow(/at least 4/);
    const wrong = buildInverseNetwork(5, DIM + 1, 1, 4);
    await expect(c2fmi.init(context(oracle), options({ inverse: wrong }))).rejects.toThrow(/inverse network/);
    wrong.dispose();
  });

  it('leaves no tensor behind over 200 steps', async () => {
    const oracle = new QueryOracle(target, 5, { kind: 'round', decimals: 2 }, 1);
    const before = tf.memory().numTensors;
    const s = await c2fmi.init(context(oracle), options({ population: 4, steps: 200 }));
    for (let i = 0; i < 200; i++) await c2fmi.step(s);
    await c2fmi.snapshot(s);
    await c2fmi.result(s);
    c2fmi.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(oracle.queries).toBe(5 * 4 * 201);
  });
});
