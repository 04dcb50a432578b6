// PPA (Plug & Play Attacks, Struppek et al. 2022): the Poincaré loss against hand-computed values and its shape (0 at
// the target, growing away from it), the initial selection keeping the pool's best-scoring latents, the final
// selection's ranking, a few steps on the shipped target and GAN raising the target's confidence, seeds in one batch
// as separate runs, and no tensor left behind over 200 steps.
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR, loadModelFromDir } from '../../scripts/lib/node-io.ts';
import type { AttackContext, CandidateSnapshot } from '../../src/core/attacks/attack.ts';
import {
  INITIAL_VIEWS, PPA_DEFAULTS, PPA_PAPER, type PpaOptions, keepRobust, poincareDistance, poincareLoss, poolScores, ppa, topPerClass,
} from '../../src/core/attacks/ppa.ts';
import { randomAffineBatch } from '../../src/core/data/augment.ts';
import { makeRng } from '../../src/core/data/rng.ts';
import { buildGenerator, sampleLatents, Z_DIM } from '../../src/core/nets/gan.ts';
import { seedGroups } from '../../src/worker/attack-setup.ts';
import { knobValues } from '../../src/worker/catalog.ts';
import type { AttackConfig } from '../../src/worker/protocol.ts';
import { maxAbsDiff, nodeEngine, useWasm } from './helpers.ts';

const CLASSES = [0, 1, 2, 3, 4];
let tinyTarget: tf.LayersModel, tinyGenerator: tf.LayersModel;

beforeAll(async () => {
  await useWasm();
  tinyTarget = tf.sequential({ layers: [
    tf.layers.flatten({ inputShape: [28, 28, 1] }),
    tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.3, seed: 3 }) }),
  ] });
  tinyGenerator = buildGenerator(1);
});

/** The loss of one row of logits for class `t`. */
async function lossOf(logits: number[], t: number, xi?: number): Promise<number> {
  const out = tf.tidy(() => poincareLoss(tf.tensor2d([logits]), tf.oneHot([t], logits.length).toFloat() as tf.Tensor2D, xi));
  const v = (await out.data())[0];
  out.dispose();
  return v;
}

