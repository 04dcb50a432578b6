// Seeds in one batch: each gradient attack runs seeds [1, 2, 3] as one batch, and every seed's candidates end where
// that seed's separate run ends (pixels within 1e-4), on the shipped target and priors. The seeds' images differ from
// each other, so a batch whose seeds shared one random stream (or one augmentation, or one per-step noise) fails here.
// Then the same through the engine (the CLI's attackSeeds) and the benchmark grid: batched and one seed at a time
// give the same images and figures. Tensors stay flat.
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR, loadModelFromDir, nodeLoader } from '../../scripts/lib/node-io.ts';
import { type Attack, type AttackContext, type CandidateSnapshot, type Seeded, splitSeeds } from '../../src/core/attacks/attack.ts';
import { miFace } from '../../src/core/attacks/mi-face.ts';
import { gmi } from '../../src/core/attacks/gmi.ts';
import { plgMi } from '../../src/core/attacks/plg-mi.ts';
import { kedMi } from '../../src/core/attacks/ked-mi.ts';
import { seedGroups } from '../../src/worker/attack-setup.ts';
import { Engine } from '../../src/worker/engine.ts';
import { DEFAULT_MI_FACE, type AttackConfig, type BenchmarkConfig } from '../../src/worker/protocol.ts';
import { decodeGray } from '../../src/worker/benchmark-record.ts';
import { maxAbsDiff, runGrid, useWasm } from './helpers.ts';

const SEEDS = [1, 2, 3];
const CLASSES = [0, 1, 2, 3, 4];
const TOLERANCE = 1e-4;
let target: tf.LayersModel;
const models = new Map<string, tf.LayersModel>();
const load = async (dir: string) => {
  let m = models.get(dir);
  if (!m) { m = await loadModelFromDir(path.join(MODELS_DIR, dir)); models.set(dir, m); }
  return m;
};

beforeAll(async () => {
  await useWasm();
  target = await load('target-none');
});

/** `steps` steps of an attack from `options`, then its snapshot; the state is freed. */
async function runFor<O, S>(attack: Attack<O, S>, ctx: AttackContext, options: O, steps: number): Promise<CandidateSnapshot> {
  const s = await attack.init(ctx, options);
  try {
    for (let i = 0; i < steps; i++) await attack.step(s);
    return await attack.snapshot(s);
  } finally {
    attack.dispose(s);
  }
}

/** Batched vs one run per seed: the same candidates per seed; the seeds differ; no tensor left behind. */
async function expectBatchMatchesSeparateRuns<O extends Seeded>(attack: Attack<O, unknown>, ctx: AttackContext, options: O, steps: number): Promise<void> {
  await runFor(attack, ctx, { ...options, seed: SEEDS[0] }, 1); // warm-up: kernels and weights initialised
  const before = tf.memory().numTensors;
  const batched = splitSeeds(await runFor(attack, ctx, { ...options, seed: SEEDS[0], seeds: SEEDS }, steps), SEEDS.length);
  const separate: CandidateSnapshot[] = [];
  for (const seed of SEEDS) separate.push(await runFor(attack, ctx, { ...options, seed }, steps));
  expect(tf.memory().numTensors).toBe(before);
  expect(batched).toHaveLength(SEEDS.length);
  SEEDS.forEach((seed, i) => {
    const b = batched[i], s = separate[i];
    expect(b.classes, `seed ${seed}`).toEqual(s.classes);
    expect(b.attacked).toEqual(s.attacked);
    expect(b.kept, `seed ${seed}: the kept candidates`).toEqual(s.kept);
    expect(b.pixels).toHaveLength(s.pixels.length);
    expect(maxAbsDiff(b.pixels, s.pixels), `seed ${seed}: pixels`).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(b.targetConfidence, s.targetConfidence)).toBeLessThan(TOLERANCE);
  });
  // The seeds start (and end) apart: a batch that gave every seed the same stream would not match above.
  for (let i = 1; i < SEEDS.length; i++) expect(maxAbsDiff(separate[0].pixels, separate[i].pixels)).toBeGreaterThan(0.05);
}