describe('the Poincaré loss', () => {
  it('matches hand-computed values', async () => {
    // logits (1, 1), class 0, xi = 0.5: u = (1/2, 1/2), v = (1/2, 0); ||u||^2 = 1/2, ||v||^2 = 1/4, ||u - v||^2 = 1/4;
    // delta = 2 (1/4) / ((1/2)(3/4)) = 4/3; arccosh(7/3) = ln((7 + 2 sqrt(10)) / 3) = 1.490996.
    expect(await lossOf([1, 1], 0, 0.5)).toBeCloseTo(Math.log((7 + 2 * Math.sqrt(10)) / 3), 4);
    // logits (2, 1, 1), class 0, the paper's xi = 1e-4: u = (1/2, 1/4, 1/4), 1 - ||u||^2 = 5/8; v = (0.9999, 0, 0),
    // 1 - ||v||^2 = 0.00019999; ||u - v||^2 = 0.4999^2 + 1/8 = 0.37490001; delta = 0.74980002 / (5/8 * 0.00019999)
    // = 5998.7001; arccosh(5999.7001) = ln(5999.7001 + sqrt(5999.7001^2 - 1)) = 9.39261.
    expect(await lossOf([2, 1, 1], 0)).toBeCloseTo(9.39261, 2);
    // Negative logits count by their size: (3, -1) -> u = (3/4, -1/4), ||u||^2 = 5/8, ||u - v||^2 = 0.2499^2 + 1/16 =
    // 0.12495001; delta = 0.24990002 / (3/8 * 0.00019999) = 3332.1669; arccosh(3333.1669) = 8.80483.
    expect(await lossOf([3, -1], 0)).toBeCloseTo(8.80483, 2);
  });

  it('is 0 at the target and grows as a point moves away from it', async () => {
    const v = [0.9999, 0, 0, 0, 0], far = [0.2, 0.2, 0.2, 0.2, 0.2];
    const line = [0, 0.05, 0.2, 0.5, 0.8, 1].map((t) => v.map((x, i) => (1 - t) * x + t * far[i]));
    const d = tf.tidy(() => poincareDistance(tf.tensor2d(line), tf.tensor2d(line.map(() => v))));
    const values = Array.from(await d.data());
    d.dispose();
    expect(values[0]).toBeCloseTo(0, 6);
    for (let i = 1; i < values.length; i++) expect(values[i], `t step ${i}`).toBeGreaterThan(values[i - 1]);
    // Symmetric: d(u, v) = d(v, u).
    const back = tf.tidy(() => poincareDistance(tf.tensor2d(line.map(() => v)), tf.tensor2d(line)));
    expect(maxAbsDiff(await back.data(), values)).toBeLessThan(1e-3);
    back.dispose();
  });

  it('falls as the class\'s logit pulls ahead, and is larger for any other class', async () => {
    const own = [6, 20, 100, 1000];
    const losses = await Promise.all(own.map((a) => lossOf([a, -1, -1, -1, -1], 0)));
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
    // (1000, -1, ...): delta = 23.97, arccosh(24.97) = 3.9106 (float64); far below the 8.8 of (6, -1, ...).
    expect(losses[3]).toBeCloseTo(3.9106, 1);
    for (const t of [1, 2, 3, 4]) expect(await lossOf([20, -1, -1, -1, -1], t)).toBeGreaterThan(losses[1]);
    // Finite gradients everywhere, also where all logits are 0 or only one is not.
    for (const logits of [[0, 0, 0, 0, 0], [5, 0, 0, 0, 0], [2, -1, 0.5, 0, 3]]) {
      const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(poincareLoss(x as tf.Tensor2D, tf.oneHot([0], 5).toFloat() as tf.Tensor2D)))(tf.tensor2d([logits])));
      expect(Array.from(await g.data()).every(Number.isFinite), `gradient at ${logits}`).toBe(true);
      g.dispose();
    }
  });
});