describe('seeds in one batch: each seed as its own run', () => {
  it('MI-Face (faint-noise starts per seed; a sum over candidates)', async () => {
    await expectBatchMatchesSeparateRuns(miFace, { target, targetClasses: CLASSES },
      { classes: CLASSES, steps: 100, learningRate: 0.05, tv: 0.3, l2: 0.01, init: 'noise' as const, seed: 1, patience: 0 }, 12);
  });

  it('MI-Face refuses patience with several seeds (it would stop the whole batch at once)', () => {
    expect(() => miFace.init({ target, targetClasses: CLASSES }, { steps: 10, learningRate: 0.05, tv: 0, l2: 0, init: 'noise', seed: 1, seeds: [1, 2], patience: 5 }))
      .toThrow(/patience/);
  });

  it('GMI (latents per seed; each seed\'s mean loss, summed)', async () => {
    const prior = { generator: await load('gan-disjoint'), discriminator: await load('gan-disjoint/discriminator'), conditional: false };
    await expectBatchMatchesSeparateRuns(gmi, { target, targetClasses: CLASSES, prior },
      { classes: CLASSES, restarts: 2, steps: 100, learningRate: 0.02, momentum: 0.9, lambda: 100, clamp: 1, seed: 1 }, 8);
  });

  it('PLG-MI (latents and both random augmentations of every step from each seed\'s own stream)', async () => {
    const prior = { generator: await load('cgan-target-none-disjoint'), conditional: true };
    await expectBatchMatchesSeparateRuns(plgMi, { target, targetClasses: CLASSES, prior },
      { classes: CLASSES, restarts: 2, steps: 100, learningRate: 0.1, seed: 1 }, 8);
  });

  it('KED-MI (each seed\'s distributions, and each step\'s sampling noise from its own stream)', async () => {
    const prior = { generator: await load('ked-target-none-disjoint'), discriminator: await load('ked-target-none-disjoint/discriminator'), conditional: false };
    await expectBatchMatchesSeparateRuns(kedMi, { target, targetClasses: CLASSES, prior },
      { classes: CLASSES, samples: 2, steps: 100, learningRate: 0.02, lambda: 100, clamp: 1, seed: 1 }, 8);
  });

  it('batches the gradient attacks only: black-box and label-only attacks run one seed at a time', () => {
    for (const a of ['mi-face', 'gmi', 'lomma-gmi', 'ked-mi', 'lomma-ked-mi', 'plg-mi'] as const) expect(seedGroups(a, SEEDS)).toEqual([SEEDS]);
    for (const a of ['genetic', 'brep-mi'] as const) expect(seedGroups(a, SEEDS)).toEqual([[1], [2], [3]]);
    expect(seedGroups('mi-face', SEEDS, false)).toEqual([[1], [2], [3]]);
    expect(seedGroups('gmi', [4])).toEqual([[4]]);
  });
});

describe('seeds in one batch through the engine', () => {
  let engine: Engine;
  beforeAll(async () => {
    // Without the cached full-set features: the grid featurises a small reference itself (as benchmark.test.ts).
    engine = new Engine({ ...nodeLoader(), privateTrainFeatures: undefined }, ['wasm']);
    await engine.init({ baseUrl: '' });
  });

  it('attackSeeds (npm run mi -- attack --seeds): batched and one by one give each seed the same final snapshot', async () => {
    const configs: AttackConfig[] = [
      { ...DEFAULT_MI_FACE, steps: 6, seed: 1, snapshotEvery: Number.MAX_SAFE_INTEGER },
      { attack: 'gmi', targetId: 'target-none', knowledge: 'disjoint', params: { steps: 4, restarts: 2 }, outputDefense: 'none', seed: 1, snapshotEvery: Number.MAX_SAFE_INTEGER },
    ];
    for (const config of configs) {
      await engine.attackSeeds({ ...config, ...(config.attack === 'mi-face' ? { steps: 1 } : { params: { ...config.params, steps: 1 } }) }, [1]); // loads its models
      const before = tf.memory().numTensors;
      const batched = await engine.attackSeeds(config, SEEDS);
      const oneByOne = await engine.attackSeeds(config, SEEDS, { batch: false });
      expect(tf.memory().numTensors).toBe(before);
      expect(batched).toHaveLength(3);
      batched.forEach((b, i) => {
        const s = oneByOne[i];
        expect(b).toMatchObject({ state: 'done', step: s.step, maxSteps: s.maxSteps, classes: s.classes, evaluator: { predicted: s.evaluator.predicted } });
        expect(maxAbsDiff(b.pixels, s.pixels), `${config.attack} seed ${SEEDS[i]}`).toBeLessThan(TOLERANCE);
      });
      expect(maxAbsDiff(oneByOne[0].pixels, oneByOne[1].pixels)).toBeGreaterThan(0.05);
    }
  });

  it('the benchmark grid: batched cells equal cells run one seed at a time (images, seeds, figures)', async () => {
    const config: BenchmarkConfig = {
      defenses: ['target-none'], attacks: ['mi-face', 'gmi'], seeds: [1, 2], budget: 'browser', knowledge: 'disjoint', steps: 3, referencePerDigit: 12,
    };
    const batched = await runGrid(engine, config);
    const oneByOne = await runGrid(engine, { ...config, batchSeeds: false });
    // The batched grid said which seeds run together; the other one seed at a time.
    expect(batched.some((p) => p.current?.seeds?.join() === '1,2')).toBe(true);
    expect(oneByOne.some((p) => p.current?.seeds)).toBe(false);
    for (const seen of [batched, oneByOne]) expect(seen.at(-1)!.work).toEqual({ done: 2 * 2 * 3, total: 2 * 2 * 3 });
    const a = batched.at(-1)!.record!.cells, b = oneByOne.at(-1)!.record!.cells;
    expect(a.map((c) => [c.attack, c.status, c.seeds])).toEqual([['mi-face', 'done', [1, 2]], ['gmi', 'done', [1, 2]]]);
    a.forEach((cell, i) => {
      const other = b[i];
      expect(cell.images!.map((im) => [im.digit, im.seed])).toEqual(other.images!.map((im) => [im.digit, im.seed]));
      cell.images!.forEach((im, j) => {
        // Grey levels of 1/255: a difference below 1e-4 can still round to the neighbouring level.
        expect(maxAbsDiff(decodeGray(im.pixels), decodeGray(other.images![j].pixels))).toBeLessThanOrEqual(1 / 255 + 1e-6);
        expect(im.evaluator.predicted).toBe(other.images![j].evaluator.predicted);
      });
      expect(cell.metrics!.top1).toBe(other.metrics!.top1);
      expect(cell.metrics!.knnDistance).toBeCloseTo(other.metrics!.knnDistance, 2);
    });
  });
});