describe('the initial and final selections', () => {
  it('topPerClass takes each class\'s best pool rows, best first, distinct within a class', () => {
    // 4 latents x 3 outputs; attacked classes are outputs 0 and 2.
    const scores = Float32Array.from([
      0.1, 0.5, 0.4,
      0.7, 0.2, 0.1,
      0.6, 0.1, 0.3,
      0.2, 0.1, 0.7,
    ]);
    expect(topPerClass(scores, 3, [0, 2], 2)).toEqual([[1, 2], [3, 0]]);
    expect(topPerClass(scores, 3, [0], 4)).toEqual([[1, 2, 3, 0]]);
    expect(() => topPerClass(scores, 3, [0], 5)).toThrow(/smaller than/);
  });

  it('poolScores averages the target\'s softmax over the plain image and every warp', async () => {
    const rng = makeRng(4);
    const z = sampleLatents(6, rng);
    const warps = randomAffineBatch(2, rng);
    const got = await poolScores(tinyGenerator, tinyTarget, z, Z_DIM, warps);
    const want = tf.tidy(() => {
      const img = tinyGenerator.predict(tf.tensor2d(z, [6, Z_DIM])) as tf.Tensor4D;
      const flat = tf.reshape(img, [6, 784]);
      const views = [img, ...[0, 1].map((w) => tf.reshape(tf.matMul(flat, tf.squeeze(tf.slice(warps, [w, 0, 0], [1, -1, -1]), [0])), [6, 28, 28, 1]))];
      return tf.div(tf.addN(views.map((x) => tf.softmax(tinyTarget.predict(x) as tf.Tensor2D))), 3);
    });
    expect(got).toHaveLength(30);
    expect(maxAbsDiff(got, await want.data())).toBeLessThan(1e-5);
    tf.dispose([warps, want]);
  });

  it('init starts every digit from the best-scoring latents of its pool', async () => {
    const options: PpaOptions = { classes: CLASSES, restarts: 3, pool: 40, steps: 5, learningRate: 0.05, finalAugmentations: 4, seed: 11 };
    const s = await ppa.init({ target: tinyTarget, targetClasses: CLASSES, prior: { generator: tinyGenerator, conditional: false } }, options);
    // The same pool and selection warps, drawn as a run with seed 11 draws them, scored independently.
    const rng = makeRng(11);
    const pool = sampleLatents(40, rng);
    const warps = randomAffineBatch(INITIAL_VIEWS - 1, rng);
    const scores = await poolScores(tinyGenerator, tinyTarget, pool, Z_DIM, warps);
    warps.dispose();
    const z = await s.z.data();
    CLASSES.forEach((d, c) => {
      const ranked = Array.from({ length: 40 }, (_, i) => scores[i * 5 + c]).sort((a, b) => b - a);
      for (let r = 0; r < 3; r++) {
        const i = c * 3 + r;
        expect(s.candidateClasses[i]).toBe(d);
        expect(s.initialScore[i], `digit ${d}, candidate ${r}`).toBeCloseTo(ranked[r], 6);
        // Its latent is a row of the pool with that score.
        const row = Array.from(z.subarray(i * Z_DIM, (i + 1) * Z_DIM));
        const j = Array.from({ length: 40 }, (_, k) => k).find((k) => maxAbsDiff(pool.subarray(k * Z_DIM, (k + 1) * Z_DIM), row) < 1e-6);
        expect(j, 'a pool latent').toBeDefined();
        expect(scores[j! * 5 + c]).toBeCloseTo(ranked[r], 6);
      }
    });
    ppa.dispose(s);
  });

  it('keepRobust keeps each class\'s largest mean confidence, ties broken by the mean log-confidence', () => {
    const mean = [0.2, 0.9, 0.5, 1, 1, 0.3];
    const meanLog = [-2, -0.1, -0.7, -1e-6, -1e-7, -1.2];
    expect(keepRobust(mean, meanLog, 2, 3)).toEqual([1, 4]);
  });

  it('refuses a pool smaller than the candidates per digit', async () => {
    await expect(ppa.init({ target: tinyTarget, targetClasses: CLASSES, prior: { generator: tinyGenerator, conditional: false } },
      { restarts: 8, pool: 4, steps: 1, learningRate: 0.05, finalAugmentations: 1, seed: 1 })).rejects.toThrow(/pool/);
  });
});

describe('PPA on the shipped target and GAN', () => {
  let ctx: AttackContext;
  beforeAll(async () => {
    const target = await loadModelFromDir(path.join(MODELS_DIR, 'target-none'));
    const generator = await loadModelFromDir(path.join(MODELS_DIR, 'gan-disjoint'));
    ctx = { target, targetClasses: CLASSES, prior: { generator, conditional: false } };
  });
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

  it('a few steps lower the Poincaré loss and raise the target\'s confidence; the final selection keeps the robust ones', async () => {
    const s = await ppa.init(ctx, { classes: CLASSES, restarts: 3, pool: 30, steps: 12, learningRate: 0.05, finalAugmentations: 20, seed: 2 });
    const before = await ppa.snapshot(s);
    for (let i = 0; i < 12; i++) ppa.step(s);
    const after = await ppa.snapshot(s);
    expect(mean(after.loss)).toBeLessThan(mean(before.loss) - 0.3);
    expect(mean(after.targetConfidence)).toBeGreaterThan(mean(before.targetConfidence));
    // Before the end, the kept candidate of each digit is its lowest-loss one; at the end the final selection's.
    before.kept.forEach((k, c) => { for (let j = c * 3; j < c * 3 + 3; j++) expect(before.loss[k]).toBeLessThanOrEqual(before.loss[j]); });
    after.kept.forEach((k, c) => {
      expect(after.classes[k]).toBe(CLASSES[c]);
      for (let j = c * 3; j < c * 3 + 3; j++) expect(s.final!.score[k]).toBeGreaterThanOrEqual(s.final!.score[j]);
    });
    // The step count ends at the budget and further steps do nothing.
    expect(ppa.step(s)).toEqual({ step: 12, done: true });
    ppa.dispose(s);
  });

  it('runs each seed alone, and a seed reproduces its run exactly', async () => {
    // Its near-sign Adam steps would let a batched seed drift from its own run (ppa.ts), so seeds are never batched.
    expect(seedGroups('ppa', [1, 2, 3])).toEqual([[1], [2], [3]]);
    const options: PpaOptions = { classes: CLASSES, restarts: 2, pool: 24, steps: 6, learningRate: 0.05, finalAugmentations: 12, seed: 1 };
    const run = async (o: PpaOptions): Promise<CandidateSnapshot> => {
      const s = await ppa.init(ctx, o);
      try {
        while (!ppa.step(s).done);
        return await ppa.snapshot(s);
      } finally {
        ppa.dispose(s);
      }
    };
    await run({ ...options, steps: 1 }); // warm-up
    const tensors = tf.memory().numTensors;
    const [a, again, other] = [await run(options), await run(options), await run({ ...options, seed: 2 })];
    expect(tf.memory().numTensors).toBe(tensors);
    expect(again.kept).toEqual(a.kept);
    expect(maxAbsDiff(again.pixels, a.pixels)).toBe(0);
    expect(maxAbsDiff(other.pixels, a.pixels)).toBeGreaterThan(0.05);
  });
});

describe('through the engine (the lab, the CLI and the benchmark)', () => {
  it('has the core\'s budgets in the catalog', () => {
    expect(knobValues('ppa')).toEqual(PPA_DEFAULTS);
    expect(knobValues('ppa', 'paper')).toEqual(PPA_PAPER);
  });

  it('runs the seeds of attackSeeds one after another, each as its own run, and refuses a pool below the candidates', async () => {
    const engine = await nodeEngine();
    const config: AttackConfig = {
      attack: 'ppa', targetId: 'target-none', knowledge: 'disjoint', params: { steps: 2, restarts: 2, pool: 20, finalAugmentations: 3 },
      outputDefense: 'none', seed: 1, snapshotEvery: Number.MAX_SAFE_INTEGER,
    };
    await engine.attackSeeds(config, [1]); // loads the target, the prior and the judges
    const tensors = tf.memory().numTensors;
    const [one, two] = await engine.attackSeeds(config, [1, 2]);
    const [alone] = await engine.attackSeeds({ ...config, seed: 2 }, [2]);
    expect(tf.memory().numTensors).toBe(tensors);
    for (const f of [one, two]) expect(f).toMatchObject({ state: 'done', step: 2, maxSteps: 2, classes: CLASSES });
    expect(maxAbsDiff(two.pixels, alone.pixels)).toBe(0);
    expect(maxAbsDiff(one.pixels, two.pixels)).toBeGreaterThan(0.05);
    await expect(engine.attackSeeds({ ...config, params: { ...config.params, pool: 16, restarts: 20 } }, [1])).rejects.toThrow(/pool \(16\) must be at least restarts \(20\)/);
  });
});

describe('tensors', () => {
  it('leaves none behind over 200 steps, snapshots and the final selection included', async () => {
    const c = { target: tinyTarget, targetClasses: CLASSES, prior: { generator: tinyGenerator, conditional: false } };
    const options: PpaOptions = { classes: CLASSES, restarts: 2, pool: 20, steps: 200, learningRate: 0.05, finalAugmentations: 3, seed: 5 };
    const warm = await ppa.init(c, { ...options, steps: 1 });
    ppa.step(warm); await ppa.snapshot(warm); ppa.dispose(warm);
    const before = tf.memory().numTensors;
    const s = await ppa.init(c, options);
    ppa.step(s);
    const running = tf.memory().numTensors;
    for (let i = 1; i < 200; i++) {
      ppa.step(s);
      if (i % 50 === 0) await ppa.snapshot(s);
    }
    expect(tf.memory().numTensors).toBe(running);
    expect(s.stepCount).toBe(200);
    await ppa.result(s);
    expect(s.final).toBeDefined();
    expect(tf.memory().numTensors).toBe(running);
    ppa.dispose(s);
    expect(tf.memory().numTensors).toBe(before);
  });
});
